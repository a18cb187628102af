// Per-instance operations through the real binary and the CVM emulator:
// StopInstance with stop_charging stops the emulator's bill and StartInstance
// runs the instance (and the bill) again; TerminateInstance releases one
// instance of three while the order stays ACTIVE; in a node group it is
// replaced, or the group shrinks with lower_group_target, and a stopped
// instance stays one of the group's.
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/node_groups_fixture.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;
using tencentcloud::Json;

// S5.MEDIUM2 pay-as-you-go in the test world: 0.16 an hour.
constexpr int64_t kCentsPerHour = 16;

class InstanceOperationsE2eTest : public NodeGroupsE2eTest {
 protected:
  // Buys `count` instances and brings them up (the emulator's clock moved
  // past the launch and the IP delay): the order, ACTIVE.
  Order BuyActive(const std::string& request_id, int count) {
    Order order;
    grpc::Status status =
        stub_->Purchase(ContextWithDeadline(10).get(), PurchaseOf(request_id, count), &order);
    EXPECT_TRUE(status.ok()) << status.error_message();
    auto bought = AwaitOrder(
        *stub_, order.order_id(), [count](const Order& o) { return o.instances_size() == count; },
        absl::Seconds(30));
    EXPECT_TRUE(bought.ok()) << bought.status();
    emulator_->clock().Advance(absl::Seconds(11));
    auto active = AwaitOrder(
        *stub_, order.order_id(), [](const Order& o) { return o.state() == Order::ACTIVE; },
        absl::Seconds(30));
    EXPECT_TRUE(active.ok()) << active.status();
    return active.value_or(order);
  }

  // The state of `id` as Describe reports it once `done` holds for it.
  absl::StatusOr<Order> AwaitInstance(const std::string& order_id, const std::string& id,
                                      Instance::State state) {
    return AwaitOrder(
        *stub_, order_id,
        [&](const Order& o) {
          for (const Instance& instance : o.instances()) {
            if (instance.instance_id() == id) return instance.state() == state;
          }
          return false;
        },
        absl::Seconds(30));
  }

  grpc::Status Call(const std::string& rpc, const std::string& id, bool flag, Order* response,
                    bool release_prepaid = false) {
    auto context = ContextWithDeadline(10);
    if (rpc == "Stop") {
      provisioning::v1::StopInstanceRequest request;
      request.set_instance_id(id);
      request.set_stop_charging(flag);
      return stub_->StopInstance(context.get(), request, response);
    }
    if (rpc == "Start") {
      provisioning::v1::StartInstanceRequest request;
      request.set_instance_id(id);
      return stub_->StartInstance(context.get(), request, response);
    }
    provisioning::v1::TerminateInstanceRequest request;
    request.set_instance_id(id);
    request.set_lower_group_target(flag);
    request.set_release_prepaid(release_prepaid);
    return stub_->TerminateInstance(context.get(), request, response);
  }

  int64_t ChargedCents() {
    return emulator_->Books()[tencentcloud::kTestSecretId]["ChargedCents"].get<int64_t>();
  }
  int Created() { return emulator_->Books()[tencentcloud::kTestSecretId]["Created"].get<int>(); }

  // Moves the emulator's clock 2 s past its next whole hour (a settlement)
  // and returns what the account has been charged by then.
  int64_t ChargedAtNextSettlement() {
    const int64_t now = absl::ToUnixSeconds(emulator_->clock().Now());
    emulator_->clock().Advance(absl::Seconds((now / 3600 + 1) * 3600 + 2 - now));
    return ChargedCents();
  }
  // What `hours` more hours of the emulator's clock are charged.
  int64_t ChargedOver(int hours) {
    const int64_t before = ChargedCents();
    emulator_->clock().Advance(absl::Hours(hours));
    return ChargedCents() - before;
  }
};

TEST_F(InstanceOperationsE2eTest, StopWithoutChargingStopsTheBillAndStartRunsItAgain) {
  Start(tencentcloud::TestWorld());
  const Order order = BuyActive("stop-1", 1);
  const std::string id = order.instances(0).instance_id();
  ChargedAtNextSettlement();
  const int64_t running = ChargedOver(2);

  Order stopped;
  grpc::Status status = Call("Stop", id, /*stop_charging=*/true, &stopped);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stopped.instances(0).state(), Instance::STOPPED);
  EXPECT_EQ(stopped.state(), Order::ACTIVE);
  emulator_->clock().Advance(absl::Seconds(6));  // STOPPING -> STOPPED
  absl::SleepFor(absl::Seconds(1));              // a few polls
  auto polled = AwaitInstance(order.order_id(), id, Instance::STOPPED);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(polled->state(), Order::ACTIVE);
  const Json cloud = emulator_->emulator().Handle(tencentcloud::kTestSecretId, "cvm",
                                                  "DescribeInstances", "ap-guangzhou",
                                                  {{"InstanceIds", {id}}})["InstanceSet"][0];
  EXPECT_EQ(cloud["InstanceState"], "STOPPED");
  EXPECT_EQ(cloud["StopChargingMode"], "STOP_CHARGING");
  ChargedAtNextSettlement();  // the part of an hour before the stop
  const int64_t while_stopped = ChargedOver(5);

  Order started;
  status = Call("Start", id, false, &started);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(started.instances(0).state(), Instance::PENDING);
  emulator_->clock().Advance(absl::Seconds(11));  // STARTING -> RUNNING, public IP
  auto restarted = AwaitInstance(order.order_id(), id, Instance::RUNNING);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_EQ(restarted->state(), Order::ACTIVE);
  EXPECT_EQ(restarted->instances(0).public_ips_size(), 1);
  ChargedAtNextSettlement();
  const int64_t after_start = ChargedOver(3);

  EXPECT_EQ(running, 2 * kCentsPerHour);
  EXPECT_EQ(while_stopped, 0);
  EXPECT_EQ(after_start, 3 * kCentsPerHour);
  std::printf(
      "stop without charging: charged %lld cents over 2 h running, %lld over 5 h stopped "
      "(STOP_CHARGING), %lld over 3 h after the start (0.16/h)\n",
      static_cast<long long>(running), static_cast<long long>(while_stopped),
      static_cast<long long>(after_start));
}

