#include "store/sqlite_order_store.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "common/status_macros.h"
#include "store/sqlite_statement.h"

namespace cvm {
namespace {

using google::protobuf::util::TimeUtil;
using sqlite::Error;
using sqlite::Exec;
using sqlite::Statement;

// Numbered schema migrations, applied in order, each once.
constexpr const char* kMigrations[] = {
    // 1: orders, their instance index and the event log.
    "CREATE TABLE orders (order_id TEXT PRIMARY KEY, request_id TEXT NOT NULL UNIQUE,"
    "  state INTEGER NOT NULL, region TEXT NOT NULL, body BLOB NOT NULL);"
    "CREATE INDEX orders_by_state ON orders(state);"
    "CREATE TABLE instances (instance_id TEXT PRIMARY KEY, order_id TEXT NOT NULL);"
    "CREATE TABLE events (revision INTEGER PRIMARY KEY, order_id TEXT NOT NULL,"
    "  previous_state INTEGER NOT NULL, body BLOB NOT NULL);"
    "CREATE INDEX events_by_order ON events(order_id, revision);",
    // 2: request ids unique per tenant (request_key = tenant "\n" request_id).
    "CREATE TABLE orders_v2 (order_id TEXT PRIMARY KEY, request_key TEXT NOT NULL UNIQUE,"
    "  request_id TEXT NOT NULL, tenant TEXT NOT NULL, state INTEGER NOT NULL,"
    "  region TEXT NOT NULL, body BLOB NOT NULL);"
    "INSERT INTO orders_v2 SELECT order_id, char(10) || request_id, request_id, '', state,"
    "  region, body FROM orders;"
    "DROP TABLE orders;"
    "ALTER TABLE orders_v2 RENAME TO orders;"
    "CREATE INDEX orders_by_state ON orders(state);"
    "CREATE INDEX orders_by_tenant ON orders(tenant, order_id);",
    // 3: node groups (store/sqlite_node_group_store.h), one row per
    // (tenant, group_id): the NodeGroup as protobuf bytes and its revision.
    "CREATE TABLE node_groups (tenant TEXT NOT NULL, group_id TEXT NOT NULL,"
    "  revision INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (tenant, group_id));",
    // 4: each event's tenant (its order's), so a tenant's Watch replay reads
    // only that tenant's events.
    "ALTER TABLE events ADD COLUMN tenant TEXT NOT NULL DEFAULT '';"
    "UPDATE events SET tenant = COALESCE("
    "  (SELECT tenant FROM orders WHERE orders.order_id = events.order_id), '');"
    "CREATE INDEX events_by_tenant ON events(tenant, revision);",
};

absl::StatusOr<Order> Parse(const std::string& blob) {
  Order order;
  if (!order.ParseFromString(blob)) return absl::InternalError("sqlite: unparsable order row");
  return order;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteOrderStore>> SqliteOrderStore::Open(
    const std::string& path, Clock* clock, Options options) {
  ASSIGN_OR_RETURN(sqlite3* db, sqlite::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  std::unique_ptr<SqliteOrderStore> store(new SqliteOrderStore(db, clock, options.max_events));
  absl::MutexLock lock(&store->mu_);
  // WAL: readers never block the writer. FULL: a commit is on disk (fsync)
  // before the call returns, so an order survives power loss, not just a
  // crash; group commit (Write()) shares that fsync between concurrent writes.
  absl::Status status = Exec(db, absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=",
                                             options.fsync_each_commit ? "FULL" : "NORMAL",
                                             "; PRAGMA busy_timeout=5000;"));
  if (status.ok()) status = store->Migrate();
  if (!status.ok()) return status;
  Statement last(db, "SELECT COALESCE(MAX(revision), 0) FROM events");
  if (last.Step() != SQLITE_ROW) return Error(db, "reading the revision");
  store->revision_ = last.ColumnInt(0);
  return store;
}

SqliteOrderStore::SqliteOrderStore(sqlite3* db, Clock* clock, size_t max_events)
    : db_(db), clock_(clock), max_events_(std::max<size_t>(max_events, 1)) {}

// close_v2: the connection closes once the cached statements are finalized
// (the members are destroyed after this body).
SqliteOrderStore::~SqliteOrderStore() { sqlite3_close_v2(db_); }

absl::Status SqliteOrderStore::Migrate() {
  absl::Status status = Exec(db_,
                             "CREATE TABLE IF NOT EXISTS schema_migrations ("
                             "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
  if (!status.ok()) return status;
  int64_t applied = 0;
  {
    // Finalized before migrating: a live statement would lock DROP TABLE.
    Statement current(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (current.Step() != SQLITE_ROW) return Error(db_, "reading the schema version");
    applied = current.ColumnInt(0);
  }
  const int64_t known = sizeof(kMigrations) / sizeof(kMigrations[0]);
  if (applied > known) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sqlite: the database has schema version ", applied, ", newer than this binary's ",
        known));
  }
  for (int64_t version = applied + 1; version <= known; ++version) {
    status = Exec(db_, absl::StrCat("BEGIN IMMEDIATE;", kMigrations[version - 1],
                                    "INSERT INTO schema_migrations VALUES (", version,
                                    ", datetime('now')); COMMIT;"));
    if (!status.ok()) {
      Exec(db_, "ROLLBACK").IgnoreError();
      return status;
    }
  }
  return absl::OkStatus();
}

void SqliteOrderStore::SetListener(Listener listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

absl::StatusOr<OrderEvent> SqliteOrderStore::WriteLocked(Order order, Order::State previous,
                                                         bool insert) {
  order.set_revision(++revision_);
  *order.mutable_update_time() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_->Now()));
  const std::string body = order.SerializeAsString();
  Statement write(db_, insert ? "INSERT INTO orders (state, region, body, order_id, request_id,"
                                " request_key, tenant) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                              : "UPDATE orders SET state = ?1, region = ?2, body = ?3"
                                " WHERE order_id = ?4",
                  statements_);
  write.Int(1, order.state()).Text(2, order.spec().region()).Blob(3, body).Text(4, order.order_id());
  if (insert) {
    write.Text(5, order.request_id())
        .Text(6, RequestKey(order.tenant(), order.request_id()))
        .Text(7, order.tenant());
  }
  absl::Status status = write.Run("writing an order");
  for (const auto& instance : order.instances()) {
    if (!status.ok()) break;
    status = Statement(db_, "INSERT OR REPLACE INTO instances VALUES (?1, ?2)", statements_)
                 .Text(1, instance.instance_id())
                 .Text(2, order.order_id())
                 .Run("indexing an instance");
  }
  if (status.ok()) {
    status = Statement(db_,
                       "INSERT INTO events (revision, order_id, previous_state, body, tenant)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
                       statements_)
                 .Int(1, order.revision())
                 .Text(2, order.order_id())
                 .Int(3, previous)
                 .Blob(4, body)
                 .Text(5, order.tenant())
                 .Run("appending an event");
  }
  if (status.ok()) {
    status = Statement(db_, "DELETE FROM events WHERE revision <= ?1", statements_)
                 .Int(1, order.revision() - static_cast<int64_t>(max_events_))
                 .Run("trimming the event log");
  }
  if (!status.ok()) return status;
  return OrderEvent{order.revision(), previous, std::move(order)};
}

void SqliteOrderStore::CommitLocked(const std::vector<PendingWrite*>& batch) {
  const int64_t first_revision = revision_;
  const uint32_t first_sequence = sequence_;
  absl::Status io = Exec(db_, "BEGIN IMMEDIATE");
  for (PendingWrite* write : batch) {
    if (!io.ok()) break;
    io = write->apply(*write);
  }
  if (io.ok()) io = Exec(db_, "COMMIT");
  if (io.ok()) ++commits_;
  if (!io.ok()) {
    // Nothing of the batch was written: every write in it fails alike.
    Exec(db_, "ROLLBACK").IgnoreError();
    revision_ = first_revision;
    sequence_ = first_sequence;
  }
  writes_.Finish(batch, io, [this](const OrderEvent& event) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (listener_) listener_(event);  // durable now, in revision order
  });
}

