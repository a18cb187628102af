// Fans order events out to open Watch streams, and keeps idle streams alive.
//
// The store's listener calls Publish() for every committed change, in
// revision order. Publish() only queues the event: one fan-out thread owned by
// the hub serializes it once (a shared WatchMessage) and hands the same
// message to every subscriber, in revision order, so the store never waits on
// streams. The same thread is the one progress ticker for all streams: every
// progress_interval / 4 it offers each subscriber a PROGRESS message at the
// hub's revision, and a subscriber idle for progress_interval sends it (no
// thread or timer per stream). Close() (server drain) ends every
// subscription with a status and refuses new ones.
//
// A burst (an order accepted, checked, submitted and provisioning within a
// millisecond) usually arrives while the fan-out of its first change is
// still walking thousands of streams: the rest join that pass (Deliver()),
// so most streams get the whole burst at once and send it as one message.
//
// The fan-out walks a listing of the subscribers taken under the hub's lock
// and calls each without it: opening and ending streams (Subscribe,
// Unsubscribe when a stream is destroyed) never wait for a fan-out to thousands
// of streams, only, at most, for a callback of that one subscriber.
//
// Contract: thread-safe. Subscriber callbacks run on the fan-out thread (or,
// for OnClose, the closing thread) holding that subscriber's own lock: they
// must only enqueue or start a write, never block or call the hub. After
// Unsubscribe() returns, no callback of that subscriber runs.
#ifndef CVM_PROVISIONER_SERVICE_WATCH_HUB_H_
#define CVM_PROVISIONER_SERVICE_WATCH_HUB_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "service/watch_message.h"
#include "store/order_store.h"

namespace cvm {

class WatchSubscriber {
 public:
  virtual ~WatchSubscriber() = default;
  // Committed changes, oldest first. Changes arrive in revision order, each
  // once, from the subscription on; a burst comes in one call.
  virtual void OnChanges(const std::vector<WatchMessagePtr>& changes) = 0;
  // The progress tick. `progress` is a PROGRESS message at the hub's
  // revision: every change up to it has already been passed to OnChanges.
  // A subscriber with nothing queued whose last write started at or before
  // `idle_cutoff` (hub clock) should send it.
  virtual void OnProgressTick(const WatchMessagePtr& progress, absl::Time idle_cutoff) = 0;
  // The hub is closing; no more callbacks follow.
  virtual void OnClose(const absl::Status& status) = 0;
  // An ACCOUNT message (service/arrears_guard.h) at the hub's revision: every
  // change up to it has already been passed to OnChanges. Subscribers that
  // have no use for it keep this default.
  virtual void OnAccount(const WatchMessagePtr& account) { (void)account; }
};

class WatchHub {
 public:
  struct Options {
    // A stream idle this long gets a PROGRESS message (at most a quarter of
    // it later). Zero disables progress messages.
    absl::Duration progress_interval = absl::ZeroDuration();
    // Measures idleness; progress ticks themselves wait in real time.
    const Clock* clock = RealClock::Get();
    // A fan-out looks for changes published since it began after every
    // `join_every` subscribers (see Deliver()).
    size_t join_every = 64;
  };

  WatchHub() : WatchHub(Options()) {}
  explicit WatchHub(Options options);
  // Stops the fan-out thread; events not yet fanned out are dropped.
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // A subscription id, or UNAVAILABLE after Close(). `standing`, when given,
  // receives the ACCOUNT WARNINGs still standing (not CLEARED since), one per
  // backend: those delivered before the subscription, which OnAccount will
  // not repeat.
  absl::StatusOr<uint64_t> Subscribe(WatchSubscriber* subscriber,
                                     std::vector<WatchMessagePtr>* standing = nullptr);
  void Unsubscribe(uint64_t id);
  // Queues `event` for fan-out and returns; never waits for subscribers.
  // Callers publish in revision order.
  void Publish(const OrderEvent& event);
  // Queues an ACCOUNT event for `tenants`' subscribers (empty: all), sent
  // after the changes published before it, at the hub's revision then.
  void PublishAccount(const provisioning::v1::AccountForecast& forecast,
                      std::vector<std::string> tenants);
  // Returns once every event published before the call has been handed to
  // the subscribers (for tests and benchmarks).
  void Flush();
  // Calls OnClose(status) on every subscriber and refuses new ones.
  void Close(const absl::Status& status);

  size_t subscriber_count() const;
  // The revision of the last change handed to the subscribers (0 before any).
  int64_t revision() const;
  // The hub clock's time: subscribers stamp their writes with it.
  absl::Time Now() const { return options_.clock->Now(); }

 private:
  void Run();
  // Hands `events` to every subscriber. With `join_arrivals`, changes
  // published while the pass runs join it: subscribers not reached yet get
  // them in the same call (one write for a burst), those already passed get
  // them right after the pass. Returns how many such events it took from
  // the queue.
  size_t Deliver(std::deque<OrderEvent> events, bool join_arrivals);
  // Moves the queued events into `changes` unless an account notice waits
  // (it must follow the events published before it); how many it moved.
  size_t TakeArrivals(std::vector<WatchMessagePtr>& changes);
  struct AccountNotice {
    provisioning::v1::AccountForecast forecast;
    std::vector<std::string> tenants;
    size_t after = 0;  // the events of pending_ published before it
  };
  // Events and account notices in the order they were published.
  void DeliverInOrder(std::deque<OrderEvent> events, const std::deque<AccountNotice>& accounts);
  void DeliverAccount(const AccountNotice& notice);
  void TickProgress();

  // One subscriber; `subscriber` is cleared (under `mu`) when it leaves, so
  // a listing taken before never calls it afterwards.
  struct Slot {
    absl::Mutex mu;
    WatchSubscriber* subscriber ABSL_GUARDED_BY(mu) = nullptr;
  };
  using Listing = std::vector<std::shared_ptr<Slot>>;
  // The subscribers now (rebuilt after a change of membership).
  std::shared_ptr<const Listing> ListingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Calls `call` on the slot's subscriber if it is still subscribed.
  template <typename Call>
  static void CallIfSubscribed(Slot& slot, const Call& call);
  // The same for every slot of `listing`.
  template <typename Call>
  static void ForEach(const Listing& listing, const Call& call);

  const Options options_;

  // The fan-out queue.
  mutable absl::Mutex queue_mu_;
  std::deque<OrderEvent> pending_ ABSL_GUARDED_BY(queue_mu_);
  std::deque<AccountNotice> accounts_ ABSL_GUARDED_BY(queue_mu_);
  uint64_t published_ ABSL_GUARDED_BY(queue_mu_) = 0;
  uint64_t delivered_ ABSL_GUARDED_BY(queue_mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(queue_mu_) = false;

  // The subscribers; never held while calling them.
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(queue_mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, std::shared_ptr<Slot>> subscribers_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const Listing> listing_ ABSL_GUARDED_BY(mu_);  // null: stale
  // The last ACCOUNT WARNING of each backend not CLEARED since.
  std::map<std::string, WatchMessagePtr> standing_ ABSL_GUARDED_BY(mu_);

  std::thread fan_out_;  // last: starts once everything above exists
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_WATCH_HUB_H_
