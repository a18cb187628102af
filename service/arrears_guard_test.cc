// The arrears guard against the fake backend with a balance, on a fake clock:
// the forecast's arithmetic and metrics, one event per crossing, refusals at
// the floor (pay-as-you-go, spot, prepaid by its price), and its config.
#include "service/arrears_guard.h"

#include <cmath>
#include <limits>

#include "backends/fake/fake_backend.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/order_workflow.h"
#include "service/poller.h"
#include "service/workflow_test_support.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::config::v1::ArrearsGuardConfig;
using provisioning::config::v1::ServiceConfig;
using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::AccountForecast;
using provisioning::v1::PurchaseRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

PurchaseRequest Spot(const std::string& id, int count) {
  PurchaseRequest request = TestPurchase(id, count);
  request.mutable_spec()->mutable_spot()->set_max_price_per_hour("0.30");
  return request;
}

PurchaseRequest Prepaid(const std::string& id, int count) {
  PurchaseRequest request = TestPurchase(id, count);
  request.mutable_spec()->mutable_prepaid()->set_period_months(1);  // 292.00 each
  return request;
}

// The value of `name`{backend="fake"} on `registry`; NaN when absent.
double Sample(prometheus::Registry& registry, const std::string& name) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      if (metric.label.size() == 1 && metric.label[0].value == "fake") {
        return family.type == prometheus::MetricType::Counter ? metric.counter.value
                                                              : metric.gauge.value;
      }
    }
  }
  return std::nan("");
}

class ArrearsGuardTest : public ::testing::Test {
 protected:
  // A fake charging 0.50 per pay-as-you-go and 0.20 per spot instance-hour,
  // starting with `balance` (none when empty); warns under 10 h, refuses
  // under 4 h unless `options` says otherwise.
  void Build(const std::string& balance, ArrearsGuard::Options options = Defaults(),
             const ServiceConfig& config = ServiceConfig()) {
    FakeBackendConfig fake = fake_config_;
    fake.set_balance(balance);
    fake.set_price_per_hour("0.50");
    fake.set_spot_market_price("0.20");
    auto backends = FakeBackendSet(fake, &clock_);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = *std::move(backends);
    fake_ = static_cast<FakeBackend*>(backends_->Get("fake").value());
    store_ = std::make_unique<MemoryOrderStore>(&clock_);
    workflow_ = std::make_unique<OrderWorkflow>(store_.get(), backends_.get());
    options.clock = &clock_;
    options.registry = &registry_;
    options.publish = [this](const AccountForecast& event, std::vector<std::string> tenants) {
      events_.push_back(event);
      tenants_.push_back(std::move(tenants));
    };
    guard_ = std::make_unique<ArrearsGuard>(store_.get(), backends_.get(), config, options);
    workflow_->SetPurchaseGate(
        [this](const RoutedBackend& routed, const PurchaseRequest& r, absl::Time deadline) {
          return guard_->CheckPurchase(routed, r, deadline);
        });
  }

  static ArrearsGuard::Options Defaults() {
    ArrearsGuard::Options options;
    options.warning_horizon = absl::Hours(10);
    options.refuse_below = absl::Hours(4);
    return options;
  }

  void Buy(const PurchaseRequest& request) {
    auto order = PurchaseNow(*workflow_, request);
    ASSERT_TRUE(order.ok()) << order.status();
  }

  // Checks and returns the fake's forecast.
  ArrearsGuard::Forecast Check() {
    EXPECT_TRUE(guard_->CheckAll().ok());
    return guard_->Latest("fake").value_or(ArrearsGuard::Forecast());
  }

  absl::Status DryRun(PurchaseRequest request) {
    request.set_dry_run(true);
    return PurchaseNow(*workflow_, request).status();
  }

  FakeBackendConfig fake_config_;  // what Build() starts from
  FakeClock clock_;
  prometheus::Registry registry_;
  std::unique_ptr<BackendSet> backends_;
  FakeBackend* fake_ = nullptr;
  std::unique_ptr<MemoryOrderStore> store_;
  std::unique_ptr<OrderWorkflow> workflow_;
  std::unique_ptr<ArrearsGuard> guard_;
  std::vector<AccountForecast> events_;
  std::vector<std::vector<std::string>> tenants_;
};

