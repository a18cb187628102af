// Tests every NodeGroupStore must pass (memory, SQLite, PostgreSQL): a
// typed-test-like fixture; instantiate with a factory of fresh stores.
#ifndef CVM_PROVISIONER_STORE_NODE_GROUP_STORE_CONFORMANCE_H_
#define CVM_PROVISIONER_STORE_NODE_GROUP_STORE_CONFORMANCE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "store/node_group_store.h"

namespace cvm {

using NodeGroupStoreFactory = std::function<std::unique_ptr<NodeGroupStore>()>;

class NodeGroupStoreConformance : public ::testing::TestWithParam<NodeGroupStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam()(); }

  static provisioning::v1::NodeGroup Group(const std::string& tenant, const std::string& id) {
    provisioning::v1::NodeGroup group;
    group.set_tenant(tenant);
    group.set_group_id(id);
    group.mutable_spec()->set_region("ap-guangzhou");
    group.set_max_size(10);
    group.set_target_size(2);
    group.set_state(provisioning::v1::NodeGroup::ACTIVE);
    return group;
  }

  std::unique_ptr<NodeGroupStore> store_;
};

TEST_P(NodeGroupStoreConformance, CreateGetListAndIdsPerTenant) {
  auto created = store_->Create(Group("a", "web"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->revision(), 1);
  EXPECT_GT(created->create_time().seconds(), 0);
  EXPECT_EQ(store_->Create(Group("a", "web")).status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(store_->Create(Group("b", "web")).ok());  // another tenant's id space
  auto got = store_->Get("a", "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->target_size(), 2);
  EXPECT_EQ(store_->Get("a", "db").status().code(), absl::StatusCode::kNotFound);
  auto all = store_->List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].tenant(), "a");
  EXPECT_EQ((*all)[1].tenant(), "b");
}

TEST_P(NodeGroupStoreConformance, ListOfTenantReadsOnlyThatTenantsGroupsByGroupId) {
  for (const auto& [tenant, id] : std::vector<std::pair<std::string, std::string>>{
           {"a", "web"}, {"ab", "api"}, {"a", "api"}, {"", "web"}, {"b", "db"}}) {
    ASSERT_TRUE(store_->Create(Group(tenant, id)).ok()) << tenant << "/" << id;
  }
  auto mine = store_->ListOfTenant("a");
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].group_id(), "api");
  EXPECT_EQ((*mine)[1].group_id(), "web");
  for (const auto& group : *mine) EXPECT_EQ(group.tenant(), "a");
  auto unnamed = store_->ListOfTenant("");
  ASSERT_TRUE(unnamed.ok());
  ASSERT_EQ(unnamed->size(), 1u);
  EXPECT_EQ((*unnamed)[0].tenant(), "");
  auto nobody = store_->ListOfTenant("zz");
  ASSERT_TRUE(nobody.ok());
  EXPECT_TRUE(nobody->empty());
}

TEST_P(NodeGroupStoreConformance, UpdatesBumpTheRevisionOnlyWhenSomethingChanged) {
  ASSERT_TRUE(store_->Create(Group("", "web")).ok());
  auto resized = store_->Update("", "web", [](provisioning::v1::NodeGroup& g) {
    g.set_target_size(5);
    g.set_group_id("renamed");  // identity is the store's
    return absl::OkStatus();
  });
  ASSERT_TRUE(resized.ok()) << resized.status();
  EXPECT_EQ(resized->revision(), 2);
  EXPECT_EQ(resized->group_id(), "web");
  auto same = store_->Update("", "web", [](provisioning::v1::NodeGroup& g) {
    g.set_target_size(5);
    return absl::OkStatus();
  });
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->revision(), 2);
  auto refused = store_->Update("", "web", [](provisioning::v1::NodeGroup& g) {
    g.set_target_size(9);
    return absl::FailedPreconditionError("no");
  });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Get("", "web")->target_size(), 5);
  EXPECT_EQ(store_->Update("", "db", [](auto&) { return absl::OkStatus(); }).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(NodeGroupStoreConformance, ConcurrentReadModifyWritesNeverLoseAnUpdate) {
  ASSERT_TRUE(store_->Create(Group("", "web")).ok());
  std::vector<std::thread> writers;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto s = store_->Update("", "web", [](provisioning::v1::NodeGroup& g) {
          g.mutable_status()->set_orders_placed(g.status().orders_placed() + 1);
          return absl::OkStatus();
        });
        if (!s.ok()) ++failed;
      }
    });
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(failed.load(), 0);
  auto group = store_->Get("", "web");
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->status().orders_placed(), 100);
  EXPECT_EQ(group->revision(), 101);
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_NODE_GROUP_STORE_CONFORMANCE_H_
