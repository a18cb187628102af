#include "service/watch_hub.h"

#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::v1::WatchEvent;

// Records what the hub hands it; callbacks come from the fan-out thread.
class Recorder : public WatchSubscriber {
 public:
  void OnChanges(const std::vector<WatchMessagePtr>& batch) override {
    absl::MutexLock lock(&mu);
    changes.insert(changes.end(), batch.begin(), batch.end());
    calls.emplace_back();
    for (const WatchMessagePtr& change : batch) calls.back().push_back(change->revision);
    for (const WatchMessagePtr& change : batch) {
      sequence.push_back("CHANGE " + std::to_string(change->revision));
    }
  }
  void OnProgressTick(const WatchMessagePtr& progress, absl::Time idle_cutoff) override {
    absl::MutexLock lock(&mu);
    ticks.push_back({progress, idle_cutoff});
  }
  void OnClose(const absl::Status& status) override {
    absl::MutexLock lock(&mu);
    closed = status;
  }
  void OnAccount(const WatchMessagePtr& account) override {
    absl::MutexLock lock(&mu);
    accounts.push_back(account);
    sequence.push_back("ACCOUNT " + std::to_string(account->revision));
  }
  std::vector<int64_t> Revisions() {
    absl::MutexLock lock(&mu);
    std::vector<int64_t> out;
    for (const WatchMessagePtr& change : changes) out.push_back(change->revision);
    return out;
  }
  // Waits (real time) until at least `n` ticks arrived.
  bool AwaitTicks(size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return ticks.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }

  struct Tick {
    WatchMessagePtr progress;
    absl::Time idle_cutoff;
  };
  absl::Mutex mu;
  std::vector<WatchMessagePtr> changes ABSL_GUARDED_BY(mu);
  std::vector<Tick> ticks ABSL_GUARDED_BY(mu);
  std::vector<WatchMessagePtr> accounts ABSL_GUARDED_BY(mu);
  std::vector<std::string> sequence ABSL_GUARDED_BY(mu);  // changes and accounts
  std::vector<std::vector<int64_t>> calls ABSL_GUARDED_BY(mu);  // revisions per OnChanges
  absl::Status closed ABSL_GUARDED_BY(mu);
};

OrderEvent Event(int64_t revision) {
  OrderEvent event;
  event.revision = revision;
  event.order.set_order_id("ord-" + std::to_string(revision));
  return event;
}

