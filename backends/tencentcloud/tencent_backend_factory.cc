// Registers the "tencentcloud" plugin (config:
// provisioning.tencentcloud.v1.TencentCloudConfig).
#include "backends/tencentcloud/tencent_backend.h"
#include "backends/tencentcloud/tencentcloud_config.pb.h"
#include "absl/strings/str_cat.h"
#include "common/money.h"
#include "common/proto_time.h"
#include "common/status_details.h"
#include "plugins/registry.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::tencentcloud::v1::TencentCloudConfig;


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
    std::map<std::string, double> limits = DefaultRateLimits();
    for (const auto& [action, rate] : config.rate_limits()) {
      if (rate < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("rate_limits[", action, "]: must not be negative"));
      }
      limits[action] = rate;
    }
    // Requests are stamped and paced with real time: Tencent checks it. The
    // context's clock may be a test clock.
    auto limiter = std::make_unique<RateLimiter>(RealClock::Get(), std::move(limits),
                                                 kDefaultRatePerSecond);
    absl::StatusOr<std::unique_ptr<ApiMetrics>> metrics =
        ApiMetrics::Create(context.registry, context.name);
    if (!metrics.ok()) return metrics.status();
    auto api = std::make_unique<ApiClient>(
        std::move(credentials), config.endpoint_override(), std::move(http),
        std::move(limiter),
        DurationOr(config.max_rate_wait(), config.has_max_rate_wait(), absl::Seconds(60)),
        *std::move(metrics), RealClock::Get());
    return std::unique_ptr<Backend>(new TencentBackend(std::move(api), config.currency()));
  }
};

REGISTER_BACKEND_FACTORY(TencentBackendFactory);

}  // namespace
}  // namespace cvm::tencentcloud
