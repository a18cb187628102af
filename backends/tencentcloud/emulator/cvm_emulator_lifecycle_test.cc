// CvmEmulator on a FakeClock: arrears (isolation, shutdown, release, top-up)
// and spot reclaim (notice, shutdown, release; by hand or by the market
// price).
#include "backends/tencentcloud/emulator/cvm_emulator.h"
#include "backends/tencentcloud/emulator/cvm_emulator_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class LifecycleTest : public EmulatorTest {
 protected:
  // 20 cents, enough for one hour of one S5.MEDIUM2 (0.16): the settlement
  // at 00:00 (6,400 s after the start) leaves -8 cents; the default 2 h
  // later (02:00, 13,600 s) the instance is isolated, released 24 h later.
  void MakePoorWorld(int64_t extra_cents = 0) {
    EmulatorConfig config = WorldWithBalance(20 + extra_cents);
    config.mutable_isolated_release_delay()->set_seconds(24 * 3600);
    Make(config);
  }
  static constexpr absl::Duration kUntilArrears = absl::Seconds(6400);
  static constexpr absl::Duration kUntilIsolation = absl::Seconds(13600);
};

TEST_F(LifecycleTest, ArrearsIsolateAndShutDownThePostpaidInstancesThenReleaseThem) {
  MakePoorWorld();
  const std::string id = Buy("POSTPAID_BY_HOUR");
  ASSERT_NE(id, "") << last_error_;
  Advance(absl::Seconds(kFirstSettlementSeconds));
  EXPECT_EQ(Balance(), 8);
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["InArrears"], false);
  Advance(kUntilArrears - absl::Seconds(kFirstSettlementSeconds));
  EXPECT_EQ(Balance(), -8);
  EXPECT_EQ(BalanceAnswer()["OweAmount"], 8);
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["InArrears"], true);
  // It keeps running about two hours in arrears.
  EXPECT_EQ(Life(id), "RUNNING/NORMAL/NOTISOLATED");
  Advance(kUntilIsolation - kUntilArrears - absl::Seconds(1));
  EXPECT_EQ(Life(id), "RUNNING/NORMAL/NOTISOLATED");
  Advance(absl::Seconds(1));
  EXPECT_EQ(Life(id), "SHUTDOWN/PROTECTIVELY_ISOLATED/ARREAR");
  EXPECT_TRUE(Describe(id)["PublicIpAddresses"].empty());
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["Isolated"], 1);
  // Billed until the shutdown: 13,600 s x 0.16 / 3,600 s = 0.6044.
  EXPECT_EQ(Balance(), -40);
  Advance(absl::Hours(5));
  EXPECT_EQ(Balance(), -40);  // an isolated instance costs nothing
  EXPECT_EQ(Buy("POSTPAID_BY_HOUR"), "");
  EXPECT_EQ(last_error_, "InvalidAccount.InsufficientBalance");
  Advance(absl::Hours(24 - 5) - absl::Seconds(1));
  EXPECT_EQ(Life(id), "SHUTDOWN/PROTECTIVELY_ISOLATED/ARREAR");
  Advance(absl::Seconds(1));
  EXPECT_EQ(Life(id), "TERMINATING/PROTECTIVELY_ISOLATED/ARREAR");
  Advance(absl::Seconds(2));
  EXPECT_EQ(Life(id), "GONE");
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["Live"], 0);
}

TEST_F(LifecycleTest, ArrearsIsolateSpotButLeavePrepaidInstancesAlone) {
  MakePoorWorld(/*extra_cents=*/9344 + 10);  // a prepaid month, and spot
  const std::string prepaid = Buy("PREPAID", {{"InstanceChargePrepaid", {{"Period", 1}}}});
  const std::string spot = BuySpot("0.05");
  const std::string payg = Buy("POSTPAID_BY_HOUR");
  ASSERT_NE(prepaid, "");
  ASSERT_NE(spot, "");
  ASSERT_NE(payg, "") << last_error_;
  Advance(kUntilIsolation);
  EXPECT_EQ(Life(payg), "SHUTDOWN/PROTECTIVELY_ISOLATED/ARREAR");
  EXPECT_EQ(Life(spot), "SHUTDOWN/PROTECTIVELY_ISOLATED/ARREAR");
  EXPECT_EQ(Life(prepaid), "RUNNING/NORMAL/NOTISOLATED");
}

