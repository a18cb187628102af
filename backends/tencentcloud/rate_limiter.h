// Client-side pacing at Tencent Cloud's per-action API limits.
//
// One schedule per (action, region): requests are spaced at least 1/rate
// apart, so no one-second window ever holds more than `rate` of them (Tencent
// answers RequestLimitExceeded above its published limits). Acquire() reserves
// the next slot and sleeps until it. DefaultRateLimits() keeps 10 % under the
// published numbers, headroom for a request delayed between its slot and the
// wire landing in the next second with the next second's own requests.
//
// Contract: thread-safe. RESOURCE_EXHAUSTED (reason CLOUD_RATE_LIMITED) when
// the wait would exceed `max_wait`; nothing is reserved then.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_RATE_LIMITER_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_RATE_LIMITER_H_

#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace cvm::tencentcloud {

// Tencent's published limits (requests per second per account and action).
std::map<std::string, double> DefaultRateLimits();
inline constexpr double kDefaultRatePerSecond = 18;  // 90 % of 20

class RateLimiter {
 public:
  using Sleep = std::function<void(absl::Duration)>;

  // `limits` by action; other actions get `default_rate`. `sleep` defaults to
  // absl::SleepFor (tests pass one that moves a FakeClock).
  RateLimiter(Clock* clock, std::map<std::string, double> limits, double default_rate,
              Sleep sleep = nullptr);

  // The time waited for the slot.
  absl::StatusOr<absl::Duration> Acquire(const std::string& action, const std::string& region,
                                         absl::Duration max_wait);

  // Total time callers were made to wait, for metrics and tests.
  absl::Duration total_wait() const;

 private:
  Clock* const clock_;
  const std::map<std::string, double> limits_;
  const double default_rate_;
  const Sleep sleep_;
  mutable absl::Mutex mu_;
  std::map<std::string, absl::Time> next_slot_ ABSL_GUARDED_BY(mu_);
  absl::Duration total_wait_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_RATE_LIMITER_H_
