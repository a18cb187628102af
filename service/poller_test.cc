#include "service/poller.h"

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/change_recording_store.h"
#include "service/counting_backend.h"
#include "service/order_workflow.h"
#include "service/watch_hub.h"
#include "service/workflow_test_support.h"
#include "store/fake_work_leases.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::Instance;
using provisioning::v1::OrderChange;
using provisioning::v1::PurchaseRequest;
using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::SizeIs;

constexpr absl::Duration kFast = absl::Seconds(2);
constexpr absl::Duration kSlow = absl::Seconds(30);

PurchaseRequest Purchase(const std::string& request_id, int count,
                         const std::string& region = "r1") {
  PurchaseRequest r;
  r.set_request_id(request_id);
  r.set_instance_count(count);
  auto* spec = r.mutable_spec();
  spec->set_region(region);
  spec->set_zone(region + "-1");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-1");
  spec->mutable_internet()->set_public_ip(true);
  spec->mutable_pay_as_you_go();
  return r;
}

std::vector<size_t> Sizes(const std::vector<CountingBackend::DescribeCall>& calls) {
  std::vector<size_t> sizes;
  for (const auto& call : calls) sizes.push_back(call.ids);
  return sizes;
}

// Backend "a" serves regions r1 and r2, backend "b" region r3; both are fake
// clouds (PENDING 2 s, public IP 1 s after RUNNING) that count their calls.
class PollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RegisterCountingFake(registry_, &created_).ok());
    provisioning::config::v1::ServiceConfig config;
    FakeBackendConfig fake;
    fake.mutable_pending_duration()->set_seconds(2);
    fake.mutable_public_ip_delay()->set_seconds(1);
    for (const char* name : {"a", "b"}) {
      auto* backend = config.add_backends();
      backend->set_name(name);
      backend->set_plugin("counting-fake");
      backend->mutable_config()->PackFrom(fake);
    }
    auto* route_a = config.add_routes();
    route_a->add_regions("r1");
    route_a->add_regions("r2");
    route_a->set_backend("a");
    config.add_routes()->set_backend("b");
    BackendContext context;
    context.clock = &clock_;
    auto backends = BackendSet::Create(config, registry_, context);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = *std::move(backends);
    store_ = std::make_unique<ChangeRecordingStore>(std::make_unique<MemoryOrderStore>(&clock_));
    store_->SetListener([this](const OrderEvent& event) {
      if (poller_ != nullptr) poller_->Notify(event);
      hub_.Publish(event);
    });
    workflow_ = std::make_unique<OrderWorkflow>(store_.get(), backends_.get());
    NewPoller(Poller::Options{kFast, kSlow, 36});
  }

  void NewPoller(Poller::Options options) {
    poller_ = std::make_unique<Poller>(store_.get(), backends_.get(), &clock_, options);
  }

  Order Buy(const std::string& request_id, int count, const std::string& region = "r1") {
    auto order = PurchaseNow(*workflow_, Purchase(request_id, count, region));
    EXPECT_TRUE(order.ok()) << order.status();
    return order.value_or(Order());
  }

  // Describe calls of backend `name` since the last call, which resets them.
  std::vector<CountingBackend::DescribeCall> TakeDescribes(const std::string& name) {
    std::vector<CountingBackend::DescribeCall> calls = created_[name]->describe_calls();
    created_[name]->Reset();
    return calls;
  }

  FakeClock clock_;
  BackendRegistry registry_;
  std::map<std::string, CountingBackend*> created_;
  std::unique_ptr<BackendSet> backends_;
  WatchHub hub_;
  std::unique_ptr<ChangeRecordingStore> store_;
  std::unique_ptr<OrderWorkflow> workflow_;
  std::unique_ptr<Poller> poller_;
};

