// The "instance_limit" policy: live instances per tenant, from the ledger.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugins/policies/policy_configs.pb.h"
#include "plugins/policies/policy_test_support.h"

namespace cvm {
namespace {

using provisioning::policies::v1::InstanceLimitConfig;
using provisioning::v1::Order;
using testing::BadField;
using testing::CheckPurchase;
using testing::FakeLedger;
using ::testing::HasSubstr;
using testing::Metadata;
using testing::OnePolicy;
using testing::OrderOf;
using testing::Purchase;

class InstanceLimitTest : public ::testing::Test {
 protected:
  std::unique_ptr<PolicySet> Build(int max_instances) {
    InstanceLimitConfig config;
    config.set_max_instances(max_instances);
    PolicyContext context;
    context.ledger = &ledger_;
    auto policies = OnePolicy("instance_limit", config, context);
    EXPECT_TRUE(policies.ok()) << policies.status();
    return policies.ok() ? *std::move(policies) : nullptr;
  }

  FakeLedger ledger_;
};

TEST_F(InstanceLimitTest, AdmitsUpToTheLimitCountingLiveOrders) {
  auto policies = Build(10);
  // 4 not yet bought + 3 running = 7 live.
  ledger_.Set(kDefaultTenant, {OrderOf(Purchase(4, "a"), Order::ACCEPTED),
                               OrderOf(Purchase(3, "b"), Order::ACTIVE, 3)});
  EXPECT_TRUE(CheckPurchase(*policies, Purchase(3)).ok());
}

TEST_F(InstanceLimitTest, DeniesAboveTheLimitWithTheNumbers) {
  auto policies = Build(10);
  ledger_.Set(kDefaultTenant, {OrderOf(Purchase(4, "a"), Order::SUBMITTED),
                               OrderOf(Purchase(3, "b"), Order::PROVISIONING, 3)});
  absl::Status status = CheckPurchase(*policies, Purchase(4));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_INSTANCE_LIMIT_EXCEEDED");
  EXPECT_EQ(Metadata(status, "policy"), "rule");
  EXPECT_EQ(Metadata(status, "tenant"), "default");
  EXPECT_EQ(Metadata(status, "limit"), "10");
  EXPECT_EQ(Metadata(status, "live"), "7");
  EXPECT_EQ(Metadata(status, "requested"), "4");
  auto failure = GetDetail<google::rpc::PreconditionFailure>(status);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->violations(0).type(), "POLICY_INSTANCE_LIMIT_EXCEEDED");
  EXPECT_EQ(failure->violations(0).subject(), "tenants/default");
  EXPECT_THAT(status.message(), HasSubstr("holds 7 live instances; 4 more would exceed"));
}

TEST_F(InstanceLimitTest, ReleasedAndFailedInstancesDoNotCount) {
  auto policies = Build(5);
  Order partly_released = OrderOf(Purchase(3, "a"), Order::ACTIVE, 3);
  partly_released.mutable_instances(0)->set_state(provisioning::v1::Instance::TERMINATED);
  partly_released.mutable_instances(1)->set_state(provisioning::v1::Instance::LAUNCH_FAILED);
  ledger_.Set(kDefaultTenant, {partly_released});
  EXPECT_TRUE(CheckPurchase(*policies, Purchase(4)).ok());  // 1 live + 4
  EXPECT_EQ(CheckPurchase(*policies, Purchase(5)).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(InstanceLimitTest, CountsPerTenant) {
  auto policies = Build(5);
  ledger_.Set("acme", {OrderOf(Purchase(5, "a"), Order::ACTIVE, 5)});
  EXPECT_TRUE(CheckPurchase(*policies, Purchase(5), kDefaultTenant).ok());
  EXPECT_EQ(Metadata(CheckPurchase(*policies, Purchase(1), "acme"), "tenant"), "acme");
}

TEST_F(InstanceLimitTest, ALedgerErrorRefusesThePurchase) {
  auto policies = Build(5);
  ledger_.Fail(absl::UnavailableError("store down"));
  EXPECT_EQ(CheckPurchase(*policies, Purchase(1)).code(), absl::StatusCode::kUnavailable);
}

TEST_F(InstanceLimitTest, AZeroLimitIsAConfigErrorNamingTheField) {
  InstanceLimitConfig config;
  PolicyContext context;
  context.ledger = &ledger_;
  auto policies = OnePolicy("instance_limit", config, context);
  EXPECT_EQ(policies.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(policies.status()), "policies[0].config.max_instances");
}

TEST_F(InstanceLimitTest, WithoutALedgerItCannotBeBuilt) {
  InstanceLimitConfig config;
  config.set_max_instances(3);
  auto policies = OnePolicy("instance_limit", config);
  EXPECT_EQ(policies.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace cvm
