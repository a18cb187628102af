#include "plugins/policies/policy_support.h"

#include "common/status_details.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;

google::protobuf::RepeatedPtrField<std::string> List(std::initializer_list<const char*> values) {
  google::protobuf::RepeatedPtrField<std::string> list;
  for (const char* v : values) list.Add(v);
  return list;
}

TEST(PolicyDenialTest, PermissionDeniedCarriesAnErrorInfoNamingRuleAndPolicy) {
  absl::Status status = PolicyDenial(absl::StatusCode::kPermissionDenied, "POLICY_X", "mine",
                                     "spec.region", "no", {{"value", "v"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "policy mine: no");
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "POLICY_X");
  EXPECT_EQ(info->domain(), kErrorDomain);
  EXPECT_EQ(info->metadata().at("policy"), "mine");
  EXPECT_EQ(info->metadata().at("value"), "v");
  EXPECT_FALSE(GetDetail<google::rpc::PreconditionFailure>(status).has_value());
}

TEST(PolicyDenialTest, FailedPreconditionAlsoCarriesAPreconditionFailure) {
  absl::Status status = PolicyDenial(absl::StatusCode::kFailedPrecondition, "POLICY_Y", "mine",
                                     "tenants/t", "too much");
  auto failure = GetDetail<google::rpc::PreconditionFailure>(status);
  ASSERT_TRUE(failure.has_value());
  ASSERT_EQ(failure->violations_size(), 1);
  EXPECT_EQ(failure->violations(0).type(), "POLICY_Y");
  EXPECT_EQ(failure->violations(0).subject(), "tenants/t");
  EXPECT_EQ(failure->violations(0).description(), "too much");
  EXPECT_EQ(ErrorReason(status), "POLICY_Y");
}

TEST(MatchesAnyTest, ExactValuesPrefixPatternsAndTheEmptyList) {
  EXPECT_TRUE(MatchesAny(List({}), "anything"));
  EXPECT_TRUE(MatchesAny(List({"a", "S5.MEDIUM2"}), "S5.MEDIUM2"));
  EXPECT_FALSE(MatchesAny(List({"S5.MEDIUM"}), "S5.MEDIUM2"));
  EXPECT_TRUE(MatchesAny(List({"S5.*"}), "S5.MEDIUM2"));
  EXPECT_FALSE(MatchesAny(List({"S5.*"}), "SA5.MEDIUM2"));
  EXPECT_TRUE(MatchesAny(List({"*"}), "x"));
}

TEST(ValidatePatternsTest, AStarOnlyAtTheEndAndNoEmptyPattern) {
  EXPECT_TRUE(ValidatePatterns(List({"a", "b*", "*"}), "zones").ok());
  absl::Status inner = ValidatePatterns(List({"a", "b*c"}), "zones");
  EXPECT_EQ(inner.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetDetail<google::rpc::BadRequest>(inner)->field_violations(0).field(), "zones[1]");
  EXPECT_FALSE(ValidatePatterns(List({""}), "zones").ok());
}

PurchaseRequest SpotPurchase() {
  PurchaseRequest request;
  auto* spec = request.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone("ap-guangzhou-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->mutable_spot()->set_max_price_per_hour("0.10");
  return request;
}

TEST(PurchaseCellsTest, WithoutCandidatesTheOneCellIsTheSpecWithSpecFields) {
  std::vector<PurchaseCell> cells = PurchaseCells(SpotPurchase());
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].spec.zone(), "ap-guangzhou-3");
  EXPECT_EQ(cells[0].zone_field, "spec.zone");
  EXPECT_EQ(cells[0].type_field, "spec.instance_type");
  EXPECT_EQ(cells[0].billing_field, "spec.billing");
  EXPECT_EQ(cells[0].bid_field, "spec.spot.max_price_per_hour");
}

TEST(PurchaseCellsTest, EachValueNamesTheCandidatesEntryItComesFrom) {
  PurchaseRequest request = SpotPurchase();
  auto* candidates = request.mutable_candidates();
  candidates->add_zones("ap-guangzhou-4");
  candidates->add_zones("ap-guangzhou-3");  // the spec's zone, listed second
  candidates->add_billing()->mutable_pay_as_you_go();
  candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.20");
  std::vector<PurchaseCell> cells = PurchaseCells(request);
  ASSERT_EQ(cells.size(), 4u);  // 2 billings x 2 zones x the spec's type
  EXPECT_EQ(cells[0].zone_field, "candidates.zones[0]");
  EXPECT_EQ(cells[1].spec.zone(), "ap-guangzhou-3");
  EXPECT_EQ(cells[1].zone_field, "candidates.zones[1]");
  EXPECT_EQ(cells[1].type_field, "spec.instance_type");
  EXPECT_TRUE(cells[1].spec.has_pay_as_you_go());
  EXPECT_EQ(cells[1].billing_field, "candidates.billing[0]");
  EXPECT_EQ(cells[3].spec.spot().max_price_per_hour(), "0.20");
  EXPECT_EQ(cells[3].billing_field, "candidates.billing[1]");
  EXPECT_EQ(cells[3].bid_field, "candidates.billing[1].spot.max_price_per_hour");
}

TEST(PurchaseCellsTest, AnEmptyLadderIsTheSpecsBilling) {
  PurchaseRequest request = SpotPurchase();
  request.mutable_candidates()->add_instance_types("S5.LARGE8");
  std::vector<PurchaseCell> cells = PurchaseCells(request);
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].type_field, "candidates.instance_types[0]");
  EXPECT_EQ(cells[0].billing_field, "spec.billing");
  EXPECT_EQ(cells[0].bid_field, "spec.spot.max_price_per_hour");
}

TEST(LiveInstancesTest, CountBeforeTheCloudCallThenInstancesStillAlive) {
  Order order;
  order.set_instance_count(3);
  for (Order::State state : {Order::ACCEPTED, Order::CHECKING, Order::SUBMITTED}) {
    order.set_state(state);
    EXPECT_EQ(LiveInstances(order), 3) << Order::State_Name(state);
  }
  order.set_state(Order::CANCELLED);
  EXPECT_EQ(LiveInstances(order), 0);
  for (Instance::State state :
       {Instance::PENDING, Instance::RUNNING, Instance::TERMINATED, Instance::LAUNCH_FAILED}) {
    order.add_instances()->set_state(state);
  }
  for (Order::State state :
       {Order::PROVISIONING, Order::ACTIVE, Order::FAILED, Order::TERMINATING}) {
    order.set_state(state);
    EXPECT_EQ(LiveInstances(order), 2) << Order::State_Name(state);
  }
}

TEST(LiveInstancesTest, InstancesInTheCloudsRecycleBinNoLongerCount) {
  Order order;
  order.set_state(Order::TERMINATING);
  order.set_instance_count(3);
  Instance* returned = order.add_instances();
  returned->set_state(Instance::SHUTDOWN);
  returned->set_isolated_source(Instance::ISOLATED_MANUALLY);
  Instance* expired = order.add_instances();  // isolated, not returned: still held
  expired->set_state(Instance::SHUTDOWN);
  expired->set_isolated_source(Instance::ISOLATED_BY_EXPIRY);
  order.add_instances()->set_state(Instance::RUNNING);
  EXPECT_EQ(LiveInstances(order), 2);
}

}  // namespace
}  // namespace cvm
