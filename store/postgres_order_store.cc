// PostgresOrderStore: opening, migrations and writes (group commit). The
// reads are in postgres_order_store_reads.cc.
#include "store/postgres_order_store.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "common/status_macros.h"

namespace cvm {
namespace {

using google::protobuf::util::TimeUtil;

// Taken by Migrate() for its transaction: one migrating process at a time.
constexpr int64_t kMigrationLock = 0x6376'6d2d'6f72'6472;  // "cvm-ordr"

// Numbered schema migrations, applied in order, each once. Ids and keys
// compare bytewise (COLLATE "C"): order ids sort by creation whatever the
// database's locale.
constexpr const char* kMigrations[] = {
    // 1: orders, their instance index, the event log and the revision counter.
    "CREATE TABLE orders (order_id TEXT COLLATE \"C\" PRIMARY KEY,"
    "  request_key TEXT COLLATE \"C\" NOT NULL UNIQUE, request_id TEXT NOT NULL,"
    "  tenant TEXT COLLATE \"C\" NOT NULL, state INTEGER NOT NULL, region TEXT NOT NULL,"
    "  body BYTEA NOT NULL);"
    "CREATE INDEX orders_by_state ON orders (state, order_id);"
    "CREATE INDEX orders_by_tenant ON orders (tenant, order_id);"
    "CREATE TABLE instances (instance_id TEXT PRIMARY KEY,"
    "  order_id TEXT COLLATE \"C\" NOT NULL REFERENCES orders (order_id));"
    "CREATE TABLE events (revision BIGINT PRIMARY KEY, order_id TEXT COLLATE \"C\" NOT NULL,"
    "  previous_state INTEGER NOT NULL, body BYTEA NOT NULL);"
    "CREATE INDEX events_by_order ON events (order_id, revision);"
    "CREATE TABLE store_revision (singleton BOOLEAN PRIMARY KEY DEFAULT TRUE"
    "  CHECK (singleton), revision BIGINT NOT NULL);"
    "INSERT INTO store_revision (revision) VALUES (0);",
    // 2: the shared request schedules of the cloud accounts
    // (store/postgres_rate_slots.h).
    "CREATE TABLE rate_slots (key TEXT COLLATE \"C\" PRIMARY KEY, next_slot BIGINT NOT NULL);",
    // 3: sold-out memory shared by the replicas
    // (store/postgres_capacity_verdicts.h).
    "CREATE TABLE capacity_verdicts (cell TEXT COLLATE \"C\" PRIMARY KEY, reason TEXT NOT NULL,"
    "  message TEXT NOT NULL, until_micros BIGINT NOT NULL, bound TEXT NOT NULL);",
    // 4: node groups (store/postgres_node_group_store.h), one row per
    // (tenant, group_id): the NodeGroup as protobuf bytes and its revision.
    "CREATE TABLE node_groups (tenant TEXT COLLATE \"C\" NOT NULL,"
    "  group_id TEXT COLLATE \"C\" NOT NULL, revision BIGINT NOT NULL, body BYTEA NOT NULL,"
    "  PRIMARY KEY (tenant, group_id));",
    // 5: each event's tenant (its order's), so a tenant's Watch replay reads
    // only that tenant's events. The trigger fills it in for a replica not
    // yet upgraded (it inserts events without it) during a rolling upgrade.
    "ALTER TABLE events ADD COLUMN tenant TEXT COLLATE \"C\" NOT NULL DEFAULT '';"
    "UPDATE events SET tenant = orders.tenant FROM orders"
    "  WHERE orders.order_id = events.order_id;"
    "CREATE INDEX events_by_tenant ON events (tenant, revision);"
    "CREATE FUNCTION events_tenant() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    "  IF NEW.tenant = '' THEN"
    "    NEW.tenant := COALESCE((SELECT tenant FROM orders WHERE order_id = NEW.order_id), '');"
    "  END IF; RETURN NEW; END $$;"
    "CREATE TRIGGER events_tenant BEFORE INSERT ON events FOR EACH ROW"
    "  EXECUTE FUNCTION events_tenant();",
};

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresOrderStore>> PostgresOrderStore::Open(
    const std::string& conninfo, Clock* clock, Options options) {
  std::unique_ptr<PostgresOrderStore> store(new PostgresOrderStore(conninfo, clock, options));
  {
    absl::MutexLock lock(&store->mu_);
    RETURN_IF_ERROR(store->Migrate());
    // The listener hears what is committed from now on.
    ASSIGN_OR_RETURN(store->delivered_, store->LastRevision(store->connection_));
  }
  store->feed_thread_ = std::thread([s = store.get()] { s->Feed(); });
  return store;
}

PostgresOrderStore::PostgresOrderStore(const std::string& conninfo, Clock* clock,
                                       Options options)
    : clock_(clock),
      max_events_(std::max<size_t>(options.max_events, 1)),
      feed_interval_(options.feed_interval),
      connection_(conninfo),
      feed_connection_(conninfo) {}

PostgresOrderStore::~PostgresOrderStore() {
  {
    absl::MutexLock lock(&feed_mu_);
    stopping_ = true;
  }
  if (feed_thread_.joinable()) feed_thread_.join();
}

absl::Status PostgresOrderStore::CheckHealth() {
  absl::MutexLock lock(&mu_);
  return connection_.Exec("checking the connection", "SELECT 1").status();
}

absl::Status PostgresOrderStore::Migrate() {
  absl::Status status = [&]() -> absl::Status {
    RETURN_IF_ERROR(connection_.ExecScript("migrating", "BEGIN"));
    RETURN_IF_ERROR(connection_
                        .Exec("locking the schema", "SELECT pg_advisory_xact_lock($1)",
                              {pg::Int(kMigrationLock)})
                        .status());
    RETURN_IF_ERROR(connection_.ExecScript(
        "creating schema_migrations",
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
        "  applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"));
    ASSIGN_OR_RETURN(pg::Result current,
                     connection_.Exec("reading the schema version",
                                      "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    const int64_t applied = current.Int(0, 0);
    const int64_t known = sizeof(kMigrations) / sizeof(kMigrations[0]);
    if (applied > known) {
      return absl::FailedPreconditionError(
          absl::StrCat("postgres: the database has schema version ", applied,
                       ", newer than this binary's ", known));
    }
    for (int64_t version = applied + 1; version <= known; ++version) {
      RETURN_IF_ERROR(connection_.ExecScript(absl::StrCat("migration ", version),
                                             kMigrations[version - 1]));
      RETURN_IF_ERROR(connection_
                          .Exec("recording a migration",
                                "INSERT INTO schema_migrations (version) VALUES ($1)",
                                {pg::Int(version)})
                          .status());
    }
    return connection_.ExecScript("committing the migrations", "COMMIT");
  }();
  if (!status.ok()) connection_.Rollback();
  return status;
}

void PostgresOrderStore::SetListener(Listener listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

int64_t PostgresOrderStore::commits() const {
  absl::MutexLock lock(&mu_);
  return commits_;
}

absl::StatusOr<OrderEvent> PostgresOrderStore::WriteLocked(Order order, Order::State previous,
                                                           bool insert) {
  order.set_revision(++revision_);
  *order.mutable_update_time() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_->Now()));
  const std::string body = order.SerializeAsString();
  std::vector<pg::Param> params = {pg::Text(order.order_id()), pg::Int(order.state()),
                                   pg::Text(order.spec().region()), pg::Bytes(body)};
  if (insert) {
    params.push_back(pg::Text(RequestKey(order.tenant(), order.request_id())));
    params.push_back(pg::Text(order.request_id()));
    params.push_back(pg::Text(order.tenant()));
  }
  RETURN_IF_ERROR(connection_
                      .Exec("writing an order",
                            insert ? "INSERT INTO orders (order_id, state, region, body,"
                                     " request_key, request_id, tenant)"
                                     " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                                   : "UPDATE orders SET state = $2, region = $3, body = $4"
                                     " WHERE order_id = $1",
                            params)
                      .status());
  std::set<std::string> unique;
  for (const auto& instance : order.instances()) unique.insert(instance.instance_id());
  if (!unique.empty()) {
    RETURN_IF_ERROR(connection_
                        .Exec("indexing instances",
                              "INSERT INTO instances (instance_id, order_id)"
                              " SELECT unnest($1::text[]), $2 ON CONFLICT (instance_id)"
                              " DO UPDATE SET order_id = EXCLUDED.order_id",
                              {pg::TextArray({unique.begin(), unique.end()}),
                               pg::Text(order.order_id())})
                        .status());
  }
  RETURN_IF_ERROR(connection_
                      .Exec("appending an event",
                            "INSERT INTO events (revision, order_id, previous_state, body, tenant)"
                            " VALUES ($1, $2, $3, $4, $5)",
                            {pg::Int(order.revision()), pg::Text(order.order_id()),
                             pg::Int(previous), pg::Bytes(body), pg::Text(order.tenant())})
                      .status());
  return OrderEvent{order.revision(), previous, std::move(order)};
}

absl::Status PostgresOrderStore::ApplyBatchLocked(const std::vector<PendingWrite*>& batch) {
  RETURN_IF_ERROR(connection_.ExecScript("beginning a transaction", "BEGIN"));
  // The row lock serializes writers (of every process) until COMMIT.
  ASSIGN_OR_RETURN(pg::Result last,
                   connection_.Exec("locking the revision",
                                    "SELECT revision FROM store_revision FOR UPDATE"));
  if (last.rows() != 1) return absl::InternalError("postgres: store_revision has no row");
  const int64_t first_revision = last.Int(0, 0);
  revision_ = first_revision;
  for (PendingWrite* write : batch) RETURN_IF_ERROR(write->apply(*write));
  if (revision_ > first_revision) {
    // The notification goes out at COMMIT, to every process's feed.
    RETURN_IF_ERROR(connection_
                        .Exec("advancing the revision",
                              absl::StrCat("UPDATE store_revision SET revision = $1"
                                           " RETURNING pg_notify('",
                                           kEventChannel, "', $2)"),
                              {pg::Int(revision_), pg::Text(absl::StrCat(revision_))})
                        .status());
    RETURN_IF_ERROR(connection_
                        .Exec("trimming the event log", "DELETE FROM events WHERE revision <= $1",
                              {pg::Int(revision_ - static_cast<int64_t>(max_events_))})
                        .status());
  }
  // A connection lost here leaves the outcome unknown (see the header).
  return connection_.ExecScript("committing", "COMMIT");
}

void PostgresOrderStore::CommitLocked(const std::vector<PendingWrite*>& batch) {
  const uint32_t first_sequence = sequence_;
  const absl::Status io = ApplyBatchLocked(batch);
  // Other processes' revisions before this batch's reach the listener first.
  int64_t first_revision = 0;
  for (const PendingWrite* write : batch) {
    if (write->event.has_value()) {
      first_revision = write->event->revision;
      break;
    }
  }
  bool in_order = true;
  if (io.ok()) {
    ++commits_;
    if (first_revision > delivered_ + 1) {
      const absl::Status earlier = DeliverLocked(connection_, first_revision - 1);
      // The feed delivers all of it, in order, once it can read the log.
      if (!earlier.ok()) in_order = false;
    }
  } else {
    // Nothing of the batch was written: every write in it fails alike.
    connection_.Rollback();
    sequence_ = first_sequence;
  }
  writes_.Finish(batch, io, [&](const OrderEvent& event) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (!in_order || event.revision <= delivered_) return;
    if (listener_) listener_(event);  // committed now, in revision order
    delivered_ = event.revision;
  });
}

OrderRows PostgresOrderStore::Rows() {
  OrderRows rows;
  rows.by_request_key = [this](const std::string& key, const std::string& what)
                            ABSL_NO_THREAD_SAFETY_ANALYSIS {
                              return OneOrder("SELECT body FROM orders WHERE request_key = $1",
                                              key, what);
                            };
  rows.by_order_id = [this](const std::string& id, const std::string& what)
                         ABSL_NO_THREAD_SAFETY_ANALYSIS {
                           return OneOrder("SELECT body FROM orders WHERE order_id = $1", id,
                                           what);
                         };
  rows.write = [this](Order order, Order::State previous, bool insert)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS {
                     return WriteLocked(std::move(order), previous, insert);
                   };
  return rows;
}

absl::Status PostgresOrderStore::Write(PendingWrite& write) {
  return writes_.Write(write, mu_, [this](const std::vector<PendingWrite*>& batch)
                                       ABSL_NO_THREAD_SAFETY_ANALYSIS { CommitLocked(batch); });
}

absl::StatusOr<CreateOrderResult> PostgresOrderStore::CreateOrder(Order order) {
  PendingWrite write;
  write.apply = CreateOrderStep(order, clock_, sequence_, Rows());
  RETURN_IF_ERROR(Write(write));
  return CreateOrderResult{std::move(write.order), write.event.has_value()};
}

absl::StatusOr<Order> PostgresOrderStore::UpdateOrder(const std::string& order_id,
                                                      const Mutation& mutate) {
  PendingWrite write;
  write.apply = UpdateOrderStep(order_id, mutate, Rows());
  RETURN_IF_ERROR(Write(write));
  return std::move(write.order);
}

}  // namespace cvm