TEST_F(LifecycleTest, ATopUpThatClearsTheArrearsRestoresIsolatedInstances) {
  MakePoorWorld();
  const std::string id = Buy("POSTPAID_BY_HOUR");
  ASSERT_NE(id, "");
  Advance(kUntilIsolation);
  ASSERT_EQ(Life(id), "SHUTDOWN/PROTECTIVELY_ISOLATED/ARREAR");
  auto partial = emulator_->TopUp(kTestSecretId, 30);
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(partial->balance_cents, -10);
  EXPECT_THAT(partial->restored, IsEmpty());  // still in arrears
  EXPECT_EQ(Life(id), "SHUTDOWN/PROTECTIVELY_ISOLATED/ARREAR");
  auto cleared = emulator_->TopUp(kTestSecretId, 10000);
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_EQ(cleared->balance_cents, 9990);
  EXPECT_THAT(cleared->restored, ElementsAre(id));
  EXPECT_EQ(Life(id), "RUNNING/NORMAL/NOTISOLATED");
  EXPECT_EQ(Describe(id)["PublicIpAddresses"].size(), 1);
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["InArrears"], false);
  // Billed again from the top-up: 3,600 s plus 0.0044 carried over.
  Advance(absl::Hours(1));
  EXPECT_EQ(Balance(), 9990 - 16);
  // Past the release it was headed for, it still runs.
  Advance(absl::Hours(25));
  EXPECT_EQ(Life(id), "RUNNING/NORMAL/NOTISOLATED");
}

TEST_F(LifecycleTest, ATopUpWithinTheTwoHoursCallsOffTheShutdown) {
  MakePoorWorld();
  const std::string id = Buy("POSTPAID_BY_HOUR");
  ASSERT_NE(id, "");
  Advance(kUntilArrears);
  auto topped = emulator_->TopUp(kTestSecretId, 1000);
  ASSERT_TRUE(topped.ok());
  EXPECT_THAT(topped->restored, IsEmpty());  // it never went down
  Advance(absl::Hours(3));
  EXPECT_EQ(Life(id), "RUNNING/NORMAL/NOTISOLATED");
}

