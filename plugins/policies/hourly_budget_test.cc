// The "hourly_budget" policy: live orders' hourly spend plus this purchase's
// quote within the budget. (The concurrent test, 20 purchases at once through
// the order workflow, is service/order_workflow_policy_test.cc.)

#include "absl/strings/str_cat.h"
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
    context.clock = &clock_;
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

// Fake prices, S5.LARGE8 at 1.00 pay-as-you-go: a cheap spec, a dear
// candidate type.
class CandidatesBudgetTest : public HourlyBudgetTest {
 protected:
  void SetUp() override {
    HourlyBudgetTest::SetUp();
    counting_ = std::make_unique<QuoteCounter>(std::move(backend_));
    counting_->type_prices["S5.LARGE8"] = "1.00";
  }

  absl::Status Check(PolicySet& policies, const provisioning::v1::PurchaseRequest& request) {
    return CheckPurchase(policies, request, kDefaultTenant, counting_.get());
  }

  // `count` S5.MEDIUM2 (0.20) that may land as S5.LARGE8 (1.00) too.
  static provisioning::v1::PurchaseRequest MediumOrLarge(int count, const std::string& id = "r1") {
    auto request = Purchase(count, id);
    request.mutable_candidates()->add_instance_types("S5.MEDIUM2");
    request.mutable_candidates()->add_instance_types("S5.LARGE8");
    return request;
  }

  // An instance of `order` that landed as `type` in ap-guangzhou-3, pay-as-you-go.
  static provisioning::v1::Instance* Landed(Order& order, const std::string& type,
                                            provisioning::v1::Instance::State state) {
    auto* instance = order.add_instances();
    instance->set_instance_id(absl::StrCat("ins-", order.instances_size()));
    instance->set_state(state);
    instance->set_zone("ap-guangzhou-3");
    instance->set_instance_type(type);
    instance->mutable_billing()->mutable_pay_as_you_go();
    return instance;
  }

  std::unique_ptr<QuoteCounter> counting_;
};

// The spec alone fits the budget; a dearer candidate type does not: the
// purchase counts at its dearest cell.
TEST_F(CandidatesBudgetTest, ACandidatesPurchaseCountsAtItsDearestCell) {
  auto policies = Build("2.00");
  ASSERT_TRUE(Check(*policies, Purchase(3)).ok());  // 3 x 0.20
  absl::Status status = Check(*policies, MediumOrLarge(3));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_BUDGET_EXCEEDED");
  EXPECT_EQ(Metadata(status, "order_spend_per_hour"), "3.00");
  EXPECT_EQ(Metadata(status, "dearest_cell"), "ap-guangzhou-3/S5.LARGE8/pay-as-you-go");
  EXPECT_THAT(status.message(),
              HasSubstr("this purchase adds 3.00 (at its dearest cell, "
                        "ap-guangzhou-3/S5.LARGE8/pay-as-you-go) and would exceed"));
  // Even at its dearest cell, 2 fit: a legitimate candidates purchase passes.
  EXPECT_TRUE(Check(*policies, MediumOrLarge(2)).ok());
}

// A cheap spot spec with pay-as-you-go in its ladder counts at
// pay-as-you-go.
TEST_F(CandidatesBudgetTest, ASpotSpecWithPayAsYouGoInItsLadderCountsAtPayAsYouGo) {
  auto policies = Build("1.00");
  auto spot = Purchase(10);
  spot.mutable_spec()->mutable_spot()->set_max_price_per_hour("0.10");
  ASSERT_TRUE(Check(*policies, spot).ok());  // 10 x 0.05
  spot.mutable_candidates()->add_billing()->mutable_spot()->set_max_price_per_hour("0.10");
  ASSERT_TRUE(Check(*policies, spot).ok());  // a spot-only ladder: the same
  spot.mutable_candidates()->add_billing()->mutable_pay_as_you_go();
  absl::Status status = Check(*policies, spot);
  EXPECT_EQ(ErrorReason(status), "POLICY_BUDGET_EXCEEDED") << status;
  EXPECT_EQ(Metadata(status, "order_spend_per_hour"), "2.00");
  EXPECT_EQ(Metadata(status, "dearest_cell"), "ap-guangzhou-3/S5.MEDIUM2/pay-as-you-go");
}

