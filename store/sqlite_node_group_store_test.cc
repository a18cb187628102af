// The node group conformance suite against SQLite, plus SQLite's own: groups
// survive closing and reopening the file, the order store and the group store
// write the one file at once without failing on each other, and a file the
// order store never migrated is refused.
#include "store/sqlite_node_group_store.h"

#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "store/node_group_store_conformance.h"
#include "store/sqlite_order_store.h"

namespace cvm {
namespace {

using provisioning::v1::NodeGroup;

std::string FreshPath() {
  static std::atomic<int> counter{0};
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/groups-", counter.fetch_add(1), ".db");
}

// The order store (whose migrations make the table) and the group store on `path`.
struct OpenedFile {
  std::unique_ptr<SqliteOrderStore> orders;
  std::unique_ptr<SqliteNodeGroupStore> groups;
};

OpenedFile OpenFile(const std::string& path, Clock* clock) {
  OpenedFile file;
  auto orders = SqliteOrderStore::Open(path, clock);
  EXPECT_TRUE(orders.ok()) << orders.status();
  if (!orders.ok()) return file;
  file.orders = *std::move(orders);
  auto groups = SqliteNodeGroupStore::Open(path, clock, {});
  EXPECT_TRUE(groups.ok()) << groups.status();
  if (groups.ok()) file.groups = *std::move(groups);
  return file;
}

NodeGroup Group(const std::string& id) {
  NodeGroup group;
  group.set_group_id(id);
  group.set_target_size(2);
  return group;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, NodeGroupStoreConformance,
                         ::testing::Values([]() -> std::unique_ptr<NodeGroupStore> {
                           return OpenFile(FreshPath(), RealClock::Get()).groups;
                         }));

TEST(SqliteNodeGroupStoreTest, AGroupSurvivesReopeningWithItsRevision) {
  FakeClock clock;
  const std::string path = FreshPath();
  {
    OpenedFile file = OpenFile(path, &clock);
    ASSERT_NE(file.groups, nullptr);
    ASSERT_TRUE(file.groups->Create(Group("web")).ok());
    auto resized = file.groups->Update("", "web", [](NodeGroup& g) {
      g.set_target_size(7);
      return absl::OkStatus();
    });
    ASSERT_TRUE(resized.ok()) << resized.status();
    ASSERT_EQ(resized->revision(), 2);
  }
  OpenedFile file = OpenFile(path, &clock);
  ASSERT_NE(file.groups, nullptr);
  auto reopened = file.groups->Get("", "web");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(reopened->revision(), 2);
  EXPECT_EQ(reopened->target_size(), 7);
  EXPECT_EQ(file.groups->Create(Group("web")).status().code(), absl::StatusCode::kAlreadyExists);
  auto next = file.groups->Update("", "web", [](NodeGroup& g) {
    g.set_target_size(8);
    return absl::OkStatus();
  });
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->revision(), 3);
}

TEST(SqliteNodeGroupStoreTest, OrdersAndGroupsWriteTheFileAtOnceWithoutFailing) {
  OpenedFile file = OpenFile(FreshPath(), RealClock::Get());
  ASSERT_NE(file.groups, nullptr);
  ASSERT_TRUE(file.groups->Create(Group("web")).ok());
  constexpr int kWrites = 100;
  std::atomic<int> failed{0};
  const absl::Time start = absl::Now();
  std::thread orders([&] {
    for (int i = 0; i < kWrites; ++i) {
      Order order;
      order.set_request_id(absl::StrCat("r", i));
      order.set_state(Order::ACCEPTED);
      auto created = file.orders->CreateOrder(order);
      if (!created.ok()) {
        ++failed;
        ADD_FAILURE() << created.status();
      }
    }
  });
  std::thread groups([&] {
    for (int i = 0; i < kWrites; ++i) {
      auto placed = file.groups->Update("", "web", [](NodeGroup& g) {
        g.mutable_status()->set_orders_placed(g.status().orders_placed() + 1);
        return absl::OkStatus();
      });
      if (!placed.ok()) {
        ++failed;
        ADD_FAILURE() << placed.status();
      }
    }
  });
  orders.join();
  groups.join();
  EXPECT_EQ(failed.load(), 0);
  auto group = file.groups->Get("", "web");
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->status().orders_placed(), kWrites);
  EXPECT_EQ(group->revision(), kWrites + 1);
  ListQuery all;
  all.page_size = 1000;
  EXPECT_EQ(file.orders->ListOrders(all)->orders.size(), static_cast<size_t>(kWrites));
  std::printf("sqlite: %d order creates and %d group updates on one file at once in %.0f ms\n",
              kWrites, kWrites, absl::ToDoubleMilliseconds(absl::Now() - start));
}

TEST(SqliteNodeGroupStoreTest, AnUpdateWaitsForAnotherConnectionsWriteLock) {
  const std::string path = FreshPath();
  OpenedFile file = OpenFile(path, RealClock::Get());
  ASSERT_NE(file.groups, nullptr);
  ASSERT_TRUE(file.groups->Create(Group("web")).ok());
  // Another connection (as the order store's during a commit) holds the lock.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  absl::StatusOr<NodeGroup> updated;
  std::thread writer([&] {
    updated = file.groups->Update("", "web", [](NodeGroup& g) {
      g.set_target_size(3);
      return absl::OkStatus();
    });
  });
  // Real time: the lock is SQLite's, held across connections.
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  writer.join();
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->revision(), 2);
}

TEST(SqliteNodeGroupStoreTest, AFileTheOrderStoreNeverMigratedIsRefused) {
  const std::string path = FreshPath();
  EXPECT_EQ(SqliteNodeGroupStore::Open(path, RealClock::Get(), {}).status().code(),
            absl::StatusCode::kUnavailable);  // no file: not created here
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE other (x INTEGER)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto refused = SqliteNodeGroupStore::Open(path, RealClock::Get(), {});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_NE(refused.status().message().find("node_groups"), std::string::npos);
}

}  // namespace
}  // namespace cvm
