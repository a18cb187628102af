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

// CallOnce() got to the wire after its slot's second: nothing was sent.
constexpr char kSlotMissed[] = "RATE_SLOT_MISSED";

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
// nothing), and transport failures / 5xx when repeating the call does the
// same again: every action but a RunInstances without ClientToken (it could
// buy twice) and TerminateInstances (a repeat destroys a prepaid instance
// the lost first call returned to the recycle bin; TencentBackend::Terminate
// asks the cloud what is left before it calls again).
bool Retryable(const ApiCall& call, const absl::Status& status) {
  if (ErrorReason(status) == "CLOUD_RATE_LIMITED") return true;
  if (status.code() != absl::StatusCode::kUnavailable) return false;
  if (call.action == "TerminateInstances") return false;
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
    // A slot missed on the way to the wire sent nothing: not an attempt.
    do {
      absl::StatusOr<RateLimiter::Grant> grant = limiter_->Acquire(call.action, call.deadline);
      if (!grant.ok()) return attempt == 1 ? grant.status() : result;
      metrics_->RecordRateWait(call.action, grant->waited);
      const absl::Duration left = call.deadline - clock_->Now();
      if (left <= absl::ZeroDuration()) return result;
      const absl::Time start = absl::Now();
      result = CallOnce(call, left, grant->send_by);
      if (ErrorReason(result.status()) == kSlotMissed) {
        limiter_->MissedSlot();
        continue;
      }
      metrics_->RecordCall(call.action, Outcome(result.status()), absl::Now() - start);
    } while (ErrorReason(result.status()) == kSlotMissed);
    if (result.ok() || !Retryable(call, result.status())) return result;
  }
  return result;
}

absl::StatusOr<Json> ApiClient::CallOnce(const ApiCall& call, absl::Duration timeout,
                                         absl::Time send_by) {
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

  // The last moment before the wire: too late for the slot's second, the
  // request would count in the next one's.
  if (clock_->Now() >= send_by) {
    return WithReason(absl::UnavailableError("the rate slot passed before sending"), kSlotMissed);
  }
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
