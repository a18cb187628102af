// The node group reconciler on the fake backend and a fake clock: reaching
// the target, scaling in by preference, replacing a lost instance, backing
// off (doubling the wait) when nothing can be bought, and placing a recorded order exactly once
// after a crash.
#include "service/node_group_reconciler.h"

#include <memory>
#include <string>

#include "backends/fake/fake_backend.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"
#include "service/poller.h"
#include "service/workflow_test_support.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::Instance;
using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroupEvent;
using provisioning::v1::NodeGroupInstance;
using provisioning::v1::PurchaseRequest;

class NodeGroupReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(FakeBackendConfig()); }

  void Build(FakeBackendConfig fake) {
    fake.mutable_pending_duration()->set_seconds(2);
    fake.mutable_public_ip_delay()->set_seconds(0);
    auto backends = FakeBackendSet(fake, &clock_);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = *std::move(backends);
    fake_ = dynamic_cast<FakeBackend*>(*backends_->Get("fake"));
    workflow_ = std::make_unique<OrderWorkflow>(&orders_, backends_.get());
    poller_ = std::make_unique<Poller>(&orders_, backends_.get(), &clock_, Poller::Options());
    NodeGroupReconciler::Options options;
    options.clock = &clock_;
    options.first_backoff = absl::Seconds(10);
    reconciler_ = std::make_unique<NodeGroupReconciler>(
        &groups_, &orders_, workflow_.get(),
        [this](const std::string& order_id) {
          ++submitted_;
          // A failure is recorded on the order, where the reconciler reads it.
          absl::StatusOr<Order> submitted = workflow_->Submit(order_id, /*recovering=*/false);
          (void)submitted;
        },
        options);
  }

  NodeGroup Create(int target, int max = 10) {
    NodeGroup group;
    group.set_group_id("web");
    *group.mutable_spec() = TestPurchase("unused", 1).spec();
    group.set_min_size(0);
    group.set_max_size(max);
    group.set_target_size(target);
    group.set_state(NodeGroup::ACTIVE);
    auto created = groups_.Create(group);
    EXPECT_TRUE(created.ok()) << created.status();
    return *created;
  }

  // Reconcile, let the instances come up, reconcile again: `rounds` times.
  NodeGroup Settle(int rounds = 3) {
    for (int i = 0; i < rounds; ++i) {
      EXPECT_TRUE(reconciler_->ReconcileAll().ok());
      clock_.Advance(absl::Seconds(3));
      EXPECT_TRUE(poller_->PollAll().ok());
    }
    EXPECT_TRUE(reconciler_->ReconcileAll().ok());
    return *groups_.Get("", "web");
  }

  NodeGroup Resize(int target) {
    return *groups_.Update("", "web", [target](NodeGroup& g) {
      g.set_target_size(target);
      return absl::OkStatus();
    });
  }

  bool HasEvent(const NodeGroup& group, NodeGroupEvent::Kind kind) {
    for (const NodeGroupEvent& event : group.status().events()) {
      if (event.kind() == kind) return true;
    }
    return false;
  }

  FakeClock clock_;
  MemoryOrderStore orders_{&clock_};
  MemoryNodeGroupStore groups_{&clock_};
  std::unique_ptr<BackendSet> backends_;
  FakeBackend* fake_ = nullptr;
  std::unique_ptr<OrderWorkflow> workflow_;
  std::unique_ptr<Poller> poller_;
  std::unique_ptr<NodeGroupReconciler> reconciler_;
  int submitted_ = 0;
};

TEST_F(NodeGroupReconcilerTest, AGroupReachesItsTargetWithOneOrder) {
  Create(3);
  const NodeGroup group = Settle();
  EXPECT_EQ(group.status().running(), 3);
  EXPECT_EQ(group.status().creating(), 0);
  EXPECT_EQ(group.status().instances_size(), 3);
  EXPECT_EQ(group.status().orders_placed(), 1);
  EXPECT_EQ(submitted_, 1);
  EXPECT_EQ(fake_->CreatedCount(), 3);
  EXPECT_TRUE(HasEvent(group, NodeGroupEvent::AT_TARGET));
  EXPECT_TRUE(HasEvent(group, NodeGroupEvent::SCALING_UP));
}

TEST_F(NodeGroupReconcilerTest, AStoppedInstanceStillCountsAndIsNeitherLostNorReplaced) {
  Create(3);
  const NodeGroup full = Settle();
  ASSERT_EQ(full.status().running(), 3);
  const std::string stopped = full.status().instances(0).instance_id();
  ASSERT_TRUE(fake_->Stop("ap-guangzhou", {stopped}, /*stop_charging=*/true,
                          absl::InfiniteFuture())
                  .ok());
  const NodeGroup group = Settle(5);
  const Order order = *orders_.GetOrderByInstanceId(stopped);
  for (const Instance& instance : order.instances()) {
    EXPECT_EQ(instance.state(), instance.instance_id() == stopped ? Instance::STOPPED
                                                                  : Instance::RUNNING);
  }
  EXPECT_EQ(order.state(), Order::ACTIVE);
  EXPECT_EQ(group.status().running(), 3);  // the stopped one included
  EXPECT_EQ(group.status().instances_size(), 3);
  EXPECT_EQ(group.status().orders_placed(), 1);
  EXPECT_EQ(fake_->CreatedCount(), 3);
  EXPECT_FALSE(HasEvent(group, NodeGroupEvent::INSTANCES_LOST));
  // Started again it is held throughout (CREATING while it starts).
  ASSERT_TRUE(fake_->Start("ap-guangzhou", {stopped}, absl::InfiniteFuture()).ok());
  ASSERT_TRUE(poller_->PollAll().ok());
  ASSERT_TRUE(reconciler_->ReconcileAll().ok());
  const NodeGroup starting = *groups_.Get("", "web");
  EXPECT_EQ(starting.status().running() + starting.status().creating(), 3);
  EXPECT_EQ(Settle().status().running(), 3);
  EXPECT_EQ(fake_->CreatedCount(), 3);
}

