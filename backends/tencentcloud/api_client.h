// One signed Tencent Cloud API call: JSON parameters in, the "Response"
// object out, errors mapped (error_mapping.h).
//
// Contract: thread-safe. Every attempt of every call takes a slot of the
// account's rate limiter first (shared with the other replicas). The one
// retry policy (backends/retry_policy.h) repeats a RequestLimitExceeded
// answer (which executed nothing), transport failures, HTTP 5xx and
// malformed answers, unless repeating could buy twice (a RunInstances without
// ClientToken): at most policy.max_attempts HTTP requests per call. The
// call's deadline bounds the wait for a slot, each request's timeout and the
// backoff: a call whose deadline passes returns DEADLINE_EXCEEDED, or the
// last attempt's error when one was made. After the attempts: UNAVAILABLE,
// or the mapped Tencent error.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_API_CLIENT_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_API_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "backends/retry_policy.h"
#include "backends/tencentcloud/api_metrics.h"
#include "backends/tencentcloud/credentials.h"
#include "backends/tencentcloud/http_client.h"
#include "backends/tencentcloud/rate_limiter.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace cvm::tencentcloud {

using Json = nlohmann::json;

inline constexpr char kCvmVersion[] = "2017-03-12";
inline constexpr char kBillingVersion[] = "2018-07-09";

struct ApiCall {
  std::string service;  // "cvm", "billing"
  std::string version;  // kCvmVersion, ...
  std::string action;   // "RunInstances"
  std::string region;   // empty for global actions
  Json params = Json::object();
  // When the caller stops waiting (the client's deadline).
  absl::Time deadline = absl::InfiniteFuture();
};

class ApiClient {
 public:
  // endpoint_override: "" for https://<service>.tencentcloudapi.com, else a
  // base URL such as "http://127.0.0.1:9000". `clock` stamps requests (real
  // time: the server checks it).
  // `sleep` (the retry backoff) defaults to absl::SleepFor.
  ApiClient(std::unique_ptr<CredentialsProvider> credentials, std::string endpoint_override,
            std::unique_ptr<HttpClient> http, std::unique_ptr<RateLimiter> limiter,
            RetryPolicy retry, std::unique_ptr<ApiMetrics> metrics, Clock* clock,
            RateLimiter::Sleep sleep = nullptr);

  // The Response object without RequestId, or the error.
  absl::StatusOr<Json> Call(const ApiCall& call);

  const RateLimiter& limiter() const { return *limiter_; }

 private:
  // One request, sent only before `send_by` (its rate slot's second).
  absl::StatusOr<Json> CallOnce(const ApiCall& call, absl::Duration timeout, absl::Time send_by);

  const std::unique_ptr<CredentialsProvider> credentials_;
  const std::string endpoint_override_;
  const std::unique_ptr<HttpClient> http_;
  const std::unique_ptr<RateLimiter> limiter_;
  const RetryPolicy retry_;
  const RateLimiter::Sleep sleep_;
  const std::unique_ptr<ApiMetrics> metrics_;
  Clock* const clock_;
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_API_CLIENT_H_
