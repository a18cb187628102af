// What the durable stores (SQLite, PostgreSQL) share about writing orders:
// group commit, and the rules of CreateOrder / UpdateOrder over the store's
// own SQL.
//
// Group commit: a store runs one write transaction at a time under its
// mutex. Writes that queue while one is in progress go together into the
// next one and share its commit; each returns only once its transaction
// ended, and a failed transaction fails every write in it (none is written).
//
// Contract: WriteQueue is thread-safe. The apply functions below run inside
// the store's transaction with its mutex held (on the committing thread).
#ifndef CVM_PROVISIONER_STORE_GROUP_COMMIT_H_
#define CVM_PROVISIONER_STORE_GROUP_COMMIT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "store/order_store.h"

namespace cvm {

// A write waiting for the next group commit.
struct PendingWrite {
  // Runs inside the batch's transaction; returns only the errors that abort
  // the whole batch (I/O). Sets the fields below.
  std::function<absl::Status(PendingWrite&)> apply;
  absl::Status status;              // the write's own outcome
  Order order;                      // the order as stored (or found)
  std::optional<OrderEvent> event;  // set when the write changed something
  bool done = false;                // guarded by the WriteQueue
};

class WriteQueue {
 public:
  using Commit = std::function<void(const std::vector<PendingWrite*>& batch)>;

  // Queues `write` and takes `store_mu`. Unless an earlier holder's
  // transaction already took the write, calls `commit` (with `store_mu`
  // held) for everything queued by then; `commit` ends with Finish().
  // Returns the write's outcome.
  absl::Status Write(PendingWrite& write, absl::Mutex& store_mu, const Commit& commit)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Ends `batch`'s transaction: with `io` failed, every write fails with it
  // and has no event; else `deliver` sees each write that has an event, in
  // order. Marks the writes done.
  void Finish(const std::vector<PendingWrite*>& batch, const absl::Status& io,
              const std::function<void(const OrderEvent&)>& deliver) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  std::vector<PendingWrite*> queue_ ABSL_GUARDED_BY(mu_);
};

// A store's reads and writes inside its open transaction.
struct OrderRows {
  // The order with this request key (RequestKey()) or order id; NOT_FOUND
  // "<what> not found" ("not found" when `what` is empty).
  std::function<absl::StatusOr<Order>(const std::string& request_key, const std::string& what)>
      by_request_key;
  std::function<absl::StatusOr<Order>(const std::string& order_id, const std::string& what)>
      by_order_id;
  // Writes `order` at the next revision (inserting it when `insert`) with
  // its event; returns the event.
  std::function<absl::StatusOr<OrderEvent>(Order order, Order::State previous, bool insert)>
      write;
};

// CreateOrder's step (OrderStore rule 2): the stored order of the same
// tenant and request id, else `order` stored under a new id minted from
// `sequence` (guarded by the store's mutex). `order` must outlive the write.
std::function<absl::Status(PendingWrite&)> CreateOrderStep(Order& order, Clock* clock,
                                                           uint32_t& sequence, OrderRows rows);

// UpdateOrder's step: `mutate` on the stored order; nothing written when it
// fails, changes nothing, or changes the order's tenant, id or name (INTERNAL,
// order_store.h rule 6); NOT_FOUND for an unknown order.
std::function<absl::Status(PendingWrite&)> UpdateOrderStep(const std::string& order_id,
                                                           const OrderStore::Mutation& mutate,
                                                           OrderRows rows);

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_GROUP_COMMIT_H_
