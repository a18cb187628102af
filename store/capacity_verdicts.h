// Sold-out memory: what the service learnt about where capacity is not, for
// a while, shared by every order and (with PostgreSQL) every replica.
//
// A verdict is about one cell, the place and shape of a purchase (backend,
// region, zone, instance type, billing): its reason is the error reason the
// cloud's answer was mapped to (ZONE_SOLD_OUT, INSUFFICIENT_STOCK,
// SPOT_PRICE_TOO_LOW), with what it depends on (`bound`), and it stands until
// `until`. While it
// stands, purchases into the cell fail at once with that reason instead of
// asking the cloud again (service/capacity_memory.h). A later verdict on the
// same cell replaces it; one that has passed is as if never recorded.
//
// LocalCapacityVerdicts keeps them in this process (memory, SQLite: the only
// process of its store). PostgresCapacityVerdicts
// (store/postgres_capacity_verdicts.h) keeps them in a table every replica
// reads.
//
// Contract: thread-safe. Errors: UNAVAILABLE when the store cannot be
// reached (nothing recorded; a Find() that fails knows nothing).
#ifndef CVM_PROVISIONER_STORE_CAPACITY_VERDICTS_H_
#define CVM_PROVISIONER_STORE_CAPACITY_VERDICTS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cvm {

struct CapacityCell {
  std::string backend;
  std::string region;
  std::string zone;
  std::string instance_type;
  std::string billing;  // "PAY_AS_YOU_GO", "SPOT", "PREPAID"

  // "backend/region/zone/type/billing": the key of the cell.
  std::string Key() const {
    return absl::StrCat(backend, "/", region, "/", zone, "/", instance_type, "/", billing);
  }
};

struct CapacityVerdict {
  std::string reason;   // e.g. "ZONE_SOLD_OUT"
  std::string message;  // what the cloud said, for the order's failure
  absl::Time until;     // stands while now < until
  // What the verdict depends on, for the reasons that depend on the order:
  // INSUFFICIENT_STOCK the instances left, SPOT_PRICE_TOO_LOW the market
  // price (a decimal); "" otherwise.
  std::string bound;
};

class CapacityVerdicts {
 public:
  virtual ~CapacityVerdicts() = default;

  // Records `verdict` on `cell`, replacing any earlier one.
  virtual absl::Status Record(const CapacityCell& cell, const CapacityVerdict& verdict) = 0;
  // The verdict on `cell` that still stands at `now`, or nullopt.
  virtual absl::StatusOr<std::optional<CapacityVerdict>> Find(const CapacityCell& cell,
                                                             absl::Time now) = 0;
};

// The verdicts of a store only this process uses.
class LocalCapacityVerdicts : public CapacityVerdicts {
 public:
  absl::Status Record(const CapacityCell& cell, const CapacityVerdict& verdict) override {
    absl::MutexLock lock(&mu_);
    verdicts_[cell.Key()] = verdict;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<CapacityVerdict>> Find(const CapacityCell& cell,
                                                     absl::Time now) override {
    absl::MutexLock lock(&mu_);
    auto it = verdicts_.find(cell.Key());
    if (it == verdicts_.end()) return std::nullopt;
    if (now >= it->second.until) {
      verdicts_.erase(it);  // passed: forgotten, so the map holds only live ones
      return std::nullopt;
    }
    return it->second;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, CapacityVerdict> verdicts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_CAPACITY_VERDICTS_H_
