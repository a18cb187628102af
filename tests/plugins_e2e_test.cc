// End-to-end: the real provisioner with an out-of-tree backend and policy
// loaded from shared objects, and the built-in policies, over gRPC: denials
// arrive with the rule in their details; slow plugins of ABI v1 and v2 stop
// at the client's deadline; a library built for a plugin ABI the service
// does not speak stops start-up with a clear message.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;
using ::testing::HasSubstr;

// The config of docs/plugins.md ("Try it: the samples"), with the paths
// of this test's libraries.
std::string WriteConfig(const std::string& name, const std::string& backend_library) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << "plugin_libraries: \"" << backend_library << "\"\n"
                      << "plugin_libraries: \""
                      << RunfilePath("plugins/sample/libcvm_sample_policy.so") << "\"\n"
                      << "auth { insecure_plaintext: true }\n"
                      << R"pb(
    backends {
      name: "tiny"
      plugin: "sample"
      config {
        [type.googleapis.com/google.protobuf.Struct] {
          fields {
            key: "price_per_hour"
            value { string_value: "0.20" }
          }
        }
      }
    }
    policies {
      name: "guangzhou-only"
      plugin: "allowed_placement"
      config {
        [type.googleapis.com/provisioning.policies.v1.AllowedPlacementConfig] {
          regions: "ap-guangzhou"
        }
      }
    }
    policies {
      name: "small-purchases"
      plugin: "sample_policy"
      config {
        [type.googleapis.com/google.protobuf.Struct] {
          fields {
            key: "max_instances_per_purchase"
            value { number_value: 3 }
          }
        }
      }
    }
    policies {
      name: "one-yuan-an-hour"
      plugin: "hourly_budget"
      config {
        [type.googleapis.com/provisioning.policies.v1.HourlyBudgetConfig] {
          max_spend_per_hour: "1.00"
        }
      }
    }
  )pb";
  return path;
}

