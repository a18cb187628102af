// RateSlots (store/rate_slots.h) in a PostgreSQL table, for replicas that
// share one database and one cloud account.
//
// Table rate_slots(key TEXT PRIMARY KEY, next_slot BIGINT), created by the
// PostgreSQL store's migrations (open the store first): the lowest
// free slot of each schedule. Take() is one statement, an upsert that moves
// next_slot past the slot it hands out only when that slot is within the
// caller's bound, so concurrent takers in any number of processes are
// serialized by the row lock and never share a slot. A process that dies
// holds nothing: slots it took and did not use pass unused.
//
// Contract: RateSlots'. Thread-safe: calls are serialized on one dedicated
// connection (reconnected after a failure), one round trip each.
#ifndef CVM_PROVISIONER_STORE_POSTGRES_RATE_SLOTS_H_
#define CVM_PROVISIONER_STORE_POSTGRES_RATE_SLOTS_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "store/pg_connection.h"
#include "store/rate_slots.h"

namespace cvm {

class PostgresRateSlots : public RateSlots {
 public:
  // `conninfo`: as for PostgresOrderStore. Connects on first use.
  explicit PostgresRateSlots(std::string conninfo) : connection_(std::move(conninfo)) {}

  absl::StatusOr<SlotTake> Take(const std::string& key, int64_t first, int64_t last) override;
  bool shared() const override { return true; }

 private:
  absl::Mutex mu_;
  pg::Connection connection_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_POSTGRES_RATE_SLOTS_H_
