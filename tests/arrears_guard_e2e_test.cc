// End to end: the arrears guard of the real provisioner binary against the
// CVM emulator. The service buys pay-as-you-go instances; the emulator's
// clock moves hours ahead (POST /_emulator/advance), its hourly settlements
// make the balance fall, and the guard (checking every 200 ms) follows: the
// forecast gauge on /metrics falls, the all-orders Watch stream gets one
// ACCOUNT WARNING (one-order streams none), a new purchase under the floor
// is refused FAILED_PRECONDITION naming the forecast, and a top-up (POST
// /_emulator/topup) lifts it again (ACCOUNT CLEARED).
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
    const std::string config =
        WriteEmulatorConfig("arrears.textproto", emulator_->port(), tencentcloud::kTestSecretId,
                            tencentcloud::kTestSecretKey);
    std::ofstream(config, std::ios::app)
        << "arrears_guard { interval { nanos: 200000000 } warning_horizon { seconds: 36000 } "
           "refuse_below { seconds: 14400 } }\n";
    auto server =
        ServerProcess::Start(config, {"--poll_fast_interval=200ms", "--poll_slow_interval=300ms"});
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

  std::unique_ptr<tencentcloud::EmulatorServer> emulator_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
};

TEST_F(ArrearsGuardE2eTest, FallingBalanceWarnsThenRefusesAtTheFloorUntilATopUp) {
  AccountEvents all(*stub_, "");
  // Load: 5 orders of 2 pay-as-you-go instances, priced by the service.
  std::string first_order;
  for (int i = 0; i < 5; ++i) {
    provisioning::v1::Order order;
    grpc::Status status = stub_->Purchase(ContextWithDeadline(30).get(),
                                          PurchaseOf("load-" + std::to_string(i), 2), &order);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (first_order.empty()) first_order = order.order_id();
    AwaitBought(order.order_id());
  }
  AccountEvents one(*stub_, first_order);
  provisioning::v1::QuoteRequest quote_request;
  *quote_request.mutable_spec() = PurchaseOf("quote", 10).spec();
  quote_request.set_instance_count(10);
  provisioning::v1::Quote quote;
  ASSERT_TRUE(stub_->Quote(ContextWithDeadline(30).get(), quote_request, &quote).ok());
  double spend = 0;
  ASSERT_TRUE(absl::SimpleAtod(quote.total_price_per_hour(), &spend));  // 10 x 0.16
  const double spend_start = spend;
  const double cents_start = BalanceCents();
  const double start = AwaitForecast(spend);
  EXPECT_GT(start, kHorizonSeconds);

  // Three hours of settlements: under the 10 h warning horizon.
  Control("advance", {{"Seconds", 3 * 3600}});
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
  spend += std::stod(quote.unit_price_per_hour());

  // Six more: under the 4 h floor, a new purchase is refused.
  Control("advance", {{"Seconds", 6 * 3600}});
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
      "arrears e2e: forecast %.0f s (%.2f at %.2f/h) -> 3 h later %.0f s (%.2f; WARNING under "
      "%.0f s) -> +1 instance, 6 h later %.0f s (%.2f at %.2f/h; refused under %.0f s) -> "
      "top-up 50.00: %.0f s (CLEARED, bought)\n",
      start, cents_start / 100, spend_start, warned, cents_warned / 100, kHorizonSeconds, floored,
      cents_floored / 100, spend, kFloorSeconds, topped_up);
}

}  // namespace
}  // namespace cvm::testing
