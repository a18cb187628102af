// PostgresCapacityVerdicts against a real PostgreSQL 15
// (store/postgres_test_server.h): a verdict one replica records is what
// another one finds.
#include "store/postgres_capacity_verdicts.h"

#include <memory>

#include "gtest/gtest.h"
#include "store/capacity_verdicts_conformance.h"
#include "store/postgres_order_store.h"
#include "store/postgres_test_server.h"

namespace cvm {
namespace {

TEST(PostgresCapacityVerdictsTest, AVerdictOfOneReplicaStandsForAnother) {
  absl::StatusOr<std::string> db = PostgresTestServer::SharedDatabase();
  ASSERT_TRUE(db.ok()) << db.status();
  // The store's migrations create the table.
  ASSERT_TRUE(PostgresOrderStore::Open(*db, RealClock::Get()).ok());
  PostgresCapacityVerdicts one(*db), other(*db);
  ExpectVerdictsStandUntilTheirTime(one, other);
}

}  // namespace
}  // namespace cvm
