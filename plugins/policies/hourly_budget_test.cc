// The "hourly_budget" policy: live orders' hourly spend plus this purchase's
// quote within the budget. (The concurrent test, 20 purchases at once through
// the order workflow, is service/order_workflow_policy_test.cc.)

#include "backends/fake/fake_backend.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugins/policies/policy_configs.pb.h"
#include "plugins/policies/policy_test_support.h"

namespace cvm {
namespace {

using provisioning::fake::v1::FakeBackendConfig;
using provisioning::policies::v1::HourlyBudgetConfig;
using provisioning::v1::Order;
using testing::BadField;
using testing::CheckPurchase;
using testing::FakeLedger;
using ::testing::HasSubstr;
using testing::Metadata;
using testing::OnePolicy;
using testing::OrderOf;
using testing::Purchase;
using testing::QuoteCounter;

class HourlyBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeBackendConfig config;
    config.set_price_per_hour("0.20");
    config.set_spot_market_price("0.05");
    config.set_bandwidth_price_per_mbps_hour("0.01");
    auto fake = FakeBackend::Create(config, &clock_);
    ASSERT_TRUE(fake.ok()) << fake.status();
    backend_ = *std::move(fake);
  }

  std::unique_ptr<PolicySet> Build(const std::string& budget, const std::string& currency = "") {
    HourlyBudgetConfig config;
    config.set_max_spend_per_hour(budget);
    config.set_currency(currency);
    PolicyContext context;
    context.ledger = &ledger_;
    auto policies = OnePolicy("hourly_budget", config, context);
    EXPECT_TRUE(policies.ok()) << policies.status();
    return policies.ok() ? *std::move(policies) : nullptr;
  }

  absl::Status Check(PolicySet& policies, const provisioning::v1::PurchaseRequest& request) {
    return CheckPurchase(policies, request, kDefaultTenant, backend_.get());
  }

  FakeClock clock_;
  std::unique_ptr<FakeBackend> backend_;
  FakeLedger ledger_;
};

TEST_F(HourlyBudgetTest, AdmitsUpToTheBudgetExactly) {
  auto policies = Build("1.00");
  ledger_.Set(kDefaultTenant, {OrderOf(Purchase(2, "a"), Order::ACTIVE, 2)});  // 0.40
  EXPECT_TRUE(Check(*policies, Purchase(3)).ok());                             // + 0.60 = 1.00
}

TEST_F(HourlyBudgetTest, DeniesAboveTheBudgetWithTheNumbers) {
  auto policies = Build("1.00");
  ledger_.Set(kDefaultTenant, {OrderOf(Purchase(2, "a"), Order::ACTIVE, 2)});
  absl::Status status = Check(*policies, Purchase(4));  // 0.40 + 0.80
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_BUDGET_EXCEEDED");
  EXPECT_EQ(Metadata(status, "policy"), "rule");
  EXPECT_EQ(Metadata(status, "budget_per_hour"), "1.00");
  EXPECT_EQ(Metadata(status, "current_spend_per_hour"), "0.40");
  EXPECT_EQ(Metadata(status, "order_spend_per_hour"), "0.80");
  EXPECT_EQ(Metadata(status, "currency"), "CNY");
  auto failure = GetDetail<google::rpc::PreconditionFailure>(status);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->violations(0).type(), "POLICY_BUDGET_EXCEEDED");
  EXPECT_EQ(failure->violations(0).subject(), "tenants/default");
  EXPECT_THAT(status.message(),
              HasSubstr("spends 0.40 CNY per hour; this purchase adds 0.80 and would exceed "
                        "the budget of 1.00"));
}

TEST_F(HourlyBudgetTest, StoredOrdersCostWhatTheirLiveInstancesCost) {
  auto policies = Build("1.00");
  Order half_released = OrderOf(Purchase(4, "a"), Order::TERMINATING, 4);
  half_released.mutable_instances(0)->set_state(provisioning::v1::Instance::TERMINATED);
  half_released.mutable_instances(1)->set_state(provisioning::v1::Instance::TERMINATED);
  ledger_.Set(kDefaultTenant, {half_released, OrderOf(Purchase(1, "b"), Order::ACCEPTED)});
  // 2 x 0.20 + 1 x 0.20 = 0.60 spent.
  EXPECT_TRUE(Check(*policies, Purchase(2)).ok());
  EXPECT_EQ(Metadata(Check(*policies, Purchase(3)), "current_spend_per_hour"), "0.60");
}

