// End to end: the arrears guard of the real provisioner binary against the
// CVM emulator. The service buys pay-as-you-go instances; the emulator's
// clock moves hours ahead (POST /_emulator/advance), its hourly settlements
// make the balance fall, and the guard (checking every 200 ms) follows: the
// forecast gauge on /metrics falls, the all-orders Watch stream gets one
// ACCOUNT WARNING (one-order streams none), a new purchase under the floor
// is refused FAILED_PRECONDITION naming the forecast, and a top-up (POST
// /_emulator/topup) lifts it again (ACCOUNT CLEARED).
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::AccountForecast;
using provisioning::v1::WatchEvent;

constexpr double kHorizonSeconds = 10 * 3600;
constexpr double kFloorSeconds = 4 * 3600;

// Reads a Watch stream on its own thread, keeping its ACCOUNT events.
class AccountEvents {
 public:
  AccountEvents(provisioning::v1::Provisioning::Stub& stub, const std::string& order_id) {
    provisioning::v1::WatchRequest request;
    request.set_order_id(order_id);
    reader_ = stub.Watch(&context_, request);
    thread_ = std::thread([this] {
      WatchEvent event;
      while (reader_->Read(&event)) {
        absl::MutexLock lock(&mu_);
        if (event.type() == WatchEvent::ACCOUNT) events_.push_back(event.account());
      }
    });
  }
  ~AccountEvents() {
    context_.TryCancel();
    thread_.join();
  }
  std::vector<AccountForecast> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // The events once there are `n` (fewer after 30 s).
  std::vector<AccountForecast> Await(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
    return events_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<WatchEvent>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<AccountForecast> events_ ABSL_GUARDED_BY(mu_);
};

class ArrearsGuardE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tencentcloud::EmulatorConfig world = tencentcloud::TestWorld();
    world.mutable_accounts(0)->set_balance_cents(2000);  // 20.00
    auto emulator = tencentcloud::EmulatorServer::Start(world, "127.0.0.1", 0);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    // Half past an hour, so the first settlement covers half an hour and
    // the figures do not depend on the time of day.
    const int64_t into_hour = absl::ToUnixSeconds(emulator_->clock().Now()) % 3600;
    emulator_->clock().Advance(absl::Seconds((1800 - into_hour + 3600) % 3600));
    const std::string config =
        WriteEmulatorConfig("arrears.textproto", emulator_->port(), tencentcloud::kTestSecretId,
                            tencentcloud::kTestSecretKey);
    std::ofstream(config, std::ios::app)
        << "arrears_guard { interval { nanos: 200000000 } warning_horizon { seconds: 36000 } "
           "refuse_below { seconds: 14400 } }\n";
    config_ = config;
    StartServer();
  }

  // The provisioner on a SQLite store that outlives it (one per test).
  void StartServer() {
    const std::string store = TmpPath(
        std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db");
    auto server = ServerProcess::Start(
        config_,
        {"--store=sqlite:" + store, "--poll_fast_interval=200ms", "--poll_slow_interval=300ms"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = NewStub(server_->target());
  }

  void TearDown() override {
    if (server_ != nullptr) EXPECT_EQ(server_->Stop(absl::Seconds(30)).value_or(-1), 0);
  }

  // POST /_emulator/<path> with `body`; the answer's JSON.
  tencentcloud::Json Control(const std::string& path, const tencentcloud::Json& body) {
    httplib::Client control("127.0.0.1", emulator_->port());
    auto answer = control.Post("/_emulator/" + path, body.dump(), "application/json");
    EXPECT_TRUE(answer && answer->status == 200) << (answer ? answer->body : "no answer");
    return answer ? tencentcloud::Json::parse(answer->body, nullptr, false) : tencentcloud::Json();
  }

  // Waits until the cloud bought `order_id` (it is billed from then on).
  void AwaitBought(const std::string& order_id) {
    auto bought = AwaitOrder(
        *stub_, order_id, [](const provisioning::v1::Order& o) { return o.instances_size() > 0; },
        absl::Seconds(30));
    EXPECT_TRUE(bought.ok()) << bought.status();
  }

  double BalanceCents() {
    return emulator_->Books()[tencentcloud::kTestSecretId]["BalanceCents"].get<double>();
  }

  // The forecast gauge once it is within a second of what the emulator's
  // balance and `spend` per hour give; the last value read after 30 s.
  double AwaitForecast(double spend) {
    const double expected = BalanceCents() / 100 / spend * 3600;
    double value = -1;
    for (const absl::Time deadline = absl::Now() + absl::Seconds(30); absl::Now() < deadline;
         absl::SleepFor(absl::Milliseconds(100))) {
      absl::StatusOr<std::string> scrape = HttpGet(server_->metrics_port(), "/metrics");
      if (!scrape.ok()) continue;
      value = MetricValue(*scrape, "provisioner_arrears_forecast_seconds", {"backend=\"tencent\""});
      if (std::abs(value - expected) < 1) return value;
    }
    ADD_FAILURE() << "forecast " << value << " s, expected " << expected << " s";
    return value;
  }

  // Buys 5 orders of 2 pay-as-you-go instances, each until the cloud has
  // it; returns their hourly price as the service quotes it, and the first
  // order's id in `first`.
  double BuyLoad(std::string* first) {
    for (int i = 0; i < 5; ++i) {
      provisioning::v1::Order order;
      grpc::Status status = stub_->Purchase(ContextWithDeadline(30).get(),
                                            PurchaseOf("load-" + std::to_string(i), 2), &order);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (i == 0) *first = order.order_id();
      AwaitBought(order.order_id());
    }
    provisioning::v1::QuoteRequest request;
    *request.mutable_spec() = PurchaseOf("quote", 10).spec();
    request.set_instance_count(10);
    EXPECT_TRUE(stub_->Quote(ContextWithDeadline(30).get(), request, &quote_).ok());
    double spend = 0;
    EXPECT_TRUE(absl::SimpleAtod(quote_.total_price_per_hour(), &spend));  // 10 x 0.16
    return spend;
  }

  std::string config_;
  provisioning::v1::Quote quote_;  // of the load
  std::unique_ptr<tencentcloud::EmulatorServer> emulator_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
};

TEST_F(ArrearsGuardE2eTest, FallingBalanceWarnsThenRefusesAtTheFloorUntilATopUp) {
  AccountEvents all(*stub_, "");
  std::string first_order;
  double spend = BuyLoad(&first_order);
  AccountEvents one(*stub_, first_order);
  const double spend_start = spend;
  const double cents_start = BalanceCents();
  const double start = AwaitForecast(spend);
  EXPECT_GT(start, kHorizonSeconds);

  // Four hourly settlements (the first covers half an hour): 20.00 -
  // 3.5 x 1.60 = 14.40 lasts 9 h, under the 10 h warning horizon.
  Control("advance", {{"Seconds", 4 * 3600}});
  const double warned = AwaitForecast(spend);
  EXPECT_LT(warned, kHorizonSeconds);
  EXPECT_GT(warned, kFloorSeconds);
  std::vector<AccountForecast> events = all.Await(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state(), AccountForecast::WARNING);
  EXPECT_EQ(events[0].backend(), "tencent");
  EXPECT_NEAR(events[0].forecast().seconds(), warned, 1);
  EXPECT_EQ(events[0].warning_horizon().seconds(), 36000);
  EXPECT_EQ(events[0].refuse_below().seconds(), 14400);
  const double cents_warned = BalanceCents();
  provisioning::v1::Order order;
  grpc::Status allowed =
      stub_->Purchase(ContextWithDeadline(30).get(), PurchaseOf("above-floor", 1), &order);
  EXPECT_TRUE(allowed.ok()) << allowed.error_message();
  AwaitBought(order.order_id());
  spend += std::stod(quote_.unit_price_per_hour());

  // Five more (8.00 for the ten, 4.5 x 0.16 for the new one): 5.68 lasts
  // 3.2 h at 1.76 per hour, under the 4 h floor: a new purchase is refused.
  Control("advance", {{"Seconds", 5 * 3600}});
  const double floored = AwaitForecast(spend);
  EXPECT_LT(floored, kFloorSeconds);
  const double cents_floored = BalanceCents();
  grpc::Status refused =
      stub_->Purchase(ContextWithDeadline(30).get(), PurchaseOf("under-floor", 1), &order);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("under the arrears floor of 4h"), std::string::npos)
      << refused.error_message();
  const google::rpc::ErrorInfo info = ErrorInfoOf(refused);
  EXPECT_EQ(info.reason(), "ARREARS_FORECAST");
  EXPECT_EQ(info.metadata().at("refuse_below_seconds"), "14400");
  EXPECT_NEAR(std::stod(info.metadata().at("forecast_seconds")), floored, 2);

  // A top-up of 50.00 lifts it: CLEARED, and the same purchase goes through.
  Control("topup", {{"SecretId", tencentcloud::kTestSecretId}, {"Cents", 5000}});
  const double topped_up = AwaitForecast(spend);
  EXPECT_GT(topped_up, kHorizonSeconds);
  events = all.Await(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].state(), AccountForecast::CLEARED);
  grpc::Status bought =
      stub_->Purchase(ContextWithDeadline(30).get(), PurchaseOf("under-floor", 1), &order);
  EXPECT_TRUE(bought.ok()) << bought.error_message();
  // Once per crossing, however many checks ran; never on a one-order stream.
  absl::SleepFor(absl::Seconds(1));  // five more checks
  EXPECT_EQ(all.events().size(), 2u);
  EXPECT_TRUE(one.events().empty());

  std::printf(
      "arrears e2e: forecast %.0f s (%.2f at %.2f/h) -> 4 h later %.0f s (%.2f; WARNING under "
      "%.0f s) -> +1 instance, 5 h later %.0f s (%.2f at %.2f/h; refused under %.0f s) -> "
      "top-up 50.00: %.0f s (CLEARED, bought)\n",
      start, cents_start / 100, spend_start, warned, cents_warned / 100, kHorizonSeconds, floored,
      cents_floored / 100, spend, kFloorSeconds, topped_up);
}

