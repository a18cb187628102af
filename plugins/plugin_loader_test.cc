#include "plugins/plugin_loader.h"

#include <cstdlib>

#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugins/plugin_abi.pb.h"

namespace cvm {
namespace {

using ::testing::HasSubstr;
namespace abi = provisioning::plugin::v1;

std::string Library(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/cvm_provisioner/plugins/sample/" + name;
}

std::string Metadata(const absl::Status& status, const std::string& key) {
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  return info.has_value() && info->metadata().count(key) ? info->metadata().at(key) : "";
}

TEST(PluginLibraryTest, LoadsTheSampleBackendAndPolicy) {
  auto backend = PluginLibrary::Load(Library("libcvm_sample_backend.so"));
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ((*backend)->name(), "sample");
  EXPECT_EQ((*backend)->kind(), CVM_PLUGIN_KIND_BACKEND);
  EXPECT_EQ((*backend)->abi_version(), 2u);
  auto policy = PluginLibrary::Load(Library("libcvm_sample_policy.so"));
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ((*policy)->name(), "sample_policy");
  EXPECT_EQ((*policy)->kind(), CVM_PLUGIN_KIND_POLICY);
}

TEST(PluginLibraryTest, APluginOfTheOlderAbiV1StillLoads) {
  auto backend = PluginLibrary::Load(Library("libcvm_sample_backend_v1.so"));
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ((*backend)->name(), "sample_v1");
  EXPECT_EQ((*backend)->abi_version(), 1u);
}

TEST(PluginLibraryTest, AnotherAbiVersionIsRefusedNamingBothVersions) {
  const std::string path = Library("libcvm_wrong_abi_version.so");
  auto library = PluginLibrary::Load(path);
  EXPECT_EQ(library.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(library.status().message(),
              HasSubstr("plugin library " + path +
                        ": built for plugin ABI v3, this service speaks v1 and v2"));
  EXPECT_EQ(ErrorReason(library.status()), "PLUGIN_ABI_MISMATCH");
  EXPECT_EQ(Metadata(library.status(), "plugin_abi_version"), "3");
  EXPECT_EQ(Metadata(library.status(), "service_abi_version"), "2");
  EXPECT_EQ(Metadata(library.status(), "service_min_abi_version"), "1");
  EXPECT_EQ(Metadata(library.status(), "library"), path);
}

TEST(PluginLibraryTest, ALibraryWithoutTheEntryPointIsRefused) {
  auto library = PluginLibrary::Load(Library("libcvm_not_a_plugin.so"));
  EXPECT_EQ(library.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(library.status()), "PLUGIN_ENTRY_MISSING");
  EXPECT_THAT(library.status().message(), HasSubstr("exports no cvm_plugin_entry()"));
}

TEST(PluginLibraryTest, AMissingFileIsRefusedWithTheLoadersReason) {
  auto library = PluginLibrary::Load("/nonexistent/libnothing.so");
  EXPECT_EQ(library.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(library.status()), "PLUGIN_LOAD_FAILED");
  EXPECT_THAT(library.status().message(), HasSubstr("/nonexistent/libnothing.so"));
}

TEST(PluginLibraryTest, CallsCarryResultsAndThePluginsErrorDetails) {
  auto library = PluginLibrary::Load(Library("libcvm_sample_backend.so"));
  ASSERT_TRUE(library.ok()) << library.status();
  auto instance = (*library)->Create("cloud", R"({"sold_out_zones": ["z-1"]})");
  ASSERT_TRUE(instance.ok()) << instance.status();

  abi::QuoteRequest quote_request;
  quote_request.mutable_spec()->mutable_pay_as_you_go();
  quote_request.set_count(3);
  provisioning::v1::Quote quote;
  ASSERT_TRUE((*library)->Call(*instance, CVM_BACKEND_QUOTE, quote_request, &quote).ok());
  EXPECT_EQ(quote.total_price_per_hour(), "0.30");

  abi::CreateRequest sold_out;
  sold_out.mutable_spec()->set_zone("z-1");
  absl::Status status = (*library)->Call(*instance, CVM_BACKEND_PREFLIGHT, sold_out, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  auto failure = GetDetail<google::rpc::PreconditionFailure>(status);
  ASSERT_TRUE(failure.has_value()) << status;
  EXPECT_EQ(failure->violations(0).type(), "ZONE_SOLD_OUT");
  EXPECT_EQ(ErrorReason(status), "ZONE_SOLD_OUT");

  EXPECT_EQ((*library)->Call(*instance, 999, abi::Empty(), nullptr).code(),
            absl::StatusCode::kUnimplemented);
  (*library)->Destroy(*instance);
}

TEST(PluginLibraryTest, ABadConfigIsThePluginsInvalidArgument) {
  auto library = PluginLibrary::Load(Library("libcvm_sample_backend.so"));
  ASSERT_TRUE(library.ok()) << library.status();
  auto instance = (*library)->Create("cloud", R"({"price_per_hour": "free"})");
  EXPECT_EQ(instance.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad = GetDetail<google::rpc::BadRequest>(instance.status());
  ASSERT_TRUE(bad.has_value()) << instance.status();
  EXPECT_EQ(bad->field_violations(0).field(), "price_per_hour");
  EXPECT_EQ((*library)->Create("cloud", "{not json").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LoadPluginLibrariesTest, KeepsTheKindAskedForAndNamesABadEntry) {
  provisioning::config::v1::ServiceConfig config;
  config.add_plugin_libraries(Library("libcvm_sample_backend.so"));
  config.add_plugin_libraries(Library("libcvm_sample_policy.so"));
  auto backends = LoadPluginLibraries(config, CVM_PLUGIN_KIND_BACKEND);
  ASSERT_TRUE(backends.ok()) << backends.status();
  ASSERT_EQ(backends->size(), 1u);
  EXPECT_EQ((*backends)[0]->name(), "sample");
  auto policies = LoadPluginLibraries(config, CVM_PLUGIN_KIND_POLICY);
  ASSERT_TRUE(policies.ok()) << policies.status();
  ASSERT_EQ(policies->size(), 1u);
  EXPECT_EQ((*policies)[0]->name(), "sample_policy");

  config.add_plugin_libraries(Library("libcvm_wrong_abi_version.so"));
  absl::Status status = LoadPluginLibraries(config, CVM_PLUGIN_KIND_BACKEND).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  auto bad = GetDetail<google::rpc::BadRequest>(status);
  ASSERT_TRUE(bad.has_value()) << status;
  EXPECT_EQ(bad->field_violations(0).field(), "plugin_libraries[2]");
  EXPECT_THAT(status.message(),
              HasSubstr("built for plugin ABI v3, this service speaks v1 and v2"));
  EXPECT_EQ(ErrorReason(status), "PLUGIN_ABI_MISMATCH");
}

TEST(LoadPluginLibrariesTest, TwoLibrariesMayNotExportOneName) {
  provisioning::config::v1::ServiceConfig config;
  config.add_plugin_libraries(Library("libcvm_sample_backend.so"));
  config.add_plugin_libraries(Library("libcvm_sample_backend.so"));
  absl::Status status = LoadPluginLibraries(config, CVM_PLUGIN_KIND_BACKEND).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("plugin_libraries[1]: plugin \"sample\""));
}

TEST(AbiJsonTest, WritesProtoFieldNamesAndReadsEitherFormIgnoringUnknownFields) {
  abi::FindByOrderRequest request;
  request.set_order_id("ord-1");
  EXPECT_EQ(ToAbiJson(request), R"({"order_id":"ord-1"})");
  abi::InstanceStatus status;
  ASSERT_TRUE(
      FromAbiJson(R"({"instanceId": "i", "state": "RUNNING", "future": 1})", "status", &status)
          .ok());
  EXPECT_EQ(status.instance_id(), "i");
  EXPECT_EQ(status.state(), provisioning::v1::Instance::RUNNING);
  EXPECT_EQ(FromAbiJson("[", "status", &status).code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace cvm