TEST(PluginsEndToEndTest, PluginBackendBuysAndPoliciesDenyWithTheirRule) {
  auto server = ServerProcess::Start(
      WriteConfig("plugins.textproto", RunfilePath("plugins/sample/libcvm_sample_backend.so")));
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = NewStub((*server)->target());

  // Bought from the out-of-tree backend, to ACTIVE with its instances.
  Order order;
  grpc::Status status = stub->Purchase(ContextWithDeadline(30).get(), PurchaseOf("p1", 2), &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(order.backend(), "tiny");
  auto active = AwaitFinal(*stub, order.order_id(), absl::Seconds(60));
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_EQ(active->state(), Order::ACTIVE) << active->ShortDebugString();
  ASSERT_EQ(active->instances_size(), 2);
  EXPECT_THAT(active->instances(0).instance_id(), HasSubstr("smp-"));

  // allowed_placement: not in ap-shanghai.
  auto shanghai = PurchaseOf("p2", 1);
  shanghai.mutable_spec()->set_region("ap-shanghai");
  shanghai.mutable_spec()->set_zone("ap-shanghai-2");
  status = stub->Purchase(ContextWithDeadline(30).get(), shanghai, &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "POLICY_REGION_NOT_ALLOWED");
  EXPECT_EQ(ErrorInfoOf(status).metadata().at("policy"), "guangzhou-only");

  // The out-of-tree policy: at most 3 per purchase.
  status = stub->Purchase(ContextWithDeadline(30).get(), PurchaseOf("p3", 4), &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "POLICY_SAMPLE_TOO_MANY_INSTANCES");

  // hourly_budget: 2 x 0.20 spent; 3 more fit exactly, then nothing.
  status = stub->Purchase(ContextWithDeadline(30).get(), PurchaseOf("p4", 3), &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = stub->Purchase(ContextWithDeadline(30).get(), PurchaseOf("p5", 1), &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  const google::rpc::ErrorInfo info = ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), "POLICY_BUDGET_EXCEEDED");
  EXPECT_EQ(info.metadata().at("current_spend_per_hour"), "1.00");
  EXPECT_EQ(info.metadata().at("budget_per_hour"), "1.00");
  EXPECT_THAT(status.error_message(), HasSubstr("policy one-yuan-an-hour: tenant default"));

  // A dry run is checked too, and a retry of an accepted request is not.
  auto dry = PurchaseOf("p6", 1);
  dry.set_dry_run(true);
  EXPECT_EQ(stub->Purchase(ContextWithDeadline(30).get(), dry, &order).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  status = stub->Purchase(ContextWithDeadline(30).get(), PurchaseOf("p4", 3), &order);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ((*server)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

// Two backends whose every call takes 3 s: the sample built for plugin ABI v2
// (ap-guangzhou) and for v1 (elsewhere).
std::string WriteSlowConfig() {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/slow.textproto");
  const std::string slow = R"pb(
    config {
      [type.googleapis.com/google.protobuf.Struct] {
        fields {
          key: "delay_ms"
          value { number_value: 3000 }
        }
      }
    })pb";
  std::ofstream(path) << "plugin_libraries: \""
                      << RunfilePath("plugins/sample/libcvm_sample_backend.so") << "\"\n"
                      << "plugin_libraries: \""
                      << RunfilePath("plugins/sample/libcvm_sample_backend_v1.so") << "\"\n"
                      << "auth { insecure_plaintext: true }\n"
                      << "backends { name: \"slow-v2\" plugin: \"sample\" " << slow << " }\n"
                      << "backends { name: \"slow-v1\" plugin: \"sample_v1\" " << slow << " }\n"
                      << "routes { regions: \"ap-guangzhou\" backend: \"slow-v2\" }\n"
                      << "routes { backend: \"slow-v1\" }\n";
  return path;
}

// The client's deadline reaches both plugins: the service answers Quote and
// a dry-run Purchase DEADLINE_EXCEEDED at the deadline (its own metrics say
// so), long before the 3 s calls would end, whichever ABI the plugin speaks.
TEST(PluginsEndToEndTest, SlowPluginsOfAbiV1AndV2StopAtTheClientsDeadline) {
  auto server = ServerProcess::Start(WriteSlowConfig());
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = NewStub((*server)->target());
  std::string report;
  for (const char* region : {"ap-guangzhou", "ap-shanghai"}) {
    auto purchase = PurchaseOf(absl::StrCat("dry-", region), 1);
    purchase.mutable_spec()->set_region(region);
    purchase.mutable_spec()->set_zone(absl::StrCat(region, "-2"));
    purchase.set_dry_run(true);
    provisioning::v1::QuoteRequest quote;
    *quote.mutable_spec() = purchase.spec();
    quote.set_instance_count(1);
    for (const char* rpc : {"Quote", "Purchase"}) {
      const std::vector<std::string> labels = {absl::StrCat("grpc_method=\"", rpc, "\""),
                                               "grpc_code=\"DeadlineExceeded\""};
      auto before = HttpGet((*server)->metrics_port(), "/metrics");
      ASSERT_TRUE(before.ok()) << before.status();
      const double exceeded = MetricValue(*before, "grpc_server_handled_total", labels);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
      const absl::Time start = absl::Now();
      grpc::Status status;
      if (std::string(rpc) == "Quote") {
        provisioning::v1::Quote out;
        status = stub->Quote(&context, quote, &out);
      } else {
        Order out;
        status = stub->Purchase(&context, purchase, &out);
      }
      const absl::Duration took = absl::Now() - start;
      // The server's own answer, DEADLINE_EXCEEDED, well before 3 s.
      double now_exceeded = exceeded;
      while (now_exceeded == exceeded && absl::Now() - start < absl::Seconds(5)) {
        absl::SleepFor(absl::Milliseconds(20));
        auto after = HttpGet((*server)->metrics_port(), "/metrics");
        ASSERT_TRUE(after.ok()) << after.status();
        now_exceeded = MetricValue(*after, "grpc_server_handled_total", labels);
      }
      const absl::Duration answered = absl::Now() - start;
      EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << rpc << " " << region;
      EXPECT_LT(took, absl::Milliseconds(1000)) << rpc << " " << region;
      EXPECT_EQ(now_exceeded, exceeded + 1) << rpc << " " << region;
      EXPECT_LT(answered, absl::Milliseconds(1500)) << rpc << " " << region;
      absl::StrAppend(&report, report.empty() ? "" : "; ", rpc, " via ",
                      std::string(region) == "ap-guangzhou" ? "v2" : "v1", ": client ",
                      absl::FormatDuration(absl::Trunc(took, absl::Milliseconds(1))),
                      ", server DEADLINE_EXCEEDED seen after ",
                      absl::FormatDuration(absl::Trunc(answered, absl::Milliseconds(1))));
    }
  }
  std::printf("client deadline 300 ms, plugins taking 3 s: %s\n", report.c_str());
  EXPECT_EQ((*server)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

TEST(PluginsEndToEndTest, ALibraryBuiltForAnotherAbiStopsStartUp) {
  const std::string library = RunfilePath("plugins/sample/libcvm_wrong_abi_version.so");
  auto result = RunProcess({RunfilePath("service/provisioner"), "--listen=127.0.0.1:0",
                            "--metrics_listen=", "--store=memory",
                            "--config=" + WriteConfig("wrong-abi.textproto", library)},
                           absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->output, HasSubstr("plugin_libraries[0]"));
  EXPECT_THAT(result->output,
              HasSubstr(library + ": built for plugin ABI v3, this service speaks v1 and v2"));
}

}  // namespace
}  // namespace cvm::testing