TEST_F(HourlyBudgetTest, SpotIsPricedAtItsQuoteAndPrepaidOverItsPeriod) {
  auto policies = Build("1.00");
  auto spot = Purchase(20);
  spot.mutable_spec()->mutable_spot()->set_max_price_per_hour("0.10");
  EXPECT_TRUE(Check(*policies, spot).ok());  // 20 x 0.05
  // The fake bills a prepaid month as 730 h at 80 %: 0.16 an hour.
  auto prepaid = Purchase(7);
  prepaid.mutable_spec()->mutable_prepaid()->set_period_months(3);
  EXPECT_EQ(Metadata(Check(*policies, prepaid), "order_spend_per_hour"), "1.12");
  prepaid.set_instance_count(6);
  EXPECT_TRUE(Check(*policies, prepaid).ok());
}

TEST_F(HourlyBudgetTest, HourlyBandwidthCountsWithTheInstances) {
  auto policies = Build("1.00");
  // 4 instances: 0.80 an hour, within the budget, but 4 x 10 Mbps of hourly
  // bandwidth add 0.40: 1.20.
  auto with_bandwidth = Purchase(4);
  auto* internet = with_bandwidth.mutable_spec()->mutable_internet();
  internet->set_public_ip(true);
  internet->set_max_bandwidth_out_mbps(10);
  internet->set_charge_type(provisioning::v1::InternetAccess::BANDWIDTH_POSTPAID_BY_HOUR);
  EXPECT_TRUE(Check(*policies, Purchase(4)).ok());
  absl::Status status = Check(*policies, with_bandwidth);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_BUDGET_EXCEEDED");
  EXPECT_EQ(Metadata(status, "order_spend_per_hour"), "1.20");
  // Traffic is paid per GB: not an hourly spend the budget can know.
  internet->set_charge_type(provisioning::v1::InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
  EXPECT_TRUE(Check(*policies, with_bandwidth).ok());
}

TEST_F(HourlyBudgetTest, DeniesQuotesInAnotherCurrency) {
  auto policies = Build("1.00", "USD");
  absl::Status status = Check(*policies, Purchase(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_BUDGET_CURRENCY_MISMATCH");
  EXPECT_EQ(Metadata(status, "budget_currency"), "USD");
  EXPECT_EQ(Metadata(status, "price_currency"), "CNY");
}

TEST_F(HourlyBudgetTest, QuotesEachStoredOrderOnceThenUsesItsPrice) {
  auto counting = std::make_unique<QuoteCounter>(std::move(backend_));
  auto policies = Build("5.00");
  ledger_.Set(kDefaultTenant, {OrderOf(Purchase(2, "a"), Order::ACTIVE, 2)});
  auto b = Purchase(1, "b");
  ASSERT_TRUE(CheckPurchase(*policies, b, kDefaultTenant, counting.get()).ok());
  EXPECT_EQ(counting->quotes, 2);  // b, and a once
  // b is admitted and stored; c needs only its own quote.
  ledger_.Set(kDefaultTenant,
              {OrderOf(Purchase(2, "a"), Order::ACTIVE, 2), OrderOf(b, Order::ACCEPTED)});
  ASSERT_TRUE(CheckPurchase(*policies, Purchase(1, "c"), kDefaultTenant, counting.get()).ok());
  EXPECT_EQ(counting->quotes, 3);
}

TEST_F(HourlyBudgetTest, AQuoteErrorRefusesThePurchase) {
  auto counting = std::make_unique<QuoteCounter>(std::move(backend_));
  counting->quote_error = absl::UnavailableError("cloud down");
  auto policies = Build("5.00");
  EXPECT_EQ(CheckPurchase(*policies, Purchase(1), kDefaultTenant, counting.get()).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(HourlyBudgetTest, AMissingBudgetIsAConfigErrorNamingTheField) {
  PolicyContext context;
  context.ledger = &ledger_;
  auto policies = OnePolicy("hourly_budget", HourlyBudgetConfig(), context);
  EXPECT_EQ(policies.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(policies.status()), "policies[0].config.max_spend_per_hour");
}

}  // namespace
}  // namespace cvm
