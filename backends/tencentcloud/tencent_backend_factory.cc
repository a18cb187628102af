// Registers the "tencentcloud" plugin (config:
// provisioning.tencentcloud.v1.TencentCloudConfig).
#include "absl/strings/str_cat.h"
#include "backends/backend_registry.h"
#include "backends/tencentcloud/tencent_backend.h"
#include "backends/tencentcloud/tencentcloud_config.pb.h"
#include "common/money.h"
#include "common/proto_time.h"
#include "common/status_details.h"
#include "common/status_macros.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::tencentcloud::v1::TencentCloudConfig;

// How the account's calls are paced, from the config (field names in errors).
absl::StatusOr<RateLimiter::Options> PacingOf(const TencentCloudConfig& config) {
  RateLimiter::Options pacing;
  std::vector<FieldViolation> bad;
  for (const auto& [action, rate] : config.rate_limits()) {
    if (!(rate >= 0)) bad.push_back({absl::StrCat("rate_limits[", action, "]"), "must not be negative"});
    pacing.limits[action] = rate;
  }
  pacing.account = !config.account().empty()              ? config.account()
                   : !config.credentials().secret_id().empty() ? config.credentials().secret_id()
                                                             : "default";
  if (pacing.account.size() > 64) bad.push_back({"account", "at most 64 characters"});
  if (config.has_rate_reserve()) {
    if (!(config.rate_reserve() >= 0 && config.rate_reserve() <= 0.9)) {
      bad.push_back({"rate_reserve", "must be in [0, 0.9]"});
    }
    pacing.reserve = config.rate_reserve();
  }
  pacing.horizon = DurationOr(config.rate_horizon(), config.has_rate_horizon(), pacing.horizon);
  if (pacing.horizon <= absl::ZeroDuration() || pacing.horizon > absl::Seconds(10)) {
    bad.push_back({"rate_horizon", "must be in (0, 10s]"});
  }
  pacing.max_wait = DurationOr(config.max_rate_wait(), config.has_max_rate_wait(), pacing.max_wait);
  if (pacing.max_wait < absl::ZeroDuration()) bad.push_back({"max_rate_wait", "must not be negative"});
  if (!bad.empty()) return InvalidFields(bad);
  return pacing;
}

absl::StatusOr<RetryPolicy> RetryOf(const TencentCloudConfig& config) {
  RetryPolicy retry;
  const auto& r = config.retry();
  if (r.max_attempts() != 0) retry.max_attempts = r.max_attempts();
  retry.first_backoff = DurationOr(r.first_backoff(), r.has_first_backoff(), retry.first_backoff);
  retry.max_backoff = DurationOr(r.max_backoff(), r.has_max_backoff(), retry.max_backoff);
  if (retry.max_attempts > 10) return InvalidFields({{"retry.max_attempts", "must be 1-10"}});
  RETURN_IF_ERROR(retry.Validate("retry."));
  return retry;
}


class TencentBackendFactory : public BackendFactory {
 public:
  std::string name() const override { return "tencentcloud"; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return std::make_unique<TencentCloudConfig>();
  }
  absl::StatusOr<std::unique_ptr<Backend>> Create(
      const google::protobuf::Message& message, const BackendContext& context) const override {
    const auto& config = static_cast<const TencentCloudConfig&>(message);
    if (!IsCurrencyCode(config.currency())) {
      return InvalidFields({{"currency",
                             "is required: the ISO 4217 code the account is billed in, \"CNY\" "
                             "(China site) or \"USD\" (international site)"}});
    }
    std::unique_ptr<CredentialsProvider> credentials;
    if (config.has_credentials()) {
      if (config.credentials().secret_id().empty() ||
          config.credentials().secret_key().empty()) {
        return absl::InvalidArgumentError(
            "credentials: secret_id and secret_key are both required when credentials is set");
      }
      credentials = StaticCredentialsProvider({config.credentials().secret_id(),
                                               config.credentials().secret_key(),
                                               config.credentials().token()});
    } else {
      ChainOptions chain;
      chain.profile_path = config.profile_path();
      if (!config.metadata_endpoint().empty()) chain.metadata_endpoint = config.metadata_endpoint();
      if (!config.sts_endpoint().empty()) chain.sts_endpoint = config.sts_endpoint();
      credentials = DefaultCredentialsChain(std::move(chain));
    }
    auto http = std::make_unique<HttpClient>(
        DurationOr(config.connect_timeout(), config.has_connect_timeout(), absl::Seconds(3)),
        DurationOr(config.request_timeout(), config.has_request_timeout(), absl::Seconds(15)));
    absl::StatusOr<RateLimiter::Options> pacing = PacingOf(config);
    if (!pacing.ok()) return pacing.status();
    absl::StatusOr<RetryPolicy> retry = RetryOf(config);
    if (!retry.ok()) return retry.status();
    // Requests are stamped and paced with real time: Tencent checks it. The
    // context's clock may be a test clock.
    auto limiter = std::make_unique<RateLimiter>(context.rate_slots, RealClock::Get(),
                                                 *std::move(pacing));
    absl::StatusOr<std::unique_ptr<ApiMetrics>> metrics =
        ApiMetrics::Create(context.registry, context.name);
    if (!metrics.ok()) return metrics.status();
    auto api = std::make_unique<ApiClient>(std::move(credentials), config.endpoint_override(),
                                           std::move(http), std::move(limiter), *retry,
                                           *std::move(metrics), RealClock::Get());
    return std::unique_ptr<Backend>(new TencentBackend(std::move(api), config.currency()));
  }
};

REGISTER_BACKEND_FACTORY(TencentBackendFactory);

}  // namespace
}  // namespace cvm::tencentcloud