TEST_F(PollerTest, FastWhilePendingOrWaitingForAnIpThenSlowOnceSteady) {
  Order order = Buy("steady", 3);
  TakeDescribes("a");
  // The purchase nudged the group: its first round is one fast interval away
  // (the first PollDue() of a poller only scans for groups).
  ASSERT_TRUE(poller_->PollDue().ok());
  EXPECT_THAT(TakeDescribes("a"), SizeIs(0));
  EXPECT_EQ(poller_->NextPoll(), clock_.Now() + kFast);

  clock_.Advance(kFast);  // RUNNING, no public IP yet
  ASSERT_TRUE(poller_->PollDue().ok());
  EXPECT_THAT(Sizes(TakeDescribes("a")), ElementsAre(3));
  EXPECT_EQ(store_->GetOrder(order.order_id())->instances(0).state(), Instance::RUNNING);
  EXPECT_THAT(poller_->IntervalOf("a", "r1"), Optional(kFast));

  clock_.Advance(kFast);  // public IPs: ACTIVE
  ASSERT_TRUE(poller_->PollDue().ok());
  EXPECT_THAT(TakeDescribes("a"), SizeIs(1));
  Order active = *store_->GetOrder(order.order_id());
  EXPECT_EQ(active.state(), Order::ACTIVE);
  ASSERT_THAT(active.last_changes(), SizeIs(3));
  for (const OrderChange& change : active.last_changes()) {
    EXPECT_EQ(change.kind(), OrderChange::PUBLIC_IP_ASSIGNED);
    EXPECT_THAT(change.public_ips(), SizeIs(1));
  }
  EXPECT_THAT(poller_->IntervalOf("a", "r1"), Optional(kSlow));

  clock_.Advance(kSlow - absl::Seconds(1));
  ASSERT_TRUE(poller_->PollDue().ok());
  EXPECT_THAT(TakeDescribes("a"), SizeIs(0));
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(poller_->PollDue().ok());
  EXPECT_THAT(TakeDescribes("a"), SizeIs(1));
  EXPECT_EQ(store_->GetOrder(order.order_id())->revision(), active.revision());  // no news
}

TEST_F(PollerTest, AGroupAnotherReplicaPollsIsLeftToItAndTakenOverWhenItGoes) {
  FakeWorkLeases leases;
  {
    absl::MutexLock lock(&leases.mu);
    leases.others.insert("poll/b/r3");
  }
  Poller::Options options{kFast, kSlow, 36};
  options.leases = &leases;
  NewPoller(options);
  Buy("mine", 2, "r1");
  Buy("theirs", 3, "r3");
  TakeDescribes("a");
  TakeDescribes("b");
  clock_.Advance(kFast);
  ASSERT_TRUE(poller_->PollAll().ok());
  EXPECT_THAT(Sizes(TakeDescribes("a")), ElementsAre(2));
  EXPECT_THAT(TakeDescribes("b"), SizeIs(0));  // the other replica's
  {
    absl::MutexLock lock(&leases.mu);
    EXPECT_EQ(leases.held, std::set<std::string>{"poll/a/r1"});
    leases.others.clear();  // that replica died: its claims are free
  }
  clock_.Advance(kFast);  // asked again one fast interval later
  ASSERT_TRUE(poller_->PollDue().ok());
  EXPECT_THAT(Sizes(TakeDescribes("b")), ElementsAre(3));
  absl::MutexLock lock(&leases.mu);
  EXPECT_EQ(leases.held.count("poll/b/r3"), 1u);
}

TEST_F(PollerTest, BatchesTwoHundredFiftyInstancesIntoThreeCalls) {
  Buy("b1", 100);
  Buy("b2", 100);
  Buy("b3", 50);
  TakeDescribes("a");
  ASSERT_TRUE(poller_->PollAll().ok());
  EXPECT_THAT(Sizes(TakeDescribes("a")), ElementsAre(100, 100, 50));
  clock_.Advance(kFast);
  ASSERT_TRUE(poller_->PollDue().ok());
  EXPECT_THAT(Sizes(TakeDescribes("a")), ElementsAre(100, 100, 50));
}