TEST_F(ArrearsGuardE2eTest, AfterASigkillTheNextStartForecastsAfreshAndWarnsAgain) {
  std::string first_order;
  const double spend = BuyLoad(&first_order);
  Control("advance", {{"Seconds", 4 * 3600}});
  const double before = AwaitForecast(spend);
  ASSERT_LT(before, kHorizonSeconds);
  {
    AccountEvents all(*stub_, "");  // opened after the crossing: the standing WARNING
    ASSERT_EQ(all.Await(1).size(), 1u);
  }
  server_->Signal(SIGKILL);
  ASSERT_EQ(server_->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);
  // Six more hours pass while it is down (9.60 more): under the floor at the
  // next start.
  Control("advance", {{"Seconds", 6 * 3600}});
  StartServer();
  const double after = AwaitForecast(spend);
  EXPECT_LT(after, kFloorSeconds);
  AccountEvents all(*stub_, "");
  std::vector<AccountForecast> events = all.Await(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state(), AccountForecast::WARNING);
  EXPECT_NEAR(events[0].forecast().seconds(), after, 1);
  provisioning::v1::Order order;
  grpc::Status refused =
      stub_->Purchase(ContextWithDeadline(30).get(), PurchaseOf("after-restart", 1), &order);
  EXPECT_EQ(ErrorInfoOf(refused).reason(), "ARREARS_FORECAST") << refused.error_message();
  std::printf(
      "arrears e2e restart: forecast %.0f s before SIGKILL, %.0f s after the restart "
      "(WARNING again, purchases refused)\n",
      before, after);
}

}  // namespace
}  // namespace cvm::testing
