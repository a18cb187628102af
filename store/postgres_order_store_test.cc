// The store conformance suites (OrderStoreConformanceTest, and
// DurableOrderStoreTest: a reopen, group commit) against a real PostgreSQL 15
// that this test starts itself (store/postgres_test_server.h; one database
// per store), plus what only PostgreSQL promises: migrations (and the
// events' tenants filled in by migration 5), gap-free revisions with two
// processes writing (each hearing all changes), detaching the listener from
// the feed thread during a storm of notifications, and UNAVAILABLE while the
// server is gone, recovering when it returns.
#include "store/postgres_order_store.h"

#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "store/commit_storm.h"
#include "store/order_store_conformance.h"
#include "store/pg_connection.h"
#include "store/postgres_test_server.h"

namespace cvm {
namespace {

std::string FreshDatabase() {
  absl::StatusOr<std::string> db = PostgresTestServer::SharedDatabase();
  EXPECT_TRUE(db.ok()) << db.status();
  return db.value_or("");
}

Order Draft(const std::string& request_id) {
  Order order;
  order.set_request_id(request_id);
  order.set_state(Order::ACCEPTED);
  return order;
}

OrderStore::Mutation SetState(Order::State state) {
  return [state](Order& o) {
    o.set_state(state);
    return absl::OkStatus();
  };
}

std::unique_ptr<OrderStore> MakePostgres(Clock* clock, size_t max_events) {
  PostgresOrderStore::Options options;
  options.max_events = max_events;
  auto store = PostgresOrderStore::Open(FreshDatabase(), clock, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::unique_ptr<OrderStore>(std::move(*store)) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Postgres, OrderStoreConformanceTest,
                         ::testing::Values(StoreFactory{"Postgres", MakePostgres}),
                         [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Postgres, DurableOrderStoreTest,
    ::testing::Values(DurableStoreFactory{
        "Postgres", FreshDatabase,
        [](const std::string& db, Clock* clock) -> absl::StatusOr<std::unique_ptr<OrderStore>> {
          auto store = PostgresOrderStore::Open(db, clock);
          if (!store.ok()) return store.status();
          return std::unique_ptr<OrderStore>(*std::move(store));
        },
        [](OrderStore& store) { return static_cast<PostgresOrderStore&>(store).commits(); }}),
    [](const auto& info) { return info.param.name; });

TEST(PostgresOrderStoreTest, MigrationsAreRecordedAndANewerSchemaIsRefused) {
  FakeClock clock;
  const std::string db = FreshDatabase();
  ASSERT_TRUE(PostgresOrderStore::Open(db, &clock).ok());
  ASSERT_TRUE(PostgresOrderStore::Open(db, &clock).ok());  // nothing left to apply
  pg::Connection connection(db);
  auto versions =
      connection.Exec("versions", "SELECT version FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(versions.ok()) << versions.status();
  ASSERT_EQ(versions->rows(), 5);  // each once
  for (int i = 0; i < 5; ++i) EXPECT_EQ(versions->Int(i, 0), i + 1);
  ASSERT_TRUE(connection.Exec("future", "INSERT INTO schema_migrations (version) VALUES (99)")
                  .ok());
  auto refused = PostgresOrderStore::Open(db, &clock);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
}

TEST(PostgresOrderStoreTest, MigrationFiveGivesTheLoggedEventsTheirTenants) {
  FakeClock clock;
  const std::string db = FreshDatabase();
  {
    auto store = PostgresOrderStore::Open(db, &clock);
    ASSERT_TRUE(store.ok()) << store.status();
    CreateOrdersOfTwoTenants(**store);
  }
  // Back to schema version 4: events without their tenant.
  pg::Connection admin(db);
  ASSERT_TRUE(admin
                  .ExecScript("to version 4",
                              "DROP TRIGGER events_tenant ON events; DROP FUNCTION events_tenant();"
                              "DROP INDEX events_by_tenant; ALTER TABLE events DROP COLUMN tenant;"
                              "DELETE FROM schema_migrations WHERE version = 5;")
                  .ok());
  auto store = PostgresOrderStore::Open(db, &clock);
  ASSERT_TRUE(store.ok()) << store.status();
  // A replica not yet upgraded appends events without their tenant.
  ASSERT_TRUE(admin
                  .ExecScript("an old binary's event",
                              "INSERT INTO events (revision, order_id, previous_state, body)"
                              " SELECT 100, order_id, 0, body FROM orders WHERE tenant = 'team-a'")
                  .ok());
  auto filled = admin.Exec("its tenant", "SELECT tenant FROM events WHERE revision = 100");
  ASSERT_TRUE(filled.ok()) << filled.status();
  EXPECT_EQ(filled->Bytes(0, 0), "team-a");
  ASSERT_TRUE(admin.ExecScript("without it", "DELETE FROM events WHERE revision = 100").ok());
  ExpectTheEventsOfTwoTenants(**store);
}

// The feed calls the listener from its own thread with another process's
// changes (order_store.h rule 5): detaching waits for such a call, and the
// feed, still reading a storm of notifications, calls no one after it.
TEST(PostgresOrderStoreTest, DetachingWaitsForTheFeedsCallAndEndsItsCalls) {
  FakeClock clock;
  const std::string db = FreshDatabase();
  PostgresOrderStore::Options options;
  options.feed_interval = absl::Milliseconds(200);
  auto listening = PostgresOrderStore::Open(db, &clock, options);
  auto writing = PostgresOrderStore::Open(db, &clock);
  ASSERT_TRUE(listening.ok() && writing.ok()) << listening.status() << writing.status();
  HeldListener held;
  (*listening)->SetListener(held.listener());
  // The other process: a commit (and NOTIFY) after another.
  CommitStorm storm(writing->get(), [](int i) { return Draft(absl::StrCat("storm-", i)); });
  // In the feed thread: only `writing` writes.
  ASSERT_TRUE(held.AwaitHeldCall()) << "the feed never called the listener";
  held.ExpectDetachWaits(**listening);
  const int heard = held.calls();
  const int written_at_detach = storm.committed();
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (storm.committed() < written_at_detach + 200 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::SleepFor(options.feed_interval * 3);  // the feed has read them all
  storm.Stop();
  EXPECT_GE(storm.committed(), written_at_detach + 200);
  EXPECT_EQ(held.calls(), heard) << "the feed called a detached listener";
  std::printf(
      "feed detach: %d commits by the other store, %d feed calls before the detach, "
      "%d after\n",
      storm.committed(), heard, held.calls() - heard);
}

TEST(PostgresOrderStoreTest, TwoConnectionsWritingAtOnceLeaveNoRevisionGap) {
  FakeClock clock;
  const std::string db = FreshDatabase();
  auto first = PostgresOrderStore::Open(db, &clock);
  auto second = PostgresOrderStore::Open(db, &clock);
  ASSERT_TRUE(first.ok() && second.ok()) << first.status() << second.status();
  absl::Mutex mu;
  std::vector<int64_t> heard[2];
  PostgresOrderStore* stores[2] = {first->get(), second->get()};
  for (int s = 0; s < 2; ++s) {
    stores[s]->SetListener([&, s](const OrderEvent& e) {
      absl::MutexLock lock(&mu);
      heard[s].push_back(e.revision);
    });
  }
  constexpr int kOrdersEach = 40;
  std::vector<std::thread> threads;
  for (int s = 0; s < 2; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < kOrdersEach; ++i) {
        // The same request ids from both: one order each, whoever wins.
        auto created = stores[s]->CreateOrder(Draft(absl::StrCat("r", i)));
        ASSERT_TRUE(created.ok()) << created.status();
        ASSERT_TRUE(stores[s]->UpdateOrder(created->order.order_id(), [s](Order& o) {
          o.mutable_spec()->set_region(absl::StrCat("writer-", s));
          return absl::OkStatus();
        }).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto events = (*first)->EventsAfter(0, "");
  ASSERT_TRUE(events.ok()) << events.status();
  for (size_t i = 0; i < events->size(); ++i) EXPECT_EQ((*events)[i].revision, int64_t(i) + 1);
  // Each store's listener hears every revision of both, once, in order: its
  // own as they commit, the other's from the feed.
  std::vector<int64_t> every(events->size());
  for (size_t i = 0; i < every.size(); ++i) every[i] = int64_t(i) + 1;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (int s = 0; s < 2; ++s) {
    auto caught_up = [&] {
      absl::MutexLock lock(&mu);
      return heard[s].size() >= every.size();
    };
    while (!caught_up() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
    absl::MutexLock lock(&mu);
    EXPECT_EQ(heard[s], every) << "store " << s;
  }
  ListQuery all;
  all.page_size = 1000;
  EXPECT_EQ((*second)->ListOrders(all)->orders.size(), static_cast<size_t>(kOrdersEach));
}

TEST(PostgresOrderStoreTest, UnavailableWhileTheServerIsGoneThenRecovers) {
  FakeClock clock;
  auto server = PostgresTestServer::Shared();
  ASSERT_TRUE(server.ok()) << server.status();
  auto store = PostgresOrderStore::Open(FreshDatabase(), &clock);
  ASSERT_TRUE(store.ok()) << store.status();
  auto created = (*store)->CreateOrder(Draft("before"));
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string id = created->order.order_id();

  ASSERT_TRUE((*server)->Stop().ok());
  EXPECT_EQ((*store)->GetOrder(id).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*store)->CreateOrder(Draft("while-down")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ((*store)->UpdateOrder(id, SetState(Order::CHECKING)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ((*store)->Snapshot("").status().code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE((*server)->Restart().ok());
  auto updated = (*store)->UpdateOrder(id, SetState(Order::CHECKING));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->revision(), 2);  // the failed writes used no revision
  EXPECT_EQ((*store)->FindByRequestId("", "while-down").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE((*store)->CreateOrder(Draft("after")).ok());
}

TEST(PostgresOrderStoreTest, AWriteOnAConnectionTheServerDroppedIsUnavailableThenRetried) {
  FakeClock clock;
  const std::string db = FreshDatabase();
  auto store = PostgresOrderStore::Open(db, &clock);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->CreateOrder(Draft("first")).ok());
  // Every other backend of this database is ended, as a failover would.
  pg::Connection admin(db);
  ASSERT_TRUE(admin.Exec("terminate",
                         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
  auto lost = (*store)->CreateOrder(Draft("second"));
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
  auto retried = (*store)->CreateOrder(Draft("second"));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(retried->created);
  EXPECT_EQ(retried->order.revision(), 2);
}

TEST(PostgresOrderStoreTest, UnreachableServerIsUnavailable) {
  FakeClock clock;
  auto store = PostgresOrderStore::Open("host=/nonexistent-dir port=5 dbname=x", &clock);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
}

}  // namespace
}  // namespace cvm
