// Retries that don't multiply and deadlines that arrive, counted at the CVM
// emulator over real HTTP:
//  - with faults on every call, one step of an order (OrderWorkflow::Submit,
//    what the driver runs per attempt) makes at most the retry policy's
//    max_attempts requests per cloud call (before the one policy: up to 27
//    for a RunInstances: 3 workflow attempts x 9 client attempts);
//  - a client deadline of 200 ms stops Quote, Terminate and a dry-run
//    Purchase against an emulator that holds every request for 2 s and then
//    fails it: the client gets DEADLINE_EXCEEDED, and the service makes no
//    further attempt once the deadline passed.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "backends/tencentcloud/tencentcloud_config.pb.h"
#include "gtest/gtest.h"
#include "plugins/backend_set.h"
#include "service/order_workflow.h"
#include "store/memory_order_store.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::tencentcloud::emulator::v1::Fault;
using provisioning::v1::Order;
using tencentcloud::Json;

constexpr int kMaxAttempts = 4;  // the default retry policy

// Requests the emulator received per action (every request signed right
// counts, faulted or not).
std::map<std::string, int> Received(tencentcloud::EmulatorServer& emulator) {
  std::map<std::string, int> received;
  const Json calls = emulator.Books()["RateLimits"]["CallsPerSecond"];
  for (const auto& [action, seconds] : calls.items()) {
    for (const auto& [second, count] : seconds.items()) received[action] += count.get<int>();
  }
  return received;
}

// What `after` holds beyond `before`, per action, and in all.
std::map<std::string, int> Delta(const std::map<std::string, int>& before,
                                 const std::map<std::string, int>& after) {
  std::map<std::string, int> delta;
  for (const auto& [action, count] : after) {
    auto it = before.find(action);
    const int d = count - (it == before.end() ? 0 : it->second);
    if (d != 0) delta[action] = d;
  }
  return delta;
}

int Total(const std::map<std::string, int>& calls) {
  int total = 0;
  for (const auto& [action, count] : calls) total += count;
  return total;
}

std::string Show(const std::map<std::string, int>& calls) {
  std::string out;
  for (const auto& [action, count] : calls) absl::StrAppend(&out, out.empty() ? "" : " ", action, "=", count);
  return out.empty() ? "none" : out;
}

Fault FaultOf(const std::string& action, Fault::Kind kind) {
  Fault fault;
  fault.set_action(action);
  fault.set_kind(kind);
  fault.set_probability(1);
  return fault;
}

