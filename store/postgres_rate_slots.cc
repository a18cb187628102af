#include "store/postgres_rate_slots.h"

namespace cvm {

absl::StatusOr<SlotTake> PostgresRateSlots::Take(const std::string& key, int64_t first,
                                                 int64_t last) {
  absl::MutexLock lock(&mu_);
  // The row lock of the upsert orders concurrent takers; a slot beyond
  // `last` is not taken and the row is left as it was.
  absl::StatusOr<pg::Result> took = connection_.Exec(
      "taking a rate slot",
      "INSERT INTO rate_slots AS r (key, next_slot) VALUES ($1, $2::bigint + 1)"
      " ON CONFLICT (key) DO UPDATE SET next_slot = GREATEST(r.next_slot, $2::bigint) + 1"
      " WHERE GREATEST(r.next_slot, $2::bigint) <= $3::bigint"
      " RETURNING next_slot - 1",
      {pg::Text(key), pg::Int(first), pg::Int(last)});
  if (!took.ok()) {
    connection_.Rollback();
    return took.status();
  }
  if (took->rows() == 1) return SlotTake{true, took->Int(0, 0)};
  absl::StatusOr<pg::Result> next = connection_.Exec(
      "reading a rate schedule", "SELECT next_slot FROM rate_slots WHERE key = $1",
      {pg::Text(key)});
  if (!next.ok()) {
    connection_.Rollback();
    return next.status();
  }
  return SlotTake{false, next->rows() == 1 ? next->Int(0, 0) : last + 1};
}

}  // namespace cvm
