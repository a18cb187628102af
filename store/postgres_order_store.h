// An OrderStore in PostgreSQL (15 or newer), with the semantics of the SQLite
// store: orders survive a restart, request ids stay unique per tenant, and
// the event log (with its revisions) continues where it stopped.
//
// Connection: a libpq connection string or URI ("host=/run/postgresql
// dbname=cvm", "postgresql://cvm@db.internal:5432/cvm?sslmode=verify-full");
// libpq's environment variables (PGPASSWORD, PGSSLROOTCERT, ...) and
// ~/.pgpass apply. One connection; every call is serialized on it.
//
// Schema: numbered migrations applied at Open() and recorded in
// schema_migrations (version, applied_at), all pending ones in one
// transaction under an advisory lock, so processes opening the same database
// together migrate it once. Tables: orders (order_id primary key, request_key
// = RequestKey(tenant, request_id) unique, state, region, the Order as
// protobuf bytes), instances (instance_id → order_id), events (revision,
// order_id, previous_state, the Order as it became, its tenant; indexed by
// order and by tenant), store_revision (one row: the last revision).
//
// Revisions: every write transaction first locks the store_revision row
// (SELECT ... FOR UPDATE) and stores the new last revision before COMMIT, so
// writers are serialized, also across connections and processes, revisions
// follow commit order, and a rolled back transaction leaves no gap.
//
// Group commit: concurrent CreateOrder/UpdateOrder calls that queue while a
// transaction is in progress are applied one after the other in the next one
// and share its commit. Each call returns only once its change is committed;
// a failure of the transaction fails every write in it and writes none.
//
// Listener: called for every committed change of every process writing the
// database, once each, in revision order, always under the store's mutex (so
// SetListener() waits for a call in progress, also the feed's: order_store.h
// rule 5). A write transaction NOTIFYs
// kEventChannel with its last revision; a feed thread LISTENs on its own
// connection and hands the listener what other processes committed (also
// every feed_interval without a notification, and after reconnecting). This
// store's own writes reach the listener before the mutating call returns,
// after any earlier revision of another process. So a Watch on any replica
// sees the changes made through every replica, with the same revisions.
//
// Errors: UNAVAILABLE when the server cannot be reached or the connection is
// lost (also mid-call); the next call reconnects. A connection lost during
// COMMIT leaves the write's outcome unknown: retry it (CreateOrder by its
// request id is idempotent). FAILED_PRECONDITION at Open() for a schema newer
// than this binary; INTERNAL for a row that does not parse or an unexpected
// SQL error.
#ifndef CVM_PROVISIONER_STORE_POSTGRES_ORDER_STORE_H_
#define CVM_PROVISIONER_STORE_POSTGRES_ORDER_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "store/group_commit.h"
#include "store/order_store.h"
#include "store/pg_connection.h"

namespace cvm {

class PostgresOrderStore : public OrderStore {
 public:
  // Connects to `conninfo` and migrates the database (UNAVAILABLE when the
  // server cannot be reached).
  struct Options {
    size_t max_events = 100000;  // the event log keeps this many revisions
    // The feed reads the event log at least this often (it is woken by
    // notifications); how late another process's change can arrive when a
    // notification is lost.
    absl::Duration feed_interval = absl::Seconds(1);
  };
  static constexpr char kEventChannel[] = "cvm_order_events";

  static absl::StatusOr<std::unique_ptr<PostgresOrderStore>> Open(const std::string& conninfo,
                                                                  Clock* clock,
                                                                  Options options);
  static absl::StatusOr<std::unique_ptr<PostgresOrderStore>> Open(const std::string& conninfo,
                                                                  Clock* clock) {
    return Open(conninfo, clock, Options());
  }
  ~PostgresOrderStore() override;  // stops the feed

