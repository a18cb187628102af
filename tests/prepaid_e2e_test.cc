// End to end: money as Tencent Cloud bills it, through the real provisioner
// binary and the CVM emulator.
//  - Quote prices the instances and their public bandwidth, in the currency
//    the backend is configured with (Tencent's answers name none).
//  - A prepaid order is bought for its period and paid up front; with
//    auto_renew the cloud renews it at expiry, without it the cloud isolates
//    it (EXPIRED). Terminate returns prepaid instances to the recycle bin
//    (SHUTDOWN, ISOLATED_MANUALLY, refunded); a second Terminate does not
//    destroy them; the cloud releases them after its retention and the order
//    is TERMINATED then.
//  - A release cut short (TerminateInstances failing, then SIGKILL) is
//    finished by the restarted service once the order was left alone for
//    --prepaid_release_grace, still without destroying anything.
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>

#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::InternetAccess;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;

constexpr absl::Duration kReturnedFor = absl::Hours(7 * 24);

class PrepaidE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tencentcloud::EmulatorConfig world = tencentcloud::TestWorld();
    world.set_bandwidth_price_per_mbps_hour("0.05");
    world.set_traffic_price_per_gb("0.80");
    world.mutable_accounts(0)->set_balance_cents(1000000);  // 10,000.00
    auto emulator = tencentcloud::EmulatorServer::Start(world, "127.0.0.1", 0);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    config_ = WriteEmulatorConfig("prepaid.textproto", emulator_->port(),
                                  tencentcloud::kTestSecretId, tencentcloud::kTestSecretKey,
                                  /*extra=*/"", /*currency=*/"USD");
    store_ = TmpPath(std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                     ".db");
    StartServer();
  }

  void StartServer() {
    auto server = ServerProcess::Start(
        config_, {"--store=sqlite:" + store_, "--poll_fast_interval=200ms",
                  "--poll_slow_interval=300ms", "--prepaid_release_grace=1s"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = NewStub(server_->target());
  }

  void TearDown() override {
    if (server_ != nullptr) EXPECT_EQ(server_->Stop(absl::Seconds(30)).value_or(-1), 0);
  }

  tencentcloud::Json Books() { return emulator_->Books()[tencentcloud::kTestSecretId]; }

  static PurchaseRequest Prepaid(const std::string& request_id, int count, bool auto_renew) {
    PurchaseRequest request = PurchaseOf(request_id, count);
    request.mutable_spec()->mutable_prepaid()->set_period_months(1);
    request.mutable_spec()->mutable_prepaid()->set_auto_renew(auto_renew);
    auto* internet = request.mutable_spec()->mutable_internet();
    internet->set_max_bandwidth_out_mbps(2);
    internet->set_charge_type(InternetAccess::BANDWIDTH_PREPAID);
    return request;
  }

  Order Buy(const PurchaseRequest& request) {
    Order order;
    grpc::Status status = stub_->Purchase(ContextWithDeadline(30).get(), request, &order);
    EXPECT_TRUE(status.ok()) << status.error_message();
    absl::StatusOr<Order> active = AwaitFinal(*stub_, order.order_id(), absl::Seconds(30));
    EXPECT_TRUE(active.ok()) << active.status();
    EXPECT_EQ(active.value_or(Order()).state(), Order::ACTIVE);
    return active.value_or(Order());
  }

  absl::StatusOr<Order> Await(const std::string& order_id,
                              const std::function<bool(const Order&)>& done) {
    return AwaitOrder(*stub_, order_id, done, absl::Seconds(30));
  }

  grpc::Status Terminate(const std::string& order_id, Order* order) {
    provisioning::v1::TerminateRequest request;
    request.set_order_id(order_id);
    return stub_->Terminate(ContextWithDeadline(30).get(), request, order);
  }

  static bool AllInstances(const Order& order, const std::function<bool(const Instance&)>& is) {
    if (order.instances_size() == 0) return false;
    for (const Instance& instance : order.instances()) {
      if (!is(instance)) return false;
    }
    return true;
  }
  static bool Returned(const Instance& instance) {
    return instance.state() == Instance::SHUTDOWN &&
           instance.isolated_source() == Instance::ISOLATED_MANUALLY;
  }

  std::string config_;
  std::string store_;
  std::unique_ptr<tencentcloud::EmulatorServer> emulator_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
};

TEST_F(PrepaidE2eTest, QuotePricesInstancesAndBandwidthInTheConfiguredCurrency) {
  provisioning::v1::QuoteRequest request;
  *request.mutable_spec() = PurchaseOf("quote", 3).spec();
  request.set_instance_count(3);
  auto* internet = request.mutable_spec()->mutable_internet();
  internet->set_max_bandwidth_out_mbps(4);
  internet->set_charge_type(InternetAccess::BANDWIDTH_POSTPAID_BY_HOUR);
  provisioning::v1::Quote quote;
  grpc::Status status = stub_->Quote(ContextWithDeadline(30).get(), request, &quote);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(quote.currency(), "USD");
  EXPECT_EQ(quote.instance_price_per_hour(), "0.48");   // 3 x 0.16
  EXPECT_EQ(quote.bandwidth_price_per_hour(), "0.60");  // 3 x 4 Mbps x 0.05
  EXPECT_EQ(quote.total_price_per_hour(), "1.08");

  internet->set_charge_type(InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
  ASSERT_TRUE(stub_->Quote(ContextWithDeadline(30).get(), request, &quote).ok());
  EXPECT_EQ(quote.traffic_price_per_gb(), "0.80");
  EXPECT_EQ(quote.total_price_per_hour(), "0.48");  // traffic is in no total

  *request.mutable_spec() = Prepaid("quote", 3, true).spec();
  ASSERT_TRUE(stub_->Quote(ContextWithDeadline(30).get(), request, &quote).ok());
  EXPECT_EQ(quote.instance_price_prepaid(), "280.32");   // 3 x 0.16 x 730 h x 0.8
  EXPECT_EQ(quote.bandwidth_price_prepaid(), "175.20");  // 3 x 2 x 0.05 x 730 h x 0.8
  EXPECT_EQ(quote.total_price_prepaid(), "455.52");
  EXPECT_EQ(quote.total_price_per_hour(), "");
}

TEST_F(PrepaidE2eTest, BoughtRenewedOrIsolatedAtExpiryReturnedThenReleased) {
  provisioning::v1::QuoteRequest quote_request;
  *quote_request.mutable_spec() = Prepaid("q", 2, true).spec();
  quote_request.set_instance_count(2);
  provisioning::v1::Quote quote;
  ASSERT_TRUE(stub_->Quote(ContextWithDeadline(30).get(), quote_request, &quote).ok());
  EXPECT_EQ(quote.total_price_prepaid(), "303.68");  // 2 x (0.16 + 2 x 0.05) x 730 x 0.8

  const int64_t balance_before = Books()["BalanceCents"].get<int64_t>();
  Order renewing = Buy(Prepaid("renewing", 2, /*auto_renew=*/true));
  Order expiring = Buy(Prepaid("expiring", 1, /*auto_renew=*/false));
  // Paid up front: 303.68 and 151.84, nothing accrues by the hour.
  EXPECT_EQ(balance_before - Books()["BalanceCents"].get<int64_t>(), 30368 + 15184);
  const absl::StatusOr<Order> dated = Await(renewing.order_id(), [](const Order& o) {
    return AllInstances(o, [](const Instance& i) { return i.has_expire_time(); });
  });
  ASSERT_TRUE(dated.ok()) << dated.status();
  const int64_t first_expiry = dated->instances(0).expire_time().seconds();
  EXPECT_GE(first_expiry - dated->instances(0).create_time().seconds(), 28 * 86400);

  // A month and a day later the cloud renewed one order and isolated the other.
  emulator_->clock().Advance(absl::Hours(32 * 24));
  EXPECT_EQ(Books()["Renewals"].get<int>(), 2);
  absl::StatusOr<Order> renewed = Await(renewing.order_id(), [first_expiry](const Order& o) {
    return AllInstances(o, [first_expiry](const Instance& i) {
      return i.expire_time().seconds() >= first_expiry + 28 * 86400;
    });
  });
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->state(), Order::ACTIVE);
  absl::StatusOr<Order> expired = Await(expiring.order_id(), [](const Order& o) {
    return AllInstances(o, [](const Instance& i) { return i.restriction() == Instance::EXPIRED; });
  });
  ASSERT_TRUE(expired.ok()) << expired.status();

  // Terminate returns the renewed instances to the recycle bin, refunded.
  Order terminating;
  grpc::Status status = Terminate(renewing.order_id(), &terminating);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(terminating.state(), Order::TERMINATING);
  absl::StatusOr<Order> returned = Await(renewing.order_id(), [](const Order& o) {
    return AllInstances(o, Returned);
  });
  ASSERT_TRUE(returned.ok()) << returned.status();
  EXPECT_EQ(returned->state(), Order::TERMINATING);
  EXPECT_EQ(Books()["Returned"].get<int>(), 2);
  EXPECT_GT(Books()["RefundedCents"].get<int64_t>(), 0);

  // Asked again, the service does not make the call that would destroy them.
  ASSERT_TRUE(Terminate(renewing.order_id(), &terminating).ok());
  absl::SleepFor(absl::Seconds(1));  // a few polling rounds
  EXPECT_EQ(Books()["Returned"].get<int>(), 2);
  EXPECT_EQ(Books()["Live"].get<int>(), 3);  // 2 returned + 1 isolated

  // The cloud releases them after its retention: the order ends.
  emulator_->clock().Advance(kReturnedFor + absl::Minutes(1));
  absl::StatusOr<Order> terminated = AwaitFinal(*stub_, renewing.order_id(), absl::Seconds(30));
  ASSERT_TRUE(terminated.ok()) << terminated.status();
  EXPECT_EQ(terminated->state(), Order::TERMINATED);
  for (const Instance& instance : terminated->instances()) {
    EXPECT_EQ(instance.state(), Instance::TERMINATED);
    EXPECT_EQ(instance.isolated_source(), Instance::ISOLATED_MANUALLY);  // kept: why it went
  }
}

TEST_F(PrepaidE2eTest, AReleaseCutByACrashIsFinishedAfterRestartWithoutDestroying) {
  Order order = Buy(Prepaid("crash", 2, /*auto_renew=*/true));
  provisioning::tencentcloud::emulator::v1::Fault fault;
  fault.set_action("TerminateInstances");
  fault.set_kind(provisioning::tencentcloud::emulator::v1::Fault::SERVER_ERROR);
  fault.set_probability(1);
  emulator_->SetFaults({fault});
  Order terminating;
  grpc::Status status = Terminate(order.order_id(), &terminating);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(Books()["Returned"].get<int>(), 0);
  server_->Signal(SIGKILL);
  ASSERT_EQ(server_->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);
  server_.reset();
  emulator_->SetFaults({});

  StartServer();
  absl::StatusOr<Order> returned = Await(order.order_id(), [](const Order& o) {
    return AllInstances(o, Returned);
  });
  ASSERT_TRUE(returned.ok()) << returned.status();
  EXPECT_EQ(returned->state(), Order::TERMINATING);
  absl::SleepFor(absl::Seconds(2));  // past the grace again: still not destroyed
  EXPECT_EQ(Books()["Returned"].get<int>(), 2);
  EXPECT_EQ(Books()["Live"].get<int>(), 2);
}

}  // namespace
}  // namespace cvm::testing