// 2 zones x 2 types x 2 billings: 8 cells quoted once (dearest: 2 x
// S5.LARGE8 = 2.00); purchases of the same candidates that follow, and the
// stored orders of the earlier ones (not yet in the cloud), quote no cell
// again until the quotes are 5 minutes old on the policy's clock.
TEST_F(CandidatesBudgetTest, BuyingTheSameCandidatesAgainQuotesNoCellAgainWithinFiveMinutes) {
  auto policies = Build("5.00");
  auto a = MediumOrLarge(2, "a");
  a.mutable_candidates()->add_zones("ap-guangzhou-3");
  a.mutable_candidates()->add_zones("ap-guangzhou-4");
  a.mutable_candidates()->add_billing()->mutable_spot()->set_max_price_per_hour("0.10");
  a.mutable_candidates()->add_billing()->mutable_pay_as_you_go();
  ASSERT_TRUE(Check(*policies, a).ok());
  EXPECT_EQ(counting_->quotes, 8);
  auto b = a;
  b.set_request_id("b");
  ledger_.Set(kDefaultTenant, {OrderOf(a, Order::ACCEPTED)});
  ASSERT_TRUE(Check(*policies, b).ok());  // 2.00 + 2.00
  EXPECT_EQ(counting_->quotes, 8);
  auto c = a;
  c.set_request_id("c");
  ledger_.Set(kDefaultTenant, {OrderOf(a, Order::ACCEPTED), OrderOf(b, Order::SUBMITTED)});
  absl::Status status = Check(*policies, c);
  EXPECT_EQ(ErrorReason(status), "POLICY_BUDGET_EXCEEDED") << status;
  EXPECT_EQ(Metadata(status, "current_spend_per_hour"), "4.00");
  EXPECT_EQ(counting_->quotes, 8);
  clock_.Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_EQ(ErrorReason(Check(*policies, c)), "POLICY_BUDGET_EXCEEDED");
  EXPECT_EQ(counting_->quotes, 8);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Metadata(Check(*policies, c), "current_spend_per_hour"), "4.00");
  EXPECT_EQ(counting_->quotes, 16);  // each cell once more, for c, a and b alike
}

// Before the cloud call a stored candidates order holds instance_count at
// its dearest cell; after it, each live instance costs its landed cell, each
// cell quoted once.
TEST_F(CandidatesBudgetTest, StoredCandidatesOrdersCountAtTheirDearestThenWhereTheyLanded) {
  auto policies = Build("1.00");
  ledger_.Set(kDefaultTenant, {OrderOf(MediumOrLarge(2, "a"), Order::CHECKING)});
  EXPECT_EQ(Metadata(Check(*policies, Purchase(1)), "current_spend_per_hour"), "2.00");

  Order landed = OrderOf(MediumOrLarge(5, "a"), Order::ACTIVE);
  for (int i = 0; i < 3; ++i) Landed(landed, "S5.MEDIUM2", provisioning::v1::Instance::RUNNING);
  Landed(landed, "S5.MEDIUM2", provisioning::v1::Instance::TERMINATED);
  Landed(landed, "S5.LARGE8", provisioning::v1::Instance::RUNNING);
  ledger_.Set(kDefaultTenant, {landed});
  const int before = counting_->quotes;
  absl::Status status = Check(*policies, Purchase(1));  // 1.60 + 0.20
  EXPECT_EQ(Metadata(status, "current_spend_per_hour"), "1.60") << status;
  EXPECT_EQ(counting_->quotes, before + 3);  // the purchase, and 2 landed cells
  // Without the dear instance, 0.60 + 0.20 fit.
  landed.mutable_instances(4)->set_state(provisioning::v1::Instance::TERMINATED);
  ledger_.Set(kDefaultTenant, {landed});
  EXPECT_TRUE(Check(*policies, Purchase(1)).ok());
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
