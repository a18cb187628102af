// CvmEmulator's StopInstances and StartInstances on a FakeClock: the states,
// Tencent's refusals and parameter checks, and the billing of a stop with
// and without charging (emulator_power.cc).
#include <string>

#include "backends/tencentcloud/emulator/cvm_emulator.h"
#include "backends/tencentcloud/emulator/cvm_emulator_test_util.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

// S5.MEDIUM2 pay-as-you-go costs 0.16 an hour: 160,000 micros.
constexpr int64_t kMicrosPerHour = 160000;

class PowerTest : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorConfig config = TestWorld();
    config.mutable_stop_duration()->set_seconds(3);
    config.mutable_start_duration()->set_seconds(4);
    Make(config);
  }

  // A pay-as-you-go instance (or `charge`), RUNNING.
  std::string Running(const std::string& charge = "POSTPAID_BY_HOUR") {
    const std::string id = charge == "SPOTPAID" ? BuySpot("0.10") : Buy(charge);
    EXPECT_NE(id, "") << last_error_;
    Advance(absl::Seconds(5));
    return id;
  }

  std::string State(const std::string& id) {
    return Describe(id)["InstanceState"].get<std::string>();
  }
  // The error code of `action` on `params` ("" when it succeeded).
  std::string ErrorOf(const std::string& action, const Json& params) {
    return Call(action, params).value("/Error/Code"_json_pointer, "");
  }
  int64_t Charged() { return emulator_->Books()[kTestSecretId]["ChargedCents"].get<int64_t>(); }
};

TEST_F(PowerTest, StopWalksStoppingToStoppedAndStartWalksStartingToRunning) {
  const std::string id = Running();
  ASSERT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {id}}, {"StopType", "SOFT_FIRST"}}), "");
  EXPECT_EQ(State(id), "STOPPING");
  EXPECT_EQ(Describe(id)["LatestOperation"], "StopInstances");
  EXPECT_TRUE(Describe(id)["PublicIpAddresses"].empty());
  Advance(absl::Seconds(2));
  EXPECT_EQ(State(id), "STOPPING");
  Advance(absl::Seconds(1));
  EXPECT_EQ(State(id), "STOPPED");
  EXPECT_EQ(Describe(id)["StopChargingMode"], "KEEP_CHARGING");
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["Stopped"], 1);

  ASSERT_EQ(ErrorOf("StartInstances", {{"InstanceIds", {id}}}), "");
  EXPECT_EQ(State(id), "STARTING");
  EXPECT_EQ(Describe(id)["StopChargingMode"], "NOT_APPLICABLE");
  Advance(absl::Seconds(4));
  EXPECT_EQ(State(id), "RUNNING");
  EXPECT_EQ(Describe(id)["LatestOperation"], "StartInstances");
  EXPECT_EQ(Describe(id)["PublicIpAddresses"].size(), 1u);
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["Stopped"], 0);
}

TEST_F(PowerTest, AnInstanceInTheWrongStateIsRefusedByItsStateAndNothingChanges) {
  const std::string running = Running();
  const std::string pending = Buy("POSTPAID_BY_HOUR");
  // All or nothing: the running one does not stop either.
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {running, pending}}}),
            "UnsupportedOperation.InstanceStatePending");
  EXPECT_EQ(State(running), "RUNNING");
  EXPECT_EQ(ErrorOf("StartInstances", {{"InstanceIds", {running}}}),
            "UnsupportedOperation.InstanceStateRunning");
  ASSERT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {running}}}), "");
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {running}}}),
            "UnsupportedOperation.InstanceStateStopping");
  EXPECT_EQ(ErrorOf("StartInstances", {{"InstanceIds", {running}}}),
            "UnsupportedOperation.InstanceStateStopping");
  Advance(absl::Seconds(3));
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {running}}}),
            "UnsupportedOperation.InstanceStateStopped");
  ASSERT_EQ(ErrorOf("TerminateInstances", {{"InstanceIds", {running}}}), "");
  EXPECT_EQ(ErrorOf("StartInstances", {{"InstanceIds", {running}}}),
            "UnsupportedOperation.InstanceStateTerminating");
}

TEST_F(PowerTest, ParametersAreCheckedAsTencentChecksThem) {
  const std::string id = Running();
  EXPECT_EQ(ErrorOf("StopInstances", Json::object()), "MissingParameter");
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", Json::array()}}),
            "InvalidParameterValue.LimitExceeded");
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {id}}, {"Force", true}}),
            "UnknownParameter");
  EXPECT_EQ(ErrorOf("StartInstances", {{"InstanceIds", {id}}, {"StoppedMode", "KEEP_CHARGING"}}),
            "UnknownParameter");
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {id}}, {"ForceStop", true},
                                      {"StopType", "HARD"}}),
            "InvalidParameterCombination");
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {id}}, {"ForceStop", "yes"}}),
            "InvalidParameter");
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {id}}, {"StopType", "GENTLE"}}),
            "InvalidParameterValue");
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {id}}, {"StoppedMode", "FREE"}}),
            "InvalidParameterValue");
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {"i-123"}}}), "InvalidInstanceId.Malformed");
  EXPECT_EQ(ErrorOf("StartInstances", {{"InstanceIds", {"ins-00000000"}}}),
            "InvalidInstanceId.NotFound");
  EXPECT_EQ(State(id), "RUNNING");
  EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {id}}, {"ForceStop", true}}), "");
}

