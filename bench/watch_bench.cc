// Watch fan-out benchmark: the service against the floor of gRPC on this
// machine, side by side in one run. Run by bench/run_watch_bench.sh.
//
// Two servers, each a child process started fresh every round:
//   floor    bench/watch_floor_server: a bare callback-API gRPC server with
//            the same Watch method and message type, one message per change
//            per stream, nothing else (bench/watch_floor.h); with
//            --floor_api=async, bench/watch_floor_async, the same on the
//            async API over 4 completion queues, as the service serves Watch;
//   service  the real provisioner (fake backend, memory store), streams
//            opened with batch_changes.
// A round opens --streams Watch streams of all orders (100 per connection)
// on both servers from this process, waits for every SNAPSHOT and reads each
// server's VmRSS before and after: RSS per stream = delta / streams. Then
// the two take turns buying --purchases orders, one at a time (who goes
// first alternates), so both fan out under the same load. A purchase makes
// a burst of four changes at once (ACCEPTED, CHECKING, SUBMITTED,
// PROVISIONING) and, ~2 s later, a single change (the first poll); the next
// purchase waits until every stream has every change. For every stream and
// change it records receive time - commit time. A change committed within
// 100 ms of another is a burst change, else a single one. Server CPU is
// counted while its own purchases fan out. Every stream must see every
// revision after its snapshot once, in order: deliveries == streams x
// changes.
//
// With --calibrate a second floor takes the service's place: the ratios of
// the floor to itself show how far two identical servers differ in one run
// on this machine, which is how far any ratio here is to be trusted.
//
// Exit code: 0 when the run is valid (whatever the verdicts), 1 when a count
// or ordering check failed, 2 on a setup error.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/watch_bench_stats.h"
#include "bench/watch_bench_streams.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/provisioning.grpc.pb.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

ABSL_FLAG(int, streams, 10000, "Watch streams per round");
ABSL_FLAG(int, rounds, 4,
          "rounds per side, interleaved; even, so each side opens and starts first equally often");
ABSL_FLAG(int, streams_per_connection, 100, "streams sharing one HTTP/2 connection");
ABSL_FLAG(int, purchases, 12, "purchases per round and side (a burst of four changes and one single)");
ABSL_FLAG(int, client_threads, 4, "completion queues (one thread each) reading the streams");
ABSL_FLAG(std::vector<std::string>, floor_args, {}, "extra flags for watch_floor_server");
ABSL_FLAG(std::string, only, "", "floor or service: run one side (for profiling; no ratios)");
ABSL_FLAG(std::string, floor_api, "callback",
          "callback (the floor the targets are set against) or async (gRPC on the API the "
          "service serves Watch with)");
ABSL_FLAG(bool, calibrate, false,
          "run a second floor in the service's place: the ratios of the floor to itself are "
          "the benchmark's noise on this machine (the verdicts then mean nothing)");

