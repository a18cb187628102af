// The per-instance operations (TerminateInstance, StopInstance,
// StartInstance) through their handlers, on the fake backend with the
// poller and the node group reconciler driven by hand.
#include "service/order_handlers.h"

#include <string>
#include <vector>

#include "backends/fake/fake_backend.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/node_group_test_support.h"
#include "service/validation_test_support.h"
#include "service/workflow_test_support.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroupEvent;
using ::testing::ElementsAre;

class InstanceOperationsTest : public ::testing::Test {
 protected:
  static NodeGroup Valid(int target) { return NodeGroupWorld::Group("web", target); }
  void Settle() { ASSERT_TRUE(world_.Settle().ok()); }

  NodeGroupWorld world_{provisioning::fake::v1::FakeBackendConfig()};
  FakeClock& clock_ = world_.clock;
  MemoryOrderStore& orders_ = world_.orders;
  std::unique_ptr<OrderWorkflow>& workflow_ = world_.workflow;
  std::unique_ptr<Poller>& poller_ = world_.poller;
  std::unique_ptr<NodeGroupManager>& manager_ = world_.manager;
  FakeBackend* fake_ = dynamic_cast<FakeBackend*>(*world_.backends->Get("fake"));

  // An order of `count` instances of `tenant`, bought and polled: ACTIVE.
  Order Buy(const std::string& request_id, int count, const std::string& tenant = "",
            const std::string& billing = "payg") {
    provisioning::v1::PurchaseRequest request = TestPurchase(request_id, count);
    if (billing == "spot") request.mutable_spec()->mutable_spot()->set_max_price_per_hour("1");
    if (billing == "prepaid") request.mutable_spec()->mutable_prepaid()->set_period_months(1);
    auto accepted = workflow_->Accept(request, tenant);
    EXPECT_TRUE(accepted.ok()) << accepted.status();
    EXPECT_TRUE(workflow_->Submit(accepted->order.order_id(), false).ok());
    clock_.Advance(absl::Seconds(2));
    EXPECT_TRUE(poller_->PollAll().ok());
    Order order = *orders_.GetOrder(accepted->order.order_id());
    EXPECT_EQ(order.state(), Order::ACTIVE) << order.DebugString();
    return order;
  }

  absl::StatusOr<Order> Stop(const std::string& id, bool stop_charging = false,
                             const std::string& tenant = "") {
    provisioning::v1::StopInstanceRequest request;
    request.set_instance_id(id);
    request.set_stop_charging(stop_charging);
    Order response;
    RETURN_IF_ERROR(HandleStopInstance(orders_, *workflow_, tenant, request, &response));
    return response;
  }
  absl::StatusOr<Order> Start(const std::string& id, const std::string& tenant = "") {
    provisioning::v1::StartInstanceRequest request;
    request.set_instance_id(id);
    Order response;
    RETURN_IF_ERROR(HandleStartInstance(orders_, *workflow_, tenant, request, &response));
    return response;
  }
  absl::StatusOr<Order> Terminate(const std::string& id, bool lower_group_target = false,
                                  bool release_prepaid = false, const std::string& tenant = "") {
    provisioning::v1::TerminateInstanceRequest request;
    request.set_instance_id(id);
    request.set_lower_group_target(lower_group_target);
    request.set_release_prepaid(release_prepaid);
    Order response;
    RETURN_IF_ERROR(
        HandleTerminateInstance(orders_, *workflow_, *manager_, tenant, request, &response));
    return response;
  }

  // The instance as the order stores it, and as the cloud says it is.
  Instance Stored(const std::string& id) {
    const Order order = *orders_.GetOrderByInstanceId(id);
    for (const Instance& instance : order.instances()) {
      if (instance.instance_id() == id) return instance;
    }
    return Instance();
  }
  Instance::State Cloud(const std::string& id) {
    return (*fake_->Describe("ap-guangzhou", {id}))[0].state;
  }
  void Poll() { ASSERT_TRUE(poller_->PollAll().ok()); }
};

