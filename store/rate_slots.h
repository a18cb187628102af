// Numbered request slots on schedules shared by every process that uses one
// store: how replicas pace their calls to one cloud account as one client.
//
// A schedule is named by a key (e.g. "<account>/RunInstances") and hands out
// integer slots in increasing order, each at most once: Take(key, first,
// last) takes the lowest free slot >= `first` when it is <= `last`. What a
// slot number means in time is the caller's business
// (backends/account_rate_limiter.h maps slot n of a limit of N per second to
// second n / N); the schedule only guarantees that no two takers, in any
// process, ever get the same slot of one key.
//
// LocalRateSlots keeps the schedules in this process (memory, SQLite: no
// other process calls the cloud for this store). PostgresRateSlots
// (store/postgres_rate_slots.h) keeps them in a table, so every replica takes
// from the same schedule. Slots a process took and never used (it died while
// waiting for them) are simply lost: nothing has to be given back, and a
// caller that never takes more than its horizon ahead bounds what a dead
// process can hold.
//
// Contract: thread-safe. Errors: UNAVAILABLE when the store cannot be
// reached (the caller may retry or give up; nothing was taken).
#ifndef CVM_PROVISIONER_STORE_RATE_SLOTS_H_
#define CVM_PROVISIONER_STORE_RATE_SLOTS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace cvm {

// The outcome of one Take().
struct SlotTake {
  // Whether `slot` was taken for the caller.
  bool taken = false;
  // taken: the slot now the caller's. Otherwise the lowest free slot, which
  // lies beyond `last`.
  int64_t slot = 0;
};

class RateSlots {
 public:
  virtual ~RateSlots() = default;

  // Takes the lowest free slot >= `first` of `key` if it is <= `last`
  // (first <= last).
  virtual absl::StatusOr<SlotTake> Take(const std::string& key, int64_t first,
                                        int64_t last) = 0;
  // Whether other processes take from the same schedules.
  virtual bool shared() const = 0;
};

// The schedules of a store only this process uses.
class LocalRateSlots : public RateSlots {
 public:
  absl::StatusOr<SlotTake> Take(const std::string& key, int64_t first, int64_t last) override {
    absl::MutexLock lock(&mu_);
    int64_t& next = next_[key];  // the lowest free slot; 0 for a new key
    const int64_t slot = std::max(next, first);
    if (slot > last) return SlotTake{false, slot};
    next = slot + 1;
    return SlotTake{true, slot};
  }
  bool shared() const override { return false; }

 private:
  absl::Mutex mu_;
  std::map<std::string, int64_t> next_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_RATE_SLOTS_H_
