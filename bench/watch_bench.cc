// Watch fan-out benchmark: server memory per stream and the delay from a
// committed change to its delivery on every stream. Run by
// bench/run_watch_bench.sh.
//
// Two phases in one run, a baseline (--baseline_streams) and the target
// (--streams). Each starts the real provisioner (fake backend, memory store)
// as a child process, opens the streams (Watch of all orders, callback API)
// over separate connections from this process, waits for every SNAPSHOT and
// reads the server's VmRSS before and after: RSS per stream = delta / streams.
// Then it buys --purchases orders one at a time (each is a burst of four
// changes: ACCEPTED, CHECKING, SUBMITTED, PROVISIONING, then one more when
// the poller records the private IPs) and records, for every stream and
// every change, receive time - the order's update_time (its commit time;
// same machine, same clock). The changes of a phase are the store's revisions
// after the snapshot (read back with Describe once it is quiet); every stream
// must get every one of them once, in order: deliveries == streams x changes.
//
// Exit code: 0 when the run is valid (whatever the verdicts), 1 when a count
// or ordering check failed, 2 on a setup error.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/provisioning.grpc.pb.h"
#include "tests/server_process.h"
#include "bench/watch_bench_streams.h"
#include "tests/test_client.h"

ABSL_FLAG(int, streams, 10000, "Watch streams in the target phase");
ABSL_FLAG(int, baseline_streams, 100, "Watch streams in the baseline phase");
ABSL_FLAG(int, streams_per_connection, 100, "streams sharing one HTTP/2 connection");
ABSL_FLAG(int, purchases, 10, "purchases per phase (five changes each)");
ABSL_FLAG(int, client_threads, 4, "completion queues (one thread each) reading the streams");
ABSL_FLAG(absl::Duration, gap, absl::Seconds(1),
          "pause after each purchase (longer than the server's 500 ms poll interval)");

namespace cvm::bench {
namespace {

struct PhaseResult {
  int streams = 0;
  int connections = 0;
  double open_seconds = 0;
  int64_t rss_before_kb = 0;
  int64_t rss_after_kb = 0;
  int64_t changes = 0;
  int64_t deliveries = 0;
  int64_t order_errors = 0;
  double server_cpu_seconds = 0;  // while fanning the changes out
  double client_cpu_seconds = 0;  // this process, same period
  std::vector<int32_t> delays_us;  // sorted
  bool held = false;               // every stream opened and got its snapshot
  bool complete = false;           // deliveries == streams x changes, in order

  double kb_per_stream() const {
    return static_cast<double>(rss_after_kb - rss_before_kb) / streams;
  }
  double percentile_ms(double p) const {
    if (delays_us.empty()) return 0;
    size_t i = static_cast<size_t>(p * delays_us.size());
    return delays_us[std::min(i, delays_us.size() - 1)] / 1000.0;
  }
};

// VmRSS of `pid` in kB (-1 if unreadable).
int64_t RssKb(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      int64_t kb = -1;
      status >> kb;
      return kb;
    }
    status.ignore(1 << 20, '\n');
  }
  return -1;
}

// User + system CPU seconds of `pid`.
double CpuSeconds(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream rest(all.substr(all.rfind(')') + 2));  // fields from 3 on
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);  // utime, stime
  }
  return ticks / sysconf(_SC_CLK_TCK);
}