  absl::StatusOr<CreateOrderResult> CreateOrder(Order order) override;
  absl::StatusOr<Order> UpdateOrder(const std::string& order_id,
                                    const Mutation& mutate) override;
  absl::StatusOr<Order> GetOrder(const std::string& order_id) override;
  absl::StatusOr<Order> FindByRequestId(const std::string& tenant,
                                        const std::string& request_id) override;
  absl::StatusOr<Order> GetOrderByInstanceId(const std::string& instance_id) override;
  absl::StatusOr<OrderPage> ListOrders(const ListQuery& query) override;
  absl::StatusOr<OrderSnapshot> Snapshot(const std::string& order_id) override;
  absl::StatusOr<OrderSnapshot> SnapshotOfTenant(const std::string& tenant) override;
  absl::StatusOr<std::vector<OrderEvent>> EventsAfter(int64_t revision,
                                                      const std::string& order_id) override;
  absl::StatusOr<std::vector<OrderEvent>> EventsOfTenantAfter(const std::string& tenant,
                                                              int64_t revision) override;
  absl::StatusOr<std::vector<Order>> OrdersInStates(
      const std::vector<Order::State>& states) override;
  void SetListener(Listener listener) override;

  // Transactions committed so far (writes / commits = the group-commit factor).
  int64_t commits() const;
  // A cheap query on the store's connection: OK when the database answers.
  absl::Status CheckHealth() override;

 private:
  PostgresOrderStore(const std::string& conninfo, Clock* clock, Options options);
  absl::Status Migrate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Group commit (store/group_commit.h): returns once a transaction that
  // held `write` ended: that transaction's error, else write.status.
  absl::Status Write(PendingWrite& write) ABSL_LOCKS_EXCLUDED(mu_);
  // Create/update steps' access to the rows (in the batch's transaction).
  OrderRows Rows();
  // One transaction for `batch`, then the listener for each event.
  void CommitLocked(const std::vector<PendingWrite*>& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ApplyBatchLocked(const std::vector<PendingWrite*>& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes `order` at the next revision and its event in the open
  // transaction; returns the event.
  absl::StatusOr<OrderEvent> WriteLocked(Order order, Order::State previous, bool insert)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<Order>> QueryOrders(const std::string& sql,
                                                 const std::vector<pg::Param>& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The one order `sql` selects by `arg`; NOT_FOUND "<what> not found".
  absl::StatusOr<Order> OneOrder(const std::string& sql, const std::string& arg,
                                 const std::string& what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `read` in one REPEATABLE READ, READ ONLY transaction.
  absl::Status ReadTransaction(pg::Connection& connection,
                               const std::function<absl::Status()>& read)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> LastRevision(pg::Connection& connection)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Which events a read returns: those whose `column` ("order_id",
  // "tenant") is `value`; every one when `column` is null.
  struct EventFilter {
    const char* column = nullptr;
    std::string value;
  };
  // Events after `revision` (up to `last` when > 0; at most `limit` when
  // > 0) that `filter` keeps, oldest first, read on `connection`;
  // OUT_OF_RANGE when the log no longer holds them.
  absl::StatusOr<std::vector<OrderEvent>> ReadEventsLocked(pg::Connection& connection,
                                                           int64_t revision,
                                                           const EventFilter& filter, int64_t last,
                                                           int64_t limit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands the listener every committed revision after delivered_ up to
  // `last` (or the newest when 0) that it has not had, reading them on
  // `connection` (postgres_order_feed.cc). The feed reads on its own
  // connection, so a failure it meets is never one a caller should have seen.
  absl::Status DeliverLocked(pg::Connection& connection, int64_t last)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The feed thread: LISTEN, wait, deliver; reconnects after a loss.
  void Feed();

  Clock* const clock_;
  const size_t max_events_;
  const absl::Duration feed_interval_;
  mutable absl::Mutex mu_;
  pg::Connection connection_ ABSL_GUARDED_BY(mu_);
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;  // the open transaction's last revision
  uint32_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  Listener listener_ ABSL_GUARDED_BY(mu_);
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  // The last revision handed to the listener (or skipped before it was set).
  int64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  WriteQueue writes_;

  // The feed thread's own, for LISTEN and its reads; no other thread uses it.
  pg::Connection feed_connection_;
  absl::Mutex feed_mu_;
  bool stopping_ ABSL_GUARDED_BY(feed_mu_) = false;
  std::thread feed_thread_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_POSTGRES_ORDER_STORE_H_