namespace cvm::bench {
namespace {

enum Side { kFloor = 0, kService = 1 };
const char* SideName(Side side) {
  if (side == kFloor) return "floor";
  return absl::GetFlag(FLAGS_calibrate) ? "floor2" : "service";
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

// The server's latest revision (the largest order revision Describe shows).
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

absl::StatusOr<std::unique_ptr<cvm::testing::ServerProcess>> StartServer(Side side) {
  if (side == kFloor || absl::GetFlag(FLAGS_calibrate)) {
    const bool async = absl::GetFlag(FLAGS_floor_api) == "async";
    std::vector<std::string> args = {
        cvm::testing::RunfilePath(async ? "bench/watch_floor_async" : "bench/watch_floor_server"),
        "--listen=127.0.0.1:0"};
    for (const std::string& arg : absl::GetFlag(FLAGS_floor_args)) args.push_back(arg);
    return cvm::testing::ServerProcess::StartCommand(args);
  }
  return cvm::testing::ServerProcess::Start(
      cvm::testing::RunfilePath("bench/watch_bench_fake.textproto"), {"--store=memory"});
}

// Waits until `changes` revisions after the snapshot exist and every stream
// got them; false on a timeout.
bool AwaitChanges(Provisioning::Stub* stub, Counters& counters, int64_t changes, int streams) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    absl::StatusOr<int64_t> latest = LatestRevision(stub);
    if (latest.ok() && *latest - counters.snapshot_revision.load() >= changes) {
      return WaitFor(counters.deliveries, changes * streams, absl::Minutes(2));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

// One side of a round: its server and its streams. Both sides of a round
// are open at once and take turns buying, so each change of one side fans
// out under the same conditions as the other side's neighbouring ones.
class SideRun {
 public:
  static absl::StatusOr<std::unique_ptr<SideRun>> Open(Side side, int stream_count) {
    std::unique_ptr<SideRun> run(new SideRun(side));
    absl::StatusOr<std::unique_ptr<cvm::testing::ServerProcess>> server = StartServer(side);
    if (!server.ok()) return server.status();
    run->server_ = *std::move(server);
    const pid_t pid = run->server_->pid();
    const std::string target = run->server_->target();
    run->buyer_ = cvm::testing::NewStub(target);
    absl::SleepFor(absl::Milliseconds(500));
    Round& round = run->round_;
    round.streams = stream_count;
    round.rss_before_kb = cvm::testing::RssKb(pid);
    const int per_connection = std::max(1, absl::GetFlag(FLAGS_streams_per_connection));
    for (int i = 0; i < stream_count; ++i) {
      if (i % per_connection == 0) {
        run->stubs_.push_back(Provisioning::NewStub(
            NewConnection(target, static_cast<int>(run->stubs_.size()))));
      }
      run->streams_.push_back(std::make_unique<Stream>(
          run->stubs_.back().get(), run->pollers_.queue(run->stubs_.size() - 1), &run->counters_,
          5 * absl::GetFlag(FLAGS_purchases), side == kService, /*records_commits=*/i == 0));
    }
    run->held_ = WaitFor(run->counters_.snapshots, stream_count, absl::Minutes(5));
    absl::SleepFor(absl::Seconds(1));  // let the server settle
    round.rss_after_kb = cvm::testing::RssKb(pid);
    return run;
  }

  // Buys one order and waits until every stream has its five changes.
  absl::Status Buy() {
    if (!held_ || !flowing_) return absl::OkStatus();  // Finish() reports it
    const double cpu_start = CpuSeconds(server_->pid());
    provisioning::v1::Order order;
    grpc::Status status = buyer_->Purchase(
        cvm::testing::ContextWithDeadline(60).get(),
        cvm::testing::PurchaseOf(absl::StrCat("bench-", bought_), 1), &order);
    if (!status.ok()) return absl::InternalError("purchase failed: " + status.error_message());
    ++bought_;
    flowing_ = AwaitChanges(buyer_.get(), counters_, 5 * bought_, round_.streams);
    round_.server_cpu_seconds += CpuSeconds(server_->pid()) - cpu_start;
    return absl::OkStatus();
  }

  // Ends the streams and the server; the round's figures.
  absl::StatusOr<Round> Finish() {
    absl::StatusOr<int64_t> latest = LatestRevision(buyer_.get());
    if (!latest.ok()) return latest.status();
    Round& round = round_;
    round.changes = *latest - counters_.snapshot_revision.load();
    for (auto& stream : streams_) stream->Cancel();
    WaitFor(counters_.done, round.streams, absl::Minutes(2));
    round.deliveries = counters_.deliveries.load();
    round.messages = counters_.messages.load();
    round.order_errors = counters_.order_errors.load();
    round.complete = held_ && flowing_ && round.order_errors == 0 &&
                     round.changes == 5 * bought_ && round.deliveries == round.changes * round.streams;
    Classify();
    streams_.clear();
    server_->Stop(absl::Seconds(60)).IgnoreError();
    return round;
  }

 private:
  explicit SideRun(Side side) : side_(side), pollers_(absl::GetFlag(FLAGS_client_threads)) {}

  // A change committed within 100 ms of another is a burst change.
  void Classify() {
    std::map<int64_t, bool> single;  // revision -> committed alone
    {
      absl::MutexLock lock(&counters_.mu);
      const auto& commits = counters_.commits;
      for (auto it = commits.begin(); it != commits.end(); ++it) {
        auto next = std::next(it);
        const bool alone_before = it == commits.begin() ||
                                  it->second - std::prev(it)->second > absl::Milliseconds(100);
        const bool alone_after =
            next == commits.end() || next->second - it->second > absl::Milliseconds(100);
        single[it->first] = alone_before && alone_after;
      }
      for (const auto& [revision, bytes] : counters_.order_bytes) round_.order_bytes += bytes;
    }
    std::map<int64_t, int32_t> first_us;  // single revision -> smallest delay
    for (const auto& stream : streams_) {
      for (const Delivery& d : stream->deliveries()) {
        (single[d.revision] ? round_.single_us : round_.burst_us).push_back(d.delay_us);
        if (!single[d.revision]) continue;
        auto [it, added] = first_us.emplace(d.revision, d.delay_us);
        if (!added) it->second = std::min(it->second, d.delay_us);
      }
    }
    for (const auto& [revision, us] : first_us) round_.single_first_us.push_back(us);
  }

  const Side side_;
  std::unique_ptr<cvm::testing::ServerProcess> server_;
  std::unique_ptr<Provisioning::Stub> buyer_;
  std::vector<std::unique_ptr<Provisioning::Stub>> stubs_;
  Counters counters_;
  Pollers pollers_;
  std::vector<std::unique_ptr<Stream>> streams_;  // last: destroyed before the pollers
  Round round_;
  bool held_ = false;
  bool flowing_ = true;
  int bought_ = 0;
};

}  // namespace
}  // namespace cvm::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as the server
  using cvm::bench::Round;
  // Runfiles next to the binary hold the servers and the config.
  setenv("TEST_SRCDIR", absl::StrCat(argv[0], ".runfiles").c_str(), /*overwrite=*/0);
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;  // the servers inherit it
  setrlimit(RLIMIT_NOFILE, &files);
  std::ifstream loadavg("/proc/loadavg");
  double load = 0;
  loadavg >> load;
  const int streams = absl::GetFlag(FLAGS_streams);
  const std::string only = absl::GetFlag(FLAGS_only);
  const bool one_side = !only.empty();
  if (one_side && only != cvm::bench::SideName(cvm::bench::kFloor) &&
      only != cvm::bench::SideName(cvm::bench::kService)) {
    std::fprintf(stderr, "watch_bench: --only=%s: must be %s or %s\n", only.c_str(),
                 cvm::bench::SideName(cvm::bench::kFloor),
                 cvm::bench::SideName(cvm::bench::kService));
    return 2;
  }
  const std::string floor_api = absl::GetFlag(FLAGS_floor_api);
  if (floor_api != "callback" && floor_api != "async") {
    std::fprintf(stderr, "watch_bench: --floor_api=%s: must be callback or async\n",
                 floor_api.c_str());
    return 2;
  }
  if (!one_side && absl::GetFlag(FLAGS_rounds) % 2 != 0) {
    std::fprintf(stderr, "watch_bench: --rounds=%d: must be even, so that each side opens and "
                 "starts first in half of the rounds\n", absl::GetFlag(FLAGS_rounds));
    return 2;
  }
  std::printf("watch_bench: %ld cores, load average %.2f at start; %d streams, %d purchases "
              "(%d changes) per round, %d rounds per side; the floor on the %s API\n",
              sysconf(_SC_NPROCESSORS_ONLN), load, streams, absl::GetFlag(FLAGS_purchases),
              5 * absl::GetFlag(FLAGS_purchases), absl::GetFlag(FLAGS_rounds), floor_api.c_str());
  std::printf("%-8s %5s %7s %9s %8s %7s %11s %9s %9s %9s %9s %9s %9s %7s\n", "side", "round",
              "streams", "KB/stream", "changes", "B/order", "deliveries", "messages", "single50",
              "single99", "burst50", "burst99", "cpu_us/ev", "valid");
  std::fflush(stdout);
  Round total[2];
  bool valid = true;
  for (int r = 0; r < absl::GetFlag(FLAGS_rounds); ++r) {
    std::vector<std::pair<cvm::bench::Side, std::unique_ptr<cvm::bench::SideRun>>> runs;
    // Which side starts and opens its streams first alternates by round:
    // with --calibrate the side opened first had the slower bursts (about
    // 1.5x), whichever server it was.
    const bool floor_first = r % 2 == 0;
    for (auto side : {floor_first ? cvm::bench::kFloor : cvm::bench::kService,
                      floor_first ? cvm::bench::kService : cvm::bench::kFloor}) {
      if (one_side && only != cvm::bench::SideName(side)) continue;
      auto run = cvm::bench::SideRun::Open(side, streams);
      if (!run.ok()) {
        std::fprintf(stderr, "watch_bench: %s round %d: %s\n", cvm::bench::SideName(side),
                     r + 1, run.status().ToString().c_str());
        return 2;
      }
      runs.emplace_back(side, *std::move(run));
    }
    for (int p = 0; p < absl::GetFlag(FLAGS_purchases); ++p) {
      for (size_t i = 0; i < runs.size(); ++i) {  // who goes first alternates
        auto& run = runs[(i + p) % runs.size()].second;
        if (absl::Status bought = run->Buy(); !bought.ok()) {
          std::fprintf(stderr, "watch_bench: %s\n", bought.ToString().c_str());
          return 2;
        }
      }
    }
    for (auto& [side, run] : runs) {
      absl::StatusOr<Round> round = run->Finish();
      if (!round.ok()) {
        std::fprintf(stderr, "watch_bench: %s round %d: %s\n", cvm::bench::SideName(side),
                     r + 1, round.status().ToString().c_str());
        return 2;
      }
      cvm::bench::PrintRound(cvm::bench::SideName(side), r + 1, *round);
      std::fflush(stdout);
      valid = valid && round->complete;
      total[side].Add(*round);
    }
  }
  using cvm::bench::Percentile;
  const Round& floor = total[cvm::bench::kFloor];
  const Round& service = total[cvm::bench::kService];
  for (const Round* r : {&floor, &service}) {
    if (r->streams == 0) continue;  // not run (--only)
    std::printf("%-8s all rounds: single p50 %.1f ms p99 %.1f ms max %.1f ms (first stream "
                "reached after %.1f ms, median); burst p50 %.1f ms p99 %.1f ms max %.1f ms; %.2f "
                "changes per message; server CPU %.2f us per delivered change; %.1f KB RSS per "
                "stream\n",
                cvm::bench::SideName(r == &floor ? cvm::bench::kFloor : cvm::bench::kService),
                Percentile(r->single_us, 0.5),
                Percentile(r->single_us, 0.99), Percentile(r->single_us, 1.0),
                Percentile(r->single_first_us, 0.5),
                Percentile(r->burst_us, 0.5), Percentile(r->burst_us, 0.99),
                Percentile(r->burst_us, 1.0),
                r->messages == 0 ? 0.0 : static_cast<double>(r->deliveries) / r->messages,
                r->cpu_us_per_delivery(), r->kb_per_stream());
  }
  if (one_side) return valid ? 0 : 1;  // nothing to compare with
  const double single = Percentile(service.single_us, 0.99) / Percentile(floor.single_us, 0.99);
  const double burst = Percentile(service.burst_us, 0.99) / Percentile(floor.burst_us, 0.99);
  const double cpu = service.cpu_us_per_delivery() / floor.cpu_us_per_delivery();
  const double kb = service.kb_per_stream();
  if (absl::GetFlag(FLAGS_calibrate)) {
    std::printf("calibration: floor2 is the floor again, so these ratios are noise, and the "
                "verdicts below do not measure the service\n");
  }
  if (floor_api == "async") {
    std::printf("the floor is on the async API, as the service's Watch: the targets were set "
                "against the callback floor\n");
  }
  std::printf("ratios service / floor: single p99 %.2fx, burst p99 %.2fx, CPU per event %.2fx, "
              "KB per stream %.2fx\n",
              single, burst, cpu, kb / floor.kb_per_stream());
  auto verdict = [&](const char* what, bool pass) {
    std::printf("verdict: %s: %s\n", what, valid && pass ? "PASS" : "FAIL");
  };
  verdict("single change p99 <= 1.1x the floor's", single <= 1.1);
  verdict("bursts of 4 p99 <= 0.7x the floor's", burst <= 0.7);
  verdict("CPU per delivered change <= the floor's", cpu <= 1.0);
  verdict(absl::StrCat("RSS per stream ", absl::StrFormat("%.1f", kb), " KB <= 20 KB").c_str(),
          kb <= 20);
  verdict("every stream saw every revision once, in order (deliveries = streams x changes)", true);
  if (!valid) std::printf("INVALID RUN: not every change reached every stream once, in order\n");
  return valid ? 0 : 1;
}
