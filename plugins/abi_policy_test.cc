// The sample out-of-tree policy (plugins/sample/libcvm_sample_policy.so)
// through the plugin ABI.
#include "plugins/abi_policy.h"

#include <cstdlib>

#include "common/status_details.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using ::testing::HasSubstr;

class AbiPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto library = PluginLibrary::Load(std::string(std::getenv("TEST_SRCDIR")) +
                                       "/cvm_provisioner/plugins/sample/libcvm_sample_policy.so");
    ASSERT_TRUE(library.ok()) << library.status();
    factory_ = std::make_unique<AbiPolicyFactory>(*library);
    google::protobuf::Struct config;
    (*config.mutable_fields())["max_instances_per_purchase"].set_number_value(5);
    (*config.mutable_fields())["denied_tenants"]
        .mutable_list_value()
        ->add_values()
        ->set_string_value("guest");
    PolicyContext context;
    context.name = "five-at-most";
    auto policy = factory_->Create(config, context);
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = *std::move(policy);
  }

  absl::Status Check(int count, const std::string& tenant = kDefaultTenant) {
    provisioning::v1::PurchaseRequest request;
    request.set_instance_count(count);
    return policy_->Check({tenant, &request, "b", nullptr});
  }

  static std::string Metadata(const absl::Status& status, const std::string& key) {
    auto info = GetDetail<google::rpc::ErrorInfo>(status);
    return info.has_value() && info->metadata().count(key) ? info->metadata().at(key) : "";
  }

  std::unique_ptr<AbiPolicyFactory> factory_;
  std::unique_ptr<Policy> policy_;
};

TEST_F(AbiPolicyTest, IsNamedByThePluginAndTakesAStruct) {
  EXPECT_EQ(factory_->name(), "sample_policy");
  EXPECT_EQ(factory_->CreateEmptyConfig()->GetDescriptor()->full_name(), "google.protobuf.Struct");
}

TEST_F(AbiPolicyTest, AdmitsWhatThePluginAdmits) { EXPECT_TRUE(Check(5).ok()); }

TEST_F(AbiPolicyTest, ADenialKeepsThePluginsCodeReasonAndNumbers) {
  absl::Status status = Check(6);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(status), "POLICY_SAMPLE_TOO_MANY_INSTANCES");
  EXPECT_EQ(Metadata(status, "policy"), "five-at-most");
  EXPECT_EQ(Metadata(status, "limit"), "5");
  EXPECT_EQ(Metadata(status, "requested"), "6");
  EXPECT_THAT(status.message(), HasSubstr("6 instances in one purchase, at most 5"));
}

TEST_F(AbiPolicyTest, TheTenantCrossesTheAbiAsAParameter) {
  absl::Status status = Check(1, "guest");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(status), "POLICY_SAMPLE_TENANT_DENIED");
  EXPECT_EQ(Metadata(status, "tenant"), "guest");
}

TEST_F(AbiPolicyTest, ABadConfigIsInvalidArgument) {
  google::protobuf::Struct config;
  (*config.mutable_fields())["max_instances_per_purchase"].set_string_value("many");
  auto policy = factory_->Create(config, PolicyContext());
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cvm
