// The node group API's logic: validation by field, tenants, resizing, and
// deleting named instances (with the reconciler driven by hand).
#include "service/node_group_manager.h"

#include <memory>

#include "common/clock.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/node_group_test_support.h"
#include "service/validation_test_support.h"
#include "service/workflow_test_support.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::v1::NodeGroup;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class NodeGroupManagerTest : public ::testing::Test {
 protected:
  static NodeGroup Valid(int target) { return NodeGroupWorld::Group("web", target); }

  void Settle() { ASSERT_TRUE(world_.Settle().ok()); }

  NodeGroupWorld world_{provisioning::fake::v1::FakeBackendConfig()};
  MemoryOrderStore& orders_ = world_.orders;
  MemoryNodeGroupStore& groups_ = world_.groups;
  NodeGroupManager* manager_ = world_.manager.get();
};

TEST_F(NodeGroupManagerTest, EveryBadFieldIsNamed) {
  NodeGroup bad = Valid(9);
  bad.set_group_id("Web_1");
  bad.mutable_spec()->set_zone("ap-shanghai-2");
  bad.set_min_size(-1);
  (*bad.mutable_labels())["team/a b"] = "x";
  EXPECT_THAT(
      BadFields(manager_->Create("", bad).status()),
      UnorderedElementsAre("node_group.group_id", "node_group.spec.zone", "node_group.min_size",
                           "node_group.target_size", "node_group.labels[team/a b]"));
  NodeGroup no_spec = Valid(1);
  no_spec.clear_spec();
  EXPECT_THAT(BadFields(manager_->Create("", no_spec).status()), ElementsAre("node_group.spec"));
}

TEST_F(NodeGroupManagerTest, TenantsSeeOnlyTheirGroupsAndSizesStayInRange) {
  ASSERT_TRUE(manager_->Create("team-a", Valid(1)).ok());
  EXPECT_EQ(manager_->Get("team-b", "web").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->List("team-b")->size(), 0u);
  ASSERT_TRUE(manager_->Create("team-b", Valid(1)).ok());  // its own id space
  provisioning::v1::UpdateNodeGroupRequest grow;
  grow.set_group_id("web");
  grow.set_target_delta(5);  // 6 > max 5
  EXPECT_THAT(BadFields(manager_->Update("team-a", grow).status()), ElementsAre("target_size"));
  grow.set_target_delta(2);
  auto grown = manager_->Update("team-a", grow);
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_EQ(grown->target_size(), 3);
  grow.set_revision(1);  // stale
  EXPECT_EQ(manager_->Update("team-a", grow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(NodeGroupManagerTest, DeletingNamedInstancesReleasesExactlyThem) {
  ASSERT_TRUE(manager_->Create("", Valid(3)).ok());
  Settle();
  NodeGroup group = *manager_->Get("", "web");
  ASSERT_EQ(group.status().running(), 3);
  const std::string a = group.status().instances(0).instance_id();
  const std::string b = group.status().instances(1).instance_id();
  const std::string kept = group.status().instances(2).instance_id();

  provisioning::v1::DeleteNodeGroupInstancesRequest request;
  request.set_group_id("web");
  request.add_instance_ids(a);
  request.add_instance_ids("ins-elsewhere");
  EXPECT_EQ(manager_->DeleteInstances("", request).status().code(), absl::StatusCode::kNotFound);
  request.set_instance_ids(1, b);
  auto shrunk = manager_->DeleteInstances("", request);
  ASSERT_TRUE(shrunk.ok()) << shrunk.status();
  EXPECT_EQ(shrunk->target_size(), 1);
  Settle();
  group = *manager_->Get("", "web");
  EXPECT_EQ(group.status().running(), 1);
  ASSERT_EQ(group.status().instances_size(), 1);
  EXPECT_EQ(group.status().instances(0).instance_id(), kept);

  // Below min_size: refused, nothing released.
  ASSERT_TRUE(groups_
                  .Update("", "web",
                          [](NodeGroup& g) {
                            g.set_min_size(1);
                            return absl::OkStatus();
                          })
                  .ok());
  provisioning::v1::DeleteNodeGroupInstancesRequest last;
  last.set_group_id("web");
  last.add_instance_ids(kept);
  EXPECT_EQ(manager_->DeleteInstances("", last).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Replacing it keeps the target: a new instance comes.
  last.set_keep_target(true);
  ASSERT_TRUE(manager_->DeleteInstances("", last).ok());
  Settle();
  group = *manager_->Get("", "web");
  EXPECT_EQ(group.status().running(), 1);
  EXPECT_NE(group.status().instances(0).instance_id(), kept);
}

TEST_F(NodeGroupManagerTest, DeletingAGroupReleasesItsInstances) {
  ASSERT_TRUE(manager_->Create("", Valid(2)).ok());
  Settle();
  provisioning::v1::DeleteNodeGroupRequest request;
  request.set_group_id("web");
  request.set_release_instances(true);
  ASSERT_TRUE(manager_->Delete("", request).ok());
  Settle();
  Settle();
  const NodeGroup group = *manager_->Get("", "web");
  EXPECT_EQ(group.state(), NodeGroup::DELETED);
  EXPECT_EQ(manager_->List("")->size(), 0u);
  for (const std::string& order_id : group.status().order_ids()) {
    EXPECT_EQ(orders_.GetOrder(order_id)->state(), Order::TERMINATED);
  }
}

TEST_F(NodeGroupManagerTest, GroupOfInstanceFindsTheLiveGroupOfItsOwnTenantOnly) {
  ASSERT_TRUE(manager_->Create("team-a", Valid(2)).ok());
  ASSERT_TRUE(manager_->Create("team-a", NodeGroupWorld::Group("db", 1)).ok());
  ASSERT_TRUE(manager_->Create("team-b", Valid(1)).ok());
  Settle();
  const NodeGroup db = *manager_->Get("team-a", "db");
  ASSERT_EQ(db.status().instances_size(), 1);
  const std::string id = db.status().instances(0).instance_id();
  auto found = manager_->GroupOfInstance("team-a", id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->group_id(), "db");
  EXPECT_EQ(found->tenant(), "team-a");
  EXPECT_EQ(manager_->GroupOfInstance("team-b", id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->GroupOfInstance("team-a", "ins-unknown").status().code(),
            absl::StatusCode::kNotFound);
  // An instance bought outside any group is in none.
  auto bought = PurchaseNow(*world_.workflow, TestPurchase("plain", 1));
  ASSERT_TRUE(bought.ok()) << bought.status();
  ASSERT_TRUE(world_.Settle().ok());
  auto plain = orders_.GetOrder(bought->order_id());
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->instances_size(), 1);
  EXPECT_EQ(manager_->GroupOfInstance("", plain->instances(0).instance_id()).status().code(),
            absl::StatusCode::kNotFound);
  // Kept by a DELETED group: its order holds it, no group does.
  provisioning::v1::DeleteNodeGroupRequest request;
  request.set_group_id("db");
  ASSERT_TRUE(manager_->Delete("team-a", request).ok());
  EXPECT_EQ(manager_->GroupOfInstance("team-a", id).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cvm
