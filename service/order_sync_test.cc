#include "service/order_sync.h"

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;
using ::testing::ElementsAre;

Order Parse(const std::string& text) {
  Order order;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &order)) << text;
  return order;
}

InstanceStatus Status(const std::string& id, Instance::State state,
                      std::vector<std::string> public_ips = {}) {
  InstanceStatus status;
  status.instance_id = id;
  status.state = state;
  status.public_ips = std::move(public_ips);
  return status;
}

std::map<std::string, InstanceStatus> Seen(std::vector<InstanceStatus> statuses) {
  std::map<std::string, InstanceStatus> seen;
  for (InstanceStatus& s : statuses) seen[s.instance_id] = std::move(s);
  return seen;
}

TEST(OrderSyncTest, LiveInstanceIdsSkipReleasedAndFailed) {
  Order order = Parse(
      "instances { instance_id: 'a' state: RUNNING } instances { instance_id: 'b' "
      "state: TERMINATED } instances { instance_id: 'c' state: LAUNCH_FAILED } "
      "instances { instance_id: 'd' state: PENDING }");
  EXPECT_THAT(LiveInstanceIds(order), ElementsAre("a", "d"));
}

TEST(OrderSyncTest, ApplyObservedCopiesWhatTheCloudSaid) {
  Order order = Parse(
      "state: PROVISIONING instances { instance_id: 'a' state: PENDING zone: 'z1' } "
      "instances { instance_id: 'b' state: PENDING }");
  InstanceStatus a = Status("a", Instance::RUNNING, {"1.2.3.4"});
  a.private_ips = {"10.0.0.1"};
  a.restriction = Instance::ISOLATED_ARREARS;
  a.isolated_source = Instance::ISOLATED_BY_ARREARS;
  a.create_time = absl::FromUnixSeconds(1700000000);
  ApplyObserved(Seen({a}), order);
  const Instance& got = order.instances(0);
  EXPECT_EQ(got.state(), Instance::RUNNING);
  EXPECT_THAT(got.public_ips(), ElementsAre("1.2.3.4"));
  EXPECT_THAT(got.private_ips(), ElementsAre("10.0.0.1"));
  EXPECT_EQ(got.restriction(), Instance::ISOLATED_ARREARS);
  EXPECT_EQ(got.isolated_source(), Instance::ISOLATED_BY_ARREARS);
  EXPECT_EQ(got.zone(), "z1");  // an empty zone keeps the known one
  EXPECT_EQ(got.create_time().seconds(), 1700000000);
  EXPECT_EQ(order.instances(1).state(), Instance::PENDING);  // not described: untouched
}

TEST(OrderSyncTest, ASpotInstanceTakenDownIsReclaimedAndStaysSo) {
  Order order = Parse(
      "state: ACTIVE spec { spot { max_price_per_hour: '0.1' } } "
      "instances { instance_id: 'a' state: RUNNING restriction: NORMAL }");
  ApplyObserved(Seen({Status("a", Instance::SHUTDOWN)}), order);
  EXPECT_EQ(order.instances(0).restriction(), Instance::SPOT_RECLAIMED);
  ApplyObserved(Seen({Status("a", Instance::TERMINATED)}), order);  // cloud: NORMAL
  EXPECT_EQ(order.instances(0).restriction(), Instance::SPOT_RECLAIMED);
}

// Someone else's TerminateInstances (the console, another tool) is not a
// reclaim, for spot and pay-as-you-go alike; a spot instance that vanished
// between two polls without evidence is neither.
TEST(OrderSyncTest, AReleaseFromOutsideIsToldApartFromAReclaim) {
  for (const char* billing : {"spot { max_price_per_hour: '0.1' }", "pay_as_you_go {}"}) {
    Order order = Parse(std::string("state: ACTIVE spec { ") + billing +
                        " } instances { instance_id: 'a' state: RUNNING restriction: NORMAL }");
    InstanceStatus released = Status("a", Instance::TERMINATED);
    released.release_requested = true;
    ApplyObserved(Seen({released}), order);
    EXPECT_EQ(order.instances(0).restriction(), Instance::RELEASED_OUTSIDE) << billing;
    ApplyObserved(Seen({Status("a", Instance::TERMINATED)}), order);  // gone: stays marked
    EXPECT_EQ(order.instances(0).restriction(), Instance::RELEASED_OUTSIDE) << billing;
  }
  Order vanished = Parse(
      "state: ACTIVE spec { spot { max_price_per_hour: '0.1' } } "
      "instances { instance_id: 'a' state: RUNNING restriction: NORMAL }");
  ApplyObserved(Seen({Status("a", Instance::TERMINATED)}), vanished);
  EXPECT_EQ(vanished.instances(0).state(), Instance::TERMINATED);
  EXPECT_EQ(vanished.instances(0).restriction(), Instance::NORMAL);  // no evidence either way
  // Our own release (the order is TERMINATING) is neither.
  Order ours = Parse(
      "state: TERMINATING spec { pay_as_you_go {} } instances { instance_id: 'a' state: RUNNING }");
  InstanceStatus asked = Status("a", Instance::TERMINATED);
  asked.release_requested = true;
  ApplyObserved(Seen({asked}), ours);
  EXPECT_EQ(ours.instances(0).restriction(), Instance::NORMAL);
}

