// The store conformance suites against SQLite (OrderStoreConformanceTest, and
// DurableOrderStoreTest: a reopen, group commit), plus SQLite's own: a batch
// with a failing mutation, migrating a version-one file, the events' tenants
// filled in by migration 4, an unwritable path.
#include "store/sqlite_order_store.h"

#include <sqlite3.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/order_store_conformance.h"

namespace cvm {
namespace {

std::string FreshPath() {
  static std::atomic<int> counter{0};
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/orders-", counter.fetch_add(1), ".db");
}

Order Draft(const std::string& request_id) {
  Order order;
  order.set_request_id(request_id);
  order.set_state(Order::ACCEPTED);
  return order;
}

std::unique_ptr<OrderStore> MakeSqlite(Clock* clock, size_t max_events) {
  auto store = SqliteOrderStore::Open(FreshPath(), clock, max_events);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::unique_ptr<OrderStore>(std::move(*store)) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, OrderStoreConformanceTest,
                         ::testing::Values(StoreFactory{"Sqlite", MakeSqlite}),
                         [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Sqlite, DurableOrderStoreTest,
    ::testing::Values(DurableStoreFactory{
        "Sqlite", FreshPath,
        [](const std::string& path, Clock* clock) -> absl::StatusOr<std::unique_ptr<OrderStore>> {
          auto store = SqliteOrderStore::Open(path, clock);
          if (!store.ok()) return store.status();
          return std::unique_ptr<OrderStore>(*std::move(store));
        },
        [](OrderStore& store) { return static_cast<SqliteOrderStore&>(store).commits(); }}),
    [](const auto& info) { return info.param.name; });

TEST(SqliteOrderStoreTest, AMutationErrorInABatchLeavesTheOthersWritten) {
  FakeClock clock;
  auto store = SqliteOrderStore::Open(FreshPath(), &clock);
  ASSERT_TRUE(store.ok()) << store.status();
  Order draft;
  draft.set_request_id("keep");
  draft.set_state(Order::ACCEPTED);
  const std::string id = (*store)->CreateOrder(draft)->order.order_id();
  auto refused = (*store)->UpdateOrder(id, [](Order&) {
    return absl::FailedPreconditionError("no");
  });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*store)->UpdateOrder("ord-missing", [](Order&) { return absl::OkStatus(); })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ((*store)->GetOrder(id)->revision(), 1);
}

TEST(SqliteOrderStoreTest, AVersionOneDatabaseIsMigratedKeepingItsOrders) {
  FakeClock clock;
  const std::string path = FreshPath();
  {
    // The schema and one order as the first release wrote them.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    Order order;
    order.set_order_id("ord-old");
    order.set_request_id("old-request");
    order.set_state(Order::ACTIVE);
    const std::string sql = absl::StrCat(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);"
        "INSERT INTO schema_migrations VALUES (1, 'then');"
        "CREATE TABLE orders (order_id TEXT PRIMARY KEY, request_id TEXT NOT NULL UNIQUE,"
        "  state INTEGER NOT NULL, region TEXT NOT NULL, body BLOB NOT NULL);"
        "CREATE INDEX orders_by_state ON orders(state);"
        "CREATE TABLE instances (instance_id TEXT PRIMARY KEY, order_id TEXT NOT NULL);"
        "CREATE TABLE events (revision INTEGER PRIMARY KEY, order_id TEXT NOT NULL,"
        "  previous_state INTEGER NOT NULL, body BLOB NOT NULL);"
        "INSERT INTO orders VALUES ('ord-old', 'old-request', ", Order::ACTIVE,
        ", 'ap-guangzhou', X'", absl::BytesToHexString(order.SerializeAsString()), "');");
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = SqliteOrderStore::Open(path, &clock);
  ASSERT_TRUE(store.ok()) << store.status();
  auto found = (*store)->FindByRequestId("", "old-request");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->order_id(), "ord-old");
  EXPECT_EQ((*store)->ListOrders(ListQuery())->orders.size(), 1u);
  Order other = Draft("old-request");
  other.set_tenant("team-b");  // the same request id, another tenant: a new order
  EXPECT_TRUE((*store)->CreateOrder(other)->created);
}

TEST(SqliteOrderStoreTest, MigrationFourGivesTheLoggedEventsTheirTenants) {
  FakeClock clock;
  const std::string path = FreshPath();
  {
    auto store = SqliteOrderStore::Open(path, &clock);
    ASSERT_TRUE(store.ok()) << store.status();
    CreateOrdersOfTwoTenants(**store);
  }
  {
    // Back to schema version 3: events without their tenant.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP INDEX events_by_tenant; ALTER TABLE events DROP COLUMN tenant;"
                           "DELETE FROM schema_migrations WHERE version = 4;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = SqliteOrderStore::Open(path, &clock);
  ASSERT_TRUE(store.ok()) << store.status();
  ExpectTheEventsOfTwoTenants(**store);
}

TEST(SqliteOrderStoreTest, UnwritablePathIsUnavailable) {
  FakeClock clock;
  auto store = SqliteOrderStore::Open("/nonexistent-dir/orders.db", &clock);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cvm
