// CvmEmulator on a FakeClock: an instance's ordinary life, hourly settlement
// of what pay-as-you-go and spot instances accrue per second, and prepaid
// charges and expiry. Arrears and spot reclaim: cvm_emulator_lifecycle_test.
#include "backends/tencentcloud/emulator/cvm_emulator.h"

#include <map>
#include <string>

#include "backends/tencentcloud/emulator/cvm_emulator_test_util.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

using CvmEmulatorTest = EmulatorTest;

constexpr int64_t kRich = 10000000;  // TestWorld()'s balance, in cents

TEST_F(CvmEmulatorTest, InstancesComeUpGetAnIpAndVanishAfterRelease) {
  Make(TestWorld());
  const std::string id = Buy("POSTPAID_BY_HOUR");
  ASSERT_NE(id, "") << last_error_;
  EXPECT_EQ(Life(id), "PENDING/NORMAL/NOTISOLATED");
  EXPECT_EQ(Describe(id)["CreatedTime"], "2023-11-14T22:13:20Z");
  EXPECT_FALSE(Describe(id).contains("ExpiredTime"));  // pay-as-you-go
  Advance(absl::Seconds(5));
  EXPECT_EQ(Life(id), "RUNNING/NORMAL/NOTISOLATED");
  EXPECT_TRUE(Describe(id)["PublicIpAddresses"].empty());
  Advance(absl::Seconds(5));
  EXPECT_EQ(Describe(id)["PublicIpAddresses"].size(), 1);
  EXPECT_TRUE(Call("TerminateInstances", {{"InstanceIds", {id}}}).empty());
  EXPECT_EQ(Life(id), "TERMINATING/NORMAL/NOTISOLATED");
  Advance(absl::Seconds(2));
  EXPECT_EQ(Life(id), "GONE");
  EXPECT_EQ(Call("TerminateInstances", {{"InstanceIds", {id}}})["Error"]["Code"],
            "InvalidInstanceId.NotFound");
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["Live"], 0);
}

TEST_F(CvmEmulatorTest, PayAsYouGoIsSettledEveryWholeHourForTheSecondsItRan) {
  Make(TestWorld());
  const std::string id = Buy("POSTPAID_BY_HOUR");  // 0.16 per hour
  ASSERT_NE(id, "") << last_error_;
  Advance(absl::Seconds(kFirstSettlementSeconds - 1));
  EXPECT_EQ(Balance(), kRich);  // accrued, not yet settled
  Advance(absl::Seconds(1));
  // 2,800 s x 0.16 / 3,600 s = 0.1244: 12 cents, the rest carried over.
  EXPECT_EQ(Balance(), kRich - 12);
  Advance(absl::Hours(1));
  // 6,400 s in all: 0.2844.
  EXPECT_EQ(Balance(), kRich - 28);
  EXPECT_EQ(BalanceAnswer()["OweAmount"], 0);
  // Released instances cost nothing more.
  ASSERT_TRUE(Call("TerminateInstances", {{"InstanceIds", {id}}}).empty());
  Advance(absl::Hours(5));
  EXPECT_EQ(Balance(), kRich - 28);
  Json books = emulator_->Books()[kTestSecretId];
  EXPECT_EQ(books["ChargedCents"], 28);
  EXPECT_EQ(books["BalanceCents"], kRich - 28);
  EXPECT_EQ(books["InArrears"], false);
}

TEST_F(CvmEmulatorTest, InstancesBoughtLaterPayFromTheirOwnStart) {
  Make(TestWorld());
  ASSERT_NE(Buy("POSTPAID_BY_HOUR"), "");
  Advance(absl::Seconds(1000));
  ASSERT_NE(Buy("POSTPAID_BY_HOUR"), "");
  Advance(absl::Seconds(kFirstSettlementSeconds - 1000));
  // (2,800 + 1,800) s x 0.16 / 3,600 s = 0.2044.
  EXPECT_EQ(Balance(), kRich - 20);
}

