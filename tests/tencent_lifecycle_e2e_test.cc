// End to end: what the cloud does to instances after they are bought, seen
// through the service's Watch stream. The CVM emulator runs in process on a
// clock the test moves; the real provisioner binary polls it over signed
// HTTP. Covered: an account in arrears (its ACTIVE order's instance isolated
// with source ARREAR, then released), spot reclaim (by hand and by the
// market price), and a release by another tool told apart from a reclaim.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "backends/backend_registry.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "backends/tencentcloud/tencentcloud_config.pb.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;
using provisioning::v1::OrderChange;
using provisioning::v1::WatchEvent;

// The change of `kind` in the order's last_changes, or nullptr.
const OrderChange* ChangeOf(const Order& order, OrderChange::Kind kind) {
  for (const OrderChange& change : order.last_changes()) {
    if (change.kind() == kind) return &change;
  }
  return nullptr;
}

class TencentLifecycleTest : public ::testing::Test {
 protected:
  void Start(const tencentcloud::EmulatorConfig& config) {
    auto emulator = tencentcloud::EmulatorServer::Start(config, "127.0.0.1", 0);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    // Steady orders are polled often, so the test need not wait 30 s.
    auto server = ServerProcess::Start(
        WriteEmulatorConfig("lifecycle.textproto", emulator_->port(), tencentcloud::kTestSecretId,
                            tencentcloud::kTestSecretKey),
        {"--poll_fast_interval=200ms", "--poll_slow_interval=300ms"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = NewStub(server_->target());
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    EXPECT_EQ(server_->Stop(absl::Seconds(30)).value_or(-1), 0);
  }

  // Buys `request` and opens a Watch stream on its order.
  void BuyAndWatch(const provisioning::v1::PurchaseRequest& request) {
    Order order;
    grpc::Status status = stub_->Purchase(ContextWithDeadline(30).get(), request, &order);
    ASSERT_TRUE(status.ok()) << status.error_message();
    provisioning::v1::WatchRequest watch;
    watch.set_order_id(order.order_id());
    context_ = ContextWithDeadline(120);
    reader_ = stub_->Watch(context_.get(), watch);
  }

  // Reads the stream until an event's order satisfies `done`; after each
  // other event moves the emulator's clock by `step`. The last order read.
  Order ReadUntil(const std::function<bool(const Order&)>& done,
                  absl::Duration step = absl::ZeroDuration()) {
    WatchEvent event;
    Order last;
    while (reader_->Read(&event)) {
      last = event.orders(0);
      if (done(last)) return last;
      emulator_->clock().Advance(step);
    }
    ADD_FAILURE() << "the Watch stream ended: " << reader_->Finish().error_message();
    return last;
  }

  Order UntilActive() {
    // 30 s per event brings instances up (5 s) with an IP (5 s more) with
    // next to nothing billed.
    return ReadUntil([](const Order& o) { return o.state() == Order::ACTIVE; }, absl::Seconds(30));
  }

  Order UntilChange(OrderChange::Kind kind) {
    return ReadUntil([kind](const Order& o) { return ChangeOf(o, kind) != nullptr; });
  }

  tencentcloud::Json Books() { return emulator_->Books()[tencentcloud::kTestSecretId]; }

  std::unique_ptr<tencentcloud::EmulatorServer> emulator_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<WatchEvent>> reader_;
};

TEST_F(TencentLifecycleTest, ArrearsIsolateAnActiveOrdersInstanceThenReleaseIt) {
  // 20 cents: one hour of S5.MEDIUM2 (0.16) passes the pre-flight balance
  // check; at most three hourly settlements later the balance is negative.
  tencentcloud::EmulatorConfig world = tencentcloud::TestWorld();
  world.mutable_accounts(0)->set_balance_cents(20);
  world.mutable_isolated_release_delay()->set_seconds(24 * 3600);
  Start(world);
  BuyAndWatch(PurchaseOf("arrears", 1));
  Order active = UntilActive();
  ASSERT_EQ(active.state(), Order::ACTIVE);
  const std::string id = active.instances(0).instance_id();

  // Into arrears (within 3 h), then the 2 h the instance keeps running.
  emulator_->clock().Advance(absl::Hours(6));
  Order isolated = UntilChange(OrderChange::ISOLATED);
  const OrderChange* change = ChangeOf(isolated, OrderChange::ISOLATED);
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(change->instance_id(), id);
  EXPECT_EQ(change->restriction(), Instance::ISOLATED_ARREARS);
  EXPECT_EQ(change->isolated_source(), Instance::ISOLATED_BY_ARREARS);
  EXPECT_EQ(change->to_state(), Instance::SHUTDOWN);
  EXPECT_EQ(isolated.state(), Order::ACTIVE);
  EXPECT_EQ(isolated.instances(0).state(), Instance::SHUTDOWN);
  EXPECT_EQ(isolated.instances(0).restriction(), Instance::ISOLATED_ARREARS);
  EXPECT_EQ(isolated.instances(0).isolated_source(), Instance::ISOLATED_BY_ARREARS);
  EXPECT_EQ(Books()["InArrears"], true);
  EXPECT_LT(Books()["BalanceCents"].get<int64_t>(), 0);

  // Not topped up within the grace: released.
  emulator_->clock().Advance(absl::Hours(24));
  Order released = UntilChange(OrderChange::RELEASED);
  EXPECT_EQ(ChangeOf(released, OrderChange::RELEASED)->instance_id(), id);
  EXPECT_EQ(released.instances(0).state(), Instance::TERMINATED);
  EXPECT_EQ(released.instances(0).restriction(), Instance::ISOLATED_ARREARS);
  EXPECT_EQ(released.instances(0).isolated_source(), Instance::ISOLATED_BY_ARREARS);
  EXPECT_EQ(Books()["Live"], 0);
}

// A spot purchase of one instance at max price `max_price`.
provisioning::v1::PurchaseRequest SpotPurchase(const std::string& id,
                                               const std::string& max_price) {
  auto request = PurchaseOf(id, 1);
  request.mutable_spec()->mutable_spot()->set_max_price_per_hour(max_price);
  return request;
}

TEST_F(TencentLifecycleTest, ASpotInstanceReclaimedByHandIsReportedReclaimedThenReleased) {
  Start(tencentcloud::TestWorld());
  BuyAndWatch(SpotPurchase("spot-by-hand", "0.05"));
  Order active = UntilActive();
  ASSERT_EQ(active.state(), Order::ACTIVE);
  const std::string id = active.instances(0).instance_id();

  httplib::Client control("127.0.0.1", emulator_->port());
  auto reclaim = control.Post("/_emulator/reclaim",
                              tencentcloud::Json{{"InstanceIds", {id}}}.dump(), "application/json");
  ASSERT_TRUE(reclaim);
  ASSERT_EQ(reclaim->status, 200) << reclaim->body;
  // Two minutes' notice, then the shutdown.
  emulator_->clock().Advance(absl::Minutes(2));
  Order reclaimed = UntilChange(OrderChange::SPOT_RECLAIMED);
  const OrderChange* change = ChangeOf(reclaimed, OrderChange::SPOT_RECLAIMED);
  EXPECT_EQ(change->instance_id(), id);
  EXPECT_EQ(change->restriction(), Instance::SPOT_RECLAIMED);
  EXPECT_EQ(reclaimed.instances(0).state(), Instance::SHUTDOWN);
  EXPECT_EQ(reclaimed.instances(0).restriction(), Instance::SPOT_RECLAIMED);

  emulator_->clock().Advance(absl::Minutes(2));
  Order released = UntilChange(OrderChange::RELEASED);
  EXPECT_EQ(released.instances(0).state(), Instance::TERMINATED);
  EXPECT_EQ(released.instances(0).restriction(), Instance::SPOT_RECLAIMED);
  EXPECT_EQ(Books()["Live"], 0);
}

TEST_F(TencentLifecycleTest, AMarketPriceAboveTheMaxPriceReclaimsTheSpotInstance) {
  Start(tencentcloud::TestWorld());
  BuyAndWatch(SpotPurchase("spot-by-price", "0.05"));
  Order active = UntilActive();
  ASSERT_EQ(active.state(), Order::ACTIVE);
  auto reclaimed_ids = emulator_->emulator().SetSpotPrice("ap-guangzhou-3", "S5.MEDIUM2", "0.06");
  ASSERT_TRUE(reclaimed_ids.ok()) << reclaimed_ids.status();
  ASSERT_EQ(*reclaimed_ids, std::vector<std::string>{active.instances(0).instance_id()});
  emulator_->clock().Advance(absl::Minutes(2));
  Order reclaimed = UntilChange(OrderChange::SPOT_RECLAIMED);
  EXPECT_EQ(reclaimed.instances(0).restriction(), Instance::SPOT_RECLAIMED);
  EXPECT_EQ(reclaimed.state(), Order::ACTIVE);
}

// Two spot instances: one released by another tool (a TerminateInstances
// the service did not make: RELEASED_OUTSIDE), one reclaimed by the cloud
// (SPOT_RECLAIMED). Neither is reported as the other.
TEST_F(TencentLifecycleTest, AReleaseByAnotherToolIsNotReportedAsAReclaim) {
  Start(tencentcloud::TestWorld());
  auto request = SpotPurchase("spot-two", "0.05");
  request.set_instance_count(2);
  BuyAndWatch(request);
  Order active = UntilActive();
  ASSERT_EQ(active.state(), Order::ACTIVE);
  const std::string outside_id = active.instances(0).instance_id();
  const std::string reclaimed_id = active.instances(1).instance_id();

  // "Another tool": a Tencent client of its own, with the account's keys.
  provisioning::tencentcloud::v1::TencentCloudConfig tool;
  tool.set_endpoint_override(absl::StrCat("http://127.0.0.1:", emulator_->port()));
  tool.set_currency("CNY");
  tool.mutable_credentials()->set_secret_id(tencentcloud::kTestSecretId);
  tool.mutable_credentials()->set_secret_key(tencentcloud::kTestSecretKey);
  auto other = BackendRegistry::Global().Find("tencentcloud")->Create(tool, {});
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->Terminate("ap-guangzhou", {outside_id}).ok());
  Order outside = UntilChange(OrderChange::RELEASED_OUTSIDE);
  EXPECT_EQ(ChangeOf(outside, OrderChange::RELEASED_OUTSIDE)->instance_id(), outside_id);
  EXPECT_EQ(ChangeOf(outside, OrderChange::SPOT_RECLAIMED), nullptr);

  httplib::Client control("127.0.0.1", emulator_->port());
  auto reclaim = control.Post("/_emulator/reclaim",
                              tencentcloud::Json{{"InstanceIds", {reclaimed_id}}}.dump(),
                              "application/json");
  ASSERT_TRUE(reclaim);
  ASSERT_EQ(reclaim->status, 200) << reclaim->body;
  emulator_->clock().Advance(absl::Minutes(2));
  Order reclaimed = UntilChange(OrderChange::SPOT_RECLAIMED);
  EXPECT_EQ(ChangeOf(reclaimed, OrderChange::SPOT_RECLAIMED)->instance_id(), reclaimed_id);
  std::map<std::string, Instance::Restriction> restriction;
  for (const Instance& instance : reclaimed.instances()) {
    restriction[instance.instance_id()] = instance.restriction();
  }
  EXPECT_EQ(restriction[outside_id], Instance::RELEASED_OUTSIDE);
  EXPECT_EQ(restriction[reclaimed_id], Instance::SPOT_RECLAIMED);
  std::printf("release vs reclaim: %s RELEASED_OUTSIDE (another tool's TerminateInstances), "
              "%s SPOT_RECLAIMED (cloud shutdown)\n",
              outside_id.c_str(), reclaimed_id.c_str());
}

}  // namespace
}  // namespace cvm::testing