TEST(OrderSyncTest, OnlySpotInstancesNotBeingTerminatedAreReclaimed) {
  Order pay_as_you_go = Parse(
      "state: ACTIVE spec { pay_as_you_go {} } instances { instance_id: 'a' state: RUNNING }");
  ApplyObserved(Seen({Status("a", Instance::SHUTDOWN)}), pay_as_you_go);
  EXPECT_EQ(pay_as_you_go.instances(0).restriction(), Instance::NORMAL);
  Order released = Parse(
      "state: TERMINATING spec { spot { max_price_per_hour: '0.1' } } "
      "instances { instance_id: 'a' state: RUNNING }");
  ApplyObserved(Seen({Status("a", Instance::TERMINATED)}), released);
  EXPECT_EQ(released.instances(0).restriction(), Instance::NORMAL);
}

TEST(OrderSyncTest, AnIsolatedInstanceReleasedByTheCloudKeepsWhyItWasIsolated) {
  Order order = Parse(
      "state: ACTIVE spec { spot { max_price_per_hour: '0.1' } } "
      "instances { instance_id: 'a' state: RUNNING restriction: NORMAL }");
  InstanceStatus isolated = Status("a", Instance::SHUTDOWN);
  isolated.restriction = Instance::ISOLATED_ARREARS;
  isolated.isolated_source = Instance::ISOLATED_BY_ARREARS;
  ApplyObserved(Seen({isolated}), order);
  EXPECT_EQ(order.instances(0).restriction(), Instance::ISOLATED_ARREARS);  // not reclaimed
  ApplyObserved(Seen({Status("a", Instance::TERMINATED)}), order);  // gone: NORMAL, unspecified
  EXPECT_EQ(order.instances(0).state(), Instance::TERMINATED);
  EXPECT_EQ(order.instances(0).restriction(), Instance::ISOLATED_ARREARS);
  EXPECT_EQ(order.instances(0).isolated_source(), Instance::ISOLATED_BY_ARREARS);

  Order restored = Parse(
      "state: ACTIVE instances { instance_id: 'a' state: SHUTDOWN restriction: ISOLATED_ARREARS "
      "isolated_source: ISOLATED_BY_ARREARS }");
  InstanceStatus running = Status("a", Instance::RUNNING);
  running.isolated_source = Instance::NOT_ISOLATED;
  ApplyObserved(Seen({running}), restored);  // a top-up brought it back
  EXPECT_EQ(restored.instances(0).restriction(), Instance::NORMAL);
  EXPECT_EQ(restored.instances(0).isolated_source(), Instance::NOT_ISOLATED);
}

TEST(OrderSyncTest, SettleActivatesOnlyWithThePublicIpsAskedFor) {
  Order order = Parse(
      "state: PROVISIONING spec { internet { public_ip: true } } "
      "instances { instance_id: 'a' state: RUNNING } "
      "instances { instance_id: 'b' state: RUNNING public_ips: '1.1.1.1' }");
  Settle(order);
  EXPECT_EQ(order.state(), Order::PROVISIONING);
  order.mutable_instances(0)->add_public_ips("2.2.2.2");
  Settle(order);
  EXPECT_EQ(order.state(), Order::ACTIVE);
}

TEST(OrderSyncTest, SettleFailsAnOrderOnceNothingIsPendingAndSomethingFailed) {
  Order order = Parse(
      "state: PROVISIONING instances { instance_id: 'a' state: LAUNCH_FAILED } "
      "instances { instance_id: 'b' state: PENDING }");
  Settle(order);
  EXPECT_EQ(order.state(), Order::PROVISIONING);
  order.mutable_instances(1)->set_state(Instance::RUNNING);
  Settle(order);
  EXPECT_EQ(order.state(), Order::FAILED);
  EXPECT_EQ(order.failure().reason(), "LAUNCH_FAILED");
  EXPECT_EQ(order.failure().message(), "1 of 2 instances failed to launch");
}

