// WorkLeases (store/work_leases.h) as PostgreSQL session advisory locks, for
// replicas sharing one database.
//
// One dedicated connection holds this process's claims: key K is the lock
// hashtextextended(K, 0) (64 bits; keys of different units colliding would
// only serialize them). The database frees every claim of a session that
// ends, so a replica that dies (its socket closed by the kernel) leaves its
// work to the others at once, and a database restart frees all claims.
//
// TryAcquire() of a held key runs a cheap query to check that the session,
// and so the claim, still lives; when the connection is lost every claim is
// forgotten (UNAVAILABLE), and the next call reconnects with none.
//
// Contract: WorkLeases'. Thread-safe: calls are serialized on the
// connection, one round trip each.
#ifndef CVM_PROVISIONER_STORE_POSTGRES_WORK_LEASES_H_
#define CVM_PROVISIONER_STORE_POSTGRES_WORK_LEASES_H_

#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "store/pg_connection.h"
#include "store/work_leases.h"

namespace cvm {

class PostgresWorkLeases : public WorkLeases {
 public:
  // `conninfo`: as for PostgresOrderStore. Connects on first use.
  explicit PostgresWorkLeases(std::string conninfo) : connection_(std::move(conninfo)) {}

  absl::StatusOr<bool> TryAcquire(const std::string& key) override;
  void Release(const std::string& key) override;
  bool shared() const override { return true; }

  // The claims held, as far as this process knows (for tests and metrics).
  size_t held() const;

 private:
  // Forgets every claim after the connection failed with `status`.
  absl::Status LostLocked(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  pg::Connection connection_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_POSTGRES_WORK_LEASES_H_
