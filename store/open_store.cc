#include "store/open_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "store/memory_order_store.h"
#include "store/postgres_capacity_verdicts.h"
#include "store/postgres_node_group_store.h"
#include "store/postgres_order_store.h"
#include "store/postgres_rate_slots.h"
#include "store/postgres_work_leases.h"
#include "store/sqlite_node_group_store.h"
#include "store/sqlite_order_store.h"

namespace cvm {
namespace {

// What memory and SQLite share: claims, schedules and verdicts of this
// process alone.
OpenedStore LocalStore() {
  OpenedStore opened;
  opened.leases = std::make_unique<LocalWorkLeases>();
  opened.rate_slots = std::make_unique<LocalRateSlots>();
  opened.verdicts = std::make_unique<LocalCapacityVerdicts>();
  return opened;
}

}  // namespace

absl::StatusOr<OpenedStore> OpenStore(const std::string& uri, Clock* clock) {
  // "memory:" too: the scheme with an empty rest, as sqlite: and postgres: are written.
  if (uri == "memory" || uri == "memory:") {
    OpenedStore opened = LocalStore();
    opened.orders = std::make_unique<MemoryOrderStore>(clock);
    opened.node_groups = std::make_unique<MemoryNodeGroupStore>(clock);
    return opened;
  }
  absl::string_view path = uri;
  if (absl::ConsumePrefix(&path, "sqlite:") && !path.empty()) {
    SqliteOrderStore::Options options;
    // "?sync=normal": commits survive a process crash, not a power cut.
    if (absl::ConsumeSuffix(&path, "?sync=normal")) options.fsync_each_commit = false;
    OpenedStore opened = LocalStore();
    ASSIGN_OR_RETURN(opened.orders, SqliteOrderStore::Open(std::string(path), clock, options));
    // After the order store: its migrations make the table.
    ASSIGN_OR_RETURN(opened.node_groups, SqliteNodeGroupStore::Open(std::string(path), clock,
                                                                    {options.fsync_each_commit}));
    return opened;
  }
  absl::string_view conninfo = uri;
  if (absl::ConsumePrefix(&conninfo, "postgres:") && !conninfo.empty()) {
    // A libpq conninfo or URI; errors never repeat it (it may hold a password).
    const std::string database(conninfo);
    OpenedStore opened;
    ASSIGN_OR_RETURN(opened.orders, PostgresOrderStore::Open(database, clock));
    opened.leases = std::make_unique<PostgresWorkLeases>(database);
    opened.rate_slots = std::make_unique<PostgresRateSlots>(database);
    opened.verdicts = std::make_unique<PostgresCapacityVerdicts>(database);
    opened.node_groups = std::make_unique<PostgresNodeGroupStore>(database, clock);
    return opened;
  }
  return InvalidFields(
      {{"store", absl::StrCat("unknown store \"", uri,
                              "\"; supported: memory, sqlite:PATH, sqlite:PATH?sync=normal, "
                              "postgres:CONNINFO")}});
}

}  // namespace cvm
