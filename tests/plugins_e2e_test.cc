// End-to-end: the real provisioner with an out-of-tree backend and policy
// loaded from shared objects, and the built-in policies, over gRPC: denials
// arrive with the rule in their details; a library built for another plugin
// ABI stops start-up with a clear message.
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

// The config of the README's "Policies and plugins" section, with the paths
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
              HasSubstr(library + ": built for plugin ABI v2, this service speaks v1"));
}

}  // namespace
}  // namespace cvm::testing
