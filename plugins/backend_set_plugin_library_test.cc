// BackendSet with backends from plugin libraries: loaded by config, named
// like built-ins, and refused at start-up when built for another ABI.
#include <cstdlib>
#include <string>

#include "absl/strings/str_replace.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "plugins/backend_set.h"

namespace cvm {
namespace {

using provisioning::config::v1::ServiceConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Library(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/cvm_provisioner/plugins/sample/" + name;
}

// What a config file says (README "Policies and plugins"), $LIB replaced.
constexpr char kSampleConfig[] = R"pb(
  plugin_libraries: "$LIB"
  backends {
    name: "tiny"
    plugin: "sample"
    config {
      [type.googleapis.com/google.protobuf.Struct] {
        fields {
          key: "price_per_hour"
          value { string_value: "0.15" }
        }
      }
    }
  }
  backends { name: "fake" plugin: "fake" }
  routes { regions: "ap-guangzhou" backend: "tiny" }
  routes { backend: "fake" }
)pb";

provisioning::v1::InstanceSpec GuangzhouLikeSpec() {
  provisioning::v1::InstanceSpec spec;
  spec.set_region("ap-guangzhou");
  spec.set_zone("ap-guangzhou-3");
  spec.set_instance_type("S5.MEDIUM2");
  spec.mutable_pay_as_you_go();
  return spec;
}

ServiceConfig Parse(const std::string& library) {
  ServiceConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      absl::StrReplaceAll(kSampleConfig, {{"$LIB", library}}), &config));
  return config;
}

absl::StatusOr<std::unique_ptr<BackendSet>> Build(const ServiceConfig& config) {
  return BackendSet::Create(config, BackendRegistry::Global(), BackendContext());
}

std::string BadField(const absl::Status& status) {
  auto bad = GetDetail<google::rpc::BadRequest>(status);
  return bad.has_value() && bad->field_violations_size() > 0 ? bad->field_violations(0).field()
                                                             : "";
}

TEST(BackendSetPluginLibraryTest, ALoadedBackendIsConfiguredAndRoutedLikeABuiltIn) {
  auto set = Build(Parse(Library("libcvm_sample_backend.so")));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT((*set)->Names(), ElementsAre("fake", "tiny"));
  auto routed = (*set)->Route("ap-guangzhou");
  ASSERT_TRUE(routed.ok());
  EXPECT_EQ(routed->name, "tiny");
  auto quote = routed->backend->Quote(GuangzhouLikeSpec(), 2);
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->total_price_per_hour(), "0.30");
  CreateRequest create;
  create.spec = GuangzhouLikeSpec();
  create.count = 2;
  create.client_token = "t1";
  auto ids = routed->backend->Create(create);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->size(), 2u);
  EXPECT_EQ((*set)->Route("ap-shanghai")->name, "fake");
}

TEST(BackendSetPluginLibraryTest, ALibraryBuiltForAnotherAbiStopsStartUp) {
  const std::string path = Library("libcvm_wrong_abi_version.so");
  absl::Status status = Build(Parse(path)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(status), "plugin_libraries[0]");
  EXPECT_EQ(ErrorReason(status), "PLUGIN_ABI_MISMATCH");
  EXPECT_THAT(status.message(),
              HasSubstr("plugin_libraries[0]: plugin library " + path +
                        ": built for plugin ABI v3, this service speaks v1 and v2"));
}

TEST(BackendSetPluginLibraryTest, AMissingLibraryStopsStartUp) {
  absl::Status status = Build(Parse("/nonexistent/libcloud.so")).status();
  EXPECT_EQ(BadField(status), "plugin_libraries[0]");
  EXPECT_EQ(ErrorReason(status), "PLUGIN_LOAD_FAILED");
}

TEST(BackendSetPluginLibraryTest, APolicyLibraryIsNotABackend) {
  ServiceConfig config = Parse(Library("libcvm_sample_policy.so"));
  absl::Status status = Build(config).status();
  EXPECT_EQ(BadField(status), "backends[0].plugin");
  EXPECT_THAT(status.message(), HasSubstr("unknown backend plugin \"sample\""));
}

TEST(BackendSetPluginLibraryTest, ThePluginsConfigErrorNamesTheConfigPath) {
  ServiceConfig config = Parse(Library("libcvm_sample_backend.so"));
  google::protobuf::Struct bad;
  (*bad.mutable_fields())["price_per_hour"].set_string_value("free");
  config.mutable_backends(0)->mutable_config()->PackFrom(bad);
  absl::Status status = Build(config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(status), "backends[0].config.price_per_hour");
  EXPECT_THAT(status.message(), HasSubstr("backends[0] (tiny): price_per_hour"));
}

}  // namespace
}  // namespace cvm