TEST(RetryBudgetTest, NoOrderStepMakesMoreRequestsPerCallThanThePolicysCap) {
  auto emulator =
      tencentcloud::EmulatorServer::Start(tencentcloud::TestWorld(), "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  provisioning::tencentcloud::v1::TencentCloudConfig tencent;
  tencent.set_endpoint_override(absl::StrCat("http://127.0.0.1:", (*emulator)->port()));
  tencent.set_currency("CNY");
  tencent.mutable_credentials()->set_secret_id(tencentcloud::kTestSecretId);
  tencent.mutable_credentials()->set_secret_key(tencentcloud::kTestSecretKey);
  tencent.mutable_retry()->mutable_first_backoff()->set_nanos(10'000'000);  // 10 ms
  provisioning::config::v1::ServiceConfig config;
  auto* backend = config.add_backends();
  backend->set_name("tencent");
  backend->set_plugin("tencentcloud");
  backend->mutable_config()->PackFrom(tencent);
  auto backends = BackendSet::Create(config, BackendRegistry::Global(), {});
  ASSERT_TRUE(backends.ok()) << backends.status();
  MemoryOrderStore store(RealClock::Get());
  OrderWorkflow workflow(&store, backends->get());

  auto accepted = workflow.Accept(PurchaseOf("capped", 2));
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  const std::string id = accepted->order.order_id();
  auto step = [&](bool recovering) {
    const auto before = Received(**emulator);
    absl::Status status = workflow.Submit(id, recovering).status();
    const auto made = Delta(before, Received(**emulator));
    return std::make_pair(status, made);
  };

  // Every call fails (HTTP 503): the step stops at its first call's cap.
  std::vector<Fault> every_call;
  for (const char* action : {"DescribeZoneInstanceConfigInfos", "DescribeAccountQuota",
                             "DescribeAccountBalance", "RunInstances", "DescribeInstances"}) {
    every_call.push_back(FaultOf(action, Fault::SERVER_ERROR));
  }
  (*emulator)->SetFaults(every_call);
  const auto [failed, failed_calls] = step(false);
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
  EXPECT_EQ(Total(failed_calls), kMaxAttempts) << Show(failed_calls);

  // Pre-flight passes; every RunInstances executes but its answer is lost.
  (*emulator)->SetFaults({FaultOf("RunInstances", Fault::LOST_RESPONSE)});
  const auto [lost, lost_calls] = step(false);
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
  EXPECT_EQ(lost_calls.at("RunInstances"), kMaxAttempts) << Show(lost_calls);
  for (const auto& [action, count] : lost_calls) EXPECT_LE(count, kMaxAttempts) << action;
  ASSERT_EQ(workflow.Get(id)->state(), Order::SUBMITTED);  // outcome unknown: kept

  // Recovery adopts what the lost answers bought: one call, nothing bought again.
  (*emulator)->SetFaults({});
  const auto [recovered, recovery_calls] = step(true);
  ASSERT_TRUE(recovered.ok()) << recovered;
  EXPECT_EQ(workflow.Get(id)->state(), Order::PROVISIONING);
  EXPECT_EQ(Total(recovery_calls), 1) << Show(recovery_calls);
  const int created =
      (*emulator)->Books()[tencentcloud::kTestSecretId]["Created"].get<int>();
  EXPECT_EQ(created, 2);
  std::printf(
      "retry budget (cap %d requests per call): every call failing -> the step made %s; "
      "RunInstances answers lost -> %s; recovery -> %s; instances created %d for 2 ordered\n",
      kMaxAttempts, Show(failed_calls).c_str(), Show(lost_calls).c_str(),
      Show(recovery_calls).c_str(), created);
}

TEST(DeadlineTest, QuoteTerminateAndDryRunStopAtTheClientsDeadline) {
  auto emulator =
      tencentcloud::EmulatorServer::Start(tencentcloud::TestWorld(), "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  auto server = ServerProcess::Start(WriteEmulatorConfig(
      "deadline.textproto", (*emulator)->port(), tencentcloud::kTestSecretId,
      tencentcloud::kTestSecretKey),
      // The poller stays out of the counted seconds (it would retry the
      // release of a TERMINATING order in the background).
      {"--poll_fast_interval=20s", "--poll_slow_interval=20s"});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = NewStub((*server)->target());
  // An order with instances, to terminate later.
  Order order;
  ASSERT_TRUE(stub->Purchase(ContextWithDeadline(10).get(), PurchaseOf("to-end", 1), &order).ok());
  const absl::Time bought_by = absl::Now() + absl::Seconds(30);
  while (absl::Now() < bought_by) {
    auto orders = AllOrders(*stub);
    if (!orders.empty() && orders[0].instances_size() == 1) break;
    absl::SleepFor(absl::Milliseconds(50));
  }

  // Every request is held 2 s, then fails with 504 (retryable): without the
  // deadline each call would go on for 4 attempts, over 8 s.
  std::vector<Fault> slow;
  for (const char* action : {"InquiryPriceRunInstances", "TerminateInstances",
                             "DescribeZoneInstanceConfigInfos"}) {
    slow.push_back(FaultOf(action, Fault::TIMEOUT));
  }
  (*emulator)->SetFaults(slow);
  struct Case {
    const char* rpc;
    const char* action;
    std::function<grpc::Status(grpc::ClientContext*)> call;
  };
  provisioning::v1::QuoteRequest quote;
  *quote.mutable_spec() = PurchaseOf("q", 1).spec();
  quote.set_instance_count(1);
  provisioning::v1::TerminateRequest terminate;
  terminate.set_order_id(order.order_id());
  provisioning::v1::PurchaseRequest dry_run = PurchaseOf("dry", 1);
  dry_run.set_dry_run(true);
  const std::vector<Case> cases = {
      {"Quote", "InquiryPriceRunInstances",
       [&](grpc::ClientContext* c) {
         provisioning::v1::Quote out;
         return stub->Quote(c, quote, &out);
       }},
      {"Terminate", "TerminateInstances",
       [&](grpc::ClientContext* c) {
         Order out;
         return stub->Terminate(c, terminate, &out);
       }},
      {"Purchase(dry_run)", "DescribeZoneInstanceConfigInfos", [&](grpc::ClientContext* c) {
         Order out;
         return stub->Purchase(c, dry_run, &out);
       }}};
  std::string report;
  for (const Case& c : cases) {
    const auto before = Received(**emulator);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    const absl::Time start = absl::Now();
    const grpc::Status status = c.call(&context);
    const absl::Duration took = absl::Now() - start;
    // Long enough for a retry to have reached the emulator, had one been made.
    absl::SleepFor(absl::Milliseconds(2500));
    const auto made = Delta(before, Received(**emulator));
    absl::StrAppend(&report, report.empty() ? "" : "; ", c.rpc, ": ", status.error_code(),
                    " after ", absl::FormatDuration(took), ", requests ", Show(made));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << c.rpc;
    EXPECT_LT(took, absl::Milliseconds(1000)) << c.rpc;
    // One attempt, or none when the rate slot lay beyond the deadline; never
    // the retries that would follow without it.
    EXPECT_LE(Total(made), 1) << c.rpc << ": " << Show(made);
  }
  std::printf("deadlines (200 ms, emulator holding requests 2 s): %s\n", report.c_str());
  EXPECT_EQ((*server)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
