// Keeps stored orders in line with the cloud, cheaply.
//
// Orders that can still change (PROVISIONING, ACTIVE, TERMINATING) are
// grouped by backend (one cloud account) and region. Each group has one
// polling schedule: a round describes every live instance of every order of
// the group in DescribeInstances-style calls of at most kMaxDescribeBatch
// ids, so a round costs ceil(instances / 100) calls, whatever the number of
// orders or of Watch streams. What a round sees is written to the store
// (ApplyObserved + Settle, service/order_sync.h), one update per changed
// order, so Watch streams learn it from the event log. TERMINATING orders
// with live instances get their release retried: at once for pay-as-you-go
// and spot; for prepaid only once the order has not changed for
// prepaid_release_grace, only for instances this round saw neither released
// nor returned to the recycle bin (backends/backend.h rule 8), and recorded
// (Order.release_request_time) before the call, so a retry never races the
// Terminate call that recorded the intent nor the previous retry.
//
// The interval adapts: fast_interval while any order of the group needs it
// (NeedsFastPolling: an instance PENDING or waiting for its public IP, or the
// order TERMINATING), slow_interval once all are steady; never so short that
// a group spends more than max_describe_calls_per_second. Notify(), fed from
// the store listener, pulls a group's next round forward when an order starts
// needing fast polling (a new purchase, a Terminate).
//
// Time comes from the injected Clock: tests call PollDue() / PollAll() with a
// FakeClock and never sleep. Start() runs rounds on a background thread,
// which waits in real time, in slices of at most one second.
//
// Contract: thread-safe. Rounds never overlap. Notify() only takes a short
// lock and never calls the store, so the store listener may call it. Errors:
// PollDue() / PollAll() return the first error met (store I/O, a backend's
// Describe or Terminate error, NOT_FOUND for an order whose backend is not
// configured); the other groups and orders are still polled.
#ifndef CVM_PROVISIONER_SERVICE_POLLER_H_
#define CVM_PROVISIONER_SERVICE_POLLER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "common/clock.h"
#include "plugins/backend_set.h"
#include "store/order_store.h"
#include "store/work_leases.h"

namespace cvm {

class Poller {
 public:
  struct Options {
    // While any order of the group is pending, waits for a public IP or is
    // being terminated.
    absl::Duration fast_interval = absl::Seconds(2);
    // Once every order of the group is steady.
    absl::Duration slow_interval = absl::Seconds(30);
    // Describe calls per second one group may spend, averaged over a round
    // and the wait after it: 90 % of Tencent's DescribeInstances limit (40/s).
    double max_describe_calls_per_second = 36;
    // Claims shared with other replicas (store/work_leases.h): a group is
    // polled by the one replica holding "poll/<backend>/<region>"; the
    // others ask again every fast_interval and take over when it goes.
    // Null: this process polls every group.
    WorkLeases* leases = nullptr;
    // How long a TERMINATING prepaid order stays unchanged before a round
    // retries its release (a second TerminateInstances would destroy an
    // instance the first one just returned). Longer than a Terminate call
    // with its retries; bounds how long a release cut by a crash waits.
    absl::Duration prepaid_release_grace = absl::Minutes(2);
  };

  // `store`, `backends` and `clock` must outlive the poller.
  Poller(OrderStore* store, const BackendSet* backends, Clock* clock, Options options);
  ~Poller();  // Stop()

  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // One round for every group whose time has come, and for groups never
  // polled yet.
  absl::Status PollDue();
  // One round for every group now, whatever its schedule.
  absl::Status PollAll();

  // Store listener hook: an order that needs fast polling brings its group's
  // next round to at most fast_interval from now. Quick; never blocks on I/O.
  void Notify(const OrderEvent& event);

  // When PollDue() has work next: the earliest group round, or the next scan
  // for new groups (at most slow_interval after the last).
  absl::Time NextPoll() const;
  // The interval chosen after the group's last round; none before its first.
  std::optional<absl::Duration> IntervalOf(const std::string& backend,
                                           const std::string& region) const;

  // Runs PollDue() on a background thread whenever NextPoll() comes; errors
  // go to stderr. Stop() ends it and waits; both are idempotent.
  void Start();
  void Stop();

 private:
  struct GroupKey {
    std::string backend;
    std::string region;
    bool operator<(const GroupKey& other) const {
      return backend != other.backend ? backend < other.backend : region < other.region;
    }
  };
  struct Group {
    absl::Time next = absl::InfiniteFuture();
    std::optional<absl::Duration> interval;
    // The Notify() sequence number of the last nudge; 0: none since the
    // last round.
    uint64_t nudge = 0;
  };
  struct Round {
    absl::Status status;
    int calls = 0;
    bool fast = false;
  };

  absl::Status Poll(bool all) ABSL_LOCKS_EXCLUDED(mu_);
  // Describes and updates the orders of one group.
  Round PollGroup(const GroupKey& key, const std::vector<Order>& orders);
  static std::string ClaimOf(const GroupKey& key);
  // Releases what a TERMINATING order still holds; counts calls in `round`.
  // `seen`: what this round's Describe calls returned, by instance id.
  void RetryRelease(Backend& backend, const std::string& region, const Order& order,
                    const std::map<std::string, InstanceStatus>& seen, Round& round);
  absl::Time NextPollLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run();

  OrderStore* const store_;
  const BackendSet* const backends_;
  Clock* const clock_;
  const Options options_;

  absl::Mutex round_mu_;  // held for a whole round: rounds never overlap
  mutable absl::Mutex mu_;
  std::map<GroupKey, Group> groups_ ABSL_GUARDED_BY(mu_);
  absl::Time next_scan_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t notifications_ ABSL_GUARDED_BY(mu_) = 0;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_POLLER_H_
