// The "allowed_placement" policy: regions, zones and instance types.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugins/policies/policy_configs.pb.h"
#include "plugins/policies/policy_test_support.h"

namespace cvm {
namespace {

using provisioning::policies::v1::AllowedPlacementConfig;
using testing::BadField;
using testing::CheckPurchase;
using ::testing::HasSubstr;
using testing::Metadata;
using testing::OnePolicy;
using testing::Purchase;

AllowedPlacementConfig Guangzhou() {
  AllowedPlacementConfig config;
  config.add_regions("ap-guangzhou");
  config.add_regions("ap-shanghai");
  config.add_zones("ap-guangzhou-3");
  config.add_zones("ap-shanghai-*");
  config.add_instance_types("S5.*");
  return config;
}

TEST(AllowedPlacementTest, AdmitsAPurchaseInsideEveryList) {
  auto policies = OnePolicy("allowed_placement", Guangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  EXPECT_TRUE(CheckPurchase(**policies, Purchase(1)).ok());
}

TEST(AllowedPlacementTest, DeniesARegionNamingTheRuleAndTheAllowedOnes) {
  auto policies = OnePolicy("allowed_placement", Guangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Purchase(1);
  request.mutable_spec()->set_region("ap-beijing");
  absl::Status status = CheckPurchase(**policies, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_REGION_NOT_ALLOWED");
  EXPECT_EQ(Metadata(status, "policy"), "rule");
  EXPECT_EQ(Metadata(status, "field"), "spec.region");
  EXPECT_EQ(Metadata(status, "value"), "ap-beijing");
  EXPECT_EQ(Metadata(status, "allowed"), "ap-guangzhou, ap-shanghai");
  EXPECT_THAT(status.message(), HasSubstr("policy rule: region \"ap-beijing\" is not allowed"));
}

TEST(AllowedPlacementTest, DeniesAZoneOutsideItsPatterns) {
  auto policies = OnePolicy("allowed_placement", Guangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Purchase(1);
  request.mutable_spec()->set_zone("ap-guangzhou-4");
  absl::Status status = CheckPurchase(**policies, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_ZONE_NOT_ALLOWED");
  EXPECT_EQ(Metadata(status, "value"), "ap-guangzhou-4");

  request.mutable_spec()->set_region("ap-shanghai");
  request.mutable_spec()->set_zone("ap-shanghai-2");  // matches "ap-shanghai-*"
  EXPECT_TRUE(CheckPurchase(**policies, request).ok());
}

TEST(AllowedPlacementTest, DeniesAnInstanceTypeOutsideItsPatterns) {
  auto policies = OnePolicy("allowed_placement", Guangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Purchase(1);
  request.mutable_spec()->set_instance_type("GN10X.2XLARGE40");
  absl::Status status = CheckPurchase(**policies, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_INSTANCE_TYPE_NOT_ALLOWED");
  EXPECT_EQ(Metadata(status, "field"), "spec.instance_type");
  EXPECT_EQ(Metadata(status, "allowed"), "S5.*");
}

// The spec in an allowed zone, a candidate zone outside the list: the order
// could land there, so the purchase is denied, naming the candidate.
TEST(AllowedPlacementTest, DeniesACandidateZoneOutsideTheListNamingItsEntry) {
  auto policies = OnePolicy("allowed_placement", Guangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Purchase(1);
  request.mutable_candidates()->add_zones("ap-guangzhou-3");
  request.mutable_candidates()->add_zones("ap-guangzhou-4");
  absl::Status status = CheckPurchase(**policies, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_ZONE_NOT_ALLOWED");
  EXPECT_EQ(Metadata(status, "field"), "candidates.zones[1]");
  EXPECT_EQ(Metadata(status, "value"), "ap-guangzhou-4");
  EXPECT_THAT(status.message(),
              HasSubstr("zone \"ap-guangzhou-4\" in candidates.zones[1] is not allowed"));
}

TEST(AllowedPlacementTest, DeniesACandidateTypeOutsideTheListNamingItsEntry) {
  auto policies = OnePolicy("allowed_placement", Guangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Purchase(1);
  request.mutable_candidates()->add_instance_types("S5.MEDIUM2");
  request.mutable_candidates()->add_instance_types("GN10X.2XLARGE40");
  request.mutable_candidates()->add_billing()->mutable_pay_as_you_go();
  absl::Status status = CheckPurchase(**policies, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_INSTANCE_TYPE_NOT_ALLOWED");
  EXPECT_EQ(Metadata(status, "field"), "candidates.instance_types[1]");
  EXPECT_EQ(Metadata(status, "value"), "GN10X.2XLARGE40");
}

// Every cell inside the lists: admitted. The spec's own zone, replaced by
// the candidate zones, is in no cell and so not judged.
TEST(AllowedPlacementTest, AdmitsCandidatesWhoseEveryCellIsAllowed) {
  auto policies = OnePolicy("allowed_placement", Guangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Purchase(1);
  request.mutable_spec()->set_zone("ap-guangzhou-4");
  auto* candidates = request.mutable_candidates();
  candidates->add_zones("ap-guangzhou-3");
  candidates->add_instance_types("S5.MEDIUM2");
  candidates->add_instance_types("S5.LARGE8");
  candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.10");
  candidates->add_billing()->mutable_pay_as_you_go();
  EXPECT_TRUE(CheckPurchase(**policies, request).ok()) << CheckPurchase(**policies, request);
}

TEST(AllowedPlacementTest, CellsFromTheCatalogueCannotGetAroundARestrictedList) {
  auto policies = OnePolicy("allowed_placement", Guangzhou());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto every_zone = Purchase(1);
  every_zone.mutable_candidates()->set_all_zones(true);
  absl::Status status = CheckPurchase(**policies, every_zone);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_PLACEMENT_UNJUDGEABLE");
  EXPECT_EQ(Metadata(status, "field"), "candidates.all_zones");

  auto any_type = Purchase(1);
  any_type.mutable_candidates()->mutable_requirements()->set_min_cpu(2);
  status = CheckPurchase(**policies, any_type);
  EXPECT_EQ(Metadata(status, "field"), "candidates.requirements");
  // Requirements that filter listed types stay judgeable.
  any_type.mutable_candidates()->add_instance_types("S5.LARGE8");
  EXPECT_TRUE(CheckPurchase(**policies, any_type).ok());
}

TEST(AllowedPlacementTest, EmptyListsAllowAnything) {
  auto policies = OnePolicy("allowed_placement", AllowedPlacementConfig());
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Purchase(1);
  request.mutable_spec()->set_region("eu-frankfurt");
  EXPECT_TRUE(CheckPurchase(**policies, request).ok());
}

TEST(AllowedPlacementTest, AStarInsideAPatternIsAConfigErrorNamingTheField) {
  AllowedPlacementConfig config;
  config.add_zones("ap-guangzhou-3");
  config.add_zones("ap-*-3");
  auto policies = OnePolicy("allowed_placement", config);
  EXPECT_EQ(policies.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(policies.status()), "policies[0].config.zones[1]");
}

TEST(AllowedPlacementTest, AppliesOnlyToItsTenants) {
  auto policies = OnePolicy("allowed_placement", Guangzhou(), PolicyContext(), {"acme"});
  ASSERT_TRUE(policies.ok()) << policies.status();
  auto request = Purchase(1);
  request.mutable_spec()->set_region("ap-beijing");
  EXPECT_TRUE(CheckPurchase(**policies, request, kDefaultTenant).ok());
  EXPECT_EQ(CheckPurchase(**policies, request, "acme").code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace cvm