TEST_F(PollerTest, OneScheduleAndOneBatchPerBackendAndRegion) {
  Buy("in-r1", 2, "r1");
  Buy("in-r2", 3, "r2");
  Buy("in-r3", 4, "r3");
  Buy("in-r3-too", 5, "r3");
  TakeDescribes("a");
  TakeDescribes("b");
  ASSERT_TRUE(poller_->PollAll().ok());
  std::vector<CountingBackend::DescribeCall> a = TakeDescribes("a");
  ASSERT_THAT(a, SizeIs(2));
  EXPECT_EQ(a[0].region, "r1");
  EXPECT_EQ(a[0].ids, 2);
  EXPECT_EQ(a[1].region, "r2");
  EXPECT_EQ(a[1].ids, 3);
  std::vector<CountingBackend::DescribeCall> b = TakeDescribes("b");
  ASSERT_THAT(b, SizeIs(1));
  EXPECT_EQ(b[0].region, "r3");
  EXPECT_EQ(b[0].ids, 9);
  for (const auto& [backend, region] :
       std::vector<std::pair<std::string, std::string>>{{"a", "r1"}, {"a", "r2"}, {"b", "r3"}}) {
    EXPECT_THAT(poller_->IntervalOf(backend, region), Optional(kFast)) << backend << region;
  }
  EXPECT_EQ(poller_->IntervalOf("b", "r1"), std::nullopt);
}

TEST_F(PollerTest, OrdersLeftByAPreviousProcessArePolledAtOnce) {
  Order order = Buy("before-restart", 2);
  clock_.Advance(absl::Seconds(5));
  NewPoller(Poller::Options{kFast, kSlow, 36});  // knows nothing yet
  TakeDescribes("a");
  ASSERT_TRUE(poller_->PollDue().ok());
  EXPECT_THAT(TakeDescribes("a"), SizeIs(1));
  EXPECT_EQ(store_->GetOrder(order.order_id())->state(), Order::ACTIVE);
}

TEST_F(PollerTest, TerminateBringsASteadyGroupBackToFastAndEndsIt) {
  Order order = Buy("release", 2);
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(poller_->PollAll().ok());
  ASSERT_THAT(poller_->IntervalOf("a", "r1"), Optional(kSlow));
  ASSERT_TRUE(TerminateById(*workflow_, order.order_id()).ok());
  EXPECT_EQ(poller_->NextPoll(), clock_.Now() + kFast);
  clock_.Advance(kFast);
  ASSERT_TRUE(poller_->PollDue().ok());
  Order done = *store_->GetOrder(order.order_id());
  EXPECT_EQ(done.state(), Order::TERMINATED);
  std::vector<OrderChange::Kind> kinds;
  for (const OrderChange& change : done.last_changes()) kinds.push_back(change.kind());
  EXPECT_THAT(kinds, ElementsAre(OrderChange::STATE_CHANGED, OrderChange::RELEASED,
                                 OrderChange::STATE_CHANGED, OrderChange::RELEASED,
                                 OrderChange::ORDER_FINAL));
  // Nothing left to poll: the next scan drops the group.
  TakeDescribes("a");
  clock_.Advance(kSlow);
  ASSERT_TRUE(poller_->PollDue().ok());
  EXPECT_THAT(TakeDescribes("a"), SizeIs(0));
  EXPECT_EQ(poller_->IntervalOf("a", "r1"), std::nullopt);
}

