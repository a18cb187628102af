// One signed Tencent Cloud API call: JSON parameters in, the "Response"
// object out, errors mapped (error_mapping.h).
//
// Contract: thread-safe. Calls are paced by the rate limiter at Tencent's
// per-action limits. A RequestLimitExceeded answer (which executed nothing)
// is retried with backoff, and so are transport failures, HTTP 5xx and
// malformed answers unless repeating could buy twice (a RunInstances without
// ClientToken). After the retries: UNAVAILABLE, or the mapped Tencent error.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_API_CLIENT_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_API_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
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
};

class ApiClient {
 public:
  // endpoint_override: "" for https://<service>.tencentcloudapi.com, else a
  // base URL such as "http://127.0.0.1:9000". `clock` stamps requests (real
  // time: the server checks it).
  ApiClient(std::unique_ptr<CredentialsProvider> credentials, std::string endpoint_override,
            std::unique_ptr<HttpClient> http, std::unique_ptr<RateLimiter> limiter,
            absl::Duration max_rate_wait, std::unique_ptr<ApiMetrics> metrics, Clock* clock);

  // The Response object without RequestId, or the error.
  absl::StatusOr<Json> Call(const ApiCall& call);

  const RateLimiter& limiter() const { return *limiter_; }

 private:
  absl::StatusOr<Json> CallOnce(const ApiCall& call);

  const std::unique_ptr<CredentialsProvider> credentials_;
  const std::string endpoint_override_;
  const std::unique_ptr<HttpClient> http_;
  const std::unique_ptr<RateLimiter> limiter_;
  const absl::Duration max_rate_wait_;
  const std::unique_ptr<ApiMetrics> metrics_;
  Clock* const clock_;
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_API_CLIENT_H_
