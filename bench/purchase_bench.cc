// Durable orders accepted per second and the Purchase latency, against the
// service (SQLite store, synchronous=FULL, group commit) in front of the CVM
// emulator. Baselines measured in the same run:
//   - the emulator's own RunInstances round trip (signed, over HTTP, through
//     the tencentcloud backend): what a Purchase that waited for the cloud
//     would spend there at least;
//   - a Describe of one order at the same concurrency: the floor of any RPC.
// Durability: the service is SIGKILLed right after the run and restarted on
// its store; every acknowledged order must be there.
//
// Run by bench/run_purchase_bench.sh (TEST_SRCDIR: the runfiles holding
// service/provisioner; TEST_TMPDIR: a scratch directory).
// Usage: purchase_bench [PURCHASES [CONCURRENCY [full|normal]]] (the store's
// synchronous mode; full by default)
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "bench/bench_stats.h"
#include "bench/purchase_calls.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "plugins/backend_set.h"
#include "store/sqlite_statement.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm {
namespace {

using provisioning::v1::Order;
using testing::ContextWithDeadline;
using testing::PurchaseOf;

// Baseline: a bare SQLite commit of one 600-byte row in a WAL database with
// the same synchronous mode, on the same disk: the disk's own share.
Percentiles RawCommits(const std::string& path, bool full) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite::Exec(db, absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=",
                                full ? "FULL" : "NORMAL",
                                "; CREATE TABLE t (body BLOB);"))
      .IgnoreError();
  const std::string row(600, 'x');
  std::vector<absl::Duration> samples;
  for (int i = 0; i < 1000; ++i) {
    const absl::Time start = absl::Now();
    sqlite::Exec(db, "BEGIN IMMEDIATE").IgnoreError();
    sqlite::Statement(db, "INSERT INTO t VALUES (?1)").Blob(1, row).Run("insert").IgnoreError();
    sqlite::Exec(db, "COMMIT").IgnoreError();
    samples.push_back(absl::Now() - start);
  }
  sqlite3_close(db);
  return Summarize(samples);
}

