// Candidates orders on 3 replicas of the real binary on one PostgreSQL and one
// CVM emulator (tests/candidate_world.h, cheap spot cells with 20 left each),
// one replica SIGKILLed while its orders are being bought: the survivors
// finish them, every order is ACTIVE with exactly the instances it asked for,
// nothing is bought twice, and what one replica learnt sold out the others
// skip (the sold-out memory lives in the database).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/candidate_world.h"
#include "tests/replica_cluster.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;

class ReplicasCandidatesTest : public ReplicaCluster {
 protected:
  tencentcloud::EmulatorConfig World() override { return CandidateWorld(20, 20, 20); }
};

TEST_F(ReplicasCandidatesTest, AKilledReplicasCandidatesOrdersFinishElsewhereExactlyOnce) {
  constexpr int kReplicas = 3, kPerReplica = 15, kKillAfter = 6;
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  ASSERT_NO_FATAL_FAILURE(StartReplicas(kReplicas, replicas));
  FastClock fast(emulator_.get());

  absl::Mutex mu;
  std::map<std::string, std::string> accepted;  // request id -> order id
  std::map<std::string, int> asked;             // request id -> instances
  std::atomic<int> victim_accepted{0};
  std::vector<std::thread> clients;
  for (int r = 0; r < kReplicas; ++r) {
    clients.emplace_back([&, r] {
      auto stub = NewStub(replicas[r]->target());
      for (int i = 0; i < kPerReplica; ++i) {
        const std::string request_id = absl::StrCat("replica", r, "-", i);
        const int count = 1 + (r + i) % 4;
        std::optional<Order> order = PurchaseUntilAccepted(
            stub, CandidatesPurchase(request_id, count),
            [&](const grpc::Status&) { stub = NewStub(replicas[1]->target()); });
        if (!order.has_value()) continue;
        absl::MutexLock lock(&mu);
        accepted[request_id] = order->order_id();
        asked[request_id] = count;
        if (r == 0) ++victim_accepted;
      }
    });
  }
  while (victim_accepted.load() < kKillAfter) absl::SleepFor(absl::Milliseconds(5));
  replicas[0]->Signal(SIGKILL);
  ASSERT_EQ(replicas[0]->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);
  for (std::thread& client : clients) client.join();

  auto stub = NewStub(replicas[1]->target());
  std::set<std::string> ids;
  for (const auto& [request_id, order_id] : accepted) ids.insert(order_id);
  ASSERT_EQ(ids.size(), static_cast<size_t>(kReplicas * kPerReplica));
  ASSERT_TRUE(AwaitActive(*stub, ids, absl::Seconds(120)).has_value());

  const Tally tally = Count(*stub, *emulator_, accepted);
  int wanted = 0, wrong_size = 0, split = 0, remembered_skips = 0;
  for (const Order& order : AllOrders(*stub)) {
    wanted += asked[order.request_id()];
    wrong_size += order.instances_size() != asked[order.request_id()] ? 1 : 0;
    split += order.attempts_size() > 1 ? 1 : 0;
    for (const auto& cell : order.skipped()) remembered_skips += cell.remembered() ? 1 : 0;
  }
  std::printf(
      "replicas candidates: %d replicas, %zu orders (%d instances), replica 0 SIGKILLed after "
      "%d accepted; lost %d, duplicate orders %d, not ACTIVE %d, wrong size %d, orphans %d, "
      "created %d for %d held; orders in more than one attempt %d; cells skipped from the "
      "shared memory %d\n",
      kReplicas, ids.size(), wanted, kKillAfter, tally.lost, tally.duplicate_orders,
      tally.not_active, wrong_size, tally.orphans, tally.created, tally.ordered, split,
      remembered_skips);
  EXPECT_EQ(tally.lost, 0);
  EXPECT_EQ(tally.duplicate_orders, 0);
  EXPECT_EQ(tally.not_active, 0);
  EXPECT_EQ(wrong_size, 0);
  EXPECT_EQ(tally.orphans, 0);
  EXPECT_EQ(tally.ordered, wanted);
  EXPECT_EQ(tally.created, wanted);
  EXPECT_GT(remembered_skips, 0);
  for (int r = 1; r < kReplicas; ++r) {
    EXPECT_EQ(replicas[r]->Stop(absl::Seconds(30)).value_or(-1), 0);
  }
}

}  // namespace
}  // namespace cvm::testing
