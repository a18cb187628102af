// A node group scaled up to 20 on 3 replicas of the real binary on one
// PostgreSQL: the replica reconciling it is SIGKILLed mid scale-up, another
// takes the group over, and exactly 20 instances are bought, none orphaned.
//
// The group is created while only replica 0 runs, so it is the one holding
// the group's claim when the other two start and the scale-up begins.
#include <signal.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "provisioning/v1/node_groups.grpc.pb.h"
#include "tests/replica_cluster.h"

namespace cvm::testing {
namespace {

using provisioning::v1::NodeGroup;
using tencentcloud::Json;

std::unique_ptr<provisioning::v1::NodeGroups::Stub> GroupsStub(const std::string& target) {
  return provisioning::v1::NodeGroups::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

class ReplicasNodeGroupsTest : public ReplicaCluster {};

TEST_F(ReplicasNodeGroupsTest, TheReconcilerKilledMidScaleUpBuysExactlyTwentyNoOrphans) {
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  const std::vector<std::string> flags = {"--node_group_interval=200ms"};
  auto first = StartReplica(flags);
  ASSERT_TRUE(first.ok()) << first.status();
  replicas.push_back(*std::move(first));

  provisioning::v1::CreateNodeGroupRequest create;
  NodeGroup* group = create.mutable_node_group();
  group->set_group_id("pool");
  *group->mutable_spec() = PurchaseOf("unused", 1).spec();
  group->set_max_size(30);
  group->set_target_size(0);
  NodeGroup stored;
  ASSERT_TRUE(GroupsStub(replicas[0]->target())
                  ->CreateNodeGroup(ContextWithDeadline(10).get(), create, &stored)
                  .ok());
  absl::SleepFor(absl::Milliseconds(600));  // replica 0 claims the group
  for (int i = 0; i < 2; ++i) {
    auto replica = StartReplica(flags);
    ASSERT_TRUE(replica.ok()) << replica.status();
    replicas.push_back(*std::move(replica));
  }

  // Scale up to 20 in steps of 5 (as an autoscaler would), killing replica
  // 0 once it has ordered some.
  FastClock fast(emulator_.get());
  auto stub = GroupsStub(replicas[1]->target());
  int64_t ordered_before_kill = 0;
  for (int step = 0; step < 4; ++step) {
    provisioning::v1::UpdateNodeGroupRequest grow;
    grow.set_group_id("pool");
    grow.set_target_delta(5);
    NodeGroup grown;
    grpc::Status status = stub->UpdateNodeGroup(ContextWithDeadline(10).get(), grow, &grown);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (step == 1) {
      absl::SleepFor(absl::Milliseconds(300));
      provisioning::v1::GetNodeGroupRequest get;
      get.set_group_id("pool");
      NodeGroup now;
      ASSERT_TRUE(stub->GetNodeGroup(ContextWithDeadline(10).get(), get, &now).ok());
      ordered_before_kill = now.status().orders_placed();
      replicas[0]->Signal(SIGKILL);
      ASSERT_EQ(replicas[0]->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);
    }
  }

  // The survivors finish: 20 running.
  NodeGroup done;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (absl::Now() < deadline) {
    provisioning::v1::GetNodeGroupRequest get;
    get.set_group_id("pool");
    ASSERT_TRUE(stub->GetNodeGroup(ContextWithDeadline(10).get(), get, &done).ok());
    if (done.status().running() == 20 && done.status().creating() == 0) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(done.status().running(), 20) << done.DebugString();

  // The cloud holds exactly the group's 20, each under an order of the group.
  const Json live = emulator_->emulator().LiveInstances(tencentcloud::kTestSecretId);
  std::set<std::string> held;
  for (const auto& instance : done.status().instances()) held.insert(instance.instance_id());
  int orphans = 0;
  for (const Json& instance : live) {
    if (held.count(instance["InstanceId"].get<std::string>()) == 0) ++orphans;
  }
  const int created = emulator_->Books()[tencentcloud::kTestSecretId]["Created"].get<int>();
  std::printf(
      "node group on 3 replicas: scale-up to 20 in steps of 5, reconciling replica SIGKILLed "
      "after %lld orders; %d running, emulator created %d, live %zu, orphans %d, orders %lld\n",
      static_cast<long long>(ordered_before_kill), done.status().running(), created, live.size(),
      orphans, static_cast<long long>(done.status().orders_placed()));
  EXPECT_GE(ordered_before_kill, 1);
  EXPECT_EQ(created, 20);
  EXPECT_EQ(live.size(), 20u);
  EXPECT_EQ(orphans, 0);
  for (size_t r = 1; r < replicas.size(); ++r) {
    EXPECT_EQ(replicas[r]->Stop(absl::Seconds(30)).value_or(-1), 0);
  }
}

}  // namespace
}  // namespace cvm::testing