TEST_F(InstanceOperationsTest, StopAndStartOneInstanceOfAnActiveOrder) {
  const Order order = Buy("a", 2);
  const std::string id = order.instances(0).instance_id();
  absl::StatusOr<Order> stopped = Stop(id, /*stop_charging=*/true);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->instances(0).state(), Instance::STOPPED);
  EXPECT_EQ(stopped->state(), Order::ACTIVE);
  EXPECT_EQ(Cloud(id), Instance::STOPPED);
  Poll();
  EXPECT_EQ(Stored(id).state(), Instance::STOPPED);
  EXPECT_EQ(orders_.GetOrder(order.order_id())->state(), Order::ACTIVE);
  EXPECT_TRUE(Stop(id).ok());  // already stopped: unchanged

  absl::StatusOr<Order> started = Start(id);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->instances(0).state(), Instance::PENDING);
  EXPECT_TRUE(Start(id).ok());  // starting: unchanged
  clock_.Advance(absl::Seconds(2));
  Poll();
  EXPECT_EQ(Stored(id).state(), Instance::RUNNING);
  EXPECT_EQ(Stored(order.instances(1).instance_id()).state(), Instance::RUNNING);
  EXPECT_EQ(orders_.GetOrder(order.order_id())->state(), Order::ACTIVE);
}

