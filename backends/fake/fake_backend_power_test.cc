// The fake's Stop and Start (fake_backend_power.cc): states, idempotency,
// refusals, and the billing of an instance stopped without charging.
#include <string>
#include <vector>

#include "backends/conformance/billing_requests.h"
#include "backends/fake/fake_backend.h"
#include "common/status_details.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::Instance;

class FakeBackendPowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeBackendConfig config;
    config.set_balance("100.00");
    config.set_price_per_hour("0.36");  // 100 micros a second
    config.mutable_pending_duration()->set_seconds(2);
    backend_ = *FakeBackend::Create(config, &clock_);
  }

  // `count` instances of `billing` ("payg", "spot" or "prepaid"), RUNNING.
  std::vector<std::string> Running(const std::string& token, const std::string& billing,
                                   int count = 1) {
    auto ids = backend_->Create(BillingRequest(token, billing, count, "1"));
    EXPECT_TRUE(ids.ok()) << ids.status();
    clock_.Advance(absl::Seconds(3));
    return ids.value_or(std::vector<std::string>());
  }

  Instance::State StateOf(const std::string& id) {
    auto statuses = backend_->Describe("ap-guangzhou", {id});
    EXPECT_TRUE(statuses.ok()) << statuses.status();
    return statuses.ok() ? (*statuses)[0].state : Instance::STATE_UNSPECIFIED;
  }

  int64_t Balance() { return backend_->Balance()->micros; }

  FakeClock clock_;
  std::unique_ptr<FakeBackend> backend_;
};

TEST_F(FakeBackendPowerTest, StopThenStartWalksStoppedPendingRunningAndRepeatsAreNoOps) {
  const std::vector<std::string> ids = Running("a", "payg", 2);
  ASSERT_EQ(StateOf(ids[0]), Instance::RUNNING);
  ASSERT_TRUE(backend_->Stop("ap-guangzhou", ids, false, absl::InfiniteFuture()).ok());
  EXPECT_EQ(StateOf(ids[0]), Instance::STOPPED);
  EXPECT_EQ(StateOf(ids[1]), Instance::STOPPED);
  EXPECT_TRUE(backend_->Stop("ap-guangzhou", ids, false, absl::InfiniteFuture()).ok());

  ASSERT_TRUE(backend_->Start("ap-guangzhou", {ids[0]}, absl::InfiniteFuture()).ok());
  EXPECT_EQ(StateOf(ids[0]), Instance::PENDING);
  EXPECT_TRUE(backend_->Start("ap-guangzhou", {ids[0]}, absl::InfiniteFuture()).ok());
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(StateOf(ids[0]), Instance::RUNNING);
  EXPECT_EQ(StateOf(ids[1]), Instance::STOPPED);
}

TEST_F(FakeBackendPowerTest, RefusalsNameTheReasonAndChangeNothing) {
  const std::vector<std::string> running = Running("b", "payg");
  CreateRequest fresh;
  fresh.spec.set_zone("ap-guangzhou-3");
  fresh.spec.mutable_pay_as_you_go();
  fresh.count = 1;
  fresh.client_token = "fresh";
  const std::string pending = (*backend_->Create(fresh))[0];

  // One launching instance in the batch: nothing of it stops.
  absl::Status status = backend_->Stop("ap-guangzhou", {running[0], pending}, false,
                                       absl::InfiniteFuture());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(status), "INSTANCE_STATE");
  EXPECT_EQ(StateOf(running[0]), Instance::RUNNING);

  status = backend_->Start("ap-guangzhou", {"ins-unknown"}, absl::InfiniteFuture());
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);

  for (const std::string billing : {"spot", "prepaid"}) {
    const std::vector<std::string> ids = Running("c-" + billing, billing);
    status = backend_->Stop("ap-guangzhou", ids, /*stop_charging=*/true, absl::InfiniteFuture());
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << billing;
    EXPECT_EQ(ErrorReason(status), "STOP_CHARGING_UNSUPPORTED") << billing;
    EXPECT_EQ(StateOf(ids[0]), Instance::RUNNING) << billing;
    EXPECT_TRUE(backend_->Stop("ap-guangzhou", ids, false, absl::InfiniteFuture()).ok());
  }
  ASSERT_TRUE(backend_->Terminate("ap-guangzhou", running).ok());
  EXPECT_EQ(ErrorReason(backend_->Start("ap-guangzhou", running, absl::InfiniteFuture())),
            "INSTANCE_STATE");
}

TEST_F(FakeBackendPowerTest, StoppedWithoutChargingCostsNothingUntilStarted) {
  const std::string charged = Running("d", "payg")[0];
  const std::string free = Running("e", "payg")[0];
  ASSERT_TRUE(backend_->Stop("ap-guangzhou", {charged}, false, absl::InfiniteFuture()).ok());
  ASSERT_TRUE(backend_->Stop("ap-guangzhou", {free}, true, absl::InfiniteFuture()).ok());
  const int64_t before = Balance();
  clock_.Advance(absl::Hours(1));
  // Only the one stopped with charging kept costing: 0.36 for the hour.
  EXPECT_EQ(before - Balance(), 360000);
  ASSERT_TRUE(backend_->Start("ap-guangzhou", {free}, absl::InfiniteFuture()).ok());
  const int64_t started = Balance();
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(started - Balance(), 720000);  // both cost again
}

}  // namespace
}  // namespace cvm