TEST_F(NodeGroupReconcilerTest, ScaleInReleasesTheNewestAndTheOrderStaysActive) {
  Create(2);
  Settle();
  Resize(3);
  NodeGroup grown = Settle();
  ASSERT_EQ(grown.status().running(), 3);
  std::string newest_order = grown.status().order_ids(grown.status().order_ids_size() - 1);
  Resize(1);
  const NodeGroup shrunk = Settle();
  EXPECT_EQ(shrunk.status().running(), 1);
  EXPECT_EQ(shrunk.status().deleting(), 0);
  EXPECT_TRUE(HasEvent(shrunk, NodeGroupEvent::SCALING_DOWN));
  EXPECT_EQ(fake_->CreatedCount(), 3);  // nothing bought to shrink
  // NEWEST_FIRST: the second order's instance went first, then one of the
  // first order's; the first order is ACTIVE with one instance released.
  auto first = orders_.GetOrder(shrunk.status().order_ids(0));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->state(), Order::ACTIVE);
  int released = 0;
  for (const auto& instance : first->instances()) {
    released += instance.release_requested() ? 1 : 0;
    EXPECT_EQ(instance.restriction(), provisioning::v1::Instance::NORMAL);
  }
  EXPECT_EQ(released, 1);
  auto second = orders_.GetOrder(newest_order);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->state(), Order::TERMINATED);  // its only instance: a Terminate
}

TEST_F(NodeGroupReconcilerTest, ALostInstanceIsReplaced) {
  Create(3);
  NodeGroup group = Settle();
  ASSERT_EQ(group.status().running(), 3);
  const std::string victim = group.status().instances(0).instance_id();
  ASSERT_TRUE(fake_->Terminate("ap-guangzhou", {victim}, absl::InfiniteFuture()).ok());
  group = Settle();
  EXPECT_EQ(group.status().running(), 3);
  EXPECT_TRUE(HasEvent(group, NodeGroupEvent::INSTANCES_LOST));
  EXPECT_EQ(fake_->CreatedCount(), 4);
  for (const NodeGroupInstance& instance : group.status().instances()) {
    EXPECT_NE(instance.instance_id(), victim);
  }
}

TEST_F(NodeGroupReconcilerTest, NothingToBuyBacksOffDoublingTheWait) {
  FakeBackendConfig fake;
  fake.add_sold_out_zones("ap-guangzhou-3");
  Build(fake);
  Create(2);
  NodeGroup group = Settle(1);
  ASSERT_TRUE(group.status().has_unsatisfiable());
  EXPECT_TRUE(group.status().unsatisfiable().out_of_resources());
  EXPECT_EQ(group.status().unsatisfiable().reason(), "ZONE_SOLD_OUT");
  EXPECT_TRUE(HasEvent(group, NodeGroupEvent::UNSATISFIABLE));
  const int64_t placed = group.status().orders_placed();
  // Within the back-off: no new order, however often it runs.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(reconciler_->ReconcileAll().ok());
  EXPECT_EQ(groups_.Get("", "web")->status().orders_placed(), placed);
  // Past it: one more try (still sold out), and the wait doubles.
  clock_.Advance(absl::Seconds(11));
  ASSERT_TRUE(reconciler_->ReconcileAll().ok());
  ASSERT_TRUE(reconciler_->ReconcileAll().ok());
  group = *groups_.Get("", "web");
  EXPECT_EQ(group.status().orders_placed(), placed + 1);
  EXPECT_EQ(group.status().unsatisfiable().failures(), 2);
  EXPECT_EQ(TimeOf(group.status().unsatisfiable().retry_time()),
            clock_.Now() + absl::Seconds(20));
}

TEST_F(NodeGroupReconcilerTest, ARecordedOrderIsPlacedOnceAfterACrash) {
  Create(2);
  // A reconciler died after recording the order, before the purchase.
  ASSERT_TRUE(groups_.Update("", "web", [](NodeGroup& g) {
    g.mutable_status()->set_orders_placed(1);
    g.mutable_status()->set_pending_request_id("ng-web-1");
    g.mutable_status()->set_pending_count(2);
    return absl::OkStatus();
  }).ok());
  // ... and another time after the purchase, before recording its id.
  PurchaseRequest request = TestPurchase("ng-web-1", 2);
  *request.mutable_spec() = groups_.Get("", "web")->spec();
  ASSERT_TRUE(workflow_->Accept(request).ok());
  const NodeGroup group = Settle();
  EXPECT_EQ(group.status().running(), 2);
  EXPECT_EQ(group.status().orders_placed(), 1);
  EXPECT_EQ(fake_->CreatedCount(), 2);
  EXPECT_TRUE(group.status().pending_request_id().empty());
}

TEST(GroupOrderRequestIdTest, NamesTheGroupAndOnlyAGroupsOrder) {
  EXPECT_EQ(GroupOrderRequestId("web", 3), "ng-web-3");
  EXPECT_EQ(GroupIdOfRequestId(GroupOrderRequestId("web", 3)), "web");
  EXPECT_EQ(GroupIdOfRequestId(GroupOrderRequestId("a-b", 12)), "a-b");
  for (const char* other : {"ng--1", "ng-web-x", "ng-web-0", "web-1", "ng-web", "", "req-ng-web-1"}) {
    EXPECT_EQ(GroupIdOfRequestId(other), std::nullopt) << other;
  }
}

}  // namespace
}  // namespace cvm
