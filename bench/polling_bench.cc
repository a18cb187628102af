// Cloud calls per polling round, ours against naive polling: for N = 10, 100
// and 1,000 instances, watched by 1 and by 1,000 Watch subscribers.
//
// In process and on a fake clock: the real OrderWorkflow buys the instances
// from the fake backend (wrapped to count every call), the real Poller polls
// them through a ChangeRecordingStore over the memory store, and every
// revision fans out through a real WatchHub to W subscribers. Each round is
// run when the poller's schedule says (fast while instances are pending or
// waiting for their IPs, slow once steady). Naive polling is one call per
// instance per watcher per round: N * W. Exits 1 unless every round of ours
// costs exactly ceil(N / 100) calls and N = 1,000 with 1,000 watchers is at
// least 100x fewer than naive. Run by bench/run_polling_bench.sh.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "service/change_recording_store.h"
#include "service/counting_backend.h"
#include "service/order_workflow.h"
#include "service/poller.h"
#include "service/watch_hub.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

constexpr int kRounds = 4;

class CountingSubscriber : public WatchSubscriber {
 public:
  void OnChanges(const std::vector<WatchMessagePtr>& changes) override {
    events += static_cast<long>(changes.size());
  }
  void OnProgressTick(const WatchMessagePtr&, absl::Time) override {}
  void OnClose(const absl::Status&) override {}
  long events = 0;  // written on the hub's fan-out thread; read after Flush()
};

struct Result {
  int rounds = 0;
  std::vector<int> calls;             // per round
  std::vector<absl::Duration> waits;  // before each round
  long events_per_watcher = 0;        // Watch events each subscriber got
  bool active = false;                // every order ended ACTIVE
};

provisioning::v1::PurchaseRequest Purchase(int index, int count) {
  provisioning::v1::PurchaseRequest r;
  r.set_request_id(absl::StrCat("bench-", index));
  r.set_instance_count(count);
  auto* spec = r.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone("ap-guangzhou-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-1");
  spec->mutable_internet()->set_public_ip(true);
  spec->mutable_internet()->set_max_bandwidth_out_mbps(10);
  spec->mutable_pay_as_you_go();
  return r;
}

absl::StatusOr<Result> Run(int instances, int watchers) {
  FakeClock clock;
  BackendRegistry registry;
  std::map<std::string, CountingBackend*> created;
  if (absl::Status s = RegisterCountingFake(registry, &created); !s.ok()) return s;
  provisioning::fake::v1::FakeBackendConfig fake;  // PENDING 2 s, public IP 1 s later
  provisioning::config::v1::ServiceConfig config;
  auto* backend = config.add_backends();
  backend->set_name("fake");
  backend->set_plugin("counting-fake");
  backend->mutable_config()->PackFrom(fake);
  BackendContext context;
  context.clock = &clock;
  absl::StatusOr<std::unique_ptr<BackendSet>> backends =
      BackendSet::Create(config, registry, context);
  if (!backends.ok()) return backends.status();

  ChangeRecordingStore store(std::make_unique<MemoryOrderStore>(&clock));
  WatchHub hub;
  Poller poller(&store, backends->get(), &clock, Poller::Options());
  store.SetListener([&](const OrderEvent& event) {
    poller.Notify(event);
    hub.Publish(event);
  });
  std::vector<std::unique_ptr<CountingSubscriber>> subscribers;
  for (int i = 0; i < watchers; ++i) {
    subscribers.push_back(std::make_unique<CountingSubscriber>());
    if (auto id = hub.Subscribe(subscribers.back().get()); !id.ok()) return id.status();
  }

  OrderWorkflow workflow(&store, backends->get());
  std::vector<std::string> order_ids;
  for (int bought = 0, i = 0; bought < instances; ++i) {
    const int count = std::min(kMaxDescribeBatch, instances - bought);
    absl::StatusOr<CreateOrderResult> accepted = workflow.Accept(Purchase(i, count));
    if (!accepted.ok()) return accepted.status();
    absl::StatusOr<Order> order = workflow.Submit(accepted->order.order_id(), false);
    if (!order.ok()) return order.status();
    order_ids.push_back(order->order_id());
    bought += count;
  }

  CountingBackend* cloud = created.at("fake");
  Result result;
  if (absl::Status s = poller.PollDue(); !s.ok()) return s;  // first scan: nothing due
  for (int round = 0; round < kRounds; ++round) {
    const absl::Duration wait = poller.NextPoll() - clock.Now();
    clock.Advance(wait);
    cloud->Reset();
    if (absl::Status s = poller.PollDue(); !s.ok()) return s;
    result.calls.push_back(cloud->calls());
    result.waits.push_back(wait);
  }
  result.rounds = kRounds;
  hub.Flush();
  result.events_per_watcher = subscribers.empty() ? 0 : subscribers[0]->events;
  result.active = true;
  for (const std::string& id : order_ids) {
    absl::StatusOr<Order> order = store.GetOrder(id);
    result.active = result.active && order.ok() && order->state() == Order::ACTIVE;
  }
  return result;
}

int Main() {
  std::printf("%6s %9s %24s %18s %12s %10s %19s %s\n", "N", "watchers", "cloud calls/round (ours)",
              "naive calls/round", "naive/ours", "expected", "events per watcher",
              "wait before each round");
  bool ok = true;
  for (int instances : {10, 100, 1000}) {
    for (int watchers : {1, 1000}) {
      absl::StatusOr<Result> result = Run(instances, watchers);
      if (!result.ok()) {
        std::printf("N=%d watchers=%d: %s\n", instances, watchers,
                    result.status().ToString().c_str());
        ok = false;
        continue;
      }
      const int expected = (instances + kMaxDescribeBatch - 1) / kMaxDescribeBatch;
      bool exact = result->active;
      for (int calls : result->calls) exact = exact && calls == expected;
      const long naive = static_cast<long>(instances) * watchers;
      const double ratio = static_cast<double>(naive) / result->calls.back();
      std::vector<std::string> waits;
      for (absl::Duration d : result->waits) waits.push_back(absl::FormatDuration(d));
      std::printf("%6d %9d %24s %18ld %11.0fx %10d %19ld %s\n", instances, watchers,
                  absl::StrJoin(result->calls, ",").c_str(), naive, ratio, expected,
                  result->events_per_watcher, absl::StrJoin(waits, ",").c_str());
      if (!exact) {
        std::printf("  FAIL: expected %d calls in every round and every order ACTIVE\n", expected);
        ok = false;
      }
      if (instances == 1000 && watchers == 1000 && ratio < 100) {
        std::printf("  FAIL: only %.0fx fewer calls than naive (target: 100x)\n", ratio);
        ok = false;
      }
    }
  }
  std::printf("%s: every round costs ceil(N/100) calls, whatever the number of watchers\n",
              ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace cvm

int main() { return cvm::Main(); }