int Run(int purchases, int concurrency, bool full) {
  tencentcloud::EmulatorConfig world = tencentcloud::TestWorld();
  world.mutable_accounts(0)->set_postpaid_quota_per_zone(10000000);
  // The direct baseline measures the emulator's round trip, not its pacing:
  // it may take RunInstances faster than Tencent's 10/s (the service keeps
  // its own limiter at Tencent's limits).
  (*world.mutable_rate_limits())["RunInstances"] = 100000;
  auto emulator = tencentcloud::EmulatorServer::Start(world, "127.0.0.1", 0);
  if (!emulator.ok()) return std::fprintf(stderr, "%s\n", emulator.status().ToString().c_str()), 1;
  const std::string config_path = testing::WriteEmulatorConfig(
      "bench.textproto", (*emulator)->port(), tencentcloud::kTestSecretId,
      tencentcloud::kTestSecretKey);

  // Baseline 1: RunInstances straight to the emulator through our backend.
  auto config = LoadServiceConfig(testing::WriteEmulatorConfig(
      "direct.textproto", (*emulator)->port(), tencentcloud::kTestSecretId,
      tencentcloud::kTestSecretKey, "rate_limits { key: \"RunInstances\" value: 100000 }"));
  BackendContext context;
  prometheus::Registry registry;
  context.registry = &registry;
  auto backends = BackendSet::Create(*config, BackendRegistry::Global(), context);
  if (!backends.ok()) return std::fprintf(stderr, "%s\n", backends.status().ToString().c_str()), 1;
  Backend* cloud = *(*backends)->Get("tencent");
  int direct_failures = 0;
  const Percentiles direct = Summarize(Hammer(
      200, 1,
      [&](int i) {
        CreateRequest create;
        create.spec = PurchaseOf("unused", 1).spec();
        create.count = 1;
        create.client_token = absl::StrCat("bench-direct-", i);
        return cloud->Create(create).ok();
      },
      &direct_failures));

  const std::string tmp = std::getenv("TEST_TMPDIR");
  const Percentiles disk = RawCommits(tmp + "/raw.db", full);
  const std::string store =
      absl::StrCat("--store=sqlite:", tmp, "/bench.db", full ? "" : "?sync=normal");
  auto server = testing::ServerProcess::Start(config_path, {store});
  if (!server.ok()) return std::fprintf(stderr, "%s\n", server.status().ToString().c_str()), 1;
  std::vector<std::shared_ptr<provisioning::v1::Provisioning::Stub>> stubs;
  for (int c = 0; c < 4; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("bench-channel", c);  // distinct args: a connection per channel
    stubs.push_back(provisioning::v1::Provisioning::NewStub(grpc::CreateCustomChannel(
        (*server)->target(), grpc::InsecureChannelCredentials(), args)));
  }
  auto purchase = [&](const std::string& prefix) { return PurchaseCalls(stubs, prefix); };
  int warmup_failures = 0, failures = 0, describe_failures = 0;
  Hammer(500, concurrency, purchase("warmup-"), &warmup_failures);
  // Latency without queueing: a few clients, so what is measured is the
  // service's own work per Purchase (gRPC, validation, the durable write).
  int light_failures = 0;
  const Percentiles light = Summarize(Hammer(purchases / 10, 2, purchase("light-"),
                                             &light_failures));
  
  const absl::Time start = absl::Now();
  const std::vector<absl::Duration> latencies =
      Hammer(purchases, concurrency, purchase("bench-"), &failures);
  const absl::Duration elapsed = absl::Now() - start;
  const Percentiles accepted = Summarize(latencies);
  failures += light_failures;

  // Baseline 2: the cheapest RPC, same concurrency, same channels.
  Order one;
  stubs[0]->Purchase(ContextWithDeadline(30).get(), PurchaseOf("bench-0", 1), &one);
  const Percentiles rpc = Summarize(Hammer(
      purchases / 4, concurrency,
      [&](int i) {
        provisioning::v1::DescribeRequest request;
        request.add_order_ids(one.order_id());
        provisioning::v1::DescribeResponse response;
        return stubs[i % stubs.size()]
            ->Describe(ContextWithDeadline(30).get(), request, &response)
            .ok();
      },
      &describe_failures));

  // Durability: SIGKILL, restart on the store, count.
  (*server)->Signal(SIGKILL);
  (*server)->Wait(absl::Seconds(10)).IgnoreError();
  auto restarted = testing::ServerProcess::Start(config_path, {store});
  if (!restarted.ok()) return std::fprintf(stderr, "%s\n", restarted.status().ToString().c_str()), 1;
  const int stored = static_cast<int>(testing::AllOrders(*testing::NewStub((*restarted)->target())).size());
  (*restarted)->Stop(absl::Seconds(30)).IgnoreError();

  const double rate = purchases / absl::ToDoubleSeconds(elapsed);
  const int acknowledged = purchases + purchases / 10 + 500 - failures - warmup_failures;
  std::printf("store: SQLite, synchronous=%s; purchases: %d at concurrency %d (after 500 "
              "warm-up), %d failed\n",
              full ? "FULL (fsync per commit)" : "NORMAL (crash-safe, no fsync)", purchases,
              concurrency, failures + warmup_failures);
  std::printf("%-46s %9s %9s %9s\n", "", "p50 ms", "p99 ms", "max ms");
  std::printf("%-46s %9.3f %9.3f %9.3f\n", "emulator RunInstances, direct (baseline)",
              direct.p50_ms, direct.p99_ms, direct.max_ms);
  std::printf("%-46s %9.3f %9.3f %9.3f\n", "bare SQLite commit, same mode (baseline)",
              disk.p50_ms, disk.p99_ms, disk.max_ms);
  std::printf("%-46s %9.3f %9.3f %9.3f\n", "Describe one order via the service (baseline)",
              rpc.p50_ms, rpc.p99_ms, rpc.max_ms);
  std::printf("%-46s %9.3f %9.3f %9.3f\n", "Purchase via the service, 2 clients",
              light.p50_ms, light.p99_ms, light.max_ms);
  std::printf("%-46s %9.3f %9.3f %9.3f\n",
              absl::StrCat("Purchase via the service, ", concurrency, " clients").c_str(),
              accepted.p50_ms, accepted.p99_ms, accepted.max_ms);
  std::printf("accepted: %.0f orders/s (target >= 2000)\n", rate);
  std::printf("2 clients: Purchase p99 / direct RunInstances p99 = %.2fx\n",
              light.p99_ms / direct.p99_ms);
  std::printf("%d clients: Purchase p99 / Describe p99 = %.2fx (queueing: %d in flight at "
              "%.0f/s)\n",
              concurrency, accepted.p99_ms / rpc.p99_ms, concurrency, purchases /
              absl::ToDoubleSeconds(elapsed));
  std::printf("Purchase p99 (2 clients): %.3f ms (target <= 2 ms); over the bare commit's p99: "
              "%.3f ms; the emulator's time inside a Purchase is 0 (orders reach it after "
              "acceptance)\n",
              light.p99_ms, light.p99_ms - disk.p99_ms);
  std::printf("durable: %d of %d acknowledged orders found after SIGKILL + restart\n", stored,
              acknowledged);
  const bool ok = failures == 0 && rate >= 2000 && light.p99_ms <= 2.0 &&
                  stored >= acknowledged && direct_failures == 0;
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace cvm

int main(int argc, char** argv) {
  int purchases = 20000, concurrency = 32;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &purchases)) return 2;
  if (argc > 2 && !absl::SimpleAtoi(argv[2], &concurrency)) return 2;
  const bool full = argc <= 3 || std::string(argv[3]) != "normal";
  return cvm::Run(purchases, concurrency, full);
}
