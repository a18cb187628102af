// End-to-end: the provisionctl binary as a subprocess against the real
// provisioner (fake backend, short delays): purchase --watch until ACTIVE,
// describe, terminate, JSON output, and an exit code and message per error.
// Then against the real provisioner and the CVM emulator: a purchase over
// candidates (4 nodes, spot then pay-as-you-go, any of 3 zones) that takes
// what the cheapest cell has left and the rest in the next one; and node
// groups: group create --watch to 3 running, resize --watch to 1, delete
// --release --watch to DELETED.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "provisioning/v1/node_groups.pb.h"
#include "provisioning/v1/provisioning.pb.h"
#include "tests/emulator_fixture.h"
#include "tests/server_process.h"

namespace cvm::testing {
namespace {

using provisioning::v1::DescribeResponse;
using provisioning::v1::Order;
using provisioning::v1::WatchEvent;
using ::testing::HasSubstr;
using ::testing::Not;

// The zone the fake serves normally, with the spec flags every purchase uses.
const std::vector<std::string> kSpec = {"--region=ap-guangzhou", "--zone=ap-guangzhou-3",
                                        "--instance_type=S5.MEDIUM2", "--image=img-pi0ii46r"};

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string Quote(const std::string& arg) { return absl::StrCat("'", arg, "'"); }

template <typename T>
T ParseJson(const std::string& line) {
  T message;
  auto status = google::protobuf::util::JsonStringToMessage(line, &message);
  EXPECT_TRUE(status.ok()) << status.message() << " in: " << line;
  return message;
}

class CliEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ServerProcess::Start(RunfilePath("tests/testdata/cli_fake.textproto"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    EXPECT_EQ(server_->Stop(absl::Seconds(30)).value_or(-1), 0);
  }

  // Runs `provisionctl --server=... ARGS` with stdout and stderr kept apart
  // (stdout is a pipe, not a terminal).
  CliResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), absl::StrCat("--server=", server_->target()));
    return RunCli(args);
  }

  static CliResult RunCli(const std::vector<std::string>& args) {
    const std::string err_path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/cli_stderr");
    std::vector<std::string> quoted = {Quote(RunfilePath("cli/provisionctl"))};
    for (const std::string& arg : args) quoted.push_back(Quote(arg));
    auto result =
        RunProcess({"/bin/sh", "-c", absl::StrCat(absl::StrJoin(quoted, " "), " 2>", err_path)},
                   absl::Seconds(60));
    CliResult cli;
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return cli;
    cli.exit_code = result->exit_code;
    cli.out = result->output;
    std::stringstream err;
    err << std::ifstream(err_path).rdbuf();
    cli.err = err.str();
    return cli;
  }

  // Buys `count` instances (JSON output) and returns the order.
  Order Buy(int count, const std::string& request_id) {
    std::vector<std::string> args = {"purchase", "--output=json", absl::StrCat("--count=", count),
                                     "--request_id=" + request_id};
    args.insert(args.end(), kSpec.begin(), kSpec.end());
    CliResult result = Cli(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return ParseJson<Order>(result.out);
  }

  std::unique_ptr<ServerProcess> server_;
};