TEST_F(CvmEmulatorTest, SpotAccruesAtTheMarketPriceOfEachMomentUntilItIsShutDown) {
  Make(TestWorld());
  const std::string id = BuySpot("1.00");  // market 0.04
  ASSERT_NE(id, "") << last_error_;
  Advance(absl::Seconds(1000));
  auto reclaimed = emulator_->SetSpotPrice("ap-guangzhou-3", "S5.MEDIUM2", "0.40");
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.status();
  EXPECT_TRUE(reclaimed->empty());  // 0.40 is below its max price
  Advance(absl::Seconds(kFirstSettlementSeconds - 1000));
  // 1,000 s at 0.04 and 1,800 s at 0.40: 0.2111.
  EXPECT_EQ(Balance(), kRich - 21);
  ASSERT_TRUE(emulator_->Reclaim({id}).ok());
  Advance(absl::Hours(1));
  // Billed until the shutdown, 120 s later: 0.0133 + 0.0011 carried over.
  EXPECT_EQ(Balance(), kRich - 22);
}

TEST_F(CvmEmulatorTest, PrepaidIsChargedAtPurchaseThenExpiresAndIsReleased) {
  EmulatorConfig config = TestWorld();
  config.mutable_isolated_release_delay()->set_seconds(7 * 86400);
  Make(config);
  const std::string id = Buy("PREPAID", {{"InstanceChargePrepaid", {{"Period", 1}}}});
  ASSERT_NE(id, "") << last_error_;
  // 0.16 x 730 hours, 20 % off: 93.44.
  EXPECT_EQ(Balance(), kRich - 9344);
  EXPECT_EQ(Describe(id)["ExpiredTime"], "2023-12-14T22:13:20Z");
  EXPECT_EQ(Describe(id)["InstanceChargeType"], "PREPAID");
  Advance(absl::Hours(10));
  EXPECT_EQ(Balance(), kRich - 9344);  // nothing settled hourly
  Advance(absl::Hours(30 * 24 - 10) - absl::Seconds(1));
  EXPECT_EQ(Life(id), "RUNNING/NORMAL/NOTISOLATED");
  Advance(absl::Seconds(1));
  EXPECT_EQ(Life(id), "SHUTDOWN/EXPIRED/EXPIRE");
  EXPECT_TRUE(Describe(id)["PublicIpAddresses"].empty());
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["Isolated"], 1);
  Advance(absl::Hours(7 * 24) - absl::Seconds(1));
  EXPECT_EQ(Life(id), "SHUTDOWN/EXPIRED/EXPIRE");
  Advance(absl::Seconds(1));
  EXPECT_EQ(Life(id), "TERMINATING/EXPIRED/EXPIRE");
  Advance(absl::Seconds(2));
  EXPECT_EQ(Life(id), "GONE");
  EXPECT_EQ(Balance(), kRich - 9344);
}

TEST_F(CvmEmulatorTest, PrepaidBeyondTheBalanceBuysNothing) {
  Make(WorldWithBalance(9000));
  const Json prepaid = {{"InstanceChargePrepaid", {{"Period", 1}}}};
  EXPECT_EQ(Buy("PREPAID", prepaid), "");
  EXPECT_EQ(last_error_, "InvalidAccount.InsufficientBalance");
  Json dry_run = prepaid;
  dry_run["DryRun"] = true;
  EXPECT_EQ(Buy("PREPAID", dry_run), "");
  EXPECT_EQ(last_error_, "InvalidAccount.InsufficientBalance");
  EXPECT_EQ(Balance(), 9000);
  EXPECT_EQ(emulator_->Books()[kTestSecretId]["Created"], 0);
}

TEST_F(CvmEmulatorTest, AQuoteForPrepaidIsWhatThePurchaseCharges) {
  Make(TestWorld());
  Json quote = Call("InquiryPriceRunInstances", {{"Placement", {{"Zone", "ap-guangzhou-3"}}},
                                                 {"InstanceType", "S5.MEDIUM2"},
                                                 {"InstanceChargeType", "PREPAID"},
                                                 {"InstanceChargePrepaid", {{"Period", 3}}},
                                                 {"InstanceCount", 2}});
  const double price = quote["Price"]["InstancePrice"]["DiscountPrice"].get<double>();
  ASSERT_NE(Buy("PREPAID", {{"InstanceChargePrepaid", {{"Period", 3}}}, {"InstanceCount", 2}}), "")
      << last_error_;
  EXPECT_EQ(kRich - Balance(), std::llround(price * 100));
}

}  // namespace
}  // namespace cvm::tencentcloud