TEST_F(InstanceOperationsTest, BadIdsOtherTenantsAndWrongStatesAreRefusedByName) {
  EXPECT_THAT(BadFields(Stop("").status()), ElementsAre("instance_id"));
  EXPECT_THAT(BadFields(Start("not an id!").status()), ElementsAre("instance_id"));
  EXPECT_THAT(BadFields(Terminate("").status()), ElementsAre("instance_id"));

  const std::string theirs = Buy("b", 1, "team-a").instances(0).instance_id();
  EXPECT_EQ(Stop(theirs, false, "team-b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Terminate(theirs, false, false, "team-b").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Start("ins-nowhere").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Cloud(theirs), Instance::RUNNING);

  const std::string spot = Buy("c", 1, "", "spot").instances(0).instance_id();
  const absl::Status no_free_stop = Stop(spot, /*stop_charging=*/true).status();
  EXPECT_EQ(no_free_stop.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(no_free_stop), "STOP_CHARGING_UNSUPPORTED");
  EXPECT_EQ(GetDetail<google::rpc::PreconditionFailure>(no_free_stop)->violations(0).subject(),
            "stop_charging");
  EXPECT_EQ(Cloud(spot), Instance::RUNNING);
  EXPECT_TRUE(Start(spot).ok());  // running: nothing to do

  // Still launching: only a RUNNING instance stops.
  auto pending = PurchaseNow(*workflow_, TestPurchase("d", 1));
  ASSERT_TRUE(pending.ok()) << pending.status();
  const absl::Status launching = Stop(pending->instances(0).instance_id()).status();
  EXPECT_EQ(launching.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(launching), "INSTANCE_STATE");
}

TEST_F(InstanceOperationsTest, TerminatingOneInstanceLeavesTheOthersAndTheOrderActive) {
  const Order order = Buy("e", 3);
  const std::string gone = order.instances(1).instance_id();
  absl::StatusOr<Order> released = Terminate(gone);
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_TRUE(released->instances(1).release_requested());
  EXPECT_EQ(Cloud(gone), Instance::TERMINATED);
  Poll();
  EXPECT_EQ(Stored(gone).state(), Instance::TERMINATED);
  EXPECT_EQ(Stored(order.instances(0).instance_id()).state(), Instance::RUNNING);
  EXPECT_EQ(Stored(order.instances(2).instance_id()).state(), Instance::RUNNING);
  EXPECT_EQ(orders_.GetOrder(order.order_id())->state(), Order::ACTIVE);
  EXPECT_EQ(Terminate(gone)->state(), Order::ACTIVE);  // again: unchanged

  // The last live ones take the order with them.
  ASSERT_TRUE(Terminate(order.instances(0).instance_id()).ok());
  EXPECT_EQ(Terminate(order.instances(2).instance_id())->state(), Order::TERMINATING);
  Poll();
  EXPECT_EQ(orders_.GetOrder(order.order_id())->state(), Order::TERMINATED);
}

TEST_F(InstanceOperationsTest, APrepaidInstanceIsReleasedOnlyWithReleasePrepaid) {
  const std::string id = Buy("f", 2, "", "prepaid").instances(0).instance_id();
  const absl::Status refused = Terminate(id).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  auto failure = GetDetail<google::rpc::PreconditionFailure>(refused);
  ASSERT_TRUE(failure.has_value()) << refused;
  EXPECT_EQ(failure->violations(0).type(), "PREPAID_INSTANCE");
  EXPECT_EQ(failure->violations(0).subject(), "release_prepaid");
  EXPECT_EQ(Cloud(id), Instance::RUNNING);
  ASSERT_TRUE(Terminate(id, false, /*release_prepaid=*/true).ok());
  EXPECT_EQ(Cloud(id), Instance::TERMINATED);
}

TEST_F(InstanceOperationsTest, InAGroupStoppedIsHeldAndTerminatedIsReplacedOrShrinks) {
  NodeGroup spec = Valid(3);
  spec.set_min_size(1);
  ASSERT_TRUE(manager_->Create("", spec).ok());
  Settle();
  NodeGroup group = *manager_->Get("", "web");
  ASSERT_EQ(group.status().running(), 3);
  const std::string a = group.status().instances(0).instance_id();
  const std::string b = group.status().instances(1).instance_id();
  const std::string c = group.status().instances(2).instance_id();

  // Stopped: still one of the three, nothing bought.
  ASSERT_TRUE(Stop(c, /*stop_charging=*/true).ok());
  Settle();
  group = *manager_->Get("", "web");
  EXPECT_EQ(group.status().running(), 3);
  EXPECT_EQ(fake_->CreatedCount(), 3);

  // Terminated keeping the target: replaced, counted once.
  ASSERT_TRUE(Terminate(a).ok());
  EXPECT_EQ(manager_->Get("", "web")->target_size(), 3);
  Settle();
  group = *manager_->Get("", "web");
  EXPECT_EQ(group.status().running(), 3);
  EXPECT_EQ(fake_->CreatedCount(), 4);
  for (const auto& instance : group.status().instances()) EXPECT_NE(instance.instance_id(), a);
  EXPECT_EQ(group.status().events(group.status().events_size() - 1).kind(),
            NodeGroupEvent::AT_TARGET);

  // Terminated lowering the target: the group shrinks, nothing bought.
  ASSERT_TRUE(Terminate(b, /*lower_group_target=*/true).ok());
  Settle();
  group = *manager_->Get("", "web");
  EXPECT_EQ(group.target_size(), 2);
  EXPECT_EQ(group.status().running(), 2);
  EXPECT_EQ(fake_->CreatedCount(), 4);

  // Lowering below min_size (1) is refused and releases nothing.
  ASSERT_TRUE(Terminate(c, true).ok());  // stopped: released all the same
  Settle();
  group = *manager_->Get("", "web");
  ASSERT_EQ(group.status().running(), 1);
  const std::string last = group.status().instances(0).instance_id();
  const absl::Status below = Terminate(last, true).status();
  EXPECT_EQ(ErrorReason(below), "MIN_SIZE") << below;
  EXPECT_EQ(Cloud(last), Instance::RUNNING);
  EXPECT_EQ(Cloud(c), Instance::TERMINATED);
  EXPECT_TRUE(Terminate(a).ok());  // long gone: its order, unchanged
}

}  // namespace
}  // namespace cvm
