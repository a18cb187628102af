// HTTP(S) POST and GET on libcurl, with connection reuse.
//
// Contract: thread-safe. Each call borrows a curl handle from a pool (kept
// alive between calls, so connections are reused) and returns it. TLS peer
// and host verification stay on. Transport failures (connect, timeout, reset)
// are UNAVAILABLE; any HTTP status is returned as a response, not an error.
// A request is given the client's request timeout, or the caller's
// `timeout` when shorter; running out of the caller's is DEADLINE_EXCEEDED.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_HTTP_CLIENT_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_HTTP_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cvm::tencentcloud {

struct HttpResponse {
  long status = 0;
  std::string body;
};

class HttpClient {
 public:
  HttpClient(absl::Duration connect_timeout, absl::Duration request_timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  absl::StatusOr<HttpResponse> Post(
      const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
      const std::string& body, absl::Duration timeout = absl::InfiniteDuration());

  absl::StatusOr<HttpResponse> Get(const std::string& url);

 private:
  // Runs one request; `body` null for GET.
  absl::StatusOr<HttpResponse> Perform(
      const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
      const std::string* body, absl::Duration timeout);
  void* Borrow();
  void Return(void* handle);

  const absl::Duration connect_timeout_;
  const absl::Duration request_timeout_;
  absl::Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);  // CURL*
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_HTTP_CLIENT_H_
