// A gtest fixture for end-to-end tests of the real provisioner on an
// in-process CVM emulator: Start(world) runs both (the provisioner polling
// every 200 ms, plaintext, on the test account) and opens a stub;
// TearDown() drains the provisioner and expects a clean exit.
#ifndef CVM_PROVISIONER_TESTS_EMULATOR_FIXTURE_H_
#define CVM_PROVISIONER_TESTS_EMULATOR_FIXTURE_H_

#include <memory>

#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {

class EmulatorE2eTest : public ::testing::Test {
 protected:
  // Call from SetUp(); ASSERTs that both started.
  void Start(const tencentcloud::EmulatorConfig& world) {
    auto emulator = tencentcloud::EmulatorServer::Start(world, "127.0.0.1", 0);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    auto server = StartFastOnEmulator("e2e.textproto", emulator_->port(),
                                      tencentcloud::kTestSecretId, tencentcloud::kTestSecretKey);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = NewStub(server_->target());
  }
  void TearDown() override {
    if (server_ != nullptr) EXPECT_EQ(server_->Stop(absl::Seconds(30)).value_or(-1), 0);
  }

  std::unique_ptr<tencentcloud::EmulatorServer> emulator_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
};

}  // namespace cvm::testing

#endif  // CVM_PROVISIONER_TESTS_EMULATOR_FIXTURE_H_
