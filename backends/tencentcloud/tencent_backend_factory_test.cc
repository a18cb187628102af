// The tencentcloud plugin's config: the pacing and retry fields are checked
// at start-up, each error naming its field.
#include <set>

#include "backends/backend_registry.h"
#include "backends/tencentcloud/tencentcloud_config.pb.h"
#include "common/status_details.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::tencentcloud::v1::TencentCloudConfig;

// The fields a config error names, or {"<ok>"}.
std::set<std::string> BadFields(const TencentCloudConfig& config) {
  auto backend = BackendRegistry::Global().Find("tencentcloud")->Create(config, {});
  if (backend.ok()) return {"<ok>"};
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kInvalidArgument) << backend.status();
  std::set<std::string> fields;
  if (auto bad = GetDetail<google::rpc::BadRequest>(backend.status())) {
    for (const auto& violation : bad->field_violations()) fields.insert(violation.field());
  }
  return fields;
}

TencentCloudConfig Valid() {
  TencentCloudConfig config;
  config.set_endpoint_override("http://127.0.0.1:1");
  config.set_currency("CNY");
  config.mutable_credentials()->set_secret_id("id");
  config.mutable_credentials()->set_secret_key("key");
  return config;
}

TEST(TencentBackendFactoryTest, PacingAndRetryDefaultsAreValid) {
  EXPECT_EQ(BadFields(Valid()), std::set<std::string>{"<ok>"});
  TencentCloudConfig config = Valid();
  config.set_rate_reserve(0);
  config.set_account("shared-account");
  (*config.mutable_rate_limits())["RunInstances"] = 5;
  config.mutable_retry()->set_max_attempts(1);
  EXPECT_EQ(BadFields(config), std::set<std::string>{"<ok>"});
}

TEST(TencentBackendFactoryTest, EachBadFieldIsNamed) {
  TencentCloudConfig config = Valid();
  config.set_rate_reserve(0.95);
  (*config.mutable_rate_limits())["RunInstances"] = -1;
  config.mutable_rate_horizon()->set_seconds(11);
  config.set_account(std::string(65, 'a'));
  EXPECT_EQ(BadFields(config),
            (std::set<std::string>{"rate_reserve", "rate_limits[RunInstances]", "rate_horizon",
                                   "account"}));
  TencentCloudConfig retry = Valid();
  retry.mutable_retry()->set_max_attempts(11);
  EXPECT_EQ(BadFields(retry), std::set<std::string>{"retry.max_attempts"});
  retry = Valid();
  retry.mutable_retry()->mutable_first_backoff()->set_seconds(10);
  retry.mutable_retry()->mutable_max_backoff()->set_seconds(1);
  EXPECT_EQ(BadFields(retry), std::set<std::string>{"retry.max_backoff"});
}

}  // namespace
}  // namespace cvm::tencentcloud
