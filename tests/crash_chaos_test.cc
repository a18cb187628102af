// Exactly once under crashes: purchases against the emulator with about 10 %
// injected faults (5xx, timeouts, RunInstances answers lost after buying)
// while the service is SIGKILLed at random moments and restarted on the same
// SQLite store each time. Clients retry every purchase with its request_id
// until it is accepted. At the end: every request has exactly one order, every
// order is ACTIVE with exactly its instances (none holds more than it asked),
// the cloud bought nothing twice, and no tagged instance is outside an order
// (0 orphans).
//
// Two cases: single-spec orders (CHAOS_PURCHASES sets their number, default
// 60, the CI version; docs/benchmarks.md shows it with 1000), and 200 candidates
// orders (tests/candidate_world.h) whose cheap cells run out during the run,
// so orders split over cells and attempts are refused and fall back.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "tests/candidate_world.h"
#include "tests/restartable_server.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::tencentcloud::emulator::v1::Fault;
using provisioning::v1::CandidateAttempt;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;
using tencentcloud::Json;

constexpr int kClientThreads = 16;
constexpr char kOrderTag[] = "provisioner:order-id";

int Purchases() {
  int n = 60;
  const char* env = std::getenv("CHAOS_PURCHASES");
  if (env != nullptr && !absl::SimpleAtoi(env, &n)) n = 60;
  return n;
}

// What a chaos run buys and in which world.
struct ChaosCase {
  int purchases = 0;
  tencentcloud::EmulatorConfig world;
  // Purchase `i` is request("chaos-<i>", Count(i)).
  std::function<PurchaseRequest(const std::string& request_id, int count)> request;
  int max_count = 2;  // purchase i is of 1 + i % max_count instances
};

int Count(int i, const ChaosCase& chaos) { return 1 + i % chaos.max_count; }

// About 10 % of the requests of every action fail; RunInstances also loses
// answers after buying.
std::vector<Fault> FaultMix() {
  tencentcloud::EmulatorConfig world;
  tencentcloud::AddFault(world, "RunInstances", Fault::LOST_RESPONSE, 0.04);
  tencentcloud::AddFault(world, "RunInstances", Fault::SERVER_ERROR, 0.03 / 0.96);
  tencentcloud::AddFault(world, "RunInstances", Fault::TIMEOUT, 0.03 / 0.93);
  for (const char* action : {"DescribeZoneInstanceConfigInfos", "DescribeAccountQuota",
                             "DescribeAccountBalance", "DescribeInstances"}) {
    tencentcloud::AddFault(world, action, Fault::SERVER_ERROR, 0.07);
    tencentcloud::AddFault(world, action, Fault::TIMEOUT, 0.03 / 0.93);
  }
  return {world.faults().begin(), world.faults().end()};
}

// The end of a run: every order as the last process sees it, and the cloud.
struct ChaosRun {
  std::vector<std::string> accepted_as;  // by purchase index
  std::map<std::string, const Order*> by_request;
  std::vector<Order> orders;
  Json books, live;
  int kills = 0, retries = 0, mismatches = 0;
  std::unique_ptr<tencentcloud::EmulatorServer> emulator;
  std::unique_ptr<RestartableServer> service;
};

