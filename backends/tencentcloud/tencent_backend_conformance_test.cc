// The backend conformance suite against the tencentcloud backend, talking
// signed HTTP to the CVM emulator (no mock of our own client).
#include "absl/strings/str_cat.h"
#include "backends/conformance/backend_conformance.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "backends/tencentcloud/tencent_test_backend.h"

namespace cvm::tencentcloud {
namespace {

EmulatorServer* Emulator() {
  static EmulatorServer* server = [] {
    auto started = EmulatorServer::Start(TestWorld(), "127.0.0.1", 0);
    if (!started.ok()) std::abort();
    return started->release();
  }();
  return server;
}

ConformanceEnv TencentEnv() {
  ConformanceEnv env;
  env.name = "TencentCloudOnEmulator";
  env.make_backend = []() -> std::unique_ptr<Backend> {
    auto backend = TencentBackendOn(Emulator()->port(), kTestSecretId, kTestSecretKey);
    return backend.ok() ? *std::move(backend) : nullptr;
  };
  env.advance_time = [](absl::Duration d) { Emulator()->clock().Advance(d); };
  env.buyable_spec = GuangzhouSpec();
  env.sold_out_spec = env.buyable_spec;
  env.sold_out_spec.set_zone("ap-guangzhou-1");
  return env;
}

INSTANTIATE_TEST_SUITE_P(TencentCloud, BackendConformanceTest, ::testing::Values(TencentEnv()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cvm::tencentcloud
