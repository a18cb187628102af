// Pacing of one Tencent Cloud account's API calls at its per-action limits,
// shared by every replica that calls with that account.
//
// Tencent counts requests per account and action in each second and answers
// RequestLimitExceeded above its published limits (DefaultRateLimits()),
// throttling every user of the account (console, Terraform, TKE) with us. So
// each action gets N = floor(limit x (1 - reserve)) slots per second, the
// reserve (default 20 %) being left to the account's other users. Slot k of
// second S starts at S + k x send_window / N (the slots fill the first
// `send_window` of the second); slot numbers n = S x N + k are handed out by
// a RateSlots schedule (store/rate_slots.h) named "<account>/<action>":
// in-process with one replica, in PostgreSQL with several, so replicas
// together never take more than N slots of a second.
//
// Acquire() takes the action's next free slot and sleeps until it; the
// caller sends the request before the grant's send_by (S + 1 - late_guard)
// or not at all (MissedSlot(), then Acquire() again). A call that wakes or
// gets to its send too late for its slot's second (an overloaded machine, a
// long pause) does not go out on that slot, so no second ever sees more than
// N calls (given clocks and transit within late_guard of the cloud's). A
// call made in the last 1 s - send_window of a second waits for the next. A slot is taken at most
// `horizon` ahead: a caller further back in line waits without holding one.
// That bounds what a replica that dies can leave unused: the slots it held
// are at most `horizon` ahead of its death, so within `horizon` the others
// have the whole rate again.
//
// Contract: thread-safe. Every call of every kind (retries, recovery,
// polling, pre-flight, Quote, sweeps) must Acquire() before it is sent.
// Errors: RESOURCE_EXHAUSTED (reason CLOUD_RATE_LIMITED) when the slot is
// further than `max_wait` away, DEADLINE_EXCEEDED when it is past the
// caller's deadline (nothing is sent), UNAVAILABLE when the shared schedule
// cannot be reached.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_RATE_LIMITER_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_RATE_LIMITER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "store/rate_slots.h"

namespace cvm::tencentcloud {

// Tencent's published limits: requests per second per account and action.
std::map<std::string, double> DefaultRateLimits();
// Tencent's limit for the actions DefaultRateLimits() does not name.
inline constexpr double kDefaultRatePerSecond = 20;

class RateLimiter {
 public:
  using Sleep = std::function<void(absl::Duration)>;

  struct Options {
    // Names the account's schedules ("<account>/<action>"): backends that
    // call with the same account must give the same name.
    std::string account = "default";
    // The cloud's limit per action (requests per second); other actions get
    // default_limit. 0 means the action is not paced.
    std::map<std::string, double> limits = DefaultRateLimits();
    double default_limit = kDefaultRatePerSecond;
    // Share of every limit left to the account's other users, in [0, 1).
    double reserve = 0.2;
    // How far ahead a slot may be taken (the bound on what a dead replica
    // leaves unused).
    absl::Duration horizon = absl::Seconds(1);
    // The part of each second the slots are spread over, and how close to
    // the end of its second a call may still go out.
    absl::Duration send_window = absl::Milliseconds(700);
    absl::Duration late_guard = absl::Milliseconds(250);
    // Longest wait for a slot (RESOURCE_EXHAUSTED beyond it).
    absl::Duration max_wait = absl::Seconds(60);
  };

  // `slots` and `clock` outlive the limiter. `sleep` defaults to
  // absl::SleepFor (tests pass one that moves a FakeClock).
  RateLimiter(RateSlots* slots, Clock* clock, Options options, Sleep sleep = nullptr);
  // A limiter with a schedule of its own (LocalRateSlots): one process.
  RateLimiter(Clock* clock, Options options, Sleep sleep = nullptr);

  // A slot: how long the caller waited for it, and when it must have sent
  // the request by (InfiniteFuture for an unpaced action).
  struct Grant {
    absl::Duration waited;
    absl::Time send_by = absl::InfiniteFuture();
  };
  // Waits for `action`'s next slot (see the contract).
  absl::StatusOr<Grant> Acquire(const std::string& action,
                                absl::Time deadline = absl::InfiniteFuture());
  // The caller got to its send after the grant's send_by: the slot goes unused.
  void MissedSlot() { late_slots_.fetch_add(1); }

  // Calls per second `action` is paced at (N above); 0 when unpaced.
  int PerSecond(const std::string& action) const;
  // Slots given up because the caller woke too late for them.
  int64_t late_slots() const { return late_slots_.load(); }
  const Options& options() const { return options_; }

 private:
  // The start of slot n of an action paced at `per_second`.
  absl::Time SlotTime(int64_t n, int per_second) const;
  // The first slot starting at or after `t`, and the last starting at or
  // before `t`.
  int64_t FirstSlotAtOrAfter(absl::Time t, int per_second) const;
  int64_t LastSlotAtOrBefore(absl::Time t, int per_second) const;

  const std::unique_ptr<RateSlots> owned_slots_;  // null when given one
  RateSlots* const slots_;
  Clock* const clock_;
  const Options options_;
  const Sleep sleep_;
  std::atomic<int64_t> late_slots_{0};
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_RATE_LIMITER_H_
