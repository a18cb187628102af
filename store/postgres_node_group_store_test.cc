// The node group conformance suite against a real PostgreSQL 15
// (store/postgres_test_server.h; one fresh database per store), plus what
// only PostgreSQL promises: two replicas' read-modify-writes of one group
// lose nothing, and a lost connection is UNAVAILABLE, then reconnected.
#include "store/postgres_node_group_store.h"

#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "store/node_group_store_conformance.h"
#include "store/pg_connection.h"
#include "store/postgres_order_store.h"
#include "store/postgres_test_server.h"

namespace cvm {
namespace {

using provisioning::v1::NodeGroup;

// A fresh database, migrated by the order store (its migration 4 makes the table).
std::string MigratedDatabase() {
  absl::StatusOr<std::string> db = PostgresTestServer::SharedDatabase();
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return "";
  auto migrated = PostgresOrderStore::Open(*db, RealClock::Get());
  EXPECT_TRUE(migrated.ok()) << migrated.status();
  return *db;
}

NodeGroup Group(const std::string& id) {
  NodeGroup group;
  group.set_group_id(id);
  group.set_target_size(2);
  return group;
}

NodeGroupStore::Mutation PlaceAnOrder() {
  return [](NodeGroup& g) {
    g.mutable_status()->set_orders_placed(g.status().orders_placed() + 1);
    return absl::OkStatus();
  };
}

INSTANTIATE_TEST_SUITE_P(Postgres, NodeGroupStoreConformance,
                         ::testing::Values([]() -> std::unique_ptr<NodeGroupStore> {
                           return std::make_unique<PostgresNodeGroupStore>(MigratedDatabase());
                         }));

TEST(PostgresNodeGroupStoreTest, TwoReplicasIncrementingOneGroupLoseNothing) {
  const std::string db = MigratedDatabase();
  // Two stores, two connections: two replicas.
  PostgresNodeGroupStore first(db), second(db);
  ASSERT_TRUE(first.Create(Group("web")).ok());
  constexpr int kEach = 50;
  NodeGroupStore* replicas[2] = {&first, &second};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (NodeGroupStore* replica : replicas) {
    threads.emplace_back([replica] {
      for (int i = 0; i < kEach; ++i) {
        auto placed = replica->Update("", "web", [](NodeGroup& g) {
          const int64_t seen = g.status().orders_placed();
          // Widens the gap between read and write, where an unlocked
          // read-modify-write would lose the other replica's increment.
          absl::SleepFor(absl::Milliseconds(1));
          g.mutable_status()->set_orders_placed(seen + 1);
          return absl::OkStatus();
        });
        ASSERT_TRUE(placed.ok()) << placed.status();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const absl::Duration took = absl::Now() - start;
  auto group = second.Get("", "web");
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->status().orders_placed(), 2 * kEach);
  EXPECT_EQ(group->revision(), 2 * kEach + 1);
  std::printf(
      "postgres: 2 replicas x %d increments of one group: %lld placed, revision %lld, "
      "%.0f ms\n",
      kEach, static_cast<long long>(group->status().orders_placed()),
      static_cast<long long>(group->revision()), absl::ToDoubleMilliseconds(took));
}

TEST(PostgresNodeGroupStoreTest, ALostConnectionIsUnavailableThenReconnects) {
  const std::string db = MigratedDatabase();
  PostgresNodeGroupStore store(db);
  ASSERT_TRUE(store.Create(Group("web")).ok());
  // Every other backend of this database is ended, as a failover would.
  auto terminate = [&db] {
    pg::Connection admin(db);
    ASSERT_TRUE(admin
                    .Exec("terminate",
                          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE datname = current_database() AND pid <> pg_backend_pid()")
                    .ok());
  };
  terminate();
  EXPECT_EQ(store.Get("", "web").status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(store.Get("", "web").ok());
  terminate();
  auto lost = store.Update("", "web", PlaceAnOrder());
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
  auto retried = store.Update("", "web", PlaceAnOrder());
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->revision(), 2);  // the lost update wrote nothing
  EXPECT_EQ(retried->status().orders_placed(), 1);
}

TEST(PostgresNodeGroupStoreTest, AnUnreachableServerIsUnavailableWithoutThePassword) {
  PostgresNodeGroupStore store("host=/nonexistent-dir port=5 user=u password=hunter2-secret");
  for (const absl::Status& status :
       {store.Get("", "web").status(), store.Create(Group("web")).status(),
        store.Update("", "web", PlaceAnOrder()).status(), store.List().status()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_EQ(status.message().find("hunter2"), std::string::npos) << status;
  }
}

}  // namespace
}  // namespace cvm
