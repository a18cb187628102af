#include "backends/tencentcloud/api_client.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "backends/backend.h"
#include "backends/tencentcloud/response_parsing.h"
#include "backends/tencentcloud/tc3_signer.h"
#include "common/status_details.h"

namespace cvm::tencentcloud {

namespace {

// The outcome label of one call: OK, Tencent's error code, or what failed.
std::string Outcome(const absl::Status& status) {
  if (status.ok()) return "OK";
  if (auto info = GetDetail<google::rpc::ErrorInfo>(status)) {
    auto code = info->metadata().find(kCloudErrorCodeKey);
    if (code != info->metadata().end() && !code->second.empty()) return code->second;
    if (!info->reason().empty()) return info->reason();
  }
  return "TRANSPORT_ERROR";
}

// Whether another attempt may help: RequestLimitExceeded (Tencent executed
// nothing), and transport failures / 5xx when repeating the call cannot buy
// twice (every action but a RunInstances without ClientToken).
bool Retryable(const ApiCall& call, const absl::Status& status) {
  if (ErrorReason(status) == "CLOUD_RATE_LIMITED") return true;
  if (status.code() != absl::StatusCode::kUnavailable) return false;
  return call.action != "RunInstances" || call.params.contains("ClientToken");
}

}  // namespace

ApiClient::ApiClient(std::unique_ptr<CredentialsProvider> credentials,
                     std::string endpoint_override, std::unique_ptr<HttpClient> http,
                     std::unique_ptr<RateLimiter> limiter, RetryPolicy retry,
                     std::unique_ptr<ApiMetrics> metrics, Clock* clock, RateLimiter::Sleep sleep)
    : credentials_(std::move(credentials)),
      endpoint_override_(std::move(endpoint_override)),
      http_(std::move(http)),
      limiter_(std::move(limiter)),
      retry_(retry),
      sleep_(sleep ? std::move(sleep)
                   : RateLimiter::Sleep([](absl::Duration d) { absl::SleepFor(d); })),
      metrics_(std::move(metrics)),
      clock_(clock) {}

absl::StatusOr<Json> ApiClient::Call(const ApiCall& call) {
  absl::StatusOr<Json> result = absl::DeadlineExceededError(
      absl::StrCat("Tencent Cloud ", call.action, ": the caller's deadline passed"));
  for (int attempt = 1; attempt <= retry_.max_attempts; ++attempt) {
    if (attempt > 1) {
      // Not past the deadline: the last answer stands if no retry fits.
      const absl::Duration backoff = retry_.Backoff(attempt);
      if (clock_->Now() + backoff >= call.deadline) return result;
      metrics_->RecordRetry(call.action);
      sleep_(backoff);
    }
    absl::StatusOr<absl::Duration> waited = limiter_->Acquire(call.action, call.deadline);
    if (!waited.ok()) return attempt == 1 ? waited.status() : result;
    metrics_->RecordRateWait(call.action, *waited);
    const absl::Duration left = call.deadline - clock_->Now();
    if (left <= absl::ZeroDuration()) return result;
    const absl::Time start = absl::Now();
    result = CallOnce(call, left);
    metrics_->RecordCall(call.action, Outcome(result.status()), absl::Now() - start);
    if (result.ok() || !Retryable(call, result.status())) return result;
  }
  return result;
}

absl::StatusOr<Json> ApiClient::CallOnce(const ApiCall& call, absl::Duration timeout) {
  absl::StatusOr<Credentials> credentials = credentials_->Get();
  if (!credentials.ok()) return credentials.status();

  std::string url, host;
  if (endpoint_override_.empty()) {
    host = absl::StrCat(call.service, ".tencentcloudapi.com");
    url = absl::StrCat("https://", host, "/");
  } else {
    absl::string_view base = absl::StripSuffix(endpoint_override_, "/");
    url = absl::StrCat(base, "/");
    absl::string_view without_scheme = base;
    if (!absl::ConsumePrefix(&without_scheme, "https://")) {
      absl::ConsumePrefix(&without_scheme, "http://");
    }
    host = std::string(without_scheme);
  }
  const std::string body = call.params.dump();
  Tc3Input sign;
  sign.secret_id = credentials->secret_id;
  sign.secret_key = credentials->secret_key;
  sign.service = call.service;
  sign.host = host;
  sign.payload = body;
  sign.timestamp = absl::ToUnixSeconds(clock_->Now());

  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", std::string(sign.content_type)},
      {"X-TC-Action", call.action},
      {"X-TC-Version", call.version},
      {"X-TC-Timestamp", absl::StrCat(sign.timestamp)},
      {"Authorization", Tc3Authorization(sign)},
  };
  if (!call.region.empty()) headers.push_back({"X-TC-Region", call.region});
  if (!credentials->token.empty()) headers.push_back({"X-TC-Token", credentials->token});

  absl::StatusOr<HttpResponse> response = http_->Post(url, headers, body, timeout);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    const std::string what =
        absl::StrCat("Tencent Cloud ", call.action, ": HTTP ", response->status);
    return WithReason(
        response->status >= 500 ? absl::UnavailableError(what) : absl::UnknownError(what),
        "HTTP_ERROR");
  }
  return ParseApiAnswer(call.action, response->body);
}

}  // namespace cvm::tencentcloud
