// The test server itself: it starts, isolates databases, survives a restart
// with its data, and leaves nothing behind.
#include "store/postgres_test_server.h"

#include <sys/stat.h>

#include <string>

#include "gtest/gtest.h"
#include "store/pg_connection.h"

namespace cvm {
namespace {

std::string DirOf(const std::string& conninfo) {
  const size_t start = conninfo.find("host=") + 5;
  return conninfo.substr(start, conninfo.find(' ', start) - start);
}

TEST(PostgresTestServerTest, StartsAndGivesEachCallAFreshDatabase) {
  auto server = PostgresTestServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto first = (*server)->CreateDatabase();
  auto second = (*server)->CreateDatabase();
  ASSERT_TRUE(first.ok() && second.ok()) << first.status() << second.status();
  EXPECT_NE(*first, *second);
  pg::Connection a(*first);
  pg::Connection b(*second);
  ASSERT_TRUE(a.Exec("create", "CREATE TABLE t (x INT)").ok());
  auto version = a.Exec("version", "SHOW server_version_num");
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->Bytes(0, 0).substr(0, 2), "15");
  // The other database has no such table.
  EXPECT_EQ(b.Exec("select", "SELECT * FROM t").status().code(),
            absl::StatusCode::kInternal);
}

TEST(PostgresTestServerTest, RestartKeepsTheDataAndStopDisconnects) {
  auto server = PostgresTestServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto db = (*server)->CreateDatabase();
  ASSERT_TRUE(db.ok()) << db.status();
  pg::Connection connection(*db);
  ASSERT_TRUE(connection.ExecScript("fill", "CREATE TABLE t (x INT); INSERT INTO t VALUES (7)")
                  .ok());
  ASSERT_TRUE((*server)->Stop().ok());
  EXPECT_FALSE((*server)->running());
  EXPECT_EQ(connection.Exec("read", "SELECT x FROM t").status().code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE((*server)->Restart().ok());
  auto rows = connection.Exec("read", "SELECT x FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->rows(), 1);
  EXPECT_EQ(rows->Int(0, 0), 7);
}

TEST(PostgresTestServerTest, RemovesItsDirectoryWhenDestroyed) {
  std::string dir;
  {
    auto server = PostgresTestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    dir = DirOf((*server)->ConnInfo("postgres"));
    struct stat info;
    ASSERT_EQ(stat(dir.c_str(), &info), 0);
  }
  struct stat info;
  EXPECT_NE(stat(dir.c_str(), &info), 0) << dir;
}

TEST(PostgresTestServerTest, SharedIsOneServer) {
  auto first = PostgresTestServer::Shared();
  auto second = PostgresTestServer::Shared();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, *second);
  EXPECT_TRUE((*first)->running());
}

}  // namespace
}  // namespace cvm