// A prepaid release cut short (a crash after the intent was recorded) is
// retried only once the order has been left alone for the grace, never while
// the Terminate that recorded it may still be calling the cloud.
TEST_F(PollerTest, APrepaidReleaseIsRetriedOnlyAfterTheGrace) {
  PurchaseRequest request = Purchase("prepaid", 2);
  request.mutable_spec()->mutable_prepaid()->set_period_months(1);
  auto bought = PurchaseNow(*workflow_, request);
  ASSERT_TRUE(bought.ok()) << bought.status();
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(poller_->PollAll().ok());
  ASSERT_EQ(store_->GetOrder(bought->order_id())->state(), Order::ACTIVE);
  // The intent is stored, the cloud was never asked (the process died).
  ASSERT_TRUE(store_
                  ->UpdateOrder(bought->order_id(),
                                [](Order& o) {
                                  o.set_state(Order::TERMINATING);
                                  return absl::OkStatus();
                                })
                  .ok());
  const Poller::Options options;
  clock_.Advance(options.prepaid_release_grace - absl::Seconds(1));
  ASSERT_TRUE(poller_->PollAll().ok());
  Order waiting = *store_->GetOrder(bought->order_id());
  EXPECT_EQ(waiting.state(), Order::TERMINATING);
  for (const Instance& instance : waiting.instances()) {
    EXPECT_EQ(instance.state(), Instance::RUNNING);  // not released yet
  }
  EXPECT_FALSE(waiting.has_release_request_time());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(poller_->PollAll().ok());  // records the retry, then releases
  // Recorded before the call: a next retry would wait a whole grace again.
  EXPECT_EQ(store_->GetOrder(bought->order_id())->release_request_time().seconds(),
            absl::ToUnixSeconds(clock_.Now()));
  ASSERT_TRUE(poller_->PollAll().ok());  // sees them gone
  EXPECT_EQ(store_->GetOrder(bought->order_id())->state(), Order::TERMINATED);
}

TEST_F(PollerTest, AnInstanceGoneBeforeRunningFailsTheOrderWithItsChanges) {
  Order order = Buy("vanished", 1);
  ASSERT_TRUE(created_["a"]->Terminate("r1", {order.instances(0).instance_id()}).ok());
  ASSERT_TRUE(poller_->PollAll().ok());
  Order failed = *store_->GetOrder(order.order_id());
  EXPECT_EQ(failed.state(), Order::FAILED);
  ASSERT_THAT(failed.last_changes(), SizeIs(3));
  EXPECT_EQ(failed.last_changes(1).kind(), OrderChange::RELEASED);
  EXPECT_EQ(failed.last_changes(2).kind(), OrderChange::ORDER_FINAL);
}

TEST_F(PollerTest, RoundsNeverSpendMoreThanTheCallBudget) {
  NewPoller(Poller::Options{kFast, kSlow, /*max_describe_calls_per_second=*/1});
  Buy("b1", 100);
  Buy("b2", 100);
  Buy("b3", 50);
  ASSERT_TRUE(poller_->PollAll().ok());
  EXPECT_THAT(poller_->IntervalOf("a", "r1"), Optional(absl::Seconds(3)));
}

class CountingSubscriber : public WatchSubscriber {
 public:
  void OnChanges(const std::vector<WatchMessagePtr>& changes) override {
    events += static_cast<int>(changes.size());
  }
  void OnProgressTick(const WatchMessagePtr&, absl::Time) override {}
  void OnClose(const absl::Status&) override {}
  int events = 0;  // written on the hub's fan-out thread; read after Flush()
};

TEST_F(PollerTest, CallsDependOnInstancesNotOnWatchers) {
  std::vector<std::unique_ptr<CountingSubscriber>> watchers;
  for (int i = 0; i < 200; ++i) {
    watchers.push_back(std::make_unique<CountingSubscriber>());
    ASSERT_TRUE(hub_.Subscribe(watchers.back().get()).ok());
  }
  Buy("watched", 30);
  TakeDescribes("a");
  clock_.Advance(kFast);
  ASSERT_TRUE(poller_->PollDue().ok());
  EXPECT_THAT(TakeDescribes("a"), SizeIs(1));
  hub_.Flush();
  for (const auto& watcher : watchers) EXPECT_EQ(watcher->events, 5);  // 4 + the poll
}

TEST_F(PollerTest, BackgroundThreadFollowsTheClock) {
  Poller poller(store_.get(), backends_.get(), RealClock::Get(),
                Poller::Options{absl::Milliseconds(10), absl::Seconds(30), 36});
  Order order = Buy("background", 1);
  clock_.Advance(absl::Seconds(5));  // the fake cloud's clock: instances are up
  poller.Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (store_->GetOrder(order.order_id())->state() != Order::ACTIVE &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(store_->GetOrder(order.order_id())->state(), Order::ACTIVE);
  poller.Stop();
  poller.Stop();  // idempotent
}

}  // namespace
}  // namespace cvm
