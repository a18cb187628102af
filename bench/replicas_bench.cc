// What sharing one cloud account's rate limits across replicas costs
// (backends/tencentcloud/rate_limiter.h on store/rate_slots.h), in one run:
//  1. Taking one rate slot: in-process (one replica, SQLite), and through
//     PostgreSQL from 1 and from 3 concurrent takers (replicas), against the
//     floor of the shared path, a bare `SELECT 1` round trip to the same
//     PostgreSQL.
//  2. The service: durable purchases accepted per second (32 clients) and
//     Purchase p99 (2 clients), and the rate at which orders reach the cloud
//     (RunInstances per second at the emulator, which enforces Tencent's
//     limits), for 1 replica on SQLite (the single-replica figures measured
//     before), 1 replica on PostgreSQL and 3 replicas on PostgreSQL.
// Run by bench/run_replicas_bench.sh. Usage: replicas_bench [PURCHASES]
#include <signal.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "bench/bench_stats.h"
#include "bench/purchase_calls.h"
#include "store/pg_connection.h"
#include "store/postgres_order_store.h"
#include "store/postgres_rate_slots.h"
#include "store/postgres_test_server.h"
#include "store/rate_slots.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm {
namespace {

using provisioning::v1::Order;
using testing::ContextWithDeadline;
using testing::PurchaseOf;

constexpr int kTakes = 2000;

// Part 1: `takers` threads each taking kTakes / takers slots of one key.
Percentiles SlotTakes(const std::vector<RateSlots*>& takers, const std::string& key) {
  int failures = 0;
  return Summarize(Hammer(
      kTakes, static_cast<int>(takers.size()),
      [&](int i) { return takers[i % takers.size()]->Take(key, 0, int64_t{1} << 50).ok(); },
      &failures));
}

struct ServiceFigures {
  double accepted_per_second = 0;
  Percentiles light{}, loaded{};
  double cloud_per_second = 0;  // RunInstances per second at the emulator, steady state
  int busiest_second = 0, refused = 0, failures = 0;
};

// Part 2: `replicas` processes on `store_flag`, against a fresh emulator.
ServiceFigures Service(int replicas, const std::string& store_flag, int purchases) {
  ServiceFigures figures;
  tencentcloud::EmulatorConfig world = tencentcloud::TestWorld();
  world.mutable_accounts(0)->set_postpaid_quota_per_zone(10000000);
  auto emulator = tencentcloud::EmulatorServer::Start(world, "127.0.0.1", 0);
  if (!emulator.ok()) return figures;
  const std::string config = testing::WriteEmulatorConfig(
      absl::StrCat("replicas", replicas, ".textproto"), (*emulator)->port(),
      tencentcloud::kTestSecretId, tencentcloud::kTestSecretKey);
  std::vector<std::unique_ptr<testing::ServerProcess>> servers;
  std::vector<std::unique_ptr<provisioning::v1::Provisioning::Stub>> stubs;
  for (int r = 0; r < replicas; ++r) {
    auto server = testing::ServerProcess::Start(config, {store_flag});
    if (!server.ok()) {
      std::fprintf(stderr, "replica %d: %s\n", r, server.status().ToString().c_str());
      ++figures.failures;
      return figures;
    }
    stubs.push_back(testing::NewStub((*server)->target()));
    servers.push_back(*std::move(server));
  }
  auto purchase = [&](const std::string& prefix) { return PurchaseCalls(stubs, prefix); };
  int failures = 0;
  Hammer(200, 16, purchase("warmup-"), &failures);
  figures.failures += failures;
  figures.light = Summarize(Hammer(500, 2, purchase("light-"), &failures));
  figures.failures += failures;
  const absl::Time start = absl::Now();
  figures.loaded = Summarize(Hammer(purchases, 32, purchase("bench-"), &failures));
  figures.accepted_per_second = purchases / absl::ToDoubleSeconds(absl::Now() - start);
  figures.failures += failures;
  // The drivers now take the backlog to the cloud at the account's pace:
  // count RunInstances over 10 whole seconds of it.
  absl::SleepFor(absl::Seconds(2));
  const int64_t from = absl::ToUnixSeconds(absl::Now()) + 1;
  absl::SleepFor(absl::Seconds(11));
  const tencentcloud::Json limits = (*emulator)->Books()["RateLimits"];
  int calls = 0;
  for (int64_t s = from; s < from + 10; ++s) {
    calls += limits["CallsPerSecond"]["RunInstances"].value(std::to_string(s), 0);
  }
  figures.cloud_per_second = calls / 10.0;
  figures.busiest_second = limits["BusiestSecond"].value("RunInstances", 0);
  figures.refused = limits["Refused"].get<int>();
  for (auto& server : servers) server->Signal(SIGKILL);
  for (auto& server : servers) server->Wait(absl::Seconds(10)).IgnoreError();
  return figures;
}

int Run(int purchases) {
  auto postgres = PostgresTestServer::Shared();
  if (!postgres.ok()) return std::fprintf(stderr, "%s\n", postgres.status().ToString().c_str()), 1;
  auto database = [&]() {
    absl::StatusOr<std::string> db = (*postgres)->CreateDatabase();
    if (db.ok()) (void)PostgresOrderStore::Open(*db, RealClock::Get());  // migrated
    return db.value_or("");
  };

  // Part 1.
  const std::string slots_db = database();
  pg::Connection floor_connection(slots_db);
  int failures = 0;
  const Percentiles floor = Summarize(Hammer(
      kTakes, 1, [&](int) { return floor_connection.Exec("floor", "SELECT 1").ok(); },
      &failures));
  LocalRateSlots local;
  const Percentiles in_process = SlotTakes({&local}, "acct/RunInstances");
  PostgresRateSlots one(slots_db), a(slots_db), b(slots_db), c(slots_db);
  const Percentiles shared_one = SlotTakes({&one}, "acct/DescribeInstances");
  const Percentiles shared_three = SlotTakes({&a, &b, &c}, "acct/DescribeAccountQuota");

  // Part 2.
  const std::string tmp = std::getenv("TEST_TMPDIR");
  const ServiceFigures sqlite = Service(1, absl::StrCat("--store=sqlite:", tmp, "/one.db"), purchases);
  const ServiceFigures pg_one = Service(1, absl::StrCat("--store=postgres:", database()), purchases);
  const ServiceFigures pg_three =
      Service(3, absl::StrCat("--store=postgres:", database()), purchases);

  std::printf("1. taking one rate slot (%d takes)            p50 ms    p99 ms    max ms\n", kTakes);
  auto row = [](const char* what, const Percentiles& p) {
    std::printf("%-46s %9.3f %9.3f %9.3f\n", what, p.p50_ms, p.p99_ms, p.max_ms);
  };
  row("PostgreSQL SELECT 1 round trip (floor)", floor);
  row("in-process (one replica, SQLite)", in_process);
  row("PostgreSQL, 1 taker", shared_one);
  row("PostgreSQL, 3 takers at once (3 replicas)", shared_three);
  std::printf("shared slot p50 / SELECT 1 p50: 1 taker %.2fx, 3 takers %.2fx\n",
              shared_one.p50_ms / floor.p50_ms, shared_three.p50_ms / floor.p50_ms);
  std::printf("\n2. the service, %d purchases at 32 clients; cloud pace under Tencent's "
              "limits (RunInstances 10/s, reserve 20 %%: 8/s)\n", purchases);
  std::printf("%-28s %12s %12s %12s %14s %9s %8s\n", "", "accepted/s", "p99 2cl ms",
              "p99 32cl ms", "RunInstances/s", "busiest", "refused");
  auto service_row = [](const char* what, const ServiceFigures& f) {
    std::printf("%-28s %12.0f %12.3f %12.3f %14.1f %9d %8d\n", what, f.accepted_per_second,
                f.light.p99_ms, f.loaded.p99_ms, f.cloud_per_second, f.busiest_second, f.refused);
  };
  service_row("1 replica, SQLite (before)", sqlite);
  service_row("1 replica, PostgreSQL", pg_one);
  service_row("3 replicas, PostgreSQL", pg_three);
  std::printf("3 replicas / 1 replica SQLite: accepted %.2fx, p99 (2 clients) %.2fx, cloud pace "
              "%.2fx (one account: the same limit however many replicas)\n",
              pg_three.accepted_per_second / sqlite.accepted_per_second,
              pg_three.light.p99_ms / sqlite.light.p99_ms,
              pg_three.cloud_per_second / sqlite.cloud_per_second);
  const bool ok = sqlite.failures + pg_one.failures + pg_three.failures == 0 &&
                  sqlite.refused + pg_one.refused + pg_three.refused == 0 &&
                  std::max({sqlite.busiest_second, pg_one.busiest_second,
                            pg_three.busiest_second}) <= 8;
  std::printf("%s (no purchase failed, no RequestLimitExceeded, no second above 8 RunInstances)\n",
              ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace cvm

int main(int argc, char** argv) {
  int purchases = 3000;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &purchases)) return 2;
  return cvm::Run(purchases);
}