TEST_F(CliEndToEndTest, PurchaseWatchShowsEveryInstanceRunningWithItsIps) {
  std::vector<std::string> args = {"purchase", "--count=3", "--bandwidth_mbps=10",
                                   "--tag=team=infra", "--watch"};
  args.insert(args.end(), kSpec.begin(), kSpec.end());
  CliResult result = Cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr("\x1b[")));  // not a terminal: plain lines

  // The generated request id is on stderr, ready to retry with.
  std::smatch id;
  ASSERT_TRUE(std::regex_search(result.err, id, std::regex("--request_id=([0-9a-f-]{36})")))
      << result.err;

  // Each instance reaches RUNNING with a public and a private IP, on its own line.
  const std::regex running(
      R"(\+[0-9.]+s +(ins-[a-z0-9]+) +RUNNING +public (203\.0\.113\.[0-9]+) +private (10\.[0-9.]+))");
  std::set<std::string> ready;
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(result.out, '\n'))) {
    std::smatch match;
    if (std::regex_search(line, match, running)) ready.insert(match[1]);
  }
  EXPECT_EQ(ready.size(), 3u) << result.out;
  std::vector<std::string> lines = absl::StrSplit(result.out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.front(), HasSubstr("ACCEPTED: 3 x S5.MEDIUM2 in ap-guangzhou-3"));
  EXPECT_THAT(lines.back(), ::testing::MatchesRegex(R"(\+[0-9.]+s +order ord-[0-9a-f]+ ACTIVE: )"
                                                    R"(3/3 running)"));

  // The service agrees, and kept the request id and tag.
  const std::string order_id = lines.back().substr(lines.back().find("ord-"), 20);
  CliResult describe = Cli({"describe", order_id, "--output=json"});
  ASSERT_EQ(describe.exit_code, 0) << describe.err;
  const Order order = ParseJson<DescribeResponse>(describe.out).orders(0);
  EXPECT_EQ(order.state(), Order::ACTIVE);
  EXPECT_EQ(order.request_id(), id[1].str());
  EXPECT_EQ(order.spec().tags(0).key(), "team");
  for (const auto& instance : order.instances()) EXPECT_EQ(ready.count(instance.instance_id()), 1u);
}

// A Quote over candidates: the sold-out zone's cells say so, and the
// cheapest available cell (spot in the zone that sells) is the one named.
TEST_F(CliEndToEndTest, QuoteOverCandidatesNamesTheCellAPurchaseWouldTake) {
  std::vector<std::string> args = {"quote", "--count=4", "--zones=ap-guangzhou-3,ap-guangzhou-1",
                                   "--try=spot:0.10,payg"};
  args.insert(args.end(), kSpec.begin(), kSpec.end());
  CliResult result = Cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("ap-guangzhou-1  S5.MEDIUM2  spot<=0.10"));
  EXPECT_THAT(result.out, HasSubstr("ZONE_SOLD_OUT"));
  EXPECT_THAT(result.out,
              HasSubstr("a purchase would take: ap-guangzhou-3 S5.MEDIUM2 spot<=0.10 at 0.03"));
  std::printf("provisionctl quote over candidates:\n%s", result.out.c_str());
}

TEST_F(CliEndToEndTest, InvalidCountExitsTwoNamingInstanceCount) {
  std::vector<std::string> args = {"purchase", "--count=0"};
  args.insert(args.end(), kSpec.begin(), kSpec.end());
  CliResult result = Cli(args);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("purchase failed: INVALID_ARGUMENT"));
  EXPECT_THAT(result.err, HasSubstr("\n  field instance_count: must be between 1 and 100\n"));
  EXPECT_THAT(result.err, HasSubstr("\n  reason INVALID_ARGUMENT (provisioner.cvm.dev)\n"));
  EXPECT_EQ(result.out, "");
}