int64_t SqliteOrderStore::commits() const {
  absl::MutexLock lock(&mu_);
  return commits_;
}

OrderRows SqliteOrderStore::Rows() {
  OrderRows rows;
  rows.by_request_key = [this](const std::string& key, const std::string& what)
                            ABSL_NO_THREAD_SAFETY_ANALYSIS {
                              return OneOrder("SELECT body FROM orders WHERE request_key = ?1",
                                              key, what);
                            };
  rows.by_order_id = [this](const std::string& id, const std::string& what)
                         ABSL_NO_THREAD_SAFETY_ANALYSIS {
                           return OneOrder("SELECT body FROM orders WHERE order_id = ?1", id,
                                           what);
                         };
  rows.write = [this](Order order, Order::State previous, bool insert)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS {
                     return WriteLocked(std::move(order), previous, insert);
                   };
  return rows;
}

absl::Status SqliteOrderStore::Write(PendingWrite& write) {
  return writes_.Write(write, mu_, [this](const std::vector<PendingWrite*>& batch)
                                       ABSL_NO_THREAD_SAFETY_ANALYSIS { CommitLocked(batch); });
}

absl::StatusOr<CreateOrderResult> SqliteOrderStore::CreateOrder(Order order) {
  PendingWrite write;
  write.apply = CreateOrderStep(order, clock_, sequence_, Rows());
  RETURN_IF_ERROR(Write(write));
  return CreateOrderResult{std::move(write.order), write.event.has_value()};
}