TEST(WatchHubTest, EverySubscriberGetsEveryEventInOrderUntilItLeaves) {
  WatchHub hub;
  Recorder a, b;
  auto id_a = hub.Subscribe(&a);
  auto id_b = hub.Subscribe(&b);
  ASSERT_TRUE(id_a.ok() && id_b.ok());
  hub.Publish(Event(1));
  hub.Publish(Event(2));
  hub.Flush();
  hub.Unsubscribe(*id_b);
  hub.Publish(Event(3));
  hub.Flush();
  EXPECT_EQ(a.Revisions(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(b.Revisions(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(hub.subscriber_count(), 1u);
  EXPECT_EQ(hub.revision(), 3);
}

TEST(WatchHubTest, OneSerializedMessageIsSharedByEverySubscriber) {
  WatchHub hub;
  Recorder a, b;
  ASSERT_TRUE(hub.Subscribe(&a).ok());
  ASSERT_TRUE(hub.Subscribe(&b).ok());
  hub.Publish(Event(5));
  hub.Flush();
  absl::MutexLock la(&a.mu);
  absl::MutexLock lb(&b.mu);
  ASSERT_EQ(a.changes.size(), 1u);
  ASSERT_EQ(b.changes.size(), 1u);
  EXPECT_EQ(a.changes[0].get(), b.changes[0].get());
  EXPECT_EQ(a.changes[0]->order_id, "ord-5");
  WatchEvent parsed;
  ASSERT_TRUE(ParseWatchMessage(a.changes[0]->bytes, &parsed));
  EXPECT_EQ(parsed.type(), WatchEvent::CHANGE);
  EXPECT_EQ(parsed.orders(0).order_id(), "ord-5");
}

// A subscriber stuck in its callback never holds up the publisher (the
// store's commit path); it gets the events, in order, once it moves again.
class Stuck : public Recorder {
 public:
  void OnChanges(const std::vector<WatchMessagePtr>& batch) override {
    if (!entered.HasBeenNotified()) entered.Notify();
    release.WaitForNotification();
    Recorder::OnChanges(batch);
  }
  absl::Notification entered;  // the first call began
  absl::Notification release;
};

TEST(WatchHubTest, PublishNeverWaitsForSubscribers) {
  WatchHub hub;
  Stuck stuck;
  ASSERT_TRUE(hub.Subscribe(&stuck).ok());
  const absl::Time start = absl::Now();
  for (int64_t revision = 1; revision <= 100; ++revision) hub.Publish(Event(revision));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_TRUE(stuck.Revisions().empty());
  stuck.release.Notify();
  hub.Flush();
  std::vector<int64_t> expected;
  for (int64_t revision = 1; revision <= 100; ++revision) expected.push_back(revision);
  EXPECT_EQ(stuck.Revisions(), expected);
}

// While the fan-out is inside one subscriber's callback, others subscribe
// and leave without waiting for it (a stream's OnDone never blocks a gRPC
// callback thread behind a fan-out), and one that left gets nothing more.
TEST(WatchHubTest, SubscribeAndUnsubscribeNeverWaitForAFanOut) {
  WatchHub hub;
  Stuck stuck;
  Recorder leaving, late;
  ASSERT_TRUE(hub.Subscribe(&stuck).ok());  // first in the fan-out's order
  auto leaving_id = hub.Subscribe(&leaving);
  ASSERT_TRUE(leaving_id.ok());
  hub.Publish(Event(1));
  ASSERT_TRUE(stuck.entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::Notification done;
  std::thread other([&] {
    hub.Unsubscribe(*leaving_id);
    EXPECT_TRUE(hub.Subscribe(&late).ok());
    done.Notify();
  });
  // Passes only if neither call waited for the stuck callback to return.
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  stuck.release.Notify();
  other.join();
  hub.Publish(Event(2));
  hub.Flush();
  EXPECT_EQ(stuck.Revisions(), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(leaving.Revisions().empty());  // left before the fan-out reached it
  EXPECT_EQ(late.Revisions(), (std::vector<int64_t>{2}));
}

// A burst published while a fan-out walks the streams joins it: streams not
// reached yet get the whole burst in one call (one message), those already
// passed get the rest right after, every stream everything once, in order.
TEST(WatchHubTest, ChangesPublishedDuringAFanOutJoinItForStreamsNotYetReached) {
  WatchHub::Options options;
  options.join_every = 1;
  WatchHub hub(options);
  Stuck first;
  Recorder second, third;
  ASSERT_TRUE(hub.Subscribe(&first).ok());
  ASSERT_TRUE(hub.Subscribe(&second).ok());
  ASSERT_TRUE(hub.Subscribe(&third).ok());
  hub.Publish(Event(1));
  ASSERT_TRUE(first.entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  hub.Publish(Event(2));
  hub.Publish(Event(3));
  first.release.Notify();
  hub.Flush();  // returns only once 2 and 3 were handed to every subscriber
  using Calls = std::vector<std::vector<int64_t>>;
  absl::MutexLock l1(&first.mu), l2(&second.mu), l3(&third.mu);
  EXPECT_EQ(first.calls, (Calls{{1}, {2, 3}}));
  EXPECT_EQ(second.calls, (Calls{{1, 2, 3}}));
  EXPECT_EQ(third.calls, (Calls{{1, 2, 3}}));
  EXPECT_EQ(hub.revision(), 3);
}

TEST(WatchHubTest, CloseEndsEverySubscriptionAndRefusesNewOnes) {
  WatchHub hub;
  Recorder a;
  ASSERT_TRUE(hub.Subscribe(&a).ok());
  hub.Close(absl::UnavailableError("draining"));
  {
    absl::MutexLock lock(&a.mu);
    EXPECT_EQ(a.closed.code(), absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(hub.subscriber_count(), 0u);
  Recorder late;
  EXPECT_EQ(hub.Subscribe(&late).status().code(), absl::StatusCode::kUnavailable);
  hub.Publish(Event(9));
  hub.Flush();
  EXPECT_TRUE(a.Revisions().empty());
}

TEST(WatchHubTest, ProgressTicksCarryTheHubRevisionAndTheIdleCutoff) {
  FakeClock clock;
  WatchHub::Options options;
  options.progress_interval = absl::Milliseconds(40);  // ticks every 10 ms
  options.clock = &clock;
  WatchHub hub(options);
  Recorder a;
  ASSERT_TRUE(hub.Subscribe(&a).ok());
  hub.Publish(Event(1));
  hub.Publish(Event(2));
  hub.Flush();
  // The next tick after the flush carries revision 2.
  size_t seen = 0;
  {
    absl::MutexLock lock(&a.mu);
    seen = a.ticks.size();
  }
  ASSERT_TRUE(a.AwaitTicks(seen + 1));
  clock.Advance(absl::Seconds(5));
  {
    absl::MutexLock lock(&a.mu);
    seen = a.ticks.size();
  }
  ASSERT_TRUE(a.AwaitTicks(seen + 1));
  absl::MutexLock lock(&a.mu);
  const Recorder::Tick& last = a.ticks.back();
  EXPECT_EQ(last.progress->type, WatchEvent::PROGRESS);
  EXPECT_EQ(last.progress->revision, 2);
  EXPECT_EQ(last.idle_cutoff, clock.Now() - absl::Milliseconds(40));
  for (size_t i = 1; i < a.ticks.size(); ++i) {
    EXPECT_GE(a.ticks[i].progress->revision, a.ticks[i - 1].progress->revision);
  }
}

TEST(WatchHubTest, AccountEventsFollowTheChangesPublishedBeforeThemAtTheHubRevision) {
  WatchHub hub;
  Recorder a, b;
  ASSERT_TRUE(hub.Subscribe(&a).ok());
  ASSERT_TRUE(hub.Subscribe(&b).ok());
  hub.Publish(Event(1));
  hub.Publish(Event(2));
  provisioning::v1::AccountForecast forecast;
  forecast.set_backend("tencent");
  hub.PublishAccount(forecast, {"team-a"});
  hub.Publish(Event(3));
  hub.Flush();
  EXPECT_EQ(a.Revisions(), (std::vector<int64_t>{1, 2, 3}));
  absl::MutexLock la(&a.mu);
  absl::MutexLock lb(&b.mu);
  EXPECT_EQ(a.sequence,
            (std::vector<std::string>{"CHANGE 1", "CHANGE 2", "ACCOUNT 2", "CHANGE 3"}));
  ASSERT_EQ(a.accounts.size(), 1u);
  ASSERT_EQ(b.accounts.size(), 1u);
  EXPECT_EQ(a.accounts[0].get(), b.accounts[0].get());  // one message for all
  EXPECT_EQ(a.accounts[0]->type, WatchEvent::ACCOUNT);
  EXPECT_EQ(a.accounts[0]->revision, 2);
  EXPECT_EQ(a.accounts[0]->tenants, std::vector<std::string>{"team-a"});
  WatchEvent parsed;
  ASSERT_TRUE(ParseWatchMessage(a.accounts[0]->bytes, &parsed));
  EXPECT_EQ(parsed.account().backend(), "tencent");
}

TEST(WatchHubTest, ANewSubscriberLearnsTheWarningsStillStanding) {
  WatchHub hub;
  provisioning::v1::AccountForecast forecast;
  forecast.set_state(provisioning::v1::AccountForecast::WARNING);
  for (const char* backend : {"a", "b"}) {
    forecast.set_backend(backend);
    hub.PublishAccount(forecast, {});
  }
  forecast.set_state(provisioning::v1::AccountForecast::CLEARED);
  hub.PublishAccount(forecast, {});  // b is fine again
  hub.Flush();
  Recorder late;
  std::vector<WatchMessagePtr> standing;
  ASSERT_TRUE(hub.Subscribe(&late, &standing).ok());
  ASSERT_EQ(standing.size(), 1u);
  WatchEvent parsed;
  ASSERT_TRUE(ParseWatchMessage(standing[0]->bytes, &parsed));
  EXPECT_EQ(parsed.account().backend(), "a");
  EXPECT_EQ(parsed.account().state(), provisioning::v1::AccountForecast::WARNING);
  absl::MutexLock lock(&late.mu);
  EXPECT_TRUE(late.accounts.empty());  // not repeated through OnAccount
}

TEST(WatchHubTest, NoProgressTicksWhenTheIntervalIsZero) {
  WatchHub hub;  // progress_interval zero by default
  Recorder a;
  ASSERT_TRUE(hub.Subscribe(&a).ok());
  hub.Publish(Event(1));
  hub.Flush();
  absl::SleepFor(absl::Milliseconds(100));
  absl::MutexLock lock(&a.mu);
  EXPECT_TRUE(a.ticks.empty());
}

}  // namespace
}  // namespace cvm
