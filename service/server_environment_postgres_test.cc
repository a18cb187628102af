// The environment on PostgreSQL torn down while another replica commits
// without pause: its store's feed thread calls the environment's listener
// (metrics, poller, hub) with every one of those commits until the store is
// destroyed, after the poller. The teardown detaches the listener first
// (server_environment.h), so no call reaches a destroyed member; several
// rounds, each ending in the middle of the storm. A call into the destroyed
// poller is a use after free (AddressSanitizer reports it: run with
// --copt=-fsanitize=address --linkopt=-fsanitize=address).
#include <cstdio>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/server_environment.h"
#include "store/commit_storm.h"
#include "store/postgres_order_store.h"
#include "store/postgres_test_server.h"

namespace cvm {
namespace {

using provisioning::v1::Order;

ServerOptions PostgresOptions(const std::string& conninfo) {
  ServerOptions options;
  auto* backend = options.config.add_backends();
  backend->set_name("fake");
  backend->set_plugin("fake");
  options.config.mutable_auth()->set_insecure_plaintext(true);
  options.store = absl::StrCat("postgres:", conninfo);
  return options;
}

// What Server::Shutdown() stops before the environment is destroyed.
void StopRunningParts(ServerEnvironment& env) {
  if (env.arrears != nullptr) env.arrears->Stop();
  env.node_groups->reconciler->Stop();
  env.hub->Close(absl::UnavailableError("shutting down"));
  env.driver->Stop();
  env.poller->Stop();
  env.pool->Stop();
}

// Another replica's `round`-th storm: PROVISIONING orders without
// instances, so the listener hands each to the poller.
std::function<Order(int)> StormOrders(int round) {
  return [round](int i) {
    Order order;
    order.set_request_id(absl::StrCat("storm-", round, "-", i));
    order.set_state(Order::PROVISIONING);
    order.set_backend("fake");
    order.mutable_spec()->set_region("ap-guangzhou");
    order.set_instance_count(1);
    return order;
  };
}

TEST(ServerEnvironmentPostgresTest, TearsDownCleanlyWhileAnotherReplicaCommits) {
  constexpr int kRounds = 5;
  constexpr int64_t kHeardBeforeShutdown = 100;
  absl::Duration slowest;
  int64_t heard_total = 0;
  int committed_total = 0;
  for (int round = 0; round < kRounds; ++round) {
    absl::StatusOr<std::string> db = PostgresTestServer::SharedDatabase();
    ASSERT_TRUE(db.ok()) << db.status();
    auto env = ServerEnvironment::Create(PostgresOptions(*db), {});
    ASSERT_TRUE(env.ok()) << env.status();
    (*env)->StartBackgroundWork();
    auto other = PostgresOrderStore::Open(*db, RealClock::Get());
    ASSERT_TRUE(other.ok()) << other.status();
    CommitStorm storm(other->get(), StormOrders(round));
    // The feed is delivering the storm to the listener (the hub hears it).
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while ((*env)->hub->revision() < kHeardBeforeShutdown && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    const int64_t heard = (*env)->hub->revision();
    EXPECT_GE(heard, kHeardBeforeShutdown) << "round " << round;
    const absl::Time start = absl::Now();
    StopRunningParts(**env);
    env->reset();  // the storm goes on
    slowest = std::max(slowest, absl::Now() - start);
    const int before_stop = storm.committed();
    absl::SleepFor(absl::Milliseconds(50));
    storm.Stop();
    EXPECT_GT(storm.committed(), before_stop) << "the storm ended before the teardown did";
    heard_total += heard;
    committed_total += storm.committed();
  }
  std::printf(
      "teardown during a NOTIFY storm: %d rounds, %d commits by the other replica, "
      "%lld heard before each teardown (total), slowest teardown %.0f ms\n",
      kRounds, committed_total, static_cast<long long>(heard_total),
      absl::ToDoubleMilliseconds(slowest));
}

}  // namespace
}  // namespace cvm