// Buys chaos.purchases orders with SIGKILLs at random moments until all are
// ACTIVE, then audits what the orders and the cloud hold (EXPECTs).
void RunChaos(const ChaosCase& chaos, const char* label, ChaosRun& run) {
  const int purchases = chaos.purchases;
  tencentcloud::EmulatorConfig world = chaos.world;
  // Until a few RunInstances answers were lost after buying, every one is,
  // so the short CI version always covers that path; then the 10 % mix.
  world.clear_faults();
  tencentcloud::AddFault(world, "RunInstances", Fault::LOST_RESPONSE, 1.0);
  auto emulator = tencentcloud::EmulatorServer::Start(world, "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  run.emulator = *std::move(emulator);
  tencentcloud::EmulatorServer& cloud = *run.emulator;
  bool mixed = false;
  auto mix_once_lost = [&] {
    if (!mixed && cloud.Books()["FaultsInjected"].value("LOST_RESPONSE", 0) >= 3) {
      cloud.SetFaults(FaultMix());
      mixed = true;
    }
  };
  const std::string config =
      WriteEmulatorConfig(absl::StrCat(label, ".textproto"), cloud.port(),
                          tencentcloud::kTestSecretId, tencentcloud::kTestSecretKey,
                          "request_timeout { nanos: 500000000 }");
  std::ofstream(config, std::ios::app) << "orphans { interval { seconds: 1 } }\n";
  run.service = std::make_unique<RestartableServer>(
      config, absl::StrCat("--store=sqlite:", std::getenv("TEST_TMPDIR"), "/", label, ".db"));
  RestartableServer& service = *run.service;
  ASSERT_TRUE(service.Start().ok());

  // Clients: each purchase retried with its request_id until accepted; every
  // answer for one request_id must name the same order.
  run.accepted_as.assign(purchases, "");
  std::atomic<int> done{0}, retries{0}, mismatches{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClientThreads; ++t) {
    clients.emplace_back([&, t] {
      for (int i = t; i < purchases; i += kClientThreads) {
        const PurchaseRequest request = chaos.request(absl::StrCat("chaos-", i), Count(i, chaos));
        while (true) {
          Order order;
          grpc::Status status =
              service.stub()->Purchase(ContextWithDeadline(5).get(), request, &order);
          if (status.ok()) {
            run.accepted_as[i] = order.order_id();
            break;
          }
          ++retries;
          absl::SleepFor(absl::Milliseconds(100));
        }
        // Asked again (as a client that lost the answer would): same order.
        Order again;
        grpc::Status status =
            service.stub()->Purchase(ContextWithDeadline(5).get(), request, &again);
        if (status.ok() && again.order_id() != run.accepted_as[i]) ++mismatches;
        ++done;
        absl::SleepFor(absl::Milliseconds(20 * (i % 7)));  // spread over time
      }
    });
  }
  // The killer: SIGKILL at random moments while purchases are accepted and
  // while the accepted orders are being bought, until all are ACTIVE (or
  // enough kills happened that the last process should finish the rest).
  std::mt19937 random(20261126);
  std::uniform_int_distribution<int> pause_ms(200, 1500);
  const int max_kills = 5 + purchases / 8;
  auto all_active = [&] {
    if (done.load() < purchases) return false;
    int active = 0;
    for (const Order& order : AllOrders(*service.stub())) {
      active += order.state() == Order::ACTIVE ? 1 : 0;
    }
    return active == purchases;
  };
  while (run.kills < max_kills && !all_active()) {
    mix_once_lost();
    cloud.clock().Advance(absl::Minutes(10));
    absl::SleepFor(absl::Milliseconds(pause_ms(random)));
    ASSERT_TRUE(service.KillAndRestart().ok());
    ++run.kills;
  }
  for (std::thread& client : clients) client.join();
  run.retries = retries.load();
  run.mismatches = mismatches.load();

  // The last process finishes every order.
  auto stub = service.stub();
  const absl::Time deadline = absl::Now() + absl::Seconds(60 + purchases / 2);
  while (absl::Now() < deadline) {
    cloud.clock().Advance(absl::Minutes(10));
    run.orders = AllOrders(*stub);
    int final = 0;
    for (const Order& order : run.orders) final += order.state() == Order::ACTIVE ? 1 : 0;
    if (final == purchases && static_cast<int>(run.orders.size()) == purchases) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  cloud.SetFaults({});

  // 0 lost, 0 duplicate orders: one order per request_id, the one answered,
  // ACTIVE with exactly the instances asked for.
  std::map<std::string, std::vector<const Order*>> by_request;
  for (const Order& order : run.orders) by_request[order.request_id()].push_back(&order);
  int lost = 0, duplicate_orders = 0, ordered_instances = 0, over_filled = 0;
  std::map<std::string, const Order*> by_id;
  for (int i = 0; i < purchases; ++i) {
    const std::string request_id = absl::StrCat("chaos-", i);
    const auto& found = by_request[request_id];
    if (found.empty()) ++lost;
    if (found.size() > 1) ++duplicate_orders;
    if (found.size() != 1) continue;
    run.by_request[request_id] = found[0];
    EXPECT_EQ(found[0]->order_id(), run.accepted_as[i]) << request_id;
    EXPECT_EQ(found[0]->state(), Order::ACTIVE) << found[0]->order_id();
    EXPECT_EQ(found[0]->instances_size(), Count(i, chaos)) << found[0]->order_id();
    over_filled += found[0]->instances_size() > Count(i, chaos) ? 1 : 0;
    ordered_instances += Count(i, chaos);
    by_id[found[0]->order_id()] = found[0];
  }
  EXPECT_EQ(run.orders.size(), static_cast<size_t>(purchases));

  // 0 duplicate instances, 0 orphans: what the cloud holds is exactly what
  // the orders hold.
  run.live = cloud.emulator().LiveInstances(tencentcloud::kTestSecretId);
  int orphans = 0;
  std::set<std::string> held;
  for (const auto& [id, order] : by_id) {
    for (const auto& instance : order->instances()) held.insert(instance.instance_id());
  }
  for (const Json& instance : run.live) {
    std::string tagged_for;
    for (const Json& tag : instance["Tags"]) {
      if (tag.value("Key", "") == kOrderTag) tagged_for = tag.value("Value", "");
    }
    const std::string id = instance["InstanceId"].get<std::string>();
    if (held.count(id) == 0 || by_id.count(tagged_for) == 0) ++orphans;
  }
  run.books = cloud.Books();
  const int created = run.books[tencentcloud::kTestSecretId]["Created"].get<int>();
  std::printf(
      "%s: %d purchases (%d instances), %d SIGKILLs, %d client retries; emulator "
      "created %d, live %zu; faults %s; lost orders %d, duplicate orders %d, "
      "duplicate instances %d, orphans %d, orders over-filled %d, request_id mismatches %d\n",
      label, purchases, ordered_instances, run.kills, run.retries, created, run.live.size(),
      run.books["FaultsInjected"].dump().c_str(), lost, duplicate_orders,
      created - ordered_instances, orphans, over_filled, run.mismatches);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(duplicate_orders, 0);
  EXPECT_EQ(run.mismatches, 0);
  EXPECT_EQ(over_filled, 0);
  EXPECT_EQ(created, ordered_instances);
  EXPECT_EQ(static_cast<int>(run.live.size()), ordered_instances);
  EXPECT_EQ(orphans, 0);
  EXPECT_GE(run.kills, 3);
  EXPECT_GE(run.books["FaultsInjected"].value("LOST_RESPONSE", 0), 3);
  EXPECT_TRUE(mixed);

  // The service's own sweep (every second; faults are off now) agrees.
  double swept = -1;
  for (int i = 0; i < 50 && swept < 0; ++i) {
    auto scrape = HttpGet(service.metrics_port(), "/metrics");
    ASSERT_TRUE(scrape.ok()) << scrape.status();
    swept = MetricValue(*scrape, "provisioner_orphan_instances", {"backend=\"tencent\""});
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(swept, 0);
}

TEST(CrashChaosTest, KilledAtRandomDuringPurchasesNothingLostNothingDuplicatedNoOrphans) {
  ChaosCase chaos;
  chaos.purchases = Purchases();
  chaos.world = tencentcloud::TestWorld();
  chaos.world.mutable_accounts(0)->set_postpaid_quota_per_zone(1000000);
  chaos.request = PurchaseOf;
  ChaosRun run;
  RunChaos(chaos, "chaos", run);
  if (::testing::Test::HasFatalFailure()) return;
  RestartableServer& service = *run.service;

  // One more SIGKILL with every order ACTIVE (no change follows the
  // restart): the orders gauge starts from the store's counts.
  ASSERT_TRUE(service.KillAndRestart().ok());
  std::map<std::string, int> stored;
  for (const Order& order : AllOrders(*service.stub())) ++stored[Order::State_Name(order.state())];
  auto scrape = HttpGet(service.metrics_port(), "/metrics");
  ASSERT_TRUE(scrape.ok()) << scrape.status();
  std::string gauges;
  for (int s = Order::ACCEPTED; s <= Order::TERMINATED; ++s) {
    const std::string state = Order::State_Name(static_cast<Order::State>(s));
    const double value =
        MetricValue(*scrape, "provisioner_orders", {absl::StrCat("state=\"", state, "\"")});
    absl::StrAppend(&gauges, gauges.empty() ? "" : " ", state, "=", value);
    EXPECT_EQ(value, stored[state]) << state;
  }
  std::printf("orders gauge after SIGKILL + restart: %s (store: %d ACTIVE)\n", gauges.c_str(),
              stored["ACTIVE"]);
  EXPECT_EQ(service.Stop().value_or(-1), 0);
}

TEST(CrashChaosTest, CandidatesOrdersFallBackUnderKillsAndFaultsExactlyOnce) {
  ChaosCase chaos;
  chaos.purchases = 200;
  // Spot in C: 61 + 79 + 101 left of the three types for 500 instances, so
  // the cheap cells run out mid-run (refusals, splits) and the rest falls
  // back to pay-as-you-go.
  chaos.world = CandidateWorld(61, 79, 101);
  chaos.request = CandidatesPurchase;
  chaos.max_count = 4;
  ChaosRun run;
  RunChaos(chaos, "candidates-chaos", run);
  if (::testing::Test::HasFatalFailure()) return;

  // Each instance is tagged with the attempt that bought it; orders split
  // over cells, and refused attempts fell back.
  std::map<std::string, std::string> attempt_tag;
  for (const Json& instance : run.live) {
    for (const Json& tag : instance["Tags"]) {
      if (tag.value("Key", "") == "provisioner:attempt") {
        attempt_tag[instance["InstanceId"]] = tag.value("Value", "");
      }
    }
  }
  int split = 0, refused = 0, pay_as_you_go = 0, untagged = 0;
  for (const auto& [request_id, order] : run.by_request) {
    std::set<int> attempts_used;
    for (const auto& instance : order->instances()) {
      attempts_used.insert(instance.attempt());
      pay_as_you_go += instance.billing().has_pay_as_you_go() ? 1 : 0;
      auto tag = attempt_tag.find(instance.instance_id());
      if (tag == attempt_tag.end() || tag->second != absl::StrCat(instance.attempt())) ++untagged;
    }
    split += attempts_used.size() > 1 ? 1 : 0;
    for (const CandidateAttempt& attempt : order->attempts()) {
      refused += attempt.outcome() == CandidateAttempt::REFUSED ? 1 : 0;
      EXPECT_NE(attempt.outcome(), CandidateAttempt::IN_FLIGHT) << order->order_id();
    }
  }
  std::printf(
      "candidates chaos: orders split over cells %d, attempts refused %d, instances on "
      "pay-as-you-go %d, instances without their attempt's tag %d, client tokens %d\n",
      split, refused, pay_as_you_go, untagged,
      run.books[tencentcloud::kTestSecretId].value("ClientTokens", 0));
  EXPECT_EQ(untagged, 0);
  // Spot in C holds 241 of the 500: the ladder's fallback to pay-as-you-go
  // is certain; splits and refusals depend on the timing (printed above).
  EXPECT_GT(pay_as_you_go, 0);
  EXPECT_EQ(run.service->Stop().value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
