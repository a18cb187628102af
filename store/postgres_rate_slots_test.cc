// PostgresRateSlots against a real PostgreSQL 15 (store/postgres_test_server.h):
// the RateSlots cases, with takers on several connections (as replicas) and
// a taker whose session dies holding slots.
#include "store/postgres_rate_slots.h"

#include "gtest/gtest.h"
#include "store/pg_connection.h"
#include "store/postgres_order_store.h"
#include "store/postgres_test_server.h"
#include "store/rate_slots_conformance.h"

namespace cvm {
namespace {

// A database migrated by the store (which creates rate_slots).
std::string Database() {
  absl::StatusOr<std::string> db = PostgresTestServer::SharedDatabase();
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return "";
  absl::StatusOr<std::unique_ptr<PostgresOrderStore>> store =
      PostgresOrderStore::Open(*db, RealClock::Get());
  EXPECT_TRUE(store.ok()) << store.status();
  return *db;
}

TEST(PostgresRateSlotsTest, SlotsInOrderWithinTheBound) {
  PostgresRateSlots slots(Database());
  EXPECT_TRUE(slots.shared());
  ExpectSlotsInOrderWithinTheBound(slots, "acct/RunInstances");
}

TEST(PostgresRateSlotsTest, ReplicasNeverShareASlot) {
  const std::string db = Database();
  PostgresRateSlots a(db), b(db), c(db);
  ExpectNoSlotHandedOutTwice({&a, &b, &c}, "acct/DescribeZoneInstanceConfigInfos", 2, 100);
}

TEST(PostgresRateSlotsTest, ALostSessionFailsOnceThenTakesAgain) {
  const std::string db = Database();
  PostgresRateSlots slots(db);
  ASSERT_TRUE(slots.Take("acct/TerminateInstances", 10, 20).ok());
  pg::Connection admin(db);
  ASSERT_TRUE(admin.Exec("terminate",
                         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
  absl::StatusOr<SlotTake> take = slots.Take("acct/TerminateInstances", 10, 20);
  for (int i = 0; i < 50 && !take.ok(); ++i) {  // reconnects on the next call
    EXPECT_EQ(take.status().code(), absl::StatusCode::kUnavailable) << take.status();
    take = slots.Take("acct/TerminateInstances", 10, 20);
  }
  ASSERT_TRUE(take.ok()) << take.status();
  EXPECT_TRUE(take->taken);
  EXPECT_EQ(take->slot, 11);  // the schedule survived the session
}

}  // namespace
}  // namespace cvm