absl::StatusOr<Order> SqliteOrderStore::UpdateOrder(const std::string& order_id,
                                                    const Mutation& mutate) {
  PendingWrite write;
  write.apply = UpdateOrderStep(order_id, mutate, Rows());
  RETURN_IF_ERROR(Write(write));
  return std::move(write.order);
}

absl::StatusOr<Order> SqliteOrderStore::OneOrder(const char* sql, const std::string& arg,
                                                 const std::string& what) {
  Statement query(db_, sql, statements_);
  query.Text(1, arg);
  const int rc = query.Step();
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(what.empty() ? "not found" : absl::StrCat(what, " not found"));
  }
  if (rc != SQLITE_ROW) return Error(db_, "reading an order");
  return Parse(query.ColumnBlob(0));
}

absl::StatusOr<Order> SqliteOrderStore::GetOrder(const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  return OneOrder("SELECT body FROM orders WHERE order_id = ?1", order_id,
                  absl::StrCat("order ", order_id));
}

absl::StatusOr<Order> SqliteOrderStore::FindByRequestId(const std::string& tenant,
                                                        const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  return OneOrder("SELECT body FROM orders WHERE request_key = ?1",
                  RequestKey(tenant, request_id),
                  absl::StrCat("the order with request_id ", request_id));
}

absl::StatusOr<Order> SqliteOrderStore::GetOrderByInstanceId(const std::string& instance_id) {
  absl::MutexLock lock(&mu_);
  return OneOrder(
      "SELECT o.body FROM instances i JOIN orders o ON o.order_id = i.order_id"
      " WHERE i.instance_id = ?1",
      instance_id, absl::StrCat("instance ", instance_id));
}

absl::StatusOr<std::vector<Order>> SqliteOrderStore::QueryOrders(
    const std::string& sql, const std::vector<std::string>& args) {
  Statement query(db_, sql);
  for (size_t i = 0; i < args.size(); ++i) query.Text(static_cast<int>(i + 1), args[i]);
  std::vector<Order> orders;
  int rc;
  while ((rc = query.Step()) == SQLITE_ROW) {
    absl::StatusOr<Order> order = Parse(query.ColumnBlob(0));
    if (!order.ok()) return order.status();
    orders.push_back(*std::move(order));
  }
  if (rc != SQLITE_DONE) return Error(db_, "listing orders");
  return orders;
}

absl::StatusOr<OrderPage> SqliteOrderStore::ListOrders(const ListQuery& query) {
  std::string sql = "SELECT body FROM orders WHERE tenant = ?1";
  std::vector<std::string> args = {query.tenant};
  if (!query.after_order_id.empty()) {
    sql += absl::StrCat(" AND order_id < ?", args.size() + 1);
    args.push_back(query.after_order_id);
  }
  if (!query.region.empty()) {
    sql += absl::StrCat(" AND region = ?", args.size() + 1);
    args.push_back(query.region);
  }
  if (!query.states.empty()) {
    std::vector<int> states(query.states.begin(), query.states.end());
    sql += absl::StrCat(" AND state IN (", absl::StrJoin(states, ","), ")");
  }
  sql += absl::StrCat(" ORDER BY order_id DESC LIMIT ", query.page_size + 1);
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::vector<Order>> orders = QueryOrders(sql, args);
  if (!orders.ok()) return orders.status();
  OrderPage page;
  page.more = static_cast<int>(orders->size()) > query.page_size;
  if (page.more) orders->pop_back();
  page.orders = *std::move(orders);
  return page;
}