TEST_F(ArrearsGuardTest, TheForecastIsTheBalanceOverTheHourlySpendOfLivePayAsYouGoAndSpot) {
  Build("500.00");
  ArrearsGuard::Forecast idle = Check();
  EXPECT_EQ(idle.lasts, absl::InfiniteDuration());
  EXPECT_EQ(Sample(registry_, "provisioner_arrears_forecast_seconds"),
            std::numeric_limits<double>::infinity());
  Buy(TestPurchase("a", 2));  // 2 x 0.50
  Buy(Spot("s", 1));          // 0.20
  Buy(Prepaid("p", 1));       // 292.00 up front, nothing hourly
  Buy(TestPurchase("t", 3));  // terminated: spends nothing
  ASSERT_TRUE(TerminateById(*workflow_, store_->FindByRequestId("", "t")->order_id()).ok());
  Poller poller(store_.get(), backends_.get(), &clock_, Poller::Options());
  ASSERT_TRUE(poller.PollAll().ok());
  ASSERT_EQ(store_->FindByRequestId("", "t")->state(), Order::TERMINATED);

  ArrearsGuard::Forecast now = Check();
  EXPECT_EQ(now.balance_micros, 208000000);
  EXPECT_EQ(now.spend_micros_per_hour, 1200000);
  EXPECT_EQ(now.currency, "CNY");
  EXPECT_EQ(now.lasts, absl::Seconds(624000));  // 208 / 1.20 h
  EXPECT_EQ(Sample(registry_, "provisioner_account_balance"), 208.0);
  EXPECT_EQ(Sample(registry_, "provisioner_arrears_forecast_seconds"), 624000.0);
  clock_.Advance(absl::Hours(10));
  EXPECT_EQ(Check().lasts, absl::Seconds(588000));  // 196 / 1.20 h
  EXPECT_EQ(Sample(registry_, "provisioner_account_balance"), 196.0);
  EXPECT_TRUE(events_.empty());  // far above the horizon
}

TEST_F(ArrearsGuardTest, OneWarningPerCrossingAndClearedWhenItRecovers) {
  Build("10.00");
  Buy(TestPurchase("a", 2));  // 1.00 per hour: exactly the 10 h horizon
  Check();
  EXPECT_TRUE(events_.empty());
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Check().lasts, absl::Hours(9));
  ASSERT_EQ(events_.size(), 1u);
  const AccountForecast& warning = events_[0];
  EXPECT_EQ(warning.state(), AccountForecast::WARNING);
  EXPECT_EQ(warning.backend(), "fake");
  EXPECT_EQ(warning.balance(), "9.00");
  EXPECT_EQ(warning.currency(), "CNY");
  EXPECT_EQ(warning.spend_per_hour(), "1.00");
  EXPECT_EQ(warning.forecast().seconds(), 9 * 3600);
  EXPECT_EQ(warning.warning_horizon().seconds(), 10 * 3600);
  EXPECT_EQ(warning.refuse_below().seconds(), 4 * 3600);
  EXPECT_EQ(warning.check_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_TRUE(tenants_[0].empty());  // no routes: every tenant's streams

  for (int i = 0; i < 3; ++i) {  // still under: nothing more
    clock_.Advance(absl::Minutes(20));
    Check();
  }
  EXPECT_EQ(events_.size(), 1u);
  fake_->TopUp(20000000);  // 28.00: 28 h
  Check();
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].state(), AccountForecast::CLEARED);
  EXPECT_EQ(events_[1].balance(), "28.00");
  clock_.Advance(absl::Hours(19));
  Check();
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[2].state(), AccountForecast::WARNING);
  EXPECT_EQ(events_[2].forecast().seconds(), 9 * 3600);
}

TEST_F(ArrearsGuardTest, NewPayAsYouGoAndSpotPurchasesAreRefusedUnderTheFloor) {
  Build("10.00");
  Buy(TestPurchase("a", 2));                                  // 1.00 per hour
  EXPECT_TRUE(DryRun(TestPurchase("before-check", 1)).ok());  // not read yet
  clock_.Advance(absl::Hours(5));
  EXPECT_EQ(Check().lasts, absl::Hours(5));
  EXPECT_TRUE(DryRun(TestPurchase("at-5h", 1)).ok());
  // No check since: the forecast counts down on the clock.
  clock_.Advance(absl::Minutes(90));
  absl::Status refused = PurchaseNow(*workflow_, TestPurchase("at-3h30m", 1)).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(refused), "ARREARS_FORECAST");
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr("the balance of 3.50 CNY lasts 3h30m at 1.00 CNY per hour, under the "
                        "arrears floor of 4h"));
  auto failure = GetDetail<google::rpc::PreconditionFailure>(refused);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->violations(0).type(), "ARREARS_FORECAST");
  EXPECT_EQ(failure->violations(0).subject(), "backends/fake");
  auto info = GetDetail<google::rpc::ErrorInfo>(refused);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at("forecast_seconds"), "12600");
  EXPECT_EQ(info->metadata().at("refuse_below_seconds"), "14400");
  EXPECT_EQ(info->metadata().at("backend"), "fake");
  EXPECT_FALSE(store_->FindByRequestId("", "at-3h30m").ok());  // nothing stored
  EXPECT_EQ(ErrorReason(DryRun(Spot("spot", 1))), "ARREARS_FORECAST");
  // A top-up lifts it at the next check.
  fake_->TopUp(10000000);
  Check();
  EXPECT_TRUE(PurchaseNow(*workflow_, TestPurchase("after-top-up", 1)).ok());
}

