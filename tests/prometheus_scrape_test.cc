// A real Prometheus (Debian's) scrapes the running service: after one
// purchase, queries for grpc_server_handled_total and the order metrics
// return the values the service holds.
#include <signal.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;

// A port nobody listens on now.
int FreePort() {
  auto result = RunProcess(
      {"/usr/bin/python3", "-c",
       "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"},
      absl::Seconds(10));
  int port = 0;
  if (result.ok()) (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(result->output), &port);
  return port;
}

class PrometheusTest : public ::testing::Test {
 protected:
  void TearDown() override {
    int pid = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(TmpPath("prometheus.pid"))), &pid) &&
        pid > 0) {
      kill(pid, SIGTERM);
    }
  }

  // The first sample's value of `query`, once Prometheus has one.
  absl::StatusOr<double> Query(int port, const std::string& query) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    std::string last;
    while (absl::Now() < deadline) {
      auto answer = RunProcess({"/usr/bin/curl", "-sf", "--get",
                                absl::StrCat("http://127.0.0.1:", port, "/api/v1/query"),
                                "--data-urlencode", absl::StrCat("query=", query)},
                               absl::Seconds(10));
      if (answer.ok() && answer->exit_code == 0) {
        last = answer->output;
        auto json = nlohmann::json::parse(answer->output, nullptr, false);
        if (!json.is_discarded() && json.value("status", "") == "success" &&
            !json["data"]["result"].empty()) {
          double value = 0;
          if (absl::SimpleAtod(json["data"]["result"][0]["value"][1].get<std::string>(), &value)) {
            return value;
          }
        }
      }
      absl::SleepFor(absl::Milliseconds(500));
    }
    return absl::DeadlineExceededError(absl::StrCat("no data for ", query, "; last answer: ", last));
  }
};

TEST_F(PrometheusTest, ARealPrometheusScrapesTheServiceAndQueriesReturnData) {
  auto server = ServerProcess::Start(RunfilePath("tests/testdata/fast_fake.textproto"));
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = NewStub((*server)->target());
  Order order;
  ASSERT_TRUE(
      stub->Purchase(ContextWithDeadline(30).get(), PurchaseOf("scraped", 2), &order).ok());
  ASSERT_EQ(AwaitFinal(*stub, order.order_id(), absl::Seconds(30)).value_or(Order()).state(),
            Order::ACTIVE);

  const int port = FreePort();
  ASSERT_GT(port, 0);
  std::ofstream(TmpPath("prometheus.yml"))
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "scrape_configs:\n  - job_name: provisioner\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << (*server)->metrics_port() << "']\n";
  auto started = RunProcess(
      {"/bin/sh", "-c",
       absl::StrCat("/usr/bin/prometheus --config.file=", TmpPath("prometheus.yml"),
                    " --storage.tsdb.path=", TmpPath("tsdb"), " --web.listen-address=127.0.0.1:",
                    port, " > ", TmpPath("prometheus.log"), " 2>&1 & echo $! > ",
                    TmpPath("prometheus.pid"))},
      absl::Seconds(10));
  ASSERT_TRUE(started.ok() && started->exit_code == 0);

  absl::StatusOr<double> up = Query(port, "up{job=\"provisioner\"}");
  ASSERT_TRUE(up.ok()) << up.status() << "\n" << ReadFile(TmpPath("prometheus.log"));
  EXPECT_EQ(*up, 1);
  absl::StatusOr<double> handled = Query(
      port, "grpc_server_handled_total{grpc_method=\"Purchase\",grpc_code=\"OK\"}");
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, 1);
  absl::StatusOr<double> active = Query(port, "provisioner_orders{state=\"ACTIVE\"}");
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_EQ(*active, 1);
  absl::StatusOr<double> purchases = Query(port, "provisioner_purchases_total{outcome=\"OK\"}");
  ASSERT_TRUE(purchases.ok()) << purchases.status();
  EXPECT_EQ(*purchases, 1);
  EXPECT_EQ((*server)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
