// Injected time. Everything that reads the time or waits takes a Clock, so
// tests move time forward without sleeping.
//
// Contract: implementations are thread-safe. Now() never goes backwards.
#ifndef CVM_PROVISIONER_COMMON_CLOCK_H_
#define CVM_PROVISIONER_COMMON_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cvm {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time.
class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance; never destroyed.
  static Clock* Get() {
    static RealClock* clock = new RealClock;
    return clock;
  }
};

// Time that moves only when told to.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000))
      : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    if (d > absl::ZeroDuration()) now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// Another clock's time plus an offset that only grows: a real clock that
// tests and emulators can move forward.
class OffsetClock : public Clock {
 public:
  explicit OffsetClock(const Clock* base) : base_(base) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return base_->Now() + offset_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    if (d > absl::ZeroDuration()) offset_ += d;
  }

 private:
  const Clock* const base_;
  mutable absl::Mutex mu_;
  absl::Duration offset_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_CLOCK_H_
