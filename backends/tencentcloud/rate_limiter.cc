#include "backends/tencentcloud/rate_limiter.h"

#include "absl/strings/str_cat.h"
#include "common/status_details.h"

namespace cvm::tencentcloud {

std::map<std::string, double> DefaultRateLimits() {
  constexpr double kHeadroom = 0.9;
  return {{"RunInstances", 10 * kHeadroom},
          {"TerminateInstances", 10 * kHeadroom},
          {"InquiryPriceRunInstances", 10 * kHeadroom},
          {"DescribeInstances", 40 * kHeadroom},
          {"DescribeInstancesStatus", 40 * kHeadroom}};
}

RateLimiter::RateLimiter(Clock* clock, std::map<std::string, double> limits,
                         double default_rate, Sleep sleep)
    : clock_(clock),
      limits_(std::move(limits)),
      default_rate_(default_rate),
      sleep_(sleep ? std::move(sleep) : Sleep([](absl::Duration d) { absl::SleepFor(d); })) {}

absl::StatusOr<absl::Duration> RateLimiter::Acquire(const std::string& action,
                                                    const std::string& region,
                                                    absl::Duration max_wait) {
  auto limit = limits_.find(action);
  const double rate = limit == limits_.end() ? default_rate_ : limit->second;
  if (rate <= 0) return absl::ZeroDuration();  // unlimited
  const absl::Duration interval = absl::Seconds(1) / rate;
  absl::Duration wait;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    absl::Time& next = next_slot_[absl::StrCat(action, "/", region)];
    const absl::Time slot = std::max(next, now);
    wait = slot - now;
    if (wait > max_wait) {
      return WithReason(
          absl::ResourceExhaustedError(absl::StrCat(
              "Tencent Cloud ", action, " in ", region, ": the next request slot is ",
              absl::FormatDuration(wait), " away, over the ", absl::FormatDuration(max_wait),
              " allowed")),
          "CLOUD_RATE_LIMITED");
    }
    next = slot + interval;
    total_wait_ += wait;
  }
  if (wait > absl::ZeroDuration()) sleep_(wait);
  return wait;
}

absl::Duration RateLimiter::total_wait() const {
  absl::MutexLock lock(&mu_);
  return total_wait_;
}

}  // namespace cvm::tencentcloud