namespace cvm::tencentcloud {
namespace {

TEST_F(CvmEmulatorTest, RateLimitsArePerSecondPerActionAndCountedInTheBooks) {
  Make(TestWorld());
  const absl::Time second = absl::FromUnixSeconds(1700000000);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(emulator_->Admit(kTestSecretId, "RunInstances", second + absl::Milliseconds(i)),
              i < 10);  // Tencent's 10 per second
  }
  EXPECT_TRUE(emulator_->Admit(kTestSecretId, "RunInstances", second + absl::Seconds(1)));
  EXPECT_TRUE(emulator_->Admit(kTestSecretId, "DescribeInstances", second));
  const Json limits = emulator_->Books()["RateLimits"];
  EXPECT_EQ(limits["Refused"], 2);
  EXPECT_EQ(limits["BusiestSecond"]["RunInstances"], 10);
  EXPECT_EQ(limits["CallsPerSecond"]["RunInstances"]["1700000000"], 10);
  EXPECT_EQ(limits["CallsPerSecond"]["RunInstances"]["1700000001"], 1);
  EXPECT_EQ(limits["CallsPerSecond"]["DescribeInstances"]["1700000000"], 1);
  // Only the last 600 seconds are kept.
  EXPECT_TRUE(emulator_->Admit(kTestSecretId, "RunInstances", second + absl::Seconds(700)));
  EXPECT_FALSE(emulator_->Books()["RateLimits"]["CallsPerSecond"]["RunInstances"].contains(
      "1700000000"));
}

TEST_F(CvmEmulatorTest, SpotSoldOutRefusesSpotOnlyAndCellCallsAreLogged) {
  EmulatorConfig world = TestWorld();
  world.mutable_zones(0)->mutable_types(0)->set_spot_sold_out(true);  // gz-3 S5.MEDIUM2
  Make(world);
  Json offers = Call("DescribeZoneInstanceConfigInfos",
                     {{"Filters",
                       {{{"Name", "zone"}, {"Values", {"ap-guangzhou-3"}}},
                        {{"Name", "instance-type"}, {"Values", {"S5.MEDIUM2"}}}}}});
  std::map<std::string, std::string> status;
  for (const Json& row : offers["InstanceTypeQuotaSet"]) {
    status[row["InstanceChargeType"].get<std::string>()] = row["Status"].get<std::string>();
  }
  EXPECT_EQ(status["SPOTPAID"], "SOLD_OUT");
  EXPECT_EQ(status["POSTPAID_BY_HOUR"], "SELL");
  EXPECT_EQ(BuySpot("0.10"), "");
  EXPECT_EQ(last_error_, "ResourceInsufficient.AvailabilityZoneSoldOut");
  EXPECT_NE(Buy("POSTPAID_BY_HOUR"), "");

  // One look at one cell is logged; a look at many is not.
  Call("DescribeZoneInstanceConfigInfos",
       {{"Filters",
         {{{"Name", "zone"}, {"Values", {"ap-guangzhou-3"}}},
          {{"Name", "instance-type"}, {"Values", {"S5.LARGE8"}}},
          {{"Name", "instance-charge-type"}, {"Values", {"SPOTPAID"}}}}}});
  const Json calls = emulator_->Books()["CellCalls"];
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0]["Action"], "RunInstances");
  EXPECT_EQ(calls[0]["ChargeType"], "SPOTPAID");
  EXPECT_EQ(calls[0]["Error"], "ResourceInsufficient.AvailabilityZoneSoldOut");
  EXPECT_EQ(calls[1]["ChargeType"], "POSTPAID_BY_HOUR");
  EXPECT_EQ(calls[1]["Error"], "");
  EXPECT_EQ(calls[2]["Action"], "DescribeZoneInstanceConfigInfos");
  EXPECT_EQ(calls[2]["InstanceType"], "S5.LARGE8");
  EXPECT_EQ(calls[2]["Zone"], "ap-guangzhou-3");
}

