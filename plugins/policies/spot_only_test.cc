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

TEST(SpotOnlyTest, TypesFromTheCatalogueNeedAnAllSpotLadder) {
  auto policies = OnePolicy("spot_only", S5InGuangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Spot("0.05");
  request.mutable_spec()->set_instance_type("SA2.MEDIUM2");  // not matched itself
  auto* candidates = request.mutable_candidates();
  candidates->mutable_requirements()->set_min_cpu(2);
  candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.05");
  EXPECT_TRUE(CheckPurchase(**policies, request).ok());
  candidates->add_billing()->mutable_pay_as_you_go();
  absl::Status status = CheckPurchase(**policies, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(Metadata(status, "field"), "candidates.requirements");
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

// A spot spec with pay-as-you-go in its ladder: the order could land on
// pay-as-you-go, so the purchase is denied, naming the rung.
TEST(SpotOnlyTest, DeniesAPayAsYouGoRungOfTheLadderNamingIt) {
  auto policies = OnePolicy("spot_only", S5InGuangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Spot("0.05");
  request.mutable_candidates()->add_billing()->mutable_spot()->set_max_price_per_hour("0.05");
  request.mutable_candidates()->add_billing()->mutable_pay_as_you_go();
  absl::Status status = CheckPurchase(**policies, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_SPOT_REQUIRED");
  EXPECT_EQ(Metadata(status, "field"), "candidates.billing[1]");
  EXPECT_THAT(status.message(), HasSubstr("(candidates.billing[1] is not spot)"));
}

// A type the rule does not match in the spec, a matching one among the
// candidates: that cell must be spot too.
TEST(SpotOnlyTest, DeniesAMatchingCandidateTypeBoughtPayAsYouGo) {
  SpotOnlyConfig config;
  config.add_instance_types("GN10X.*");
  auto policies = OnePolicy("spot_only", config);
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Purchase(1);  // S5.MEDIUM2, pay-as-you-go: not matched
  ASSERT_TRUE(CheckPurchase(**policies, request).ok());
  request.mutable_candidates()->add_instance_types("S5.MEDIUM2");
  request.mutable_candidates()->add_instance_types("GN10X.2XLARGE40");
  absl::Status status = CheckPurchase(**policies, request);
  EXPECT_EQ(ErrorReason(status), "POLICY_SPOT_REQUIRED") << status;
  EXPECT_EQ(Metadata(status, "instance_type"), "GN10X.2XLARGE40");
  EXPECT_EQ(Metadata(status, "field"), "spec.billing");
}

TEST(SpotOnlyTest, DeniesALadderBidAboveTheCapNamingIt) {
  auto policies = OnePolicy("spot_only", S5InGuangzhou("0.05"));
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Spot("0.05");
  request.mutable_candidates()->add_billing()->mutable_spot()->set_max_price_per_hour("0.04");
  request.mutable_candidates()->add_billing()->mutable_spot()->set_max_price_per_hour("0.09");
  absl::Status status = CheckPurchase(**policies, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_SPOT_PRICE_ABOVE_CAP");
  EXPECT_EQ(Metadata(status, "field"), "candidates.billing[1].spot.max_price_per_hour");
  EXPECT_EQ(Metadata(status, "max_price_per_hour"), "0.09");
  EXPECT_THAT(status.message(),
              HasSubstr("a spot bid of 0.09 (candidates.billing[1].spot.max_price_per_hour) per "
                        "hour is above the cap of 0.05"));
}

TEST(SpotOnlyTest, AdmitsCandidatesWhoseEveryMatchingCellIsSpotWithinTheCap) {
  auto policies = OnePolicy("spot_only", S5InGuangzhou("0.05"));
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Spot("0.05");
  auto* candidates = request.mutable_candidates();
  candidates->add_zones("ap-guangzhou-3");
  candidates->add_zones("ap-guangzhou-4");
  candidates->add_instance_types("S5.MEDIUM2");
  candidates->add_instance_types("S5.LARGE8");
  candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.03");
  candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.05");
  EXPECT_TRUE(CheckPurchase(**policies, request).ok()) << CheckPurchase(**policies, request);
  // Pay-as-you-go only for the types the rule does not match.
  SpotOnlyConfig medium;
  medium.add_instance_types("S5.MEDIUM2");
  auto only_medium = OnePolicy("spot_only", medium);
  ASSERT_TRUE(only_medium.ok()) << only_medium.status();
  auto large = Purchase(1);
  large.mutable_spec()->set_instance_type("S5.LARGE8");
  large.mutable_candidates()->add_instance_types("S5.LARGE8");
  large.mutable_candidates()->add_instance_types("SA2.MEDIUM4");
  EXPECT_TRUE(CheckPurchase(**only_medium, large).ok());
}

TEST(SpotOnlyTest, AnUnparsableCapIsAConfigErrorNamingTheField) {
  auto policies = OnePolicy("spot_only", S5InGuangzhou("cheap"));
  EXPECT_EQ(policies.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(policies.status()), "policies[0].config.max_price_per_hour");
}

}  // namespace
}  // namespace cvm