TEST_F(InstanceOperationsE2eTest, TerminatingOneInstanceOfThreeLeavesTheOrderActive) {
  Start(tencentcloud::TestWorld());
  const Order order = BuyActive("three-1", 3);
  const std::string gone = order.instances(1).instance_id();
  Order answer;
  grpc::Status status = Call("Terminate", gone, false, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(answer.instances(1).release_requested());
  const absl::Time asked = absl::Now();
  auto released = AwaitInstance(order.order_id(), gone, Instance::TERMINATED);
  ASSERT_TRUE(released.ok()) << released.status();
  const absl::Duration took = absl::Now() - asked;
  absl::SleepFor(kPollInterval * 2);  // it stays so
  auto after = AwaitFinal(*stub_, order.order_id(), absl::Seconds(10));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->state(), Order::ACTIVE);
  int running = 0;
  for (const Instance& instance : after->instances()) {
    running += instance.state() == Instance::RUNNING ? 1 : 0;
  }
  EXPECT_EQ(running, 2);
  std::set<std::string> live;
  for (const Json& instance : emulator_->emulator().LiveInstances(tencentcloud::kTestSecretId)) {
    live.insert(instance["InstanceId"].get<std::string>());
  }
  EXPECT_EQ(live, (std::set<std::string>{order.instances(0).instance_id(),
                                         order.instances(2).instance_id()}));
  status = Call("Terminate", gone, false, &answer);  // again: the order, unchanged
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answer.state(), Order::ACTIVE);
  std::printf(
      "terminate one of 3: TERMINATED in the order after %.2f s, order %s with %d running, "
      "cloud holds %zu\n",
      absl::ToDoubleSeconds(took), Order::State_Name(after->state()).c_str(), running,
      live.size());
}

TEST_F(InstanceOperationsE2eTest, InAGroupTerminatedIsReplacedOrShrinksAndStoppedIsHeld) {
  StartGroups(tencentcloud::TestWorld());
  FastClock fast(emulator_.get());
  Create("ap-guangzhou-3", 3, 5, /*spot=*/false);
  ASSERT_GE(AwaitGroup(AtTarget, 5, absl::Seconds(60)), absl::ZeroDuration()) << Get().DebugString();
  const NodeGroup full = Get();
  const std::string replaced = full.status().instances(0).instance_id();
  const std::string dropped = full.status().instances(1).instance_id();
  const std::string stopped = full.status().instances(2).instance_id();

  // Replaced: the target stays 3, one more instance is bought.
  Order answer;
  grpc::Status status = Call("Terminate", replaced, /*lower_group_target=*/false, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto without = [](const std::string& id) {
    return [id](const NodeGroup& group) {
      if (!AtTarget(group)) return false;
      for (const auto& instance : group.status().instances()) {
        if (instance.instance_id() == id) return false;
      }
      return true;
    };
  };
  const absl::Duration replacement = AwaitGroup(without(replaced), 5, absl::Seconds(60));
  ASSERT_GE(replacement, absl::ZeroDuration()) << Get().DebugString();
  EXPECT_EQ(Get().target_size(), 3);
  EXPECT_EQ(Created(), 4);

  // Lowering the target: the group shrinks to 2, nothing bought.
  status = Call("Terminate", dropped, /*lower_group_target=*/true, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const absl::Duration shrink = AwaitGroup(without(dropped), 5, absl::Seconds(60));
  ASSERT_GE(shrink, absl::ZeroDuration()) << Get().DebugString();
  EXPECT_EQ(Get().target_size(), 2);

  // Stopped: still one of the 2, neither lost nor replaced.
  status = Call("Stop", stopped, /*stop_charging=*/false, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  absl::SleepFor(kPollInterval * 5);  // polls and reconciler passes
  const NodeGroup after = Get();
  EXPECT_TRUE(AtTarget(after)) << after.DebugString();
  std::set<std::string> members;
  for (const auto& instance : after.status().instances()) members.insert(instance.instance_id());
  EXPECT_EQ(members.count(stopped), 1u);
  auto stored = AwaitInstance(answer.order_id(), stopped, Instance::STOPPED);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(Created(), 4);
  std::printf(
      "node group of 3: one terminated keeping the target replaced in %.2f s (target %d); one "
      "terminated lowering it, %d running after %.2f s; a stopped one still held (%d running, "
      "emulator created %d in all)\n",
      absl::ToDoubleSeconds(replacement), 3, Get().status().running(),
      absl::ToDoubleSeconds(shrink), after.status().running(), Created());
}

}  // namespace
}  // namespace cvm::testing
