// The store conformance suite against SQLite, plus what only a durable store
// can promise: orders, request ids and revisions survive a reopen.
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

TEST(SqliteOrderStoreTest, OrdersRequestIdsAndRevisionsSurviveAReopen) {
  FakeClock clock;
  const std::string path = FreshPath();
  std::string order_id;
  {
    auto store = SqliteOrderStore::Open(path, &clock);
    ASSERT_TRUE(store.ok()) << store.status();
    Order draft;
    draft.set_request_id("durable");
    draft.set_state(Order::ACCEPTED);
    auto created = (*store)->CreateOrder(draft);
    ASSERT_TRUE(created.ok());
    order_id = created->order.order_id();
    ASSERT_TRUE((*store)
                    ->UpdateOrder(order_id,
                                  [](Order& o) {
                                    o.set_state(Order::PROVISIONING);
                                    o.add_instances()->set_instance_id("ins-1");
                                    return absl::OkStatus();
                                  })
                    .ok());
  }
  auto reopened = SqliteOrderStore::Open(path, &clock);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto order = (*reopened)->GetOrder(order_id);
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->state(), Order::PROVISIONING);
  EXPECT_EQ((*reopened)->GetOrderByInstanceId("ins-1")->order_id(), order_id);
  Order again;
  again.set_request_id("durable");
  auto retried = (*reopened)->CreateOrder(again);
  ASSERT_TRUE(retried.ok());
  EXPECT_FALSE(retried->created);
  EXPECT_EQ(retried->order.order_id(), order_id);
  auto events = (*reopened)->EventsAfter(0, "");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].revision, 2);
  // Revisions continue after the reopen.
  auto next = (*reopened)->UpdateOrder(order_id, [](Order& o) {
    o.set_state(Order::ACTIVE);
    return absl::OkStatus();
  });
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->revision(), 3);
}

TEST(SqliteOrderStoreTest, ConcurrentWritesShareCommitsInRevisionOrder) {
  FakeClock clock;
  auto store = SqliteOrderStore::Open(FreshPath(), &clock);
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<int64_t> heard;  // the listener runs under the store's lock
  (*store)->SetListener([&](const OrderEvent& event) { heard.push_back(event.revision); });
  constexpr int kThreads = 16, kOrdersEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOrdersEach; ++i) {
        Order draft;
        draft.set_request_id(absl::StrCat("t", t, "-", i));
        draft.set_state(Order::ACCEPTED);
        auto created = (*store)->CreateOrder(draft);
        if (!created.ok() || !created->created) ++failures;
        // An update of the same order in a later batch.
        auto updated = (*store)->UpdateOrder(created->order.order_id(), [](Order& o) {
          o.set_state(Order::CHECKING);
          return absl::OkStatus();
        });
        if (!updated.ok() || updated->state() != Order::CHECKING) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  constexpr int kWrites = 2 * kThreads * kOrdersEach;
  ASSERT_EQ(heard.size(), static_cast<size_t>(kWrites));
  for (int i = 0; i < kWrites; ++i) ASSERT_EQ(heard[i], i + 1) << "at " << i;
  // Writes queued behind a commit shared the next one.
  EXPECT_LT((*store)->commits(), kWrites);
  EXPECT_GT((*store)->commits(), 0);
  auto events = (*store)->EventsAfter(0, "");
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), static_cast<size_t>(kWrites));
}

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
  auto found = (*store)->GetOrderByRequestId("old-request");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->order_id(), "ord-old");
  EXPECT_EQ((*store)->ListOrders(ListQuery())->orders.size(), 1u);
  Order other = Draft("old-request");
  other.set_tenant("team-b");  // the same request id, another tenant: a new order
  EXPECT_TRUE((*store)->CreateOrder(other)->created);
}

TEST(SqliteOrderStoreTest, UnwritablePathIsUnavailable) {
  FakeClock clock;
  auto store = SqliteOrderStore::Open("/nonexistent-dir/orders.db", &clock);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cvm
