#include "store/postgres_capacity_verdicts.h"

namespace cvm {

absl::Status PostgresCapacityVerdicts::Record(const CapacityCell& cell,
                                              const CapacityVerdict& verdict) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<pg::Result> done = connection_.Exec(
      "recording a capacity verdict",
      "INSERT INTO capacity_verdicts (cell, reason, message, until_micros, bound)"
      " VALUES ($1, $2, $3, $4::bigint, $5) ON CONFLICT (cell) DO UPDATE SET"
      " reason = EXCLUDED.reason, message = EXCLUDED.message,"
      " until_micros = EXCLUDED.until_micros, bound = EXCLUDED.bound",
      {pg::Text(cell.Key()), pg::Text(verdict.reason), pg::Text(verdict.message),
       pg::Int(absl::ToUnixMicros(verdict.until)), pg::Text(verdict.bound)});
  if (!done.ok()) connection_.Rollback();
  return done.status();
}

absl::StatusOr<std::optional<CapacityVerdict>> PostgresCapacityVerdicts::Find(
    const CapacityCell& cell, absl::Time now) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<pg::Result> found = connection_.Exec(
      "reading a capacity verdict",
      "SELECT reason, message, until_micros, bound FROM capacity_verdicts"
      " WHERE cell = $1 AND until_micros > $2::bigint",
      {pg::Text(cell.Key()), pg::Int(absl::ToUnixMicros(now))});
  if (!found.ok()) {
    connection_.Rollback();
    return found.status();
  }
  if (found->rows() == 0) return std::nullopt;
  return CapacityVerdict{found->Bytes(0, 0), found->Bytes(0, 1),
                         absl::FromUnixMicros(found->Int(0, 2)), found->Bytes(0, 3)};
}

}  // namespace cvm