TEST_F(CliEndToEndTest, DescribeByIdByInstanceAndListThenTerminate) {
  const Order order = Buy(2, "cli-e2e-describe");
  ASSERT_EQ(order.instances_size(), 2);

  CliResult by_id = Cli({"describe", order.order_id()});
  ASSERT_EQ(by_id.exit_code, 0) << by_id.err;
  EXPECT_THAT(by_id.out, HasSubstr(absl::StrCat("Order ", order.order_id(), "  ")));
  EXPECT_THAT(by_id.out, HasSubstr("request id  cli-e2e-describe\n"));
  EXPECT_THAT(by_id.out, HasSubstr(order.instances(1).instance_id()));

  CliResult by_instance = Cli({"describe", "--instance=" + order.instances(0).instance_id()});
  ASSERT_EQ(by_instance.exit_code, 0) << by_instance.err;
  EXPECT_THAT(by_instance.out, HasSubstr(absl::StrCat("Order ", order.order_id())));

  CliResult list = Cli({"describe", "--region=ap-guangzhou", "--page_size=10"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("ORDER"));
  EXPECT_THAT(list.out, HasSubstr(order.order_id()));

  CliResult terminate = Cli({"terminate", order.order_id(), "--watch"});
  ASSERT_EQ(terminate.exit_code, 0) << terminate.err;
  EXPECT_THAT(terminate.out, HasSubstr(absl::StrCat("order ", order.order_id(), " TERMINATED")));

  CliResult after = Cli({"describe", order.order_id(), "--output=json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(ParseJson<DescribeResponse>(after.out).orders(0).state(), Order::TERMINATED);

  CliResult terminated_list = Cli({"describe", "--state=TERMINATED"});
  EXPECT_THAT(terminated_list.out, HasSubstr(order.order_id()));
}

TEST_F(CliEndToEndTest, JsonOutputIsOneParsableObjectPerLine) {
  std::vector<std::string> args = {
      "purchase",          "--output=json", "--watch", "--count=2", "--request_id=cli-e2e-json",
      "--bandwidth_mbps=5"};
  args.insert(args.end(), kSpec.begin(), kSpec.end());
  CliResult result = Cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines = absl::StrSplit(result.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u);
  const Order order = ParseJson<Order>(lines[0]);  // the Purchase response
  EXPECT_EQ(order.request_id(), "cli-e2e-json");
  int64_t revision = 0;
  WatchEvent last;
  for (size_t i = 1; i < lines.size(); ++i) {
    last = ParseJson<WatchEvent>(lines[i]);
    EXPECT_GT(last.revision(), revision);
    revision = last.revision();
  }
  ASSERT_EQ(last.orders_size(), 1);
  EXPECT_EQ(last.orders(0).state(), Order::ACTIVE);
  EXPECT_EQ(last.orders(0).instances(0).public_ips_size(), 1);

  std::vector<std::string> quote_args = {"quote", "--output=json", "--count=2"};
  quote_args.insert(quote_args.end(), kSpec.begin(), kSpec.end());
  CliResult quote = Cli(quote_args);
  ASSERT_EQ(quote.exit_code, 0) << quote.err;
  const auto parsed = ParseJson<provisioning::v1::Quote>(quote.out);
  EXPECT_EQ(parsed.currency(), "CNY");
  EXPECT_EQ(parsed.total_price_per_hour(), "0.20");
}

TEST_F(CliEndToEndTest, RetryingWithTheSameRequestIdReturnsTheSameOrder) {
  const Order first = Buy(1, "cli-e2e-retry");
  const Order again = Buy(1, "cli-e2e-retry");
  EXPECT_EQ(again.order_id(), first.order_id());
}

TEST_F(CliEndToEndTest, EachErrorHasItsExitCodeAndDetails) {
  // Sold-out zone: the pre-flight check fails (exit 3).
  CliResult sold_out = Cli({"purchase", "--region=ap-guangzhou", "--zone=ap-guangzhou-1",
                            "--instance_type=S5.MEDIUM2", "--image=img-pi0ii46r"});
  EXPECT_EQ(sold_out.exit_code, 3);
  EXPECT_THAT(sold_out.err, HasSubstr("\n  precondition ZONE_SOLD_OUT failed for ap-guangzhou-1"));
  EXPECT_THAT(sold_out.err, HasSubstr("\n  reason ZONE_SOLD_OUT"));

  // Unknown order (exit 4).
  CliResult missing = Cli({"describe", "ord-0000000000000000"});
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_THAT(missing.err, HasSubstr("describe failed: NOT_FOUND"));

  // Instances that never launch: the watched order ends FAILED (exit 6).
  CliResult failed = Cli({"purchase", "--region=ap-guangzhou", "--zone=ap-guangzhou-4",
                          "--instance_type=S5.MEDIUM2", "--image=img-pi0ii46r", "--watch"});
  EXPECT_EQ(failed.exit_code, 6) << failed.out << failed.err;
  EXPECT_THAT(failed.out, HasSubstr("LAUNCH_FAILED"));
  EXPECT_THAT(failed.out, ::testing::ContainsRegex("order ord-[0-9a-f]+ FAILED: LAUNCH_FAILED"));

  // A flag that does not exist (exit 1): nothing is sent.
  CliResult usage = Cli({"purchase", "--colour=red"});
  EXPECT_EQ(usage.exit_code, 1);
  EXPECT_THAT(usage.err, HasSubstr("unknown flag --colour for purchase"));

  // Nobody listening (exit 5).
  CliResult down = RunCli({"--server=127.0.0.1:1", "describe"});
  EXPECT_EQ(down.exit_code, 5);
  EXPECT_THAT(down.err, HasSubstr("UNAVAILABLE"));
}

// 3 zones x 2 types. ap-guangzhou-3's spot market (0.15) is above the 0.10
// max for both types: its spot is as good as sold out. ap-guangzhou-4 has
// the cheapest cell (S5.MEDIUM2 spot at 0.04) with 3 left; ap-guangzhou-6's
// S5.MEDIUM2 spot at 0.05 is next. S5.LARGE8 spot: 0.09 and 0.10;
// pay-as-you-go: 0.16-0.18 (S5.MEDIUM2) and 0.44-0.46 (S5.LARGE8).
const char* const kCandidateZones[] = {"ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"};

tencentcloud::EmulatorConfig CandidatesWorld() {
  tencentcloud::EmulatorConfig world = tencentcloud::TestWorld();
  world.clear_zones();
  for (int z = 0; z < 3; ++z) {
    auto* zone = world.add_zones();
    zone->set_zone(kCandidateZones[z]);
    zone->set_region("ap-guangzhou");
    for (int t = 0; t < 2; ++t) {
      auto* type = zone->add_types();
      type->set_instance_type(t == 0 ? "S5.MEDIUM2" : "S5.LARGE8");
      type->set_cpu(t == 0 ? 2 : 4);
      type->set_memory_gb(t == 0 ? 2 : 8);
      type->set_price_per_hour(absl::StrFormat("0.%02d", (t == 0 ? 16 : 44) + z));
      type->set_spot_price_per_hour(z == 0 ? "0.15"
                                           : absl::StrFormat("0.%02d", (t == 0 ? 4 : 9) + z - 1));
      type->set_stock(z == 1 && t == 0 ? 3 : -1);
    }
  }
  world.mutable_pending_duration()->set_seconds(1);
  return world;
}

class CliCandidatesEndToEndTest : public CliEndToEndTest {
 protected:
  void SetUp() override {
    auto emulator = tencentcloud::EmulatorServer::Start(CandidatesWorld(), "127.0.0.1", 0);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    auto server = ServerProcess::Start(
        WriteEmulatorConfig("cli_candidates.textproto", emulator_->port(),
                            tencentcloud::kTestSecretId, tencentcloud::kTestSecretKey),
        {"--poll_fast_interval=200ms", "--poll_slow_interval=300ms"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::unique_ptr<tencentcloud::EmulatorServer> emulator_;
};

// "4 nodes, spot then pay-as-you-go, any zone": 3 in the cheapest cell (all
// it has), 1 in the next; the output says where each landed and names the
// attempts and the skipped cells.
TEST_F(CliCandidatesEndToEndTest, FourNodesSpotThenPayAsYouGoAnyZone) {
  const std::vector<std::string> args = {"purchase",
                                         "--region=ap-guangzhou",
                                         "--zone=ap-guangzhou-3",
                                         "--instance_type=S5.MEDIUM2",
                                         "--image=img-pi0ii46r",
                                         "--count=4",
                                         "--zones=ap-guangzhou-3,ap-guangzhou-4,ap-guangzhou-6",
                                         "--types=S5.MEDIUM2,S5.LARGE8",
                                         "--try=spot:0.10,payg",
                                         "--watch"};
  CliResult result = Cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;

  // The attempts as they happened, then as the final table.
  EXPECT_THAT(result.out, HasSubstr(" fell back to ap-guangzhou-6 S5.MEDIUM2 spot at 0.05/h "
                                    "(attempt 2, 1 instance)\n"));
  EXPECT_THAT(result.out, HasSubstr(" ACTIVE: 4/4 running\n  ATTEMPT  ZONE "));
  EXPECT_THAT(result.out, HasSubstr("  1        ap-guangzhou-4  S5.MEDIUM2  spot<=0.10  0.04     3"
                                    "      BOUGHT"));
  EXPECT_THAT(result.out, HasSubstr("  2        ap-guangzhou-6  S5.MEDIUM2  spot<=0.10  0.05     1"
                                    "      BOUGHT"));
  EXPECT_THAT(result.out, ::testing::ContainsRegex(
                              "ap-guangzhou-3  S5.MEDIUM2  spot<=0.10  0.15 .*SPOT_PRICE_TOO_LOW"));

  // The service agrees: ACTIVE, 3 instances in ap-guangzhou-4 by attempt 1,
  // 1 in ap-guangzhou-6 by attempt 2, all S5.MEDIUM2 spot.
  std::smatch id;
  ASSERT_TRUE(std::regex_search(result.out, id, std::regex("order (ord-[0-9a-f]+) ACTIVE")));
  CliResult json = Cli({"describe", id[1].str(), "--output=json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const Order order = ParseJson<DescribeResponse>(json.out).orders(0);
  EXPECT_EQ(order.state(), Order::ACTIVE);
  ASSERT_EQ(order.instances_size(), 4);
  std::map<std::string, int> landed;  // "zone type billing attempt" -> instances
  for (const auto& instance : order.instances()) {
    EXPECT_EQ(instance.state(), provisioning::v1::Instance::RUNNING);
    ++landed[absl::StrCat(instance.zone(), " ", instance.instance_type(), " ",
                          instance.billing().has_spot() ? "spot" : "payg", " ",
                          instance.attempt())];
  }
  EXPECT_EQ(landed, (std::map<std::string, int>{{"ap-guangzhou-4 S5.MEDIUM2 spot 1", 3},
                                                {"ap-guangzhou-6 S5.MEDIUM2 spot 2", 1}}));
  ASSERT_EQ(order.attempts_size(), 2);
  EXPECT_EQ(order.attempts(0).instance_count(), 3);
  EXPECT_EQ(order.attempts(1).instance_count(), 1);

  CliResult describe = Cli({"describe", id[1].str()});
  ASSERT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_THAT(describe.out, HasSubstr("ap-guangzhou-6  S5.MEDIUM2  spot     0.05"));
  EXPECT_THAT(describe.out, HasSubstr("  ATTEMPT  ZONE"));
  std::printf("$ provisionctl %s\n%s\n$ provisionctl describe %s\n%s",
              absl::StrJoin(args, " ").c_str(), result.out.c_str(), id[1].str().c_str(),
              describe.out.c_str());
}

class CliGroupsEndToEndTest : public CliEndToEndTest {
 protected:
  void SetUp() override {
    auto emulator = tencentcloud::EmulatorServer::Start(tencentcloud::TestWorld(), "127.0.0.1", 0);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    auto server = StartFastOnEmulator("cli_groups.textproto", emulator_->port(),
                                      tencentcloud::kTestSecretId, tencentcloud::kTestSecretKey,
                                      {"--node_group_interval=200ms", "--node_group_backoff=1s"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // Runs provisionctl, prints the command and its output (for
  // docs/node-groups.md) and expects exit 0.
  CliResult Shown(const std::vector<std::string>& args) {
    CliResult result = Cli(args);
    std::printf("$ provisionctl %s\n%s", absl::StrJoin(args, " ").c_str(), result.out.c_str());
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result;
  }

  provisioning::v1::NodeGroup GroupNow() {
    CliResult get = Cli({"group", "get", "--group=workers", "--output=json"});
    EXPECT_EQ(get.exit_code, 0) << get.err;
    return ParseJson<provisioning::v1::NodeGroup>(get.out);
  }

  int EmulatorCount(const std::string& what) {
    return emulator_->Books()[tencentcloud::kTestSecretId][what].get<int>();
  }

  std::unique_ptr<tencentcloud::EmulatorServer> emulator_;
};

// The last line of `out`.
std::string LastLine(const std::string& out) {
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  return lines.empty() ? "" : lines.back();
}

// The instances that reached `phase` in --watch lines ("+1.2s    ins-x  RUNNING ...",
// "+1.4s    ins-x  gone").
std::set<std::string> InstancesIn(const std::string& out, const std::string& phase) {
  const std::regex line(absl::StrCat(R"(^[+-][0-9.ms]+ +(ins-[a-z0-9]+) +)", phase, "( |$)"));
  std::set<std::string> ids;
  for (const std::string& text : std::vector<std::string>(absl::StrSplit(out, '\n'))) {
    std::smatch match;
    if (std::regex_search(text, match, line)) ids.insert(match[1]);
  }
  return ids;
}

// A group of 3 from nothing, down to 1, then deleted with its instance
// released, each command following the group live until it is done.
TEST_F(CliGroupsEndToEndTest, CreateThreeResizeToOneDeleteReleasing) {
  FastClock fast(emulator_.get());
  std::vector<std::string> create = {"group",      "create",  "--group=workers",
                                     "--target=3", "--max=5", "--label=pool=workers"};
  create.insert(create.end(), kSpec.begin(), kSpec.end());
  create.push_back("--watch");
  const absl::Time start = absl::Now();
  CliResult created = Shown(create);
  const absl::Duration create_took = absl::Now() - start;
  EXPECT_THAT(created.out, Not(HasSubstr("\x1b[")));  // not a terminal: plain lines
  EXPECT_THAT(created.out, HasSubstr("SCALING_UP: ordering 3 instance(s)\n"));
  const std::set<std::string> running = InstancesIn(created.out, "RUNNING");
  EXPECT_EQ(running.size(), 3u) << created.out;
  EXPECT_THAT(LastLine(created.out),
              ::testing::MatchesRegex(R"(\+[0-9.ms]+ +group workers ACTIVE: target 3 \(min 0, )"
                                      R"(max 5\): 3 running, 0 creating, 0 deleting)"));
  // The service agrees, and the cloud made exactly 3.
  provisioning::v1::NodeGroup group = GroupNow();
  EXPECT_EQ(group.status().running(), 3);
  EXPECT_EQ(group.labels().at("pool"), "workers");
  for (const auto& instance : group.status().instances()) {
    EXPECT_EQ(running.count(instance.instance_id()), 1u) << instance.instance_id();
  }
  EXPECT_EQ(EmulatorCount("Created"), 3);

  const absl::Time resize_start = absl::Now();
  CliResult resized = Shown({"group", "resize", "--group=workers", "--target=1", "--watch"});
  const absl::Duration resize_took = absl::Now() - resize_start;
  // Released newest first (the default scale-in); whether a DELETING line
  // shows depends on how fast the cloud lets them go.
  EXPECT_THAT(resized.out, HasSubstr("SCALING_DOWN: releasing 2 instance(s): scale-in\n"));
  const std::set<std::string> released = InstancesIn(resized.out, "gone");
  EXPECT_EQ(released.size(), 2u) << resized.out;
  EXPECT_THAT(LastLine(resized.out),
              ::testing::MatchesRegex(R"(\+[0-9.ms]+ +group workers ACTIVE: target 1 \(min 0, )"
                                      R"(max 5\): 1 running, 0 creating, 0 deleting)"));
  group = GroupNow();
  ASSERT_EQ(group.status().instances_size(), 1);
  EXPECT_EQ(released.count(group.status().instances(0).instance_id()), 0u);

  Shown({"group", "get", "--group=workers"});
  Shown({"group", "list"});
  // Following a group at rest: its state now, then nothing until the time is up (exit 0).
  CliResult watched = Shown({"group", "watch", "--group=workers", "--watch_timeout=1s"});
  EXPECT_THAT(LastLine(watched.out), HasSubstr("group workers ACTIVE: target 1 (min 0, max 5): "
                                               "1 running, 0 creating, 0 deleting"));

  const absl::Time delete_start = absl::Now();
  CliResult deleted = Shown({"group", "delete", "--group=workers", "--release", "--watch"});
  const absl::Duration delete_took = absl::Now() - delete_start;
  EXPECT_THAT(LastLine(deleted.out), HasSubstr("group workers DELETED: target 1"));
  EXPECT_THAT(deleted.out, HasSubstr(group.status().instances(0).instance_id() + "  gone\n"));
  EXPECT_EQ(GroupNow().state(), provisioning::v1::NodeGroup::DELETED);
  EXPECT_EQ(Cli({"group", "list"}).out, "No node groups.\n");
  // Every instance the group bought is released in the cloud.
  int live = -1;
  for (int i = 0; i < 100 && live != 0; ++i) {
    live = EmulatorCount("Live");
    if (live != 0) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(live, 0);
  EXPECT_EQ(EmulatorCount("Created"), 3);
  std::printf(
      "group create --target=3 --watch: 3 running in %.1f s; resize --target=1 --watch: 1 "
      "running in %.1f s; delete --release --watch: DELETED in %.1f s; cloud created %d, live "
      "%d\n",
      absl::ToDoubleSeconds(create_took), absl::ToDoubleSeconds(resize_took),
      absl::ToDoubleSeconds(delete_took), EmulatorCount("Created"), live);
}

// Errors as every command reports them: the service's (exit 2 naming the
// field, exit 4) and the command line's (exit 1 naming the flag).
TEST_F(CliGroupsEndToEndTest, ErrorsNameTheFieldOrTheFlag) {
  std::vector<std::string> args = {"group", "create", "--group=workers", "--target=3", "--max=2"};
  args.insert(args.end(), kSpec.begin(), kSpec.end());
  CliResult too_big = Cli(args);
  EXPECT_EQ(too_big.exit_code, 2) << too_big.err;
  EXPECT_THAT(too_big.err, HasSubstr("provisionctl: group create failed: INVALID_ARGUMENT"));
  EXPECT_THAT(too_big.err, HasSubstr("\n  field node_group.target_size: "));

  CliResult missing = Cli({"group", "get", "--group=nope"});
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_THAT(missing.err, HasSubstr("group get failed: NOT_FOUND"));
  CliResult watch_missing = Cli({"group", "watch", "--group=nope"});
  EXPECT_EQ(watch_missing.exit_code, 4);
  EXPECT_THAT(watch_missing.err, HasSubstr("group watch failed: NOT_FOUND"));

  CliResult flag = Cli({"group", "resize", "--group=workers", "--target=1", "--delta=1"});
  EXPECT_EQ(flag.exit_code, 1);
  EXPECT_THAT(flag.err, HasSubstr("--target and --delta exclude each other"));
  std::printf("%s%s%s", too_big.err.c_str(), missing.err.c_str(), flag.err.c_str());
}

TEST(CliHelpTest, HelpDocumentsTheExitCodes) {
  auto result = RunProcess({RunfilePath("cli/provisionctl"), "--help"}, absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  for (const char* line : {"  2  invalid argument", "  3  failed precondition or quota",
                           "  4  not found", "  5  unavailable or deadline exceeded",
                           "  6  the watched order ended FAILED", "  7  any other error"}) {
    EXPECT_THAT(result->output, HasSubstr(line));
  }
}

}  // namespace
}  // namespace cvm::testing
