// The example configs in deploy/config are what users copy: each must load
// and build its backends.
#include <cstdlib>

#include "gtest/gtest.h"
#include "plugins/backend_set.h"

namespace cvm {
namespace {

class ConfigExampleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConfigExampleTest, LoadsAndBuildsItsBackends) {
  const std::string path = std::string(std::getenv("TEST_SRCDIR")) +
                           "/cvm_provisioner/deploy/config/" + GetParam();
  auto config = LoadServiceConfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  auto backends = BackendSet::Create(*config, BackendRegistry::Global(), BackendContext());
  ASSERT_TRUE(backends.ok()) << backends.status();
  EXPECT_TRUE((*backends)->Route("ap-guangzhou").ok());
}

INSTANTIATE_TEST_SUITE_P(DeployConfig, ConfigExampleTest,
                         ::testing::Values("fake.textproto", "fake-routing.textproto",
                                           "local-emulator.textproto", "tencentcloud.textproto"),
                         [](const auto& info) {
                           std::string name = info.param.substr(0, info.param.find('.'));
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace cvm
