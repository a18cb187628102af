// An OrderStore in one SQLite file (WAL journal): orders survive a restart,
// request_id stays unique across restarts, and the event log (with its
// revisions) continues where it stopped.
//
// Schema changes are numbered migrations applied in order at Open() and
// recorded in the schema_migrations table. One process owns the file (several
// replicas use the PostgreSQL store); all calls are serialized on one
// connection. Writes are group-committed: concurrent CreateOrder/UpdateOrder
// calls that queue while a commit is in progress are applied one after the
// other in the next transaction and share its fsync (synchronous=FULL). Each
// call still returns only once its change is on disk; an I/O error fails every
// write of its transaction and writes none of them.
//
// Listener calls run under the store's mutex, so SetListener() waits for one
// in progress (order_store.h rule 5). Each event row carries its order's
// tenant (migration 4), indexed with the revision, as orders are by tenant.
//
// Errors: UNAVAILABLE when SQLite reports an I/O or busy error; INTERNAL for
// a row that does not parse (corruption).
#ifndef CVM_PROVISIONER_STORE_SQLITE_ORDER_STORE_H_
#define CVM_PROVISIONER_STORE_SQLITE_ORDER_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "store/group_commit.h"
#include "store/order_store.h"
#include "store/sqlite_statement.h"

struct sqlite3;

namespace cvm {

class SqliteOrderStore : public OrderStore {
 public:
  // Opens (creating if needed) the database at `path` and migrates it.
  struct Options {
    size_t max_events = 100000;  // event log length kept for Watch resume
    // true: synchronous=FULL, a commit is on disk (fsync) before it returns,
    // surviving power loss. false: synchronous=NORMAL, a commit survives a
    // process crash (SIGKILL) but the last ones may be lost with the machine.
    bool fsync_each_commit = true;
  };
  static absl::StatusOr<std::unique_ptr<SqliteOrderStore>> Open(const std::string& path,
                                                                Clock* clock,
                                                                Options options);
  static absl::StatusOr<std::unique_ptr<SqliteOrderStore>> Open(const std::string& path,
                                                                Clock* clock,
                                                                size_t max_events = 100000) {
    Options options;
    options.max_events = max_events;
    return Open(path, clock, options);
  }
  ~SqliteOrderStore() override;

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

 private:
  SqliteOrderStore(sqlite3* db, Clock* clock, size_t max_events);
  // Group commit (store/group_commit.h): returns once a commit that held
  // `write` finished: that commit's I/O error, else write.status.
  absl::Status Write(PendingWrite& write) ABSL_LOCKS_EXCLUDED(mu_);
  // One transaction for `batch`, then the listener for each event.
  void CommitLocked(const std::vector<PendingWrite*>& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Migrate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Create/update steps' access to the rows (in CommitLocked's transaction).
  OrderRows Rows();
  // Writes `order` at the next revision and its event in the open
  // transaction; returns the event.
  absl::StatusOr<OrderEvent> WriteLocked(Order order, Order::State previous, bool insert)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<Order>> QueryOrders(const std::string& sql,
                                                 const std::vector<std::string>& args)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The events after `revision` whose `column` ("order_id", "tenant"; every
  // event when null) is `value`, oldest first; OUT_OF_RANGE when the log no
  // longer holds them all.
  absl::StatusOr<std::vector<OrderEvent>> EventsLocked(int64_t revision, const char* column,
                                                       const std::string& value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `sql` must be a string literal (its statement is cached by address).
  absl::StatusOr<Order> OneOrder(const char* sql, const std::string& arg,
                                 const std::string& what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  sqlite3* const db_;
  sqlite::StatementCache statements_ ABSL_GUARDED_BY(mu_);
  Clock* const clock_;
  const size_t max_events_;
  mutable absl::Mutex mu_;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  Listener listener_ ABSL_GUARDED_BY(mu_);
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  WriteQueue writes_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_SQLITE_ORDER_STORE_H_
