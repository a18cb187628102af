#include "service/poller.h"
#include "common/order_states.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "common/proto_time.h"
#include "service/order_sync.h"

namespace cvm {
namespace {

// The background thread re-reads the clock at least this often, so a clock
// that jumps (an OffsetClock moved by a test) is noticed.
constexpr absl::Duration kMaxSleep = absl::Seconds(1);

absl::Span<const std::string> Batch(const std::vector<std::string>& ids, size_t start) {
  const size_t n = std::min<size_t>(kMaxDescribeBatch, ids.size() - start);
  return absl::MakeConstSpan(ids).subspan(start, n);
}

void KeepFirst(absl::Status& first, const absl::Status& status) {
  if (first.ok() && !status.ok()) first = status;
}

}  // namespace

Poller::Poller(OrderStore* store, const BackendSet* backends, Clock* clock, Options options)
    : store_(store), backends_(backends), clock_(clock), options_(options) {}

Poller::~Poller() { Stop(); }

absl::Status Poller::PollDue() { return Poll(/*all=*/false); }
absl::Status Poller::PollAll() { return Poll(/*all=*/true); }

absl::Status Poller::Poll(bool all) {
  absl::MutexLock round(&round_mu_);
  const absl::Time start = clock_->Now();
  uint64_t seen_notifications;
  {
    absl::MutexLock lock(&mu_);
    seen_notifications = notifications_;
  }
  absl::StatusOr<std::vector<Order>> orders =
      store_->OrdersInStates(PolledStates());
  if (!orders.ok()) {
    // Try again soon rather than spin on groups that stay due.
    absl::MutexLock lock(&mu_);
    next_scan_ = start + options_.fast_interval;
    for (auto& [key, group] : groups_) {
      group.next = std::max(group.next, start + options_.fast_interval);
    }
    return orders.status();
  }
  std::map<GroupKey, std::vector<Order>> by_group;
  for (Order& order : *orders) {
    by_group[{order.backend(), order.spec().region()}].push_back(std::move(order));
  }

  std::vector<GroupKey> due;
  {
    absl::MutexLock lock(&mu_);
    next_scan_ = start + options_.slow_interval;
    for (auto it = groups_.begin(); it != groups_.end();) {
      // A group with nothing left goes, unless a nudge came after the scan
      // began (its order may be newer than what the scan read).
      const bool nudged_since = it->second.nudge > seen_notifications;
      if (by_group.count(it->first) == 0 && !nudged_since) {
        if (options_.leases != nullptr) options_.leases->Release(ClaimOf(it->first));
        it = groups_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [key, unused] : by_group) {
      // A group the scan finds first is due now; one a Notify() created
      // waits for the time it set.
      auto [it, inserted] = groups_.try_emplace(key);
      if (inserted) it->second.next = start;
      if (all || it->second.next <= start) due.push_back(key);
    }
  }

  absl::Status first_error;
  for (const GroupKey& key : due) {
    if (options_.leases != nullptr) {
      // Another replica polls this group while it holds the claim; this one
      // asks again after fast_interval, to take over when it goes.
      absl::StatusOr<bool> claimed = options_.leases->TryAcquire(ClaimOf(key));
      if (!claimed.ok() || !*claimed) {
        KeepFirst(first_error, claimed.status());
        absl::MutexLock lock(&mu_);
        groups_[key].next = clock_->Now() + options_.fast_interval;
        continue;
      }
    }
    Round round = PollGroup(key, by_group[key]);
    KeepFirst(first_error, round.status);
    const absl::Time end = clock_->Now();
    absl::MutexLock lock(&mu_);
    Group& group = groups_[key];
    // A nudge during the round is for an order the round may have missed.
    const bool fast = round.fast || group.nudge > seen_notifications;
    absl::Duration interval = fast ? options_.fast_interval : options_.slow_interval;
    if (options_.max_describe_calls_per_second > 0) {
      interval =
          std::max(interval, absl::Seconds(round.calls / options_.max_describe_calls_per_second));
    }
    group.interval = interval;
    group.next = end + interval;
    group.nudge = 0;
  }
  return first_error;
}

std::string Poller::ClaimOf(const GroupKey& key) {
  return absl::StrCat("poll/", key.backend, "/", key.region);
}

Poller::Round Poller::PollGroup(const GroupKey& key, const std::vector<Order>& orders) {
  Round round;
  absl::StatusOr<Backend*> backend = backends_->Get(key.backend);
  if (!backend.ok()) {
    round.status = backend.status();
    return round;
  }
  std::vector<std::string> ids;
  for (const Order& order : orders) {
    for (std::string& id : LiveInstanceIds(order)) ids.push_back(std::move(id));
  }
  std::map<std::string, InstanceStatus> seen;
  for (size_t i = 0; i < ids.size(); i += kMaxDescribeBatch) {
    ++round.calls;
    absl::StatusOr<std::vector<InstanceStatus>> batch =
        (*backend)->Describe(key.region, Batch(ids, i));
    if (!batch.ok()) {
      KeepFirst(round.status, batch.status());
      continue;
    }
    for (InstanceStatus& status : *batch) {
      std::string id = status.instance_id;
      seen[std::move(id)] = std::move(status);
    }
  }
  for (const Order& order : orders) {
    // The mutation runs on the stored order, which may have moved on since
    // the scan (a Terminate): the stored state decides.
    absl::StatusOr<Order> updated = store_->UpdateOrder(order.order_id(), [&seen](Order& stored) {
      ApplyObserved(seen, stored);
      Settle(stored);
      return absl::OkStatus();
    });
    if (!updated.ok()) {
      KeepFirst(round.status, updated.status());
      round.fast = round.fast || NeedsFastPolling(order);
      continue;
    }
    round.fast = round.fast || NeedsFastPolling(*updated);
    if (updated->state() == Order::TERMINATING) {
      RetryRelease(**backend, key.region, *updated, seen, round);
    }
  }
  return round;
}

void Poller::RetryRelease(Backend& backend, const std::string& region, const Order& order,
                          const std::map<std::string, InstanceStatus>& seen, Round& round) {
  // A release that failed earlier (or was cut by a crash) is retried:
  // Terminate is idempotent, except on a prepaid instance already returned
  // (backends/backend.h rule 8).
  std::vector<std::string> live = IdsToRelease(order);
  if (order.spec().has_prepaid()) {
    // Only once the order sat still for the grace (no Terminate in flight),
    // only instances this round saw neither released nor returned, and
    // recorded first, so that the next retry waits a whole grace again.
    if (clock_->Now() - TimeOf(order.update_time()) < options_.prepaid_release_grace) return;
    live.erase(std::remove_if(live.begin(), live.end(),
                              [&seen](const std::string& id) { return seen.count(id) == 0; }),
               live.end());
    if (live.empty()) return;
    const absl::Time now = clock_->Now();
    absl::StatusOr<Order> recorded = store_->UpdateOrder(order.order_id(), [now](Order& o) {
      if (o.state() != Order::TERMINATING) {
        return absl::FailedPreconditionError("no longer TERMINATING");
      }
      *o.mutable_release_request_time() = ProtoOf(now);
      return absl::OkStatus();
    });
    if (!recorded.ok()) {
      if (recorded.status().code() != absl::StatusCode::kFailedPrecondition) {
        KeepFirst(round.status, recorded.status());
      }
      return;
    }
  }
  for (size_t i = 0; i < live.size(); i += kMaxDescribeBatch) {
    ++round.calls;
    KeepFirst(round.status, backend.Terminate(region, Batch(live, i)));
  }
}

void Poller::Notify(const OrderEvent& event) {
  if (!NeedsFastPolling(event.order)) return;
  const absl::Time soon = clock_->Now() + options_.fast_interval;
  absl::MutexLock lock(&mu_);
  Group& group = groups_[{event.order.backend(), event.order.spec().region()}];
  group.next = std::min(group.next, soon);
  group.nudge = ++notifications_;
  wake_ = true;
}

absl::Time Poller::NextPollLocked() const {
  absl::Time next = next_scan_;
  for (const auto& [key, group] : groups_) next = std::min(next, group.next);
  return next;
}

absl::Time Poller::NextPoll() const {
  absl::MutexLock lock(&mu_);
  return NextPollLocked();
}

std::optional<absl::Duration> Poller::IntervalOf(const std::string& backend,
                                                 const std::string& region) const {
  absl::MutexLock lock(&mu_);
  auto it = groups_.find({backend, region});
  if (it == groups_.end()) return std::nullopt;
  return it->second.interval;
}

void Poller::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void Poller::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Poller::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Duration wait = NextPollLocked() - clock_->Now();
    if (wait > absl::ZeroDuration()) {
      wake_ = false;
      mu_.AwaitWithTimeout(absl::Condition(&wake_), std::min(wait, kMaxSleep));
      continue;
    }
    mu_.Unlock();
    absl::Status status = PollDue();
    if (!status.ok()) {
      std::fprintf(stderr, "provisioner: polling: %s\n", status.ToString().c_str());
    }
    mu_.Lock();
  }
}

}  // namespace cvm
