// A gtest fixture for end-to-end tests of the real provisioner on an
// in-process CVM emulator: Start(world) runs both (the provisioner polling
// every 200 ms, plaintext, on the test account) and opens a stub;
// TearDown() drains the provisioner and expects a clean exit. FastClock
// runs the emulator's clock 20x fast.
#ifndef CVM_PROVISIONER_TESTS_EMULATOR_FIXTURE_H_
#define CVM_PROVISIONER_TESTS_EMULATOR_FIXTURE_H_

#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {

// The emulator's clock runs 20x fast, so instances come up (5 s PENDING, IP
// 5 s later) in half a second.
class FastClock {
 public:
  explicit FastClock(tencentcloud::EmulatorServer* emulator)
      : thread_([this, emulator] {
          while (!done_.WaitForNotificationWithTimeout(absl::Milliseconds(100))) {
            emulator->clock().Advance(absl::Seconds(2));
          }
        }) {}
  ~FastClock() {
    done_.Notify();
    thread_.join();
  }

 private:
  absl::Notification done_;
  std::thread thread_;
};

class EmulatorE2eTest : public ::testing::Test {
 protected:
  // Call from SetUp(); ASSERTs that both started. `extra_flags` and
  // `config_extra` as for StartFastOnEmulator().
  void Start(const tencentcloud::EmulatorConfig& world,
             const std::vector<std::string>& extra_flags = {},
             const std::string& config_extra = "") {
    auto emulator = tencentcloud::EmulatorServer::Start(world, "127.0.0.1", 0);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    auto server =
        StartFastOnEmulator("e2e.textproto", emulator_->port(), tencentcloud::kTestSecretId,
                            tencentcloud::kTestSecretKey, extra_flags, config_extra);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = NewStub(server_->target());
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Stop(absl::Seconds(30)).value_or(-1), 0);
    }
  }

  std::unique_ptr<tencentcloud::EmulatorServer> emulator_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
};

}  // namespace cvm::testing

#endif  // CVM_PROVISIONER_TESTS_EMULATOR_FIXTURE_H_
