// libpq behind absl::Status, against a real PostgreSQL 15.
#include "store/pg_connection.h"

#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "store/postgres_test_server.h"

namespace cvm::pg {
namespace {

class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = PostgresTestServer::Shared();
    ASSERT_TRUE(server.ok()) << server.status();
    auto db = (*server)->CreateDatabase();
    ASSERT_TRUE(db.ok()) << db.status();
    conninfo_ = *db;
  }
  std::string conninfo_;
};

TEST_F(PgConnectionTest, ReadsTextBytesIntegersAndNulls) {
  Connection connection(conninfo_);
  EXPECT_FALSE(connection.connected());  // connects on first use
  const std::string bytes("a\0b\xff", 4);
  auto result = connection.Exec(
      "select",
      "SELECT $1::text, $2::bytea, 7::int2, -70000::int4, $3::int8, NULL::int8",
      {Text("héllo"), Bytes(bytes), Int(int64_t{1} << 40)});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(connection.connected());
  ASSERT_EQ(result->rows(), 1);
  EXPECT_EQ(result->Bytes(0, 0), "héllo");
  EXPECT_EQ(result->Bytes(0, 1), bytes);
  EXPECT_EQ(result->Int(0, 2), 7);
  EXPECT_EQ(result->Int(0, 3), -70000);
  EXPECT_EQ(result->Int(0, 4), int64_t{1} << 40);
  EXPECT_TRUE(result->IsNull(0, 5));
  EXPECT_EQ(result->Int(0, 5), 0);
}

TEST_F(PgConnectionTest, TextArraysKeepQuotesAndBackslashes) {
  Connection connection(conninfo_);
  const std::vector<std::string> values = {"plain", "with \"quote\"", "back\\slash", "a,b", ""};
  auto result = connection.Exec("unnest", "SELECT unnest($1::text[])", {TextArray(values)});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->rows(), static_cast<int>(values.size()));
  for (int i = 0; i < result->rows(); ++i) EXPECT_EQ(result->Bytes(i, 0), values[i]);
}

TEST_F(PgConnectionTest, BugsAreInternalAndKeepTheConnection) {
  Connection connection(conninfo_);
  auto bad = connection.Exec("bad sql", "SELEKT 1");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(bad.status().message().find("postgres: bad sql: "), std::string::npos);
  EXPECT_NE(bad.status().message().find("42601"), std::string::npos);  // syntax error
  ASSERT_TRUE(connection.ExecScript("setup", "CREATE TABLE t (k TEXT PRIMARY KEY)").ok());
  ASSERT_TRUE(connection.Exec("insert", "INSERT INTO t VALUES ('a')").ok());
  EXPECT_EQ(connection.Exec("insert", "INSERT INTO t VALUES ('a')").status().code(),
            absl::StatusCode::kInternal);  // unique violation
  const int pid = connection.backend_pid();
  EXPECT_TRUE(connection.Exec("select", "SELECT 1").ok());
  EXPECT_EQ(connection.backend_pid(), pid);
}

TEST_F(PgConnectionTest, RollbackEndsAFailedTransaction) {
  Connection connection(conninfo_);
  ASSERT_TRUE(connection.ExecScript("setup", "CREATE TABLE t (x INT)").ok());
  ASSERT_TRUE(connection.ExecScript("begin", "BEGIN").ok());
  ASSERT_TRUE(connection.Exec("insert", "INSERT INTO t VALUES (1)").ok());
  EXPECT_FALSE(connection.Exec("bad", "SELECT * FROM missing").ok());
  // The transaction is aborted until it ends.
  EXPECT_FALSE(connection.Exec("select", "SELECT 1").ok());
  connection.Rollback();
  auto rows = connection.Exec("count", "SELECT count(*) FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->Int(0, 0), 0);
}

TEST_F(PgConnectionTest, LostConnectionIsUnavailableThenReconnects) {
  Connection connection(conninfo_);
  ASSERT_TRUE(connection.Connect().ok());
  const int pid = connection.backend_pid();
  Connection killer(conninfo_);
  ASSERT_TRUE(killer.Exec("terminate", "SELECT pg_terminate_backend($1::int)", {Int(pid)}).ok());
  auto lost = connection.Exec("select", "SELECT 1");
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
  auto again = connection.Exec("select", "SELECT 1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(connection.backend_pid(), pid);
}

TEST_F(PgConnectionTest, AcceptsAUri) {
  // "host=DIR port=P user=U dbname=D" as postgresql:///D?host=DIR&port=P&user=U.
  std::map<std::string, std::string> fields;
  for (absl::string_view pair : absl::StrSplit(conninfo_, ' ')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    fields[kv.first] = kv.second;
  }
  Connection connection(absl::StrCat("postgresql:///", fields["dbname"], "?host=",
                                     fields["host"], "&port=", fields["port"],
                                     "&user=", fields["user"]));
  auto result = connection.Exec("select", "SELECT current_database()");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->Bytes(0, 0), fields["dbname"]);
}

TEST_F(PgConnectionTest, ConnectFailureIsUnavailableWithoutThePassword) {
  Connection connection("host=/nonexistent-dir port=5 user=someone password=hunter2-secret");
  auto status = connection.Exec("select", "SELECT 1").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(status.message().find("hunter2"), std::string::npos) << status;
  EXPECT_FALSE(connection.connected());
}

}  // namespace
}  // namespace cvm::pg
