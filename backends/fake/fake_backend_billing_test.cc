// The fake's books with a configured balance (fake_backend_billing.cc).
#include <string>

#include "backends/fake/fake_backend.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::fake::v1::FakeBackendConfig;

CreateRequest Request(const std::string& token, int count) {
  CreateRequest request;
  request.spec.set_region("ap-guangzhou");
  request.spec.set_zone("ap-guangzhou-3");
  request.spec.set_instance_type("S5.SMALL");
  request.spec.mutable_pay_as_you_go();
  request.count = count;
  request.client_token = token;
  request.order_id = "ord-" + token;
  return request;
}

class FakeBackendBillingTest : public ::testing::Test {
 protected:
  std::unique_ptr<FakeBackend> Make(const std::string& balance) {
    FakeBackendConfig config;
    config.set_balance(balance);
    config.set_price_per_hour("0.50");
    config.set_spot_market_price("0.20");
    auto backend = FakeBackend::Create(config, &clock_);
    EXPECT_TRUE(backend.ok()) << backend.status();
    return backend.ok() ? *std::move(backend) : nullptr;
  }
  int64_t BalanceOf(FakeBackend& backend) {
    absl::StatusOr<AccountBalance> balance = backend.Balance();
    EXPECT_TRUE(balance.ok()) << balance.status();
    return balance.ok() ? balance->micros : -1;
  }
  FakeClock clock_;
};

TEST_F(FakeBackendBillingTest, WithoutABalanceNothingIsReported) {
  auto backend = FakeBackend::Create(FakeBackendConfig(), &clock_);
  ASSERT_TRUE(backend.ok());
  EXPECT_EQ((*backend)->Balance().status().code(), absl::StatusCode::kUnimplemented);
}

TEST_F(FakeBackendBillingTest, ABadBalanceIsRefusedNamingTheField) {
  FakeBackendConfig config;
  config.set_balance("-3");
  auto backend = FakeBackend::Create(config, &clock_);
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(backend.status().message().find("balance"), std::string::npos);
}

TEST_F(FakeBackendBillingTest, LiveInstancesCostTheirHourlyPriceOnTheClock) {
  auto backend = Make("10.00");
  EXPECT_EQ(BalanceOf(*backend), 10000000);
  auto ids = backend->Create(Request("a", 2));  // 2 x 0.50 per hour
  ASSERT_TRUE(ids.ok()) << ids.status();
  clock_.Advance(absl::Minutes(90));
  EXPECT_EQ(BalanceOf(*backend), 10000000 - 1500000);
  // A terminated instance costs nothing more.
  ASSERT_TRUE(backend->Terminate("ap-guangzhou", {(*ids)[0]}).ok());
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(BalanceOf(*backend), 10000000 - 1500000 - 1000000);
  backend->TopUp(5000000);
  EXPECT_EQ(BalanceOf(*backend), 12500000);
  // Past zero the balance is a debt.
  clock_.Advance(absl::Hours(30));
  EXPECT_EQ(BalanceOf(*backend), 12500000 - 15000000);
  EXPECT_EQ(backend->Balance()->currency, "CNY");
}

TEST_F(FakeBackendBillingTest, SpotCostsTheMarketPriceAndPrepaidIsChargedUpFront) {
  auto backend = Make("1000.00");
  CreateRequest spot = Request("spot", 1);
  spot.spec.mutable_spot()->set_max_price_per_hour("0.30");
  ASSERT_TRUE(backend->Create(spot).ok());
  CreateRequest prepaid = Request("prepaid", 1);
  prepaid.spec.mutable_prepaid()->set_period_months(1);
  ASSERT_TRUE(backend->Create(prepaid).ok());
  // One month of 0.50: 730 h at 20 % off = 292.00, at once.
  EXPECT_EQ(BalanceOf(*backend), 1000000000 - 292000000);
  // A retry of the same token charges nothing more.
  ASSERT_TRUE(backend->Create(prepaid).ok());
  clock_.Advance(absl::Hours(10));
  EXPECT_EQ(BalanceOf(*backend), 1000000000 - 292000000 - 2000000);
}

}  // namespace
}  // namespace cvm
