// Exclusive claims on named units of work, shared by every process that uses
// one store: an order to take to the cloud ("order/<id>"), a polling group
// ("poll/<backend>/<region>"), the orphan sweep ("orphan-sweep").
//
// With several replicas on one PostgreSQL database, each unit is worked on by
// the one replica that holds its claim (PostgresWorkLeases: advisory locks of
// one session). A claim ends with Release(), with the process (a crash or a
// SIGKILL closes its session and the database frees its claims at once), or
// when the process loses its session: then TryAcquire() and Held() say so and
// the work stops until the claim is won again. Another replica finds the
// unit free at its next try and takes it over.
//
// Contract: thread-safe. A claim belongs to the process, not to a thread:
// TryAcquire() of a key this process holds is true (and checks that the
// session still lives). Errors: UNAVAILABLE when the store cannot be
// reached; the caller retries later and holds nothing it had.
#ifndef CVM_PROVISIONER_STORE_WORK_LEASES_H_
#define CVM_PROVISIONER_STORE_WORK_LEASES_H_

#include <string>

#include "absl/status/statusor.h"

namespace cvm {

class WorkLeases {
 public:
  virtual ~WorkLeases() = default;

  // True when this process holds `key` now, false when another process does.
  virtual absl::StatusOr<bool> TryAcquire(const std::string& key) = 0;
  // Gives `key` up (nothing when not held).
  virtual void Release(const std::string& key) = 0;
  // Whether other processes may hold claims: work is then shared, and units
  // another process left must be looked for and taken over.
  virtual bool shared() const = 0;
};

// The claims of a store only this process uses (memory, SQLite): every
// claim is granted, nothing is shared.
class LocalWorkLeases : public WorkLeases {
 public:
  absl::StatusOr<bool> TryAcquire(const std::string&) override { return true; }
  void Release(const std::string&) override {}
  bool shared() const override { return false; }
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_WORK_LEASES_H_
