// The "spot_only" policy: matching purchases must be spot, with a capped bid.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugins/policies/policy_configs.pb.h"
#include "plugins/policies/policy_test_support.h"

namespace cvm {
namespace {

using provisioning::policies::v1::SpotOnlyConfig;
using testing::BadField;
using testing::CheckPurchase;
using ::testing::HasSubstr;
using testing::Metadata;
using testing::OnePolicy;
using testing::Purchase;

provisioning::v1::PurchaseRequest Spot(const std::string& max_price) {
  auto request = Purchase(1);
  request.mutable_spec()->mutable_spot()->set_max_price_per_hour(max_price);
  return request;
}

SpotOnlyConfig S5InGuangzhou(const std::string& cap = "") {
  SpotOnlyConfig config;
  config.add_instance_types("S5.*");
  config.add_regions("ap-guangzhou");
  config.set_max_price_per_hour(cap);
  return config;
}

TEST(SpotOnlyTest, DeniesPayAsYouGoOfAMatchingTypeNamingTheRule) {
  auto policies = OnePolicy("spot_only", S5InGuangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  absl::Status status = CheckPurchase(**policies, Purchase(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_SPOT_REQUIRED");
  EXPECT_EQ(Metadata(status, "policy"), "rule");
  EXPECT_EQ(Metadata(status, "instance_type"), "S5.MEDIUM2");
  EXPECT_THAT(status.message(), HasSubstr("may only be bought as spot"));
}

TEST(SpotOnlyTest, DeniesPrepaidToo) {
  auto policies = OnePolicy("spot_only", S5InGuangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Purchase(1);
  request.mutable_spec()->mutable_prepaid()->set_period_months(1);
  EXPECT_EQ(ErrorReason(CheckPurchase(**policies, request)), "POLICY_SPOT_REQUIRED");
}

TEST(SpotOnlyTest, AdmitsSpotAndWhatTheRuleDoesNotMatch) {
  auto policies = OnePolicy("spot_only", S5InGuangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  EXPECT_TRUE(CheckPurchase(**policies, Spot("0.05")).ok());
  auto other_type = Purchase(1);
  other_type.mutable_spec()->set_instance_type("SA2.MEDIUM4");
  EXPECT_TRUE(CheckPurchase(**policies, other_type).ok());
  auto other_region = Purchase(1);
  other_region.mutable_spec()->set_region("ap-shanghai");
  EXPECT_TRUE(CheckPurchase(**policies, other_region).ok());
}

TEST(SpotOnlyTest, DeniesABidAboveTheCapWithBothPrices) {
  auto policies = OnePolicy("spot_only", S5InGuangzhou("0.05"));
  ASSERT_TRUE(policies.ok()) << policies.status();
  EXPECT_TRUE(CheckPurchase(**policies, Spot("0.05")).ok());
  absl::Status status = CheckPurchase(**policies, Spot("0.06"));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_SPOT_PRICE_ABOVE_CAP");
  EXPECT_EQ(Metadata(status, "max_price_per_hour"), "0.06");
  EXPECT_EQ(Metadata(status, "cap"), "0.05");
}

TEST(SpotOnlyTest, AnUnparsableCapIsAConfigErrorNamingTheField) {
  auto policies = OnePolicy("spot_only", S5InGuangzhou("cheap"));
  EXPECT_EQ(policies.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(policies.status()), "policies[0].config.max_price_per_hour");
}

}  // namespace
}  // namespace cvm
