// The tencentcloud backend's Stop and Start against the CVM emulator over
// real HTTP: StoppedMode and StopType as sent, repeats that succeed, and
// Tencent's refusals mapped to the backend contract (rule 9).
#include <string>
#include <vector>

#include "backends/conformance/billing_requests.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "backends/tencentcloud/tencent_test_backend.h"
#include "common/status_details.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::v1::Instance;

constexpr char kRegion[] = "ap-guangzhou";

class TencentBackendPowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = EmulatorServer::Start(TestWorld(), "127.0.0.1", 0);
    ASSERT_TRUE(server.ok()) << server.status();
    emulator_ = *std::move(server);
    auto backend = TencentBackendOn(emulator_->port(), kTestSecretId, kTestSecretKey);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
  }

  // `count` instances of `billing` ("payg" or "spot"), RUNNING.
  std::vector<std::string> Running(const std::string& token, int count,
                                   const std::string& billing = "payg") {
    auto ids = backend_->Create(BillingRequest(token, billing, count, "0.10"));
    EXPECT_TRUE(ids.ok()) << ids.status();
    emulator_->clock().Advance(absl::Seconds(10));
    return ids.value_or(std::vector<std::string>());
  }

  // The instance as the emulator lists it (DescribeInstances' entry).
  Json Cloud(const std::string& id) {
    return emulator_->emulator().Handle(kTestSecretId, "cvm", "DescribeInstances", kRegion,
                                        {{"InstanceIds", {id}}})["InstanceSet"][0];
  }

  absl::Status Stop(const std::vector<std::string>& ids, bool stop_charging) {
    return backend_->Stop(kRegion, ids, stop_charging, absl::InfiniteFuture());
  }
  absl::Status Start(const std::vector<std::string>& ids) {
    return backend_->Start(kRegion, ids, absl::InfiniteFuture());
  }

  std::unique_ptr<EmulatorServer> emulator_;
  std::unique_ptr<Backend> backend_;
};

TEST_F(TencentBackendPowerTest, StopSendsTheStoppedModeAndStartRunsItAgain) {
  const std::vector<std::string> ids = Running("power-a", 2);
  ASSERT_TRUE(Stop({ids[0]}, /*stop_charging=*/true).ok());
  ASSERT_TRUE(Stop({ids[1]}, /*stop_charging=*/false).ok());
  EXPECT_EQ(Cloud(ids[0])["InstanceState"], "STOPPING");
  auto statuses = backend_->Describe(kRegion, ids);
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  EXPECT_EQ((*statuses)[0].state, Instance::STOPPED);  // STOPPING reads as STOPPED
  emulator_->clock().Advance(absl::Seconds(10));
  EXPECT_EQ(Cloud(ids[0])["StopChargingMode"], "STOP_CHARGING");
  EXPECT_EQ(Cloud(ids[1])["StopChargingMode"], "KEEP_CHARGING");

  ASSERT_TRUE(Start(ids).ok());
  EXPECT_EQ(Cloud(ids[0])["InstanceState"], "STARTING");
  EXPECT_EQ(Cloud(ids[1])["LatestOperation"], "StartInstances");
  emulator_->clock().Advance(absl::Seconds(10));
  EXPECT_EQ(Cloud(ids[0])["InstanceState"], "RUNNING");
  EXPECT_EQ(Cloud(ids[1])["InstanceState"], "RUNNING");
}

TEST_F(TencentBackendPowerTest, ARepeatSucceedsAndABatchPartlyThereStopsTheRest) {
  const std::vector<std::string> ids = Running("power-b", 2);
  ASSERT_TRUE(Stop({ids[0]}, false).ok());
  // Tencent refuses the repeat (InstanceStateStopping): the backend sees it
  // stopping and calls it done.
  EXPECT_TRUE(Stop({ids[0]}, false).ok());
  // One stopping, one running: the refused batch is sent again for the one.
  ASSERT_TRUE(Stop(ids, false).ok());
  EXPECT_EQ(Cloud(ids[1])["InstanceState"], "STOPPING");
  emulator_->clock().Advance(absl::Seconds(10));
  ASSERT_TRUE(Start({ids[1]}).ok());
  EXPECT_TRUE(Start({ids[1]}).ok());  // STARTING: done
  ASSERT_TRUE(Start(ids).ok());
  EXPECT_EQ(Cloud(ids[0])["InstanceState"], "STARTING");
}

TEST_F(TencentBackendPowerTest, RefusalsKeepTencentsCodeUnderTheContractsReasons) {
  const std::string spot = Running("power-spot", 1, "spot")[0];
  absl::Status status = Stop({spot}, /*stop_charging=*/true);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ErrorReason(status), "STOP_CHARGING_UNSUPPORTED");
  EXPECT_NE(status.message().find("UnsupportedOperation.StoppedModeStopCharging"),
            std::string::npos);
  EXPECT_EQ(Cloud(spot)["InstanceState"], "RUNNING");

  // Still stopping: a start is refused by its state, not taken as done.
  ASSERT_TRUE(Stop({spot}, false).ok());
  status = Start({spot});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ErrorReason(status), "INSTANCE_STATE");
  EXPECT_NE(status.message().find("InstanceStateStopping"), std::string::npos);

  const std::string isolated = Running("power-isolated", 1)[0];
  ASSERT_TRUE(emulator_->emulator().Isolate({isolated}).ok());
  EXPECT_EQ(ErrorReason(Stop({isolated}, false)), "INSTANCE_STATE");
  EXPECT_EQ(Start({"ins-7fffffff"}).code(), absl::StatusCode::kNotFound);
  const std::vector<std::string> too_many(101, isolated);
  EXPECT_EQ(Stop(too_many, false).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cvm::tencentcloud
