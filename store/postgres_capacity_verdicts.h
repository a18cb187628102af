// CapacityVerdicts (store/capacity_verdicts.h) in a PostgreSQL table, for
// replicas that share one database: a cell one replica found sold out is
// skipped by all of them for the verdict's TTL.
//
// Table capacity_verdicts(cell TEXT PRIMARY KEY, reason, message,
// until_micros), created by the PostgreSQL store's migrations (open the store
// first). Record() is one upsert, Find() one indexed read; passed verdicts
// are ignored by Find() and overwritten by the next Record() of their cell.
//
// Contract: CapacityVerdicts'. Thread-safe: calls are serialized on one
// dedicated connection (reconnected after a failure), one round trip each.
#ifndef CVM_PROVISIONER_STORE_POSTGRES_CAPACITY_VERDICTS_H_
#define CVM_PROVISIONER_STORE_POSTGRES_CAPACITY_VERDICTS_H_

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "store/capacity_verdicts.h"
#include "store/pg_connection.h"

namespace cvm {

class PostgresCapacityVerdicts : public CapacityVerdicts {
 public:
  // `conninfo`: as for PostgresOrderStore. Connects on first use.
  explicit PostgresCapacityVerdicts(std::string conninfo) : connection_(std::move(conninfo)) {}

  absl::Status Record(const CapacityCell& cell, const CapacityVerdict& verdict) override;
  absl::StatusOr<std::optional<CapacityVerdict>> Find(const CapacityCell& cell,
                                                     absl::Time now) override;

 private:
  absl::Mutex mu_;
  pg::Connection connection_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_POSTGRES_CAPACITY_VERDICTS_H_