TEST_F(CvmEmulatorTest, OneInstanceIsolatedAndStockSetByHand) {
  Make(TestWorld());
  const std::string id = Buy("POSTPAID_BY_HOUR");
  ASSERT_NE(id, "");
  ASSERT_TRUE(emulator_->Isolate({id}).ok());
  const Json isolated = Describe(id);
  EXPECT_EQ(isolated.value("IsolatedSource", ""), "ARREAR");
  EXPECT_EQ(emulator_->Isolate({id}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(emulator_->Isolate({"ins-none"}).status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(emulator_->SetStock("ap-guangzhou-3", "S5.MEDIUM2", 0).ok());
  EXPECT_EQ(Buy("POSTPAID_BY_HOUR"), "");
  EXPECT_EQ(last_error_, "ResourceInsufficient.AvailabilityZoneSoldOut");
  ASSERT_TRUE(emulator_->SetStock("ap-guangzhou-3", "S5.MEDIUM2", -1).ok());
  EXPECT_NE(Buy("POSTPAID_BY_HOUR"), "");
  EXPECT_EQ(emulator_->SetStock("ap-guangzhou-3", "GN7.BIG", 1).code(), absl::StatusCode::kNotFound);
}

TEST_F(CvmEmulatorTest, TheCatalogueDescribesEachTypeAndListsEveryZoneWithoutAFilter) {
  EmulatorConfig world = TestWorld();
  auto* gpu = world.mutable_zones(0)->add_types();  // ap-guangzhou-3
  gpu->set_instance_type("GN7.2XLARGE32");
  gpu->set_cpu(8);
  gpu->set_memory_gb(32);
  gpu->set_gpu(1);
  gpu->set_family("GN7vw");
  gpu->set_price_per_hour("8.00");
  gpu->set_spot_price_per_hour("2.00");
  gpu->set_stock(-1);
  Make(world);
  // No zone or type filter: every zone and type of the region, both billings.
  Json all = Call("DescribeZoneInstanceConfigInfos",
                  {{"Filters", {{{"Name", "instance-charge-type"}, {"Values", {"SPOTPAID"}}}}}});
  std::map<std::string, Json> by_cell;
  for (const Json& row : all["InstanceTypeQuotaSet"]) {
    EXPECT_EQ(row["InstanceChargeType"], "SPOTPAID");
    by_cell[row["Zone"].get<std::string>() + "/" + row["InstanceType"].get<std::string>()] = row;
  }
  EXPECT_EQ(by_cell.size(), 4u);  // ap-guangzhou-3: 3 types, ap-guangzhou-1: 1; not Shanghai
  const Json s5 = by_cell["ap-guangzhou-3/S5.LARGE8"];
  EXPECT_EQ(s5["InstanceFamily"], "S5");  // the default: the name before the '.'
  EXPECT_EQ(s5["Cpu"], 4);
  EXPECT_EQ(s5["Memory"], 8);
  EXPECT_EQ(s5["Gpu"], 0);
  const Json gn7 = by_cell["ap-guangzhou-3/GN7.2XLARGE32"];
  EXPECT_EQ(gn7["InstanceFamily"], "GN7vw");
  EXPECT_EQ(gn7["Gpu"], 1);
  EXPECT_EQ(gn7["GpuCount"], 1);
  // The instance-family filter, as Tencent documents it.
  Json family = Call("DescribeZoneInstanceConfigInfos",
                     {{"Filters", {{{"Name", "instance-family"}, {"Values", {"GN7vw"}}}}}});
  ASSERT_EQ(family["InstanceTypeQuotaSet"].size(), 2u);  // both billings
  EXPECT_EQ(family["InstanceTypeQuotaSet"][0]["InstanceType"], "GN7.2XLARGE32");
}

}  // namespace
}  // namespace cvm::tencentcloud
