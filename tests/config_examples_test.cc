// The example configs in deploy/config are what users copy: each must load
// and build its backends and its policies, and its arrears guard's options
// must be valid.
#include <cstdlib>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "plugins/backend_set.h"
#include "plugins/policies/store_order_ledger.h"
#include "plugins/policy_set.h"
#include "service/arrears_guard.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

class ConfigExampleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConfigExampleTest, LoadsAndBuildsItsBackendsAndPolicies) {
  const std::string path =
      std::string(std::getenv("TEST_SRCDIR")) + "/cvm_provisioner/deploy/config/" + GetParam();
  auto config = LoadServiceConfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  auto backends = BackendSet::Create(*config, BackendRegistry::Global(), BackendContext());
  ASSERT_TRUE(backends.ok()) << backends.status();
  EXPECT_TRUE((*backends)->Route("ap-guangzhou").ok());
  FakeClock clock;
  MemoryOrderStore store(&clock);
  StoreOrderLedger ledger(&store);
  PolicyContext context;
  context.ledger = &ledger;
  context.backends = backends->get();
  auto policies = PolicySet::Create(*config, PolicyRegistry::Global(), context);
  ASSERT_TRUE(policies.ok()) << policies.status();
  EXPECT_EQ((*policies)->Names().size(), static_cast<size_t>(config->policies_size()));
  EXPECT_TRUE(ArrearsGuard::OptionsFrom(config->arrears_guard()).ok());
}

INSTANTIATE_TEST_SUITE_P(DeployConfig, ConfigExampleTest,
                         ::testing::Values("fake.textproto", "fake-routing.textproto",
                                           "local-emulator.textproto", "tencentcloud.textproto",
                                           "policies.textproto"),
                         [](const auto& info) {
                           std::string name = info.param.substr(0, info.param.find('.'));
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace cvm