// User + system CPU seconds of this process.
double OwnCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Waits until `value` reaches `target`; false after `timeout`.
bool WaitFor(const std::atomic<int64_t>& value, int64_t target, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (value.load() < target) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

std::shared_ptr<grpc::Channel> NewConnection(const std::string& target, int index) {
  grpc::ChannelArguments args;
  // A subchannel pool per channel, and distinct args: one TCP connection each.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("cvm.bench.connection", index);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// The store's latest revision: the largest order revision (every change is
// an order's).
absl::StatusOr<int64_t> LatestRevision(Provisioning::Stub* stub) {
  provisioning::v1::DescribeRequest request;
  request.set_page_size(500);
  provisioning::v1::DescribeResponse response;
  grpc::Status status =
      stub->Describe(cvm::testing::ContextWithDeadline(30).get(), request, &response);
  if (!status.ok()) return absl::UnavailableError("describe: " + status.error_message());
  int64_t latest = 0;
  for (const auto& order : response.orders()) latest = std::max(latest, order.revision());
  return latest;
}

// Opens and closes a few streams so lazy start-up costs are not counted.
void WarmUp(const std::string& target) {
  auto stub = Provisioning::NewStub(NewConnection(target, -1));
  Pollers pollers(1);
  Counters counters;
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < 8; ++i) {
    streams.push_back(std::make_unique<Stream>(stub.get(), pollers.queue(0), &counters, 0));
  }
  WaitFor(counters.snapshots, 8, absl::Seconds(30));
  for (auto& stream : streams) stream->Cancel();
  WaitFor(counters.done, 8, absl::Seconds(30));
}

absl::StatusOr<PhaseResult> RunPhase(int stream_count) {
  const std::string config = cvm::testing::RunfilePath("bench/watch_bench_fake.textproto");
  auto server = cvm::testing::ServerProcess::Start(config);
  if (!server.ok()) return server.status();
  const pid_t pid = (*server)->pid();
  const std::string target = (*server)->target();
  auto buyer = cvm::testing::NewStub(target);
  WarmUp(target);
  absl::SleepFor(absl::Milliseconds(500));

  PhaseResult result;
  result.streams = stream_count;
  result.rss_before_kb = RssKb(pid);
  const int per_connection = std::max(1, absl::GetFlag(FLAGS_streams_per_connection));
  const int purchases = absl::GetFlag(FLAGS_purchases);
  std::vector<std::shared_ptr<grpc::Channel>> connections;
  std::vector<std::unique_ptr<Provisioning::Stub>> stubs;
  std::vector<std::unique_ptr<Stream>> streams;
  Counters counters;
  Pollers pollers(absl::GetFlag(FLAGS_client_threads));
  const absl::Time open_start = absl::Now();
  for (int i = 0; i < stream_count; ++i) {
    if (i % per_connection == 0) {
      connections.push_back(NewConnection(target, static_cast<int>(connections.size())));
      stubs.push_back(Provisioning::NewStub(connections.back()));
    }
    streams.push_back(std::make_unique<Stream>(
        stubs.back().get(), pollers.queue(connections.size() - 1), &counters, 5 * purchases));
  }
  result.connections = static_cast<int>(connections.size());
  result.held = WaitFor(counters.snapshots, stream_count, absl::Minutes(5));
  result.open_seconds = absl::ToDoubleSeconds(absl::Now() - open_start);
  absl::SleepFor(absl::Seconds(1));  // let the server settle
  result.rss_after_kb = RssKb(pid);

  // One purchase at a time; the next once the store is quiet (the gap is
  // longer than the poll interval) and every stream has every change.
  const double cpu_start = CpuSeconds(pid);
  const double own_cpu_start = OwnCpuSeconds();
  for (int p = 0; p < purchases && result.held; ++p) {
    provisioning::v1::Order order;
    grpc::Status status = buyer->Purchase(
        cvm::testing::ContextWithDeadline(60).get(),
        cvm::testing::PurchaseOf(absl::StrCat("bench-", stream_count, "-", p), 1), &order);
    if (!status.ok()) return absl::InternalError("purchase failed: " + status.error_message());
    absl::SleepFor(absl::GetFlag(FLAGS_gap));
    absl::StatusOr<int64_t> latest = LatestRevision(buyer.get());
    if (!latest.ok()) return latest.status();
    result.changes = *latest - counters.snapshot_revision.load();
    if (!WaitFor(counters.deliveries, result.changes * stream_count, absl::Minutes(2))) break;
  }
  result.server_cpu_seconds = CpuSeconds(pid) - cpu_start;
  result.client_cpu_seconds = OwnCpuSeconds() - own_cpu_start;
  absl::StatusOr<int64_t> latest = LatestRevision(buyer.get());
  if (!latest.ok()) return latest.status();
  result.changes = *latest - counters.snapshot_revision.load();

  for (auto& stream : streams) stream->Cancel();
  WaitFor(counters.done, stream_count, absl::Minutes(2));
  result.deliveries = counters.deliveries.load();
  result.order_errors = counters.order_errors.load();
  result.complete = result.held && result.order_errors == 0 &&
                    result.changes >= 4 * purchases &&
                    result.deliveries == result.changes * stream_count;
  for (const auto& stream : streams) {
    result.delays_us.insert(result.delays_us.end(), stream->delays_us().begin(),
                            stream->delays_us().end());
  }
  std::sort(result.delays_us.begin(), result.delays_us.end());
  streams.clear();
  (*server)->Stop(absl::Seconds(60)).IgnoreError();
  return result;
}

void PrintRow(const char* name, const PhaseResult& r) {
  std::printf("%-9s %7d %6d %7.1f %10.1f %9.1f %10.1f %8lld %11lld %8.2f %8.2f %8.2f %9.2f %9.2f\n",
              name, r.streams, r.connections, r.open_seconds, r.rss_before_kb / 1024.0,
              r.rss_after_kb / 1024.0, r.kb_per_stream(), static_cast<long long>(r.changes),
              static_cast<long long>(r.deliveries), r.percentile_ms(0.50),
              r.percentile_ms(0.99), r.percentile_ms(1.0), r.server_cpu_seconds,
              r.client_cpu_seconds);
}

}  // namespace
}  // namespace cvm::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as the server
  using cvm::bench::PhaseResult;
  // Runfiles next to the binary hold the provisioner and the config.
  setenv("TEST_SRCDIR", absl::StrCat(argv[0], ".runfiles").c_str(), /*overwrite=*/0);
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;  // the server inherits it
  setrlimit(RLIMIT_NOFILE, &files);

  std::ifstream loadavg("/proc/loadavg");
  double load = 0;
  loadavg >> load;
  const int purchases = absl::GetFlag(FLAGS_purchases);
  std::printf("watch_bench: %ld cores, load average %.2f at start, open files limit %llu; "
              "%d purchases per phase\n",
              sysconf(_SC_NPROCESSORS_ONLN), load,
              static_cast<unsigned long long>(files.rlim_cur), purchases);
  std::fflush(stdout);
  std::vector<std::pair<const char*, PhaseResult>> phases;
  for (const auto& [name, count] :
       {std::pair<const char*, int>{"baseline", absl::GetFlag(FLAGS_baseline_streams)},
        std::pair<const char*, int>{"target", absl::GetFlag(FLAGS_streams)}}) {
    absl::StatusOr<PhaseResult> result = cvm::bench::RunPhase(count);
    if (!result.ok()) {
      std::fprintf(stderr, "watch_bench: %s phase: %s\n", name, result.status().ToString().c_str());
      return 2;
    }
    phases.emplace_back(name, *std::move(result));
  }
  std::printf("%-9s %7s %6s %7s %10s %9s %10s %8s %11s %8s %8s %8s %9s %9s\n", "phase",
              "streams", "conns", "open_s", "rss_before", "rss_after", "KB/stream", "changes",
              "deliveries", "p50_ms", "p99_ms", "max_ms", "srv_cpu_s", "cli_cpu_s");
  std::printf("%-9s %7s %6s %7s %10s %9s %10s %8s %11s %8s %8s %8s %9s %9s\n", "", "", "", "",
              "(MB)", "(MB)", "", "", "", "", "", "", "", "");
  for (const auto& [name, result] : phases) cvm::bench::PrintRow(name, result);
  const PhaseResult& base = phases[0].second;
  const PhaseResult& target = phases[1].second;
  std::printf("ratios (target / baseline): streams %.0fx, KB/stream %.2fx, p50 %.2fx, "
              "p99 %.2fx, server CPU %.1fx\n",
              static_cast<double>(target.streams) / base.streams,
              target.kb_per_stream() / base.kb_per_stream(),
              target.percentile_ms(0.5) / base.percentile_ms(0.5),
              target.percentile_ms(0.99) / base.percentile_ms(0.99),
              target.server_cpu_seconds / base.server_cpu_seconds);
  auto per_delivery_us = [](const PhaseResult& r, double seconds) {
    return r.deliveries == 0 ? 0.0 : seconds * 1e6 / r.deliveries;
  };
  std::printf("CPU per delivery: server %.1f us (baseline %.1f us), client %.1f us "
              "(baseline %.1f us)\n",
              per_delivery_us(target, target.server_cpu_seconds),
              per_delivery_us(base, base.server_cpu_seconds),
              per_delivery_us(target, target.client_cpu_seconds),
              per_delivery_us(base, base.client_cpu_seconds));
  bool valid = true;
  for (const auto& [name, r] : phases) {
    std::printf("%s: deliveries %lld %s streams x changes %d x %lld = %lld; gaps or "
                "duplicates: %lld\n",
                name, static_cast<long long>(r.deliveries), r.complete ? "==" : "!=", r.streams,
                static_cast<long long>(r.changes), static_cast<long long>(r.changes * r.streams),
                static_cast<long long>(r.order_errors));
    valid = valid && r.complete;
  }
  const double kb = target.kb_per_stream();
  const double p99 = target.percentile_ms(0.99);
  std::printf("verdict: %d streams held: %s\n", target.streams, target.held ? "PASS" : "FAIL");
  std::printf("verdict: RSS per stream %.1f KB <= 30 KB: %s\n", kb, kb <= 30 ? "PASS" : "FAIL");
  std::printf("verdict: p99 delivery %.1f ms <= 50 ms: %s\n", p99,
              valid && p99 <= 50 ? "PASS" : "FAIL");
  if (!valid) std::printf("INVALID RUN: not every change reached every stream once, in order\n");
  return valid ? 0 : 1;
}