TEST_F(LifecycleTest, TopUpNeedsAKnownAccountAndAPositiveAmount) {
  MakePoorWorld();
  EXPECT_EQ(emulator_->TopUp("AKIDnobody", 10).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(emulator_->TopUp(kTestSecretId, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LifecycleTest, AReclaimedSpotInstanceGetsTwoMinutesNoticeThenShutsDownAndGoes) {
  Make(TestWorld());
  const std::string spot = BuySpot("0.05");
  const std::string payg = Buy("POSTPAID_BY_HOUR");
  ASSERT_NE(spot, "");
  ASSERT_NE(payg, "");
  Advance(absl::Seconds(10));
  // All or nothing.
  EXPECT_EQ(emulator_->Reclaim({spot, payg}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(emulator_->Reclaim({"ins-ffffffff"}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(emulator_->SpotTerminationTime(spot).status().code(), absl::StatusCode::kNotFound);
  auto reclaimed = emulator_->Reclaim({spot});
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.status();
  EXPECT_THAT(*reclaimed, ElementsAre(spot));
  EXPECT_EQ(emulator_->SpotTerminationTime(spot).value_or(absl::Time()),
            clock_.Now() + absl::Minutes(2));
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["SpotReclaimed"], 1);
  Advance(absl::Minutes(2) - absl::Seconds(1));
  EXPECT_EQ(Life(spot), "RUNNING/NORMAL/NOTISOLATED");  // the notice is not in the API
  Advance(absl::Seconds(1));
  EXPECT_EQ(Life(spot), "SHUTDOWN/NORMAL/NOTISOLATED");
  EXPECT_EQ(emulator_->Reclaim({spot}).status().code(), absl::StatusCode::kFailedPrecondition);
  Advance(absl::Seconds(59));
  EXPECT_EQ(Life(spot), "SHUTDOWN/NORMAL/NOTISOLATED");
  Advance(absl::Seconds(1));
  EXPECT_EQ(Life(spot), "TERMINATING/NORMAL/NOTISOLATED");
  Advance(absl::Seconds(2));
  EXPECT_EQ(Life(spot), "GONE");
  EXPECT_EQ(emulator_->SpotTerminationTime(spot).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Life(payg), "RUNNING/NORMAL/NOTISOLATED");
}

TEST_F(LifecycleTest, AMarketPriceAboveTheMaxPriceReclaimsAndRaisesWhatSpotCosts) {
  Make(TestWorld());
  const std::string cheap = BuySpot("0.05");
  const std::string generous = BuySpot("0.10");
  ASSERT_NE(cheap, "");
  ASSERT_NE(generous, "");
  auto reclaimed = emulator_->SetSpotPrice("ap-guangzhou-3", "S5.MEDIUM2", "0.06");
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.status();
  EXPECT_THAT(*reclaimed, ElementsAre(cheap));
  EXPECT_TRUE(emulator_->SpotTerminationTime(cheap).ok());
  EXPECT_FALSE(emulator_->SpotTerminationTime(generous).ok());
  EXPECT_EQ(BuySpot("0.05"), "");
  EXPECT_EQ(last_error_, "InvalidParameterValue.InsufficientPrice");
  Json quote = Call("InquiryPriceRunInstances", {{"Placement", {{"Zone", "ap-guangzhou-3"}}},
                                                 {"InstanceType", "S5.MEDIUM2"},
                                                 {"InstanceChargeType", "SPOTPAID"}});
  EXPECT_DOUBLE_EQ(quote["Price"]["InstancePrice"]["UnitPrice"].get<double>(), 0.06);
  Advance(absl::Minutes(2));
  EXPECT_EQ(Life(cheap), "SHUTDOWN/NORMAL/NOTISOLATED");
  EXPECT_EQ(Life(generous), "RUNNING/NORMAL/NOTISOLATED");
  EXPECT_EQ(emulator_->SetSpotPrice("ap-guangzhou-3", "S5.NOPE", "0.1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(emulator_->SetSpotPrice("ap-guangzhou-3", "S5.MEDIUM2", "cheap").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LifecycleTest, OneLongJumpOfTheClockEndsLikeLivingThroughEveryHour) {
  MakePoorWorld(/*extra_cents=*/100);
  FakeClock stepped_clock;
  auto stepped = CvmEmulator::Create(emulator_->config(), &stepped_clock);
  ASSERT_TRUE(stepped.ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    ids.push_back(Buy("POSTPAID_BY_HOUR"));
    ASSERT_NE(ids.back(), "");
    Json params = {{"Placement", {{"Zone", "ap-guangzhou-3"}}},
                   {"InstanceType", "S5.MEDIUM2"},
                   {"ImageId", "img-1"}};
    ASSERT_TRUE((*stepped)
                    ->Handle(kTestSecretId, "cvm", "RunInstances", "ap-guangzhou", params)
                    .contains("InstanceIdSet"));
  }
  // Two instances: 0.32 per hour against 1.20; in arrears after the fifth
  // settlement (17,200 s), isolated 2 h later, released 24 h after that.
  Advance(absl::Hours(32));
  while (stepped_clock.Now() + absl::Minutes(37) <= clock_.Now()) {
    stepped_clock.Advance(absl::Minutes(37));
    (*stepped)->Books();
  }
  stepped_clock.Advance(clock_.Now() - stepped_clock.Now());  // the same moment
  ASSERT_EQ(stepped_clock.Now(), clock_.Now());
  Json jumped_books = emulator_->Books()[kTestSecretId];
  Json stepped_books = (*stepped)->Books()[kTestSecretId];
  EXPECT_EQ(jumped_books, stepped_books);
  EXPECT_EQ(jumped_books["InArrears"], true);
  EXPECT_EQ(jumped_books["Live"], 0);  // isolated, then released after 24 h
}

// Years in one jump are settled in steady stretches (SettleSteadyHours), not
// hour by hour: the books must still match living through every hour, across
// a termination, a prepaid expiry and the hour the money runs out.
TEST_F(LifecycleTest, YearsInOneJumpEndLikeLivingThroughThem) {
  // 0.37 per hour (two S5.MEDIUM2 and a spot at 0.05) against 5,000.00:
  // in arrears after about a year and a half.
  Make(WorldWithBalance(500000 + 9344));
  FakeClock stepped_clock;
  auto stepped = CvmEmulator::Create(emulator_->config(), &stepped_clock);
  ASSERT_TRUE(stepped.ok());
  auto both = [&](const std::string& action, const Json& params) {
    Json a = Call(action, params);
    Json b = (*stepped)->Handle(kTestSecretId, "cvm", action, "ap-guangzhou", params);
    EXPECT_EQ(a, b);
    EXPECT_FALSE(a.contains("Error")) << a.dump();
    return a;
  };
  const Json base = {{"Placement", {{"Zone", "ap-guangzhou-3"}}},
                     {"InstanceType", "S5.MEDIUM2"},
                     {"ImageId", "img-1"}};
  Json payg = base, spot = base, prepaid = base;
  payg["InstanceCount"] = 2;
  spot["InstanceChargeType"] = "SPOTPAID";
  spot["InstanceMarketOptions"] = {{"MarketType", "spot"}, {"SpotOptions", {{"MaxPrice", "0.05"}}}};
  prepaid["InstanceChargeType"] = "PREPAID";
  prepaid["InstanceChargePrepaid"] = {{"Period", 1}};
  const std::string first = both("RunInstances", payg)["InstanceIdSet"][0];
  both("RunInstances", spot);
  both("RunInstances", prepaid);

  auto step_to = [&](absl::Time t) {
    while (stepped_clock.Now() + absl::Minutes(61) <= t) {
      stepped_clock.Advance(absl::Minutes(61));
      (*stepped)->Books();
    }
    stepped_clock.Advance(t - stepped_clock.Now());
  };
  Advance(absl::Hours(24 * 100) + absl::Seconds(17));
  step_to(clock_.Now());
  EXPECT_EQ(emulator_->Books(), (*stepped)->Books());
  both("TerminateInstances", {{"InstanceIds", {first}}});

  Advance(absl::Hours(24 * 365 * 3));
  step_to(clock_.Now());
  const Json jumped_books = emulator_->Books()[kTestSecretId];
  EXPECT_EQ(jumped_books, (*stepped)->Books()[kTestSecretId]);
  EXPECT_EQ(jumped_books["InArrears"], true);
  EXPECT_EQ(jumped_books["Live"], 0);
  EXPECT_GT(jumped_books["ChargedCents"].get<int64_t>(), 500000);
}

}  // namespace
}  // namespace cvm::tencentcloud
