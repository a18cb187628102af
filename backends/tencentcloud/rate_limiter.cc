#include "backends/tencentcloud/rate_limiter.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_details.h"

namespace cvm::tencentcloud {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
// The shortest wait between two looks at a schedule whose next free slot is
// beyond the horizon.
constexpr absl::Duration kMinRecheck = absl::Milliseconds(1);

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::map<std::string, double> DefaultRateLimits() {
  return {{"RunInstances", 10},      {"TerminateInstances", 10},
          {"InquiryPriceRunInstances", 10}, {"DescribeInstances", 40},
          {"DescribeInstancesStatus", 40},  {"StopInstances", 10},
          {"StartInstances", 10}};
}

RateLimiter::RateLimiter(Clock* clock, Options options, Sleep sleep)
    : RateLimiter(nullptr, clock, std::move(options), std::move(sleep)) {}

RateLimiter::RateLimiter(RateSlots* slots, Clock* clock, Options options, Sleep sleep)
    : owned_slots_(slots == nullptr ? std::make_unique<LocalRateSlots>() : nullptr),
      slots_(slots == nullptr ? owned_slots_.get() : slots),
      clock_(clock),
      options_(std::move(options)),
      sleep_(sleep ? std::move(sleep) : Sleep([](absl::Duration d) { absl::SleepFor(d); })) {}

int RateLimiter::PerSecond(const std::string& action) const {
  auto it = options_.limits.find(action);
  const double limit = it == options_.limits.end() ? options_.default_limit : it->second;
  if (limit <= 0) return 0;
  return std::max(1, static_cast<int>(std::floor(limit * (1 - options_.reserve) + 1e-9)));
}

absl::Time RateLimiter::SlotTime(int64_t n, int per_second) const {
  const int64_t second = FloorDiv(n, per_second);
  const int64_t k = n - second * per_second;
  return absl::FromUnixMicros(second * kMicrosPerSecond +
                              k * absl::ToInt64Microseconds(options_.send_window) / per_second);
}

int64_t RateLimiter::FirstSlotAtOrAfter(absl::Time t, int per_second) const {
  const int64_t micros = absl::ToUnixMicros(t);
  const int64_t second = FloorDiv(micros, kMicrosPerSecond);
  const int64_t into = micros - second * kMicrosPerSecond;
  const int64_t window = absl::ToInt64Microseconds(options_.send_window);
  const int64_t k = (into * per_second + window - 1) / window;  // ceil
  if (k >= per_second) return (second + 1) * per_second;
  return second * per_second + k;
}

int64_t RateLimiter::LastSlotAtOrBefore(absl::Time t, int per_second) const {
  const int64_t micros = absl::ToUnixMicros(t);
  const int64_t second = FloorDiv(micros, kMicrosPerSecond);
  const int64_t into = micros - second * kMicrosPerSecond;
  const int64_t k = std::min<int64_t>(
      into * per_second / absl::ToInt64Microseconds(options_.send_window), per_second - 1);
  return second * per_second + k;
}

absl::StatusOr<RateLimiter::Grant> RateLimiter::Acquire(const std::string& action,
                                                        absl::Time deadline) {
  const int per_second = PerSecond(action);
  if (per_second == 0) return Grant{absl::ZeroDuration()};  // not paced
  const std::string key = absl::StrCat(options_.account, "/", action);
  const absl::Time start = clock_->Now();
  const absl::Time give_up = std::min(deadline, start + options_.max_wait);
  auto too_late = [&](absl::Duration away) -> absl::Status {
    const std::string what =
        absl::StrCat("Tencent Cloud ", action, ": the next request slot is ",
                     absl::FormatDuration(away), " away");
    if (deadline < start + options_.max_wait) {
      return absl::DeadlineExceededError(absl::StrCat(what, ", after the caller's deadline"));
    }
    return WithReason(absl::ResourceExhaustedError(absl::StrCat(
                          what, ", over the ", absl::FormatDuration(options_.max_wait),
                          " allowed (", per_second, " per second shared by every replica)")),
                      "CLOUD_RATE_LIMITED");
  };
  for (;;) {
    const absl::Time now = clock_->Now();
    const int64_t first = FirstSlotAtOrAfter(now, per_second);
    if (SlotTime(first, per_second) > give_up) return too_late(SlotTime(first, per_second) - now);
    const int64_t last =
        std::max(first, LastSlotAtOrBefore(std::min(now + options_.horizon, give_up),
                                           per_second));
    absl::StatusOr<SlotTake> take = slots_->Take(key, first, last);
    if (!take.ok()) return take.status();
    const absl::Time at = SlotTime(take->slot, per_second);
    if (!take->taken) {
      // Others are ahead by more than the horizon: wait without a slot.
      if (at > give_up) return too_late(at - now);
      sleep_(std::max(at - options_.horizon - now, kMinRecheck));
      continue;
    }
    if (at > now) sleep_(at - now);
    const absl::Time woke = clock_->Now();
    const absl::Time send_by =
        absl::FromUnixSeconds(FloorDiv(take->slot, per_second) + 1) - options_.late_guard;
    if (woke < send_by) return Grant{woke - start, send_by};
    late_slots_.fetch_add(1);  // too late for its second: it goes unused
  }
}

}  // namespace cvm::tencentcloud