TEST_F(PowerTest, OnlyPayAsYouGoStopsWithoutCharging) {
  for (const std::string charge : {"SPOTPAID", "PREPAID"}) {
    const std::string id = Running(charge);
    EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {id}}, {"StoppedMode", "STOP_CHARGING"}}),
              "UnsupportedOperation.StoppedModeStopCharging")
        << charge;
    EXPECT_EQ(State(id), "RUNNING") << charge;
    EXPECT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {id}}}), "") << charge;
  }
}

TEST_F(PowerTest, StopChargingStopsTheBillFromTheStoppedMomentUntilTheStart) {
  const std::string kept = Buy("POSTPAID_BY_HOUR");
  const std::string free = Buy("POSTPAID_BY_HOUR");
  Advance(absl::Seconds(10));
  ASSERT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {kept}}}), "");
  ASSERT_EQ(ErrorOf("StopInstances", {{"InstanceIds", {free}}, {"StoppedMode", "STOP_CHARGING"}}),
            "");
  Advance(absl::Seconds(3));
  EXPECT_EQ(Describe(free)["StopChargingMode"], "STOP_CHARGING");
  // Five settlements: `kept` billed throughout, `free` for its 13 s up to
  // STOPPED only.
  const int64_t elapsed = kFirstSettlementSeconds + 4 * 3600;
  Advance(absl::Seconds(elapsed - 13));
  EXPECT_EQ(Charged(), kMicrosPerHour * (elapsed + 13) / (3600 * 10000));
  const int64_t stopped_hour = Charged();
  Advance(absl::Hours(3));
  EXPECT_EQ(Charged() - stopped_hour, 3 * 16);  // `kept` alone: 0.16 an hour

  ASSERT_EQ(ErrorOf("StartInstances", {{"InstanceIds", {free}}}), "");
  const int64_t started = Charged();
  Advance(absl::Hours(2));
  EXPECT_EQ(Charged() - started, 2 * 2 * 16);  // both again
}

TEST_F(PowerTest, OneLongJumpAcrossAStopWithoutChargingEndsLikeEveryHour) {
  FakeClock stepped_clock;
  auto stepped = CvmEmulator::Create(emulator_->config(), &stepped_clock);
  ASSERT_TRUE(stepped.ok());
  auto both = [&](const std::string& action, const Json& params) {
    Json a = Call(action, params);
    EXPECT_EQ(a, (*stepped)->Handle(kTestSecretId, "cvm", action, "ap-guangzhou", params));
    EXPECT_FALSE(a.contains("Error")) << a.dump();
    return a;
  };
  auto advance_both = [&](absl::Duration d) {
    Advance(d);
    while (stepped_clock.Now() + absl::Minutes(23) <= clock_.Now()) {
      stepped_clock.Advance(absl::Minutes(23));
      (*stepped)->Books();
    }
    stepped_clock.Advance(clock_.Now() - stepped_clock.Now());
  };
  const Json ids = both("RunInstances", {{"Placement", {{"Zone", "ap-guangzhou-3"}}},
                                         {"InstanceType", "S5.MEDIUM2"},
                                         {"ImageId", "img-1"},
                                         {"InstanceCount", 2}})["InstanceIdSet"];
  // Stopped at 7 s (STOPPED, unbilled, from 10 s), started at kStart; the
  // books compared at kEnd, a settlement.
  constexpr int64_t kStart = 7 + 30 * 3600 + 11;
  constexpr int64_t kEnd = kFirstSettlementSeconds + 50 * 3600;
  advance_both(absl::Seconds(7));
  both("StopInstances", {{"InstanceIds", {ids[0]}}, {"StoppedMode", "STOP_CHARGING"}});
  advance_both(absl::Seconds(kStart - 7));
  EXPECT_EQ(emulator_->Books()[kTestSecretId], (*stepped)->Books()[kTestSecretId]);
  both("StartInstances", {{"InstanceIds", {ids[0]}}});
  advance_both(absl::Seconds(kEnd - kStart));
  const Json books = emulator_->Books()[kTestSecretId];
  EXPECT_EQ(books, (*stepped)->Books()[kTestSecretId]);
  // One billed throughout, the other for 10 s and from its start on.
  EXPECT_EQ(books["ChargedCents"].get<int64_t>(),
            kMicrosPerHour * (kEnd + 10 + (kEnd - kStart)) / (3600 * 10000));
}

}  // namespace
}  // namespace cvm::tencentcloud
