#include "service/capacity_memory.h"

#include "backends/backend.h"
#include "common/clock.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/capacity_verdicts.h"

namespace cvm {
namespace {

using provisioning::v1::InstanceSpec;
using ::testing::HasSubstr;

InstanceSpec Spot(const std::string& zone) {
  InstanceSpec spec;
  spec.set_region("ap-guangzhou");
  spec.set_zone(zone);
  spec.set_instance_type("S5.MEDIUM2");
  spec.mutable_spot()->set_max_price_per_hour("0.05");
  return spec;
}

// A verdict store whose database is gone.
class UnreachableVerdicts : public CapacityVerdicts {
 public:
  absl::Status Record(const CapacityCell&, const CapacityVerdict&) override {
    return absl::UnavailableError("postgres: connection lost");
  }
  absl::StatusOr<std::optional<CapacityVerdict>> Find(const CapacityCell&, absl::Time) override {
    return absl::UnavailableError("postgres: connection lost");
  }
};

class CapacityMemoryTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  LocalCapacityVerdicts verdicts_;
  CapacityMemory memory_{&verdicts_, CapacityMemory::Options{absl::Minutes(3), &clock_}};
};

TEST_F(CapacityMemoryTest, ASoldOutCellFailsWithoutTheCloudForTheTtl) {
  const InstanceSpec spec = Spot("ap-guangzhou-3");
  EXPECT_TRUE(memory_.Check("tencent", spec, 2).ok());
  memory_.Learn("tencent", spec,
                PreconditionFailed("ZONE_SOLD_OUT", "ap-guangzhou-3", "sells no S5.MEDIUM2"));
  absl::Status known = memory_.Check("tencent", spec, 2);
  EXPECT_EQ(known.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(known), "ZONE_SOLD_OUT");
  EXPECT_THAT(std::string(known.message()), HasSubstr("sells no S5.MEDIUM2"));
  EXPECT_THAT(std::string(known.message()), HasSubstr("the cloud was not asked"));

  // Another zone, billing or backend is another cell.
  EXPECT_TRUE(memory_.Check("tencent", Spot("ap-guangzhou-4"), 2).ok());
  InstanceSpec pay_as_you_go = spec;
  pay_as_you_go.mutable_pay_as_you_go();
  EXPECT_TRUE(memory_.Check("tencent", pay_as_you_go, 2).ok());
  EXPECT_TRUE(memory_.Check("other", spec, 2).ok());

  clock_.Advance(absl::Minutes(3));
  EXPECT_TRUE(memory_.Check("tencent", spec, 2).ok());  // the TTL passed
}

TEST_F(CapacityMemoryTest, OnlyCapacityRefusalsAreRemembered) {
  const InstanceSpec spec = Spot("ap-guangzhou-3");
  memory_.Learn("tencent", spec, absl::UnavailableError("timeout"));
  memory_.Learn("tencent", spec, InvalidFields({{"spec.image_id", "unknown"}}));
  // Quota frees up as instances go, whichever order releases them.
  memory_.Learn("tencent", spec, QuotaExceeded("spot vCPUs in ap-guangzhou-3", "0 remaining"));
  // A price refusal without the market price cannot judge other orders.
  memory_.Learn("tencent", spec,
                PreconditionFailed("SPOT_PRICE_TOO_LOW", "S5.MEDIUM2", "InsufficientPrice"));
  EXPECT_TRUE(memory_.Check("tencent", spec, 2).ok());
}

// Stock and price verdicts refuse only the orders they are about.
TEST_F(CapacityMemoryTest, StockAndPriceVerdictsJudgeEachOrderByItsFigures) {
  InstanceSpec spec = Spot("ap-guangzhou-3");
  memory_.Learn("tencent", spec,
                WithReason(PreconditionFailed("INSUFFICIENT_STOCK", "S5.MEDIUM2",
                                              "3 left, 10 requested"),
                           "INSUFFICIENT_STOCK", {{kStockLeftKey, "3"}}));
  EXPECT_EQ(ErrorReason(memory_.Check("tencent", spec, 10)), "INSUFFICIENT_STOCK");
  EXPECT_TRUE(memory_.Check("tencent", spec, 3).ok());  // 3 fit

  memory_.Learn("tencent", spec,
                WithReason(PreconditionFailed("SPOT_PRICE_TOO_LOW", "S5.MEDIUM2",
                                              "max 0.05 below the market 0.06"),
                           "SPOT_PRICE_TOO_LOW", {{kMarketPriceKey, "0.06"}}));
  EXPECT_EQ(ErrorReason(memory_.Check("tencent", spec, 1)), "SPOT_PRICE_TOO_LOW");
  spec.mutable_spot()->set_max_price_per_hour("0.06");
  EXPECT_TRUE(memory_.Check("tencent", spec, 1).ok());  // a max at the market passes
}

// A launch template's order names no type: no cell of its own to judge.
TEST_F(CapacityMemoryTest, TemplateOrdersWithoutATypeAreNeitherJudgedNorLearnt) {
  InstanceSpec templated = Spot("ap-guangzhou-3");
  templated.clear_instance_type();
  memory_.Learn("tencent", templated, PreconditionFailed("ZONE_SOLD_OUT", "z", "sold out"));
  InstanceSpec other = Spot("ap-guangzhou-3");
  other.clear_instance_type();
  EXPECT_TRUE(memory_.Check("tencent", other, 1).ok());
  // Peek judges like Check (it only leaves the skip uncounted).
  memory_.Learn("tencent", Spot("ap-guangzhou-3"),
                PreconditionFailed("ZONE_SOLD_OUT", "z", "sold out"));
  EXPECT_EQ(ErrorReason(memory_.Peek("tencent", Spot("ap-guangzhou-3"), 1)), "ZONE_SOLD_OUT");
}

TEST_F(CapacityMemoryTest, AnUnreachableStoreNeverBlocksAPurchase) {
  UnreachableVerdicts unreachable;
  CapacityMemory memory(&unreachable, CapacityMemory::Options{absl::Minutes(3), &clock_});
  const InstanceSpec spec = Spot("ap-guangzhou-3");
  memory.Learn("tencent", spec, PreconditionFailed("ZONE_SOLD_OUT", "z", "sold out"));
  EXPECT_TRUE(memory.Check("tencent", spec, 2).ok());
}

}  // namespace
}  // namespace cvm