TEST(OrderSyncTest, TerminationOfAPartlyLaunchedOrderEndsOnceTheRestIsGone) {
  Order order = Parse(
      "state: TERMINATING instances { instance_id: 'a' state: LAUNCH_FAILED } "
      "instances { instance_id: 'b' state: RUNNING }");
  Settle(order);
  EXPECT_EQ(order.state(), Order::TERMINATING);
  order.mutable_instances(1)->set_state(Instance::TERMINATED);
  Settle(order);
  EXPECT_EQ(order.state(), Order::TERMINATED);  // a never ran: nothing to release
}

TEST(OrderSyncTest, SettleFinishesTerminationOnceEveryInstanceIsGone) {
  Order order = Parse(
      "state: TERMINATING instances { instance_id: 'a' state: TERMINATED } "
      "instances { instance_id: 'b' state: RUNNING }");
  Settle(order);
  EXPECT_EQ(order.state(), Order::TERMINATING);
  order.mutable_instances(1)->set_state(Instance::TERMINATED);
  Settle(order);
  EXPECT_EQ(order.state(), Order::TERMINATED);
}

TEST(OrderSyncTest, FastWhilePendingWaitingForAnIpOrTerminating) {
  const std::string ip = "spec { internet { public_ip: true } } ";
  EXPECT_TRUE(NeedsFastPolling(Parse("state: PROVISIONING")));
  EXPECT_TRUE(
      NeedsFastPolling(Parse("state: PROVISIONING instances { instance_id: 'a' state: PENDING }")));
  EXPECT_TRUE(NeedsFastPolling(
      Parse("state: PROVISIONING " + ip + "instances { instance_id: 'a' state: RUNNING }")));
  EXPECT_TRUE(
      NeedsFastPolling(Parse("state: TERMINATING instances { instance_id: 'a' state: RUNNING }")));
  EXPECT_FALSE(NeedsFastPolling(Parse(
      "state: ACTIVE " + ip + "instances { instance_id: 'a' state: RUNNING public_ips: 'x' }")));
  EXPECT_FALSE(
      NeedsFastPolling(Parse("state: ACTIVE instances { instance_id: 'a' state: RUNNING }")));
  EXPECT_FALSE(
      NeedsFastPolling(Parse("state: ACTIVE instances { instance_id: 'a' state: SHUTDOWN }")));
  EXPECT_FALSE(NeedsFastPolling(Parse("state: FAILED")));
  // One instance released alone: fast until it is gone (or returned).
  EXPECT_TRUE(NeedsFastPolling(Parse(
      "state: ACTIVE instances { instance_id: 'a' state: RUNNING release_requested: true }")));
  EXPECT_FALSE(NeedsFastPolling(Parse(
      "state: ACTIVE instances { instance_id: 'a' state: TERMINATED release_requested: true }")));
  EXPECT_FALSE(NeedsFastPolling(Parse("state: ACTIVE instances { instance_id: 'a' state: SHUTDOWN "
                                      "isolated_source: ISOLATED_MANUALLY release_requested: "
                                      "true }")));
}

// Prepaid instances returned to the cloud's recycle bin (backend.h rule 8).
const char kReturned[] =
    "instances { instance_id: 'a' state: SHUTDOWN isolated_source: ISOLATED_MANUALLY } ";

TEST(OrderSyncTest, ReturnedInstancesAreNotReleasedAgainNorPolledOften) {
  Order order = Parse(std::string("state: TERMINATING ") + kReturned +
                      "instances { instance_id: 'b' state: RUNNING } "
                      "instances { instance_id: 'c' state: SHUTDOWN isolated_source: "
                      "ISOLATED_BY_ARREARS }");
  EXPECT_THAT(LiveInstanceIds(order), ElementsAre("a", "b", "c"));
  EXPECT_THAT(IdsToRelease(order), ElementsAre("b", "c"));
  EXPECT_TRUE(NeedsFastPolling(order));
  Order all_returned = Parse(std::string("state: TERMINATING ") + kReturned);
  EXPECT_THAT(IdsToRelease(all_returned), ElementsAre());
  EXPECT_FALSE(NeedsFastPolling(all_returned));
  Settle(all_returned);
  EXPECT_EQ(all_returned.state(), Order::TERMINATING);  // until the cloud releases it
}

