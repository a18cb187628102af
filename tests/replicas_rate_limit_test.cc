// Three replicas on one PostgreSQL act as one client of the cloud account:
// 300 purchases from 3 clients against the emulator, which enforces
// Tencent's limits per second and action (RequestLimitExceeded above them),
// with one replica SIGKILLed mid-run. Every call of every replica takes a
// slot of one shared schedule per (account, action)
// (backends/tencentcloud/rate_limiter.h), so:
//  - no RequestLimitExceeded answer, and no second holds more calls of an
//    action than limit x (1 - 20 % reserve);
//  - every order ends ACTIVE with exactly the instances ordered, no orphans;
//  - the dead replica's share is used by the others within the stated bound:
//    a replica takes slots at most the horizon (1 s) ahead, so from the
//    second that starts after kill + horizon the survivors get the full
//    RunInstances rate.
#include <signal.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "tests/replica_cluster.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;
using tencentcloud::Json;

// Tencent's limits (the emulator's defaults) less the 20 % reserve.
int PacedLimit(const std::string& action) {
  static const std::map<std::string, int> kPublished = {
      {"RunInstances", 10}, {"TerminateInstances", 10}, {"InquiryPriceRunInstances", 10},
      {"DescribeInstances", 40}, {"DescribeInstancesStatus", 40}};
  auto it = kPublished.find(action);
  return static_cast<int>((it == kPublished.end() ? 20 : it->second) * 0.8);
}

class ReplicasRateLimitTest : public ReplicaCluster {};

TEST_F(ReplicasRateLimitTest, ThreeReplicasStayUnderTheAccountsLimitsThroughASigkill) {
  constexpr int kReplicas = 3, kPerClient = 100, kKillAfterCreated = 80;
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  ASSERT_NO_FATAL_FAILURE(StartReplicas(kReplicas, replicas));
  FastClock fast(emulator_.get());
  const absl::Time start = absl::Now();

  absl::Mutex mu;
  std::map<std::string, std::string> accepted;  // request id -> order id
  std::vector<std::thread> clients;
  for (int r = 0; r < kReplicas; ++r) {
    clients.emplace_back([&, r] {
      auto stub = NewStub(replicas[r]->target());
      for (int i = 0; i < kPerClient; ++i) {
        const std::string request_id = absl::StrCat("client", r, "-", i);
        std::optional<Order> order = PurchaseUntilAccepted(
            stub, request_id, [&](const grpc::Status&) { stub = NewStub(replicas[1]->target()); });
        if (!order.has_value()) continue;
        absl::MutexLock lock(&mu);
        accepted[request_id] = order->order_id();
      }
    });
  }
  auto created = [&] { return emulator_->Books()[tencentcloud::kTestSecretId]["Created"].get<int>(); };
  while (created() < kKillAfterCreated && absl::Now() < start + absl::Seconds(60)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  replicas[0]->Signal(SIGKILL);
  const absl::Time killed = absl::Now();
  ASSERT_EQ(replicas[0]->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);
  const int created_at_kill = created();
  for (std::thread& client : clients) client.join();

  auto survivor = NewStub(replicas[1]->target());
  std::set<std::string> ids;
  for (const auto& [request_id, order_id] : accepted) ids.insert(order_id);
  const std::optional<absl::Time> done = AwaitActive(*survivor, ids, absl::Seconds(150));
  ASSERT_TRUE(done.has_value()) << "not every order became ACTIVE";
  const Tally tally = Count(*survivor, *emulator_, accepted);

  const Json limits = emulator_->Books()["RateLimits"];
  std::string busiest;
  for (const auto& [action, calls] : limits["BusiestSecond"].items()) {
    absl::StrAppend(&busiest, busiest.empty() ? "" : ", ", action, " ", calls.get<int>(), "/",
                    PacedLimit(action));
    EXPECT_LE(calls.get<int>(), PacedLimit(action)) << action;
  }
  // The survivors' RunInstances per second after the kill; the first second
  // at the full rate.
  const int64_t kill_second = absl::ToUnixSeconds(killed);
  const Json& run = limits["CallsPerSecond"]["RunInstances"];
  int64_t first_full = -1;
  std::string after_kill;
  for (int64_t s = kill_second; s <= kill_second + 5; ++s) {
    const int calls = run.value(std::to_string(s), 0);
    absl::StrAppend(&after_kill, after_kill.empty() ? "" : " ", calls);
    if (first_full < 0 && s > kill_second && calls == PacedLimit("RunInstances")) first_full = s;
  }
  std::printf(
      "rate limits: %d replicas, %zu orders accepted, replica 0 SIGKILLed %.1f s in (%d "
      "instances created then); all ACTIVE after %.1f s; RequestLimitExceeded %d; busiest "
      "second (calls/paced limit): %s; RunInstances per second from the kill's second on: %s "
      "(full rate again in second +%lld); lost %d, duplicate orders %d, not ACTIVE %d, "
      "instances created %d for %d ordered, orphans %d\n",
      kReplicas, accepted.size(), absl::ToDoubleSeconds(killed - start), created_at_kill,
      absl::ToDoubleSeconds(*done - start), limits["Refused"].get<int>(), busiest.c_str(),
      after_kill.c_str(), static_cast<long long>(first_full - kill_second), tally.lost,
      tally.duplicate_orders, tally.not_active, tally.created, tally.ordered, tally.orphans);
  EXPECT_EQ(limits["Refused"].get<int>(), 0);
  EXPECT_LT(created_at_kill, kReplicas * kPerClient);  // killed mid-run
  // The horizon (1 s) bounds the slots the dead replica held: the full rate
  // is back by the second that starts after kill + 1 s.
  ASSERT_GT(first_full, kill_second);
  EXPECT_LE(first_full - kill_second, 2);
  EXPECT_EQ(accepted.size(), static_cast<size_t>(kReplicas * kPerClient));
  EXPECT_EQ(tally.lost, 0);
  EXPECT_EQ(tally.duplicate_orders, 0);
  EXPECT_EQ(tally.not_active, 0);
  EXPECT_EQ(tally.created, kReplicas * kPerClient);
  EXPECT_EQ(tally.ordered, kReplicas * kPerClient);
  EXPECT_EQ(tally.orphans, 0);
  for (size_t r = 1; r < replicas.size(); ++r) {
    EXPECT_EQ(replicas[r]->Stop(absl::Seconds(30)).value_or(-1), 0);
  }
}

}  // namespace
}  // namespace cvm::testing
