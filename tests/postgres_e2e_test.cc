// The real service on the PostgreSQL store (--store=postgres:CONNINFO),
// against a PostgreSQL 15 this test starts itself and the CVM emulator: an
// order bought before a SIGKILL is found after the restart (by request id and
// by instance id), nothing is bought twice, and the rows are in PostgreSQL.
// A database that cannot be reached stops start-up without printing the
// connection string's password.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/pg_connection.h"
#include "store/postgres_test_server.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;
using ::testing::HasSubstr;
using ::testing::Not;

// Retries the purchase (same request id) while moving the emulator's clock
// until the order is ACTIVE.
Order PurchaseUntilActive(provisioning::v1::Provisioning::Stub& stub,
                          tencentcloud::EmulatorServer& emulator, const std::string& request_id) {
  Order order;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    grpc::Status status =
        stub.Purchase(ContextWithDeadline(30).get(), PurchaseOf(request_id, 2), &order);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok() || order.state() == Order::ACTIVE) break;
    emulator.clock().Advance(absl::Minutes(10));
    absl::SleepFor(absl::Milliseconds(200));
  }
  return order;
}

TEST(PostgresE2eTest, OrdersLiveInPostgresAcrossARestart) {
  auto postgres = PostgresTestServer::Shared();
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  auto db = (*postgres)->CreateDatabase();
  ASSERT_TRUE(db.ok()) << db.status();
  auto emulator = tencentcloud::EmulatorServer::Start(tencentcloud::TestWorld(), "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  const std::string config =
      WriteEmulatorConfig("postgres.textproto", (*emulator)->port(), tencentcloud::kTestSecretId,
                          tencentcloud::kTestSecretKey);
  const std::string store = absl::StrCat("--store=postgres:", *db);

  auto first = ServerProcess::Start(config, {store});
  ASSERT_TRUE(first.ok()) << first.status();
  Order bought = PurchaseUntilActive(*NewStub((*first)->target()), **emulator, "pg-1");
  ASSERT_EQ(bought.state(), Order::ACTIVE);
  ASSERT_EQ(bought.instances_size(), 2);
  (*first)->Signal(SIGKILL);
  ASSERT_EQ((*first)->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);

  auto second = ServerProcess::Start(config, {store});
  ASSERT_TRUE(second.ok()) << second.status();
  auto stub = NewStub((*second)->target());
  Order again;
  ASSERT_TRUE(
      stub->Purchase(ContextWithDeadline(30).get(), PurchaseOf("pg-1", 2), &again).ok());
  EXPECT_EQ(again.order_id(), bought.order_id());
  EXPECT_EQ(again.state(), Order::ACTIVE);
  EXPECT_GE(again.revision(), bought.revision());
  provisioning::v1::DescribeRequest by_instance;
  by_instance.add_instance_ids(bought.instances(0).instance_id());
  provisioning::v1::DescribeResponse described;
  ASSERT_TRUE(stub->Describe(ContextWithDeadline(30).get(), by_instance, &described).ok());
  ASSERT_EQ(described.orders_size(), 1);
  EXPECT_EQ(described.orders(0).order_id(), bought.order_id());
  EXPECT_EQ((*emulator)->Books()[tencentcloud::kTestSecretId]["Created"].get<int>(), 2);

  // A second order continues the revisions.
  Order next = PurchaseUntilActive(*stub, **emulator, "pg-2");
  EXPECT_GT(next.revision(), again.revision());
  EXPECT_EQ((*second)->Stop(absl::Seconds(30)).value_or(-1), 0);

  pg::Connection connection(*db);
  auto rows = connection.Exec(
      "count", "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM instances),"
               " (SELECT revision FROM store_revision), (SELECT count(*) FROM events)");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->Int(0, 0), 2);
  EXPECT_EQ(rows->Int(0, 1), 4);
  EXPECT_EQ(rows->Int(0, 2), next.revision());
  EXPECT_EQ(rows->Int(0, 3), next.revision());  // the whole log, no gap
}

TEST(PostgresE2eTest, UnreachableDatabaseStopsStartUpWithoutThePassword) {
  auto result = RunProcess(
      {RunfilePath("service/provisioner"), "--listen=127.0.0.1:0", "--metrics_listen=",
       "--store=postgres:host=/nonexistent-dir port=5 user=cvm password=hunter2-secret",
       "--config=" + RunfilePath("tests/testdata/fast_fake.textproto")},
      absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NE(result->exit_code, 0);
  EXPECT_THAT(result->output, HasSubstr("postgres: connect"));
  EXPECT_THAT(result->output, Not(HasSubstr("hunter2")));
}

}  // namespace
}  // namespace cvm::testing