TEST(OrderSyncTest, AReturnedInstanceReleasedKeepsWhyAndItsExpireTime) {
  Order order = Parse("state: TERMINATING instances { instance_id: 'a' state: RUNNING }");
  InstanceStatus returned = Status("a", Instance::SHUTDOWN);
  returned.isolated_source = Instance::ISOLATED_MANUALLY;
  returned.expire_time = absl::FromUnixSeconds(1705270400);
  ApplyObserved(Seen({returned}), order);
  EXPECT_EQ(order.instances(0).expire_time().seconds(), 1705270400);
  ApplyObserved(Seen({Status("a", Instance::TERMINATED)}), order);  // gone
  EXPECT_EQ(order.instances(0).isolated_source(), Instance::ISOLATED_MANUALLY);
  EXPECT_EQ(order.instances(0).expire_time().seconds(), 1705270400);
  Settle(order);
  EXPECT_EQ(order.state(), Order::TERMINATED);
}

TEST(OrderSyncTest, InstancesTakenAwayOrReleasedOneByOneAreNoLaunchFailure) {
  // Reclaimed, released outside, down after it ran, released on request:
  // the order is ACTIVE once the one left runs.
  Order order = Parse(
      "state: PROVISIONING "
      "instances { instance_id: 'a' state: SHUTDOWN restriction: SPOT_RECLAIMED } "
      "instances { instance_id: 'b' state: TERMINATED restriction: RELEASED_OUTSIDE } "
      "instances { instance_id: 'c' state: TERMINATED ran: true } "
      "instances { instance_id: 'd' state: TERMINATED release_requested: true } "
      "instances { instance_id: 'e' state: RUNNING }");
  Settle(order);
  EXPECT_EQ(order.state(), Order::ACTIVE);

  // A TERMINATED instance that never ran is a launch failure.
  Order failed = Parse(
      "state: PROVISIONING instances { instance_id: 'a' state: TERMINATED } "
      "instances { instance_id: 'b' state: RUNNING }");
  Settle(failed);
  EXPECT_EQ(failed.state(), Order::FAILED);
  EXPECT_EQ(failed.failure().reason(), "LAUNCH_FAILED");

  // All taken away before the order was ACTIVE.
  Order gone = Parse(
      "state: PROVISIONING instances { instance_id: 'a' state: SHUTDOWN restriction: "
      "SPOT_RECLAIMED }");
  Settle(gone);
  EXPECT_EQ(gone.state(), Order::FAILED);
  EXPECT_EQ(gone.failure().reason(), "INSTANCES_TAKEN_AWAY");

  // Seen RUNNING once: marked.
  Order seen = Parse("state: PROVISIONING instances { instance_id: 'a' state: PENDING }");
  ApplyObserved(Seen({Status("a", Instance::RUNNING)}), seen);
  EXPECT_TRUE(seen.instances(0).ran());
}

TEST(OrderSyncTest, AStoppedOrRestartingInstanceIsHeldNotTakenAway) {
  // Stopped, then starting again (PENDING after it ran): the order waits for
  // it rather than failing it as taken away.
  Order order = Parse(
      "state: PROVISIONING spec { internet { public_ip: true } } "
      "instances { instance_id: 'a' state: PENDING ran: true }");
  Settle(order);
  EXPECT_EQ(order.state(), Order::PROVISIONING);
  ApplyObserved(Seen({Status("a", Instance::STOPPED)}), order);
  Settle(order);
  EXPECT_EQ(order.state(), Order::PROVISIONING);
  ApplyObserved(Seen({Status("a", Instance::RUNNING, {"1.2.3.4"})}), order);
  Settle(order);
  EXPECT_EQ(order.state(), Order::ACTIVE);

  // Released by someone else while stopped: told apart as from RUNNING.
  Order stopped = Parse(
      "state: ACTIVE spec { pay_as_you_go {} } "
      "instances { instance_id: 'a' state: STOPPED ran: true }");
  InstanceStatus released = Status("a", Instance::TERMINATED);
  released.release_requested = true;
  ApplyObserved(Seen({released}), stopped);
  EXPECT_EQ(stopped.instances(0).restriction(), Instance::RELEASED_OUTSIDE);
}

}  // namespace
}  // namespace cvm
