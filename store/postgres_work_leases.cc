#include "store/postgres_work_leases.h"

#include <cstdio>

namespace cvm {

absl::Status PostgresWorkLeases::LostLocked(absl::Status status) {
  // A session that failed may still be alive on the server for a while (a
  // statement error): end it so that its locks go with what we forget.
  connection_.Close();
  held_.clear();
  return status;
}

absl::StatusOr<bool> PostgresWorkLeases::TryAcquire(const std::string& key) {
  absl::MutexLock lock(&mu_);
  if (held_.count(key) > 0) {
    // Held while the session lives; a new connection would hold nothing.
    if (!connection_.connected()) return LostLocked(absl::UnavailableError(
        "postgres: work leases: the session holding the claims is gone"));
    absl::StatusOr<pg::Result> alive = connection_.Exec("checking a work lease", "SELECT 1");
    if (!alive.ok()) return LostLocked(alive.status());
    return true;
  }
  absl::StatusOr<pg::Result> result =
      connection_.Exec("claiming work", "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                       {pg::Text(key)});
  if (!result.ok()) return LostLocked(result.status());
  // A boolean comes back as one byte in the binary format.
  const bool won = result->Bytes(0, 0) == std::string(1, '\1');
  if (won) held_.insert(key);
  return won;
}

void PostgresWorkLeases::Release(const std::string& key) {
  absl::MutexLock lock(&mu_);
  if (held_.erase(key) == 0) return;
  absl::StatusOr<pg::Result> result =
      connection_.Exec("releasing work", "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
                       {pg::Text(key)});
  if (!result.ok()) {
    // Without the session the lock is gone anyway, and so are the others.
    std::fprintf(stderr, "work leases: releasing %s: %s (every claim dropped)\n", key.c_str(),
                 LostLocked(result.status()).ToString().c_str());
  }
}

size_t PostgresWorkLeases::held() const {
  absl::MutexLock lock(&mu_);
  return held_.size();
}

}  // namespace cvm
