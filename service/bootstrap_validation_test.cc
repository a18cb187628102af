// The node-bootstrap fields of a Purchase (service/bootstrap_validation.h),
// checked through ValidatePurchaseRequest: each bad field is named, alone.
#include <functional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/request_validation.h"
#include "service/validation_test_support.h"

namespace cvm {
namespace {

using provisioning::v1::PurchaseRequest;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "secret-marker";

// Two Kubernetes nodes with every bootstrap field set.
PurchaseRequest NodePurchase() {
  PurchaseRequest r;
  r.set_request_id("nodes-1");
  r.set_instance_count(2);
  auto* spec = r.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone("ap-guangzhou-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-pi0ii46r");
  spec->mutable_pay_as_you_go();
  spec->set_user_data(absl::Base64Escape("#cloud-config\nruncmd: [kubeadm join]\n"));
  spec->set_host_name("node.pool-a");
  spec->set_cam_role_name("TKE_QCSRole+nodes@team_a");
  spec->set_project_id(1002);
  spec->add_placement_group_ids("ps-1a2b3c4d");
  auto* network = spec->mutable_network();
  network->set_vpc_id("vpc-1");
  network->set_subnet_id("subnet-1");
  network->add_private_ip_addresses("10.0.1.8");
  network->add_private_ip_addresses("10.0.1.9");
  auto* disk = spec->add_data_disks();
  disk->set_size_gb(100);
  disk->set_encrypt(true);
  disk->set_kms_key_id("kms-abcd1234");
  disk->set_delete_with_instance(false);
  return r;
}

class BadBootstrapFieldTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(BadBootstrapFieldTest, IsInvalidArgumentNamingTheField) {
  PurchaseRequest request = NodePurchase();
  GetParam().mutate(request);
  ExpectOnlyFieldNamed(ValidatePurchaseRequest(request), GetParam().field);
}

auto Spec(PurchaseRequest& r) { return r.mutable_spec(); }
auto Ips(PurchaseRequest& r) { return r.mutable_spec()->mutable_network(); }
auto DataDisk(PurchaseRequest& r) { return r.mutable_spec()->mutable_data_disks(0); }
auto SystemDisk(PurchaseRequest& r) {
  Spec(r)->mutable_system_disk()->set_size_gb(50);
  return Spec(r)->mutable_system_disk();
}

const InvalidCase kBadCases[] = {
    {"UserDataNotBase64", [](auto& r) { Spec(r)->set_user_data("not base64!"); }, "spec.user_data"},
    {"UserDataUnpadded", [](auto& r) { Spec(r)->set_user_data("YWJjZA"); }, "spec.user_data"},
    {"UserDataOver16K",
     [](auto& r) { Spec(r)->set_user_data(absl::Base64Escape(std::string(12289, 'x'))); },
     "spec.user_data"},
    {"HostNameOneCharacter", [](auto& r) { Spec(r)->set_host_name("n"); }, "spec.host_name"},
    {"HostNameTooLong", [](auto& r) { Spec(r)->set_host_name(std::string(61, 'n')); },
     "spec.host_name"},
    {"HostNameUnderscore", [](auto& r) { Spec(r)->set_host_name("node_1"); }, "spec.host_name"},
    {"HostNameLeadingDash", [](auto& r) { Spec(r)->set_host_name("-node"); }, "spec.host_name"},
    {"HostNameTrailingDot", [](auto& r) { Spec(r)->set_host_name("node."); }, "spec.host_name"},
    {"HostNameDotDash", [](auto& r) { Spec(r)->set_host_name("node.-1"); }, "spec.host_name"},
    {"CamRoleNameSpace", [](auto& r) { Spec(r)->set_cam_role_name("node role"); },
     "spec.cam_role_name"},
    {"CamRoleNameTooLong", [](auto& r) { Spec(r)->set_cam_role_name(std::string(129, 'r')); },
     "spec.cam_role_name"},
    {"ProjectIdNegative", [](auto& r) { Spec(r)->set_project_id(-1); }, "spec.project_id"},
    {"TwoPlacementGroups", [](auto& r) { Spec(r)->add_placement_group_ids("ps-2"); },
     "spec.placement_group_ids"},
    {"PlacementGroupBadId", [](auto& r) { Spec(r)->set_placement_group_ids(0, "ps 1"); },
     "spec.placement_group_ids[0]"},
    {"PrivateIpsFewerThanInstances", [](auto& r) { r.set_instance_count(3); },
     "spec.network.private_ip_addresses"},
    {"PrivateIpMalformed", [](auto& r) { Ips(r)->set_private_ip_addresses(1, "10.0.1"); },
     "spec.network.private_ip_addresses[1]"},
    {"PrivateIpLeadingZero", [](auto& r) { Ips(r)->set_private_ip_addresses(0, "10.0.1.08"); },
     "spec.network.private_ip_addresses[0]"},
    {"PrivateIpDuplicate", [](auto& r) { Ips(r)->set_private_ip_addresses(1, "10.0.1.8"); },
     "spec.network.private_ip_addresses[1]"},
    {"PrivateIpsMoreThan20",
     [](auto& r) {
       r.set_instance_count(21);
       for (int i = 10; i < 29; ++i) Ips(r)->add_private_ip_addresses(absl::StrCat("10.0.1.", i));
     },
     "spec.network.private_ip_addresses"},
    {"KmsKeyWithoutEncrypt", [](auto& r) { DataDisk(r)->set_encrypt(false); },
     "spec.data_disks[0].kms_key_id"},
    {"KmsKeyBadCharacters", [](auto& r) { DataDisk(r)->set_kms_key_id("kms/abc"); },
     "spec.data_disks[0].kms_key_id"},
    {"SystemDiskEncrypt", [](auto& r) { SystemDisk(r)->set_encrypt(true); },
     "spec.system_disk.encrypt"},
    {"SystemDiskKmsKey", [](auto& r) { SystemDisk(r)->set_kms_key_id("kms-1"); },
     "spec.system_disk.kms_key_id"},
    {"SystemDiskDeleteWithInstance", [](auto& r) { SystemDisk(r)->set_delete_with_instance(true); },
     "spec.system_disk.delete_with_instance"},
    {"LaunchTemplateWithoutId", [](auto& r) { Spec(r)->mutable_launch_template(); },
     "spec.launch_template.launch_template_id"},
    {"LaunchTemplateBadId",
     [](auto& r) { Spec(r)->mutable_launch_template()->set_launch_template_id("lt 1"); },
     "spec.launch_template.launch_template_id"},
    {"LaunchTemplateNegativeVersion",
     [](auto& r) {
       Spec(r)->mutable_launch_template()->set_launch_template_id("lt-1");
       Spec(r)->mutable_launch_template()->set_launch_template_version(-1);
     },
     "spec.launch_template.launch_template_version"},
    {"TypeMissingWithoutTemplate", [](auto& r) { Spec(r)->clear_instance_type(); },
     "spec.instance_type"},
};

INSTANTIATE_TEST_SUITE_P(Table, BadBootstrapFieldTest, ::testing::ValuesIn(kBadCases),
                         [](const auto& info) { return info.param.name; });

TEST(BootstrapValidationTest, EveryFieldSetPasses) {
  EXPECT_TRUE(ValidatePurchaseRequest(NodePurchase()).ok());
  PurchaseRequest at_limits = NodePurchase();
  at_limits.mutable_spec()->set_user_data(absl::Base64Escape(std::string(12288, 'x')));
  ASSERT_EQ(at_limits.spec().user_data().size(), kMaxUserDataChars);
  at_limits.mutable_spec()->set_host_name(std::string(60, 'n'));
  at_limits.mutable_spec()->set_cam_role_name(std::string(128, 'r'));
  EXPECT_TRUE(ValidatePurchaseRequest(at_limits).ok());
}

TEST(BootstrapValidationTest, WithoutTypeOrImageTheErrorNamesBothAndTheTemplate) {
  PurchaseRequest request = NodePurchase();
  request.mutable_spec()->clear_instance_type();
  request.mutable_spec()->clear_image_id();
  absl::Status status = ValidatePurchaseRequest(request);
  EXPECT_THAT(BadFields(status), ElementsAreArray({"spec.instance_type", "spec.image_id"}));
  EXPECT_THAT(std::string(status.message()), HasSubstr("unless spec.launch_template is set"));
}

TEST(BootstrapValidationTest, ALaunchTemplateStandsInForTypeAndImage) {
  PurchaseRequest request = NodePurchase();
  request.mutable_spec()->clear_instance_type();
  request.mutable_spec()->clear_image_id();
  request.mutable_spec()->mutable_launch_template()->set_launch_template_id("lt-9zx3kq1m");
  EXPECT_TRUE(ValidatePurchaseRequest(request).ok());
  request.mutable_spec()->mutable_launch_template()->set_launch_template_version(3);
  request.mutable_spec()->set_instance_type("S5.LARGE8");  // overrides the template's
  EXPECT_TRUE(ValidatePurchaseRequest(request).ok());
}

TEST(BootstrapValidationTest, ErrorsNeverQuoteTheUserData) {
  PurchaseRequest request = NodePurchase();
  request.mutable_spec()->set_user_data(absl::StrCat("#!/bin/sh\n", kSecret));
  absl::Status status = ValidatePurchaseRequest(request);
  ASSERT_THAT(BadFields(status), ElementsAre("spec.user_data"));
  EXPECT_THAT(status.ToString(absl::StatusToStringMode::kWithEverything), Not(HasSubstr(kSecret)));
}

TEST(BootstrapValidationTest, QuoteCountsPrivateIpsAgainstItsInstanceCount) {
  provisioning::v1::QuoteRequest quote;
  *quote.mutable_spec() = NodePurchase().spec();
  quote.set_instance_count(2);
  EXPECT_TRUE(ValidateQuoteRequest(quote).ok());
  quote.set_instance_count(1);
  EXPECT_THAT(BadFields(ValidateQuoteRequest(quote)),
              ElementsAre("spec.network.private_ip_addresses"));
}

}  // namespace
}  // namespace cvm
