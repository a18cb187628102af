// Cluster Autoscaler's external gRPC provider contract through the real
// binary and the CVM emulator (its clock 20x fast), called in the order the
// autoscaler calls it: Refresh, NodeGroups, NodeGroupForNode, TargetSize,
// IncreaseSize, NodeGroupNodes until running, DeleteNodes,
// DecreaseTargetSize. The target is reached, every node runs under its
// provider ID, a delete releases exactly the named instances and nothing
// else; a group whose every candidate is sold out reports out-of-resources
// in NodeGroupNodes.
#include <cstdio>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clusterautoscaler/cloudprovider/v1/externalgrpc/externalgrpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "provisioning/v1/node_groups.grpc.pb.h"
#include "tests/emulator_fixture.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

namespace ca = clusterautoscaler::cloudprovider::v1::externalgrpc;
using tencentcloud::Json;

class ClusterAutoscalerE2eTest : public EmulatorE2eTest {
 protected:
  void SetUp() override {
    Start(tencentcloud::TestWorld(), {"--node_group_interval=200ms", "--node_group_backoff=1s"});
    if (HasFatalFailure()) return;
    auto channel = grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials());
    groups_ = provisioning::v1::NodeGroups::NewStub(channel);
    provider_ = ca::CloudProvider::NewStub(channel);
  }

  void CreateGroup(const std::string& id, const std::string& zone, int max) {
    provisioning::v1::CreateNodeGroupRequest request;
    auto* group = request.mutable_node_group();
    group->set_group_id(id);
    *group->mutable_spec() = PurchaseOf("unused", 1).spec();
    group->mutable_spec()->set_zone(zone);
    group->set_max_size(max);
    provisioning::v1::NodeGroup created;
    grpc::Status status = groups_->CreateNodeGroup(ContextWithDeadline(10).get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  ca::NodeGroupNodesResponse Nodes(const std::string& id) {
    ca::NodeGroupNodesRequest request;
    request.set_id(id);
    ca::NodeGroupNodesResponse nodes;
    grpc::Status status = provider_->NodeGroupNodes(ContextWithDeadline(5).get(), request, &nodes);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return nodes;
  }

  // NodeGroupNodes until `n` instances run (and none is in another state).
  ca::NodeGroupNodesResponse AwaitRunning(const std::string& id, int n) {
    ca::NodeGroupNodesResponse nodes;
    for (int i = 0; i < 600; ++i) {
      ca::RefreshResponse refreshed;  // the autoscaler refreshes before each look
      EXPECT_TRUE(provider_->Refresh(ContextWithDeadline(5).get(), {}, &refreshed).ok());
      nodes = Nodes(id);
      int running = 0;
      for (const ca::Instance& instance : nodes.instances()) {
        running += instance.status().instancestate() == ca::InstanceStatus::instanceRunning;
      }
      if (running == n && nodes.instances_size() == n) return nodes;
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << "not " << n << " running: " << nodes.DebugString();
    return nodes;
  }

  std::unique_ptr<provisioning::v1::NodeGroups::Stub> groups_;
  std::unique_ptr<ca::CloudProvider::Stub> provider_;
};

// The instance id at the end of a provider ID.
std::string InstanceOf(const std::string& provider_id) {
  return provider_id.substr(provider_id.rfind('/') + 1);
}

TEST_F(ClusterAutoscalerE2eTest, TheAutoscalersLoopReachesTheTargetAndDeletesExactlyTheNamedNode) {
  FastClock fast(emulator_.get());
  CreateGroup("workers", "ap-guangzhou-3", 5);
  ca::RefreshResponse refreshed;
  ASSERT_TRUE(provider_->Refresh(ContextWithDeadline(5).get(), {}, &refreshed).ok());

  ca::NodeGroupsResponse listed;
  ASSERT_TRUE(provider_->NodeGroups(ContextWithDeadline(5).get(), {}, &listed).ok());
  ASSERT_EQ(listed.nodegroups_size(), 1);
  EXPECT_EQ(listed.nodegroups(0).id(), "workers");
  EXPECT_EQ(listed.nodegroups(0).maxsize(), 5);

  ca::NodeGroupIncreaseSizeRequest increase;
  increase.set_id("workers");
  increase.set_delta(3);
  ca::NodeGroupIncreaseSizeResponse increased;
  grpc::Status status = provider_->NodeGroupIncreaseSize(ContextWithDeadline(5).get(), increase,
                                                         &increased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ca::NodeGroupTargetSizeRequest target_request;
  target_request.set_id("workers");
  ca::NodeGroupTargetSizeResponse target;
  ASSERT_TRUE(
      provider_->NodeGroupTargetSize(ContextWithDeadline(5).get(), target_request, &target).ok());
  EXPECT_EQ(target.targetsize(), 3);

  const ca::NodeGroupNodesResponse running = AwaitRunning("workers", 3);
  ASSERT_EQ(running.instances_size(), 3);
  std::set<std::string> ids;
  for (const ca::Instance& instance : running.instances()) {
    EXPECT_TRUE(absl::StartsWith(instance.id(), "qcloud:///ap-guangzhou-3/ins-")) << instance.id();
    ids.insert(InstanceOf(instance.id()));
  }
  // Every node maps back to its group; a node of no group to "".
  ca::NodeGroupForNodeRequest for_node;
  for_node.mutable_node()->set_providerid(running.instances(0).id());
  ca::NodeGroupForNodeResponse owner;
  ASSERT_TRUE(provider_->NodeGroupForNode(ContextWithDeadline(5).get(), for_node, &owner).ok());
  EXPECT_EQ(owner.nodegroup().id(), "workers");
  for_node.mutable_node()->set_providerid("qcloud:///ap-guangzhou-3/ins-notours");
  ASSERT_TRUE(provider_->NodeGroupForNode(ContextWithDeadline(5).get(), for_node, &owner).ok());
  EXPECT_EQ(owner.nodegroup().id(), "");

  // Delete exactly one named node: the cloud releases it and nothing else.
  const std::string victim = running.instances(1).id();
  ca::NodeGroupDeleteNodesRequest remove;
  remove.set_id("workers");
  remove.add_nodes()->set_providerid(victim);
  ca::NodeGroupDeleteNodesResponse removed;
  status = provider_->NodeGroupDeleteNodes(ContextWithDeadline(5).get(), remove, &removed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const ca::NodeGroupNodesResponse after = AwaitRunning("workers", 2);
  std::set<std::string> left;
  for (const ca::Instance& instance : after.instances()) left.insert(InstanceOf(instance.id()));
  std::set<std::string> expected = ids;
  expected.erase(InstanceOf(victim));
  EXPECT_EQ(left, expected);
  std::set<std::string> live;
  for (int i = 0; i < 100; ++i) {
    live.clear();
    for (const Json& instance : emulator_->emulator().LiveInstances(tencentcloud::kTestSecretId)) {
      live.insert(instance["InstanceId"].get<std::string>());
    }
    if (live == expected) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(live, expected) << "the cloud holds exactly the two left";

  // A node outside the group is refused, and nothing is released.
  remove.mutable_nodes(0)->set_providerid("qcloud:///ap-guangzhou-3/ins-notours");
  status = provider_->NodeGroupDeleteNodes(ContextWithDeadline(5).get(), remove, &removed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  // DecreaseTargetSize drops only requests not yet fulfilled: not below 2.
  ca::NodeGroupDecreaseTargetSizeRequest decrease;
  decrease.set_id("workers");
  decrease.set_delta(-1);
  ca::NodeGroupDecreaseTargetSizeResponse decreased;
  status = provider_->NodeGroupDecreaseTargetSize(ContextWithDeadline(5).get(), decrease,
                                                  &decreased);
  EXPECT_FALSE(status.ok());
  ASSERT_TRUE(
      provider_->NodeGroupTargetSize(ContextWithDeadline(5).get(), target_request, &target).ok());
  EXPECT_EQ(target.targetsize(), 2);
  const int created = emulator_->Books()[tencentcloud::kTestSecretId]["Created"].get<int>();
  EXPECT_EQ(created, 3);
  std::printf(
      "cluster autoscaler loop on the emulator: IncreaseSize(3) -> 3 running (%s ...), "
      "DeleteNodes(%s) -> 2 running, cloud holds %zu (exactly the two left), foreign node "
      "refused, DecreaseTargetSize below the nodes refused; created %d\n",
      running.instances(0).id().c_str(), victim.c_str(), live.size(), created);
}

TEST_F(ClusterAutoscalerE2eTest, ASoldOutGroupReportsOutOfResources) {
  FastClock fast(emulator_.get());
  CreateGroup("sold-out", "ap-guangzhou-1", 3);  // no S5.MEDIUM2 left there
  ca::NodeGroupIncreaseSizeRequest increase;
  increase.set_id("sold-out");
  increase.set_delta(2);
  ca::NodeGroupIncreaseSizeResponse increased;
  ASSERT_TRUE(
      provider_->NodeGroupIncreaseSize(ContextWithDeadline(5).get(), increase, &increased).ok());
  ca::NodeGroupNodesResponse nodes;
  bool reported = false;
  for (int i = 0; i < 200 && !reported; ++i) {
    nodes = Nodes("sold-out");
    for (const ca::Instance& instance : nodes.instances()) {
      const auto& error = instance.status().errorinfo();
      reported |= instance.status().instancestate() == ca::InstanceStatus::instanceCreating &&
                  error.instanceerrorclass() == 1 && error.errorcode() == "ZONE_SOLD_OUT";
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(reported) << nodes.DebugString();
  std::printf("sold-out group in NodeGroupNodes: %s\n", nodes.ShortDebugString().c_str());
}

}  // namespace
}  // namespace cvm::testing
