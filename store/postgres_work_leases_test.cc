// PostgresWorkLeases against a real PostgreSQL 15 (store/postgres_test_server.h):
// claims are exclusive between sessions, freed by Release(), by the end of
// the holder's session and by a server restart, and a holder that lost its
// session learns it before doing more work.
#include "store/postgres_work_leases.h"

#include "gtest/gtest.h"
#include "store/pg_connection.h"
#include "store/postgres_test_server.h"

namespace cvm {
namespace {

std::string Database() {
  absl::StatusOr<std::string> db = PostgresTestServer::SharedDatabase();
  EXPECT_TRUE(db.ok()) << db.status();
  return db.value_or("");
}

TEST(PostgresWorkLeasesTest, AClaimIsExclusiveUntilReleased) {
  const std::string db = Database();
  PostgresWorkLeases first(db), second(db);
  EXPECT_TRUE(first.shared());
  EXPECT_EQ(first.TryAcquire("order/a").value_or(false), true);
  EXPECT_EQ(first.TryAcquire("order/a").value_or(false), true);  // this process holds it
  EXPECT_EQ(second.TryAcquire("order/a").value_or(true), false);
  EXPECT_EQ(second.TryAcquire("order/b").value_or(false), true);  // another unit
  EXPECT_EQ(first.held(), 1u);
  first.Release("order/a");
  EXPECT_EQ(first.held(), 0u);
  EXPECT_EQ(second.TryAcquire("order/a").value_or(false), true);
  EXPECT_EQ(first.TryAcquire("order/a").value_or(true), false);
  // Held twice by one process, released once: free (claims do not stack).
  second.Release("order/a");
  EXPECT_EQ(first.TryAcquire("order/a").value_or(false), true);
}

TEST(PostgresWorkLeasesTest, TheEndOfTheHoldersSessionFreesItsClaims) {
  const std::string db = Database();
  PostgresWorkLeases dying(db), survivor(db);
  ASSERT_EQ(dying.TryAcquire("poll/tencent/ap-guangzhou").value_or(false), true);
  ASSERT_EQ(survivor.TryAcquire("poll/tencent/ap-guangzhou").value_or(true), false);
  // The holder's backend ends, as when its process is killed (the
  // survivor's too: it reconnects, holding nothing).
  pg::Connection admin(db);
  ASSERT_TRUE(admin.Exec("terminate",
                         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
  absl::StatusOr<bool> taken;
  for (int i = 0; i < 50; ++i) {  // the server frees the lock as the backend exits
    taken = survivor.TryAcquire("poll/tencent/ap-guangzhou");
    if (taken.ok() && *taken) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_TRUE(*taken);
  // The old holder learns that it lost the claim, then finds it taken.
  absl::StatusOr<bool> lost = dying.TryAcquire("poll/tencent/ap-guangzhou");
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
  EXPECT_EQ(dying.held(), 0u);
  EXPECT_EQ(dying.TryAcquire("poll/tencent/ap-guangzhou").value_or(true), false);
}

TEST(PostgresWorkLeasesTest, ADatabaseRestartFreesEveryClaimAndTheHolderNotices) {
  auto server = PostgresTestServer::Shared();
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string db = Database();
  PostgresWorkLeases holder(db), other(db);
  ASSERT_EQ(holder.TryAcquire("order/x").value_or(false), true);
  ASSERT_TRUE((*server)->Stop().ok());
  EXPECT_EQ(holder.TryAcquire("order/x").status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_EQ(other.TryAcquire("order/x").value_or(false), true);
  EXPECT_EQ(holder.TryAcquire("order/x").value_or(true), false);
}

}  // namespace
}  // namespace cvm