TEST_F(ArrearsGuardTest, PrepaidIsJudgedByWhatItsPriceLeavesOfTheFloorsSpending) {
  Build("300.00");
  Buy(TestPurchase("a", 1));  // 0.50 per hour; the floor's 4 h cost 2.00
  Check();
  EXPECT_TRUE(DryRun(Prepaid("leaves-8", 1)).ok());  // 300 - 292 = 8.00: 16 h
  clock_.Advance(absl::Hours(12));                   // 294.00: leaves 2.00, exactly 4 h
  Check();
  EXPECT_TRUE(DryRun(Prepaid("leaves-2", 1)).ok());
  clock_.Advance(absl::Hours(1));  // 293.50: leaves 1.50, 3 h
  absl::Status refused = DryRun(Prepaid("leaves-1.50", 1));
  EXPECT_EQ(ErrorReason(refused), "ARREARS_FORECAST");
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr("paying 292.00 CNY up front would leave 1.50 CNY, which lasts 3h"));
  // Pay-as-you-go still lasts 587 h: not refused.
  EXPECT_TRUE(DryRun(TestPurchase("hourly", 1)).ok());
}

TEST_F(ArrearsGuardTest, WithNothingSpentHourlyPrepaidIsRefusedOnlyBeyondTheBalance) {
  Build("300.00");
  Check();
  EXPECT_TRUE(DryRun(Prepaid("fits", 1)).ok());
  EXPECT_EQ(ErrorReason(DryRun(Prepaid("two", 2))), "ARREARS_FORECAST");  // 584.00
}

TEST_F(ArrearsGuardTest, ABackendWithoutABalanceIsNotGuarded) {
  Build("");  // the fake reports no balance
  Buy(TestPurchase("a", 2));
  EXPECT_TRUE(guard_->CheckAll().ok());
  EXPECT_FALSE(guard_->Latest("fake").has_value());
  EXPECT_TRUE(std::isnan(Sample(registry_, "provisioner_arrears_forecast_seconds")));
  EXPECT_TRUE(DryRun(TestPurchase("b", 1)).ok());
}

TEST_F(ArrearsGuardTest, AnUnreadableBalanceIsCountedAndRefusesNothing) {
  auto* failure = fake_config_.add_failures();
  failure->set_operation(provisioning::fake::v1::Failure::BALANCE);
  failure->set_code(static_cast<int>(absl::StatusCode::kUnavailable));
  Build("1.00");
  Buy(TestPurchase("a", 2));
  EXPECT_EQ(guard_->CheckAll().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(guard_->CheckAll().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Sample(registry_, "provisioner_arrears_check_failures_total"), 2.0);
  EXPECT_FALSE(guard_->Latest("fake").has_value());
  EXPECT_TRUE(std::isnan(Sample(registry_, "provisioner_account_balance")));
  EXPECT_TRUE(DryRun(TestPurchase("b", 1)).ok());
  EXPECT_TRUE(events_.empty());
}

TEST_F(ArrearsGuardTest, EventsAreForTheTenantsRoutedToTheBackend) {
  ServiceConfig config;
  for (const char* tenant : {"team-b", "team-a"}) {
    auto* route = config.add_routes();
    route->set_backend("fake");
    route->add_tenants(tenant);
  }
  Build("1.00", Defaults(), config);
  Buy(TestPurchase("a", 1));
  Check();
  ASSERT_EQ(tenants_.size(), 1u);
  EXPECT_THAT(tenants_[0], ElementsAre("team-a", "team-b"));
}

TEST_F(ArrearsGuardTest, ABackendNoRouteLeadsToWarnsNoStream) {
  ServiceConfig config;
  auto* route = config.add_routes();
  route->set_backend("elsewhere");
  Build("1.00", Defaults(), config);
  Buy(TestPurchase("a", 1));
  EXPECT_EQ(Check().lasts, absl::Hours(2));
  EXPECT_TRUE(events_.empty());
}

TEST(ArrearsGuardOptionsTest, DefaultsAndBadDurationsNamedByField) {
  auto defaults = ArrearsGuard::OptionsFrom(ArrearsGuardConfig());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->interval, absl::Seconds(60));
  EXPECT_EQ(defaults->warning_horizon, absl::Hours(24));
  EXPECT_EQ(defaults->refuse_below, absl::ZeroDuration());
  ArrearsGuardConfig bad;
  bad.mutable_interval()->set_seconds(0);
  bad.mutable_refuse_below()->set_seconds(25 * 3600);
  absl::Status status = ArrearsGuard::OptionsFrom(bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("arrears_guard.interval"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("arrears_guard.refuse_below"));
  bad.clear_interval();
  bad.mutable_refuse_below()->set_seconds(-1);
  EXPECT_THAT(std::string(ArrearsGuard::OptionsFrom(bad).status().message()),
              HasSubstr("must not be negative"));
}

}  // namespace
}  // namespace cvm