absl::StatusOr<OrderSnapshot> SqliteOrderStore::Snapshot(const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  OrderSnapshot snapshot;
  snapshot.revision = revision_;
  if (!order_id.empty()) {
    absl::StatusOr<Order> order = OneOrder("SELECT body FROM orders WHERE order_id = ?1",
                                           order_id, absl::StrCat("order ", order_id));
    if (!order.ok()) return order.status();
    snapshot.orders.push_back(*std::move(order));
    return snapshot;
  }
  absl::StatusOr<std::vector<Order>> orders =
      QueryOrders("SELECT body FROM orders ORDER BY order_id", {});
  if (!orders.ok()) return orders.status();
  snapshot.orders = *std::move(orders);
  return snapshot;
}

absl::StatusOr<OrderSnapshot> SqliteOrderStore::SnapshotOfTenant(const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  OrderSnapshot snapshot;
  snapshot.revision = revision_;
  // orders_by_tenant (tenant, order_id): this tenant's rows, in order.
  absl::StatusOr<std::vector<Order>> orders =
      QueryOrders("SELECT body FROM orders WHERE tenant = ?1 ORDER BY order_id", {tenant});
  if (!orders.ok()) return orders.status();
  snapshot.orders = *std::move(orders);
  return snapshot;
}

absl::StatusOr<std::vector<OrderEvent>> SqliteOrderStore::EventsAfter(
    int64_t revision, const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  return EventsLocked(revision, order_id.empty() ? nullptr : "order_id", order_id);
}

absl::StatusOr<std::vector<OrderEvent>> SqliteOrderStore::EventsOfTenantAfter(
    const std::string& tenant, int64_t revision) {
  absl::MutexLock lock(&mu_);
  return EventsLocked(revision, "tenant", tenant);  // events_by_tenant (tenant, revision)
}

absl::StatusOr<std::vector<OrderEvent>> SqliteOrderStore::EventsLocked(int64_t revision,
                                                                       const char* column,
                                                                       const std::string& value) {
  Statement oldest_query(db_, "SELECT COALESCE(MIN(revision), 0) FROM events");
  if (oldest_query.Step() != SQLITE_ROW) return Error(db_, "reading the event log");
  const int64_t oldest = oldest_query.ColumnInt(0) == 0 ? revision_ + 1 : oldest_query.ColumnInt(0);
  if (revision > revision_ || revision < oldest - 1) {
    return absl::OutOfRangeError(absl::StrFormat(
        "revision %d is not available: the event log holds %d to %d", revision, oldest - 1,
        revision_));
  }
  Statement query(db_, absl::StrCat("SELECT revision, previous_state, body FROM events"
                                    " WHERE revision > ?1",
                                    column == nullptr ? "" : absl::StrCat(" AND ", column, " = ?2"),
                                    " ORDER BY revision"));
  query.Int(1, revision);
  if (column != nullptr) query.Text(2, value);
  std::vector<OrderEvent> events;
  int rc;
  while ((rc = query.Step()) == SQLITE_ROW) {
    absl::StatusOr<Order> order = Parse(query.ColumnBlob(2));
    if (!order.ok()) return order.status();
    events.push_back({query.ColumnInt(0), static_cast<Order::State>(query.ColumnInt(1)),
                      *std::move(order)});
  }
  if (rc != SQLITE_DONE) return Error(db_, "reading events");
  return events;
}

absl::StatusOr<std::vector<Order>> SqliteOrderStore::OrdersInStates(
    const std::vector<Order::State>& states) {
  std::vector<int> numbers(states.begin(), states.end());
  absl::MutexLock lock(&mu_);
  return QueryOrders(absl::StrCat("SELECT body FROM orders WHERE state IN (",
                                  absl::StrJoin(numbers, ","), ") ORDER BY order_id"),
                     {});
}

}  // namespace cvm
