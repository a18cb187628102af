// The emulator's launch settings (emulator_launch.cc): parameters unknown to
// Tencent's request models are refused, the node-bootstrap parameters are
// checked and come back in DescribeInstances, launch templates fill in the
// type and the image.
#include "absl/strings/escaping.h"
#include "backends/tencentcloud/emulator/cvm_emulator.h"
#include "backends/tencentcloud/emulator/cvm_emulator_test_util.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

using EmulatorLaunchTest = EmulatorTest;

constexpr char kScript[] = "#cloud-config\nruncmd: [kubeadm join 10.0.0.1:6443]\n";

// Two nodes with every bootstrap parameter.
Json NodeParams() {
  return {{"Placement", {{"Zone", "ap-guangzhou-3"}, {"ProjectId", 1002}}},
          {"InstanceType", "S5.MEDIUM2"},
          {"ImageId", "img-node"},
          {"InstanceCount", 2},
          {"UserData", absl::Base64Escape(kScript)},
          {"HostName", "node.pool-a"},
          {"CamRoleName", "TKE_QCSRole"},
          {"DisasterRecoverGroupIds", {"ps-1a2b3c4d"}},
          {"VirtualPrivateCloud",
           {{"VpcId", "vpc-1"},
            {"SubnetId", "subnet-1"},
            {"PrivateIpAddresses", {"10.0.1.8", "10.0.1.9"}}}},
          {"DataDisks",
           {{{"DiskType", "CLOUD_SSD"},
             {"DiskSize", 100},
             {"Encrypt", true},
             {"KmsKeyId", "kms-abcd1234"},
             {"DeleteWithInstance", false}},
            {{"DiskSize", 50}}}}};
}

// Every RunInstances, whatever it answers, bought nothing.
int Bought(CvmEmulator& emulator) { return emulator.Books()[kTestSecretId]["Created"].get<int>(); }

TEST_F(EmulatorLaunchTest, EveryBootstrapParameterComesBackInDescribeInstances) {
  Make(TestWorld());
  Json answer = Call("RunInstances", NodeParams());
  ASSERT_EQ(answer["InstanceIdSet"].size(), 2) << answer.dump();
  for (int i = 0; i < 2; ++i) {
    const std::string id = answer["InstanceIdSet"][i];
    const Json instance = Describe(id);
    EXPECT_EQ(instance["ImageId"], "img-node");
    EXPECT_EQ(instance["Placement"], Json({{"Zone", "ap-guangzhou-3"}, {"ProjectId", 1002}}));
    EXPECT_EQ(instance["HostName"], i == 0 ? "node.pool-a1" : "node.pool-a2");  // Tencent's 1..n
    EXPECT_EQ(instance["CamRoleName"], "TKE_QCSRole");
    EXPECT_EQ(instance["DisasterRecoverGroupId"], "ps-1a2b3c4d");
    EXPECT_EQ(instance["VirtualPrivateCloud"],
              Json({{"VpcId", "vpc-1"}, {"SubnetId", "subnet-1"}}));
    EXPECT_EQ(instance["PrivateIpAddresses"], Json({i == 0 ? "10.0.1.8" : "10.0.1.9"}));
    const Json& disks = instance["DataDisks"];
    ASSERT_EQ(disks.size(), 2);
    EXPECT_EQ(disks[0]["DiskType"], "CLOUD_SSD");
    EXPECT_EQ(disks[0]["DiskSize"], 100);
    EXPECT_EQ(disks[0]["Encrypt"], true);
    EXPECT_EQ(disks[0]["KmsKeyId"], "kms-abcd1234");
    EXPECT_EQ(disks[0]["DeleteWithInstance"], false);
    EXPECT_EQ(disks[1]["Encrypt"], false);
    EXPECT_EQ(disks[1]["DeleteWithInstance"], true);  // Tencent's default
    EXPECT_NE(disks[0]["DiskId"], disks[1]["DiskId"]);
    EXPECT_FALSE(instance.contains("UserData"));               // not in Tencent's Instance model
    EXPECT_EQ(emulator_->UserData(id).value_or(""), kScript);  // the metadata service's
  }
}

TEST_F(EmulatorLaunchTest, WithoutThemDescribeShowsTencentsDefaults) {
  Make(TestWorld());
  const std::string id = Buy("POSTPAID_BY_HOUR");
  ASSERT_NE(id, "") << last_error_;
  const Json instance = Describe(id);
  EXPECT_EQ(instance["Placement"]["ProjectId"], 0);
  EXPECT_EQ(instance["DisasterRecoverGroupId"], "");
  EXPECT_EQ(instance["DataDisks"], Json::array());
  EXPECT_EQ(instance["PrivateIpAddresses"].size(), 1);  // one of the emulator's
  EXPECT_EQ(emulator_->UserData(id).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EmulatorLaunchTest, UnknownParametersAreRefusedByName) {
  Make(TestWorld());
  struct Case {
    const char* action;
    Json extra;
    const char* named;
  };
  const Case cases[] = {
      {"RunInstances", {{"UserDataBase64", "YQ=="}}, "`UserDataBase64`"},
      {"RunInstances",
       {{"DataDisks", {{{"DiskSize", 50}, {"Encrypted", true}}}}},
       "`DataDisks.0.Encrypted`"},
      {"RunInstances",
       {{"Placement", {{"Zone", "ap-guangzhou-3"}, {"Project", 1}}}},
       "`Placement.Project`"},
      {"RunInstances",
       {{"VirtualPrivateCloud", {{"VpcId", "v"}, {"SubnetId", "s"}, {"PrivateIps", {"1"}}}}},
       "`VirtualPrivateCloud.PrivateIps`"},
      {"RunInstances", {{"LaunchTemplate", {{"Id", "lt-testnode"}}}}, "`LaunchTemplate.Id`"},
      // Real parameters of RunInstances that InquiryPriceRunInstances lacks.
      {"InquiryPriceRunInstances", {{"UserData", "YQ=="}}, "`UserData`"},
      {"InquiryPriceRunInstances", {{"CamRoleName", "r"}}, "`CamRoleName`"},
      {"InquiryPriceRunInstances",
       {{"DisasterRecoverGroupIds", {"ps-1"}}},
       "`DisasterRecoverGroupIds`"},
  };
  // NodeParams() without the parameters InquiryPriceRunInstances lacks.
  Json inquiry = NodeParams();
  for (const char* name : {"UserData", "CamRoleName", "DisasterRecoverGroupIds"}) {
    inquiry.erase(name);
  }
  for (const Case& c : cases) {
    Json params = std::string(c.action) == "RunInstances" ? NodeParams() : inquiry;
    params.update(c.extra);
    Json answer = Call(c.action, params);
    EXPECT_EQ(answer.value("/Error/Code"_json_pointer, ""), "UnknownParameter") << c.named;
    EXPECT_NE(answer.value("/Error/Message"_json_pointer, "").find(c.named), std::string::npos)
        << answer.dump();
  }
  EXPECT_EQ(Bought(*emulator_), 0);
  // Known ones pass: the node purchase itself, and its price.
  EXPECT_TRUE(Call("InquiryPriceRunInstances", inquiry).contains("Price"));
  EXPECT_TRUE(Call("RunInstances", NodeParams()).contains("InstanceIdSet"));
}

TEST_F(EmulatorLaunchTest, BadBootstrapParametersGetTencentsCodesAndBuyNothing) {
  Make(TestWorld());
  struct Case {
    Json extra;
    const char* code;
  };
  const Case cases[] = {
      {{{"UserData", "not base64"}}, "InvalidParameterValue.InvalidUserDataFormat"},
      {{{"UserData", absl::Base64Escape(std::string(12289, 'x'))}},
       "InvalidParameterValue.TooLong"},
      {{{"HostName", "-node"}}, "InvalidParameterValue.IllegalHostName"},
      {{{"HostName", "node..a"}}, "InvalidParameterValue.IllegalHostName"},
      {{{"CamRoleName", "role name"}}, "InvalidParameterValue.CamRoleNameMalformed"},
      {{{"Placement", {{"Zone", "ap-guangzhou-3"}, {"ProjectId", -1}}}}, "InvalidParameterValue"},
      {{{"DisasterRecoverGroupIds", {"ps-1", "ps-2"}}}, "InvalidParameterValue.LimitExceeded"},
      {{{"DisasterRecoverGroupIds", {"group-1"}}},
       "InvalidParameterValue.DisasterRecoverGroupIdMalformed"},
      {{{"VirtualPrivateCloud",
         {{"VpcId", "vpc-1"}, {"SubnetId", "s"}, {"PrivateIpAddresses", {"10.0.1.8"}}}}},
       "InvalidParameterValue.AmountNotEqual"},
      {{{"VirtualPrivateCloud",
         {{"VpcId", "vpc-1"}, {"SubnetId", "s"}, {"PrivateIpAddresses", {"10.0.1.8", "10.0.1"}}}}},
       "InvalidParameterValue.IPAddressMalformed"},
      {{{"VirtualPrivateCloud",
         {{"VpcId", "vpc-1"},
          {"SubnetId", "s"},
          {"PrivateIpAddresses", {"10.0.1.8", "10.0.1.8"}}}}},
       "InvalidParameterValue.Duplicate"},
      {{{"VirtualPrivateCloud", {{"VpcId", "vpc-1"}}}}, "MissingParameter"},
      {{{"DataDisks", {{{"DiskSize", 50}, {"KmsKeyId", "kms-1"}}}}},
       "InvalidParameter.InvalidDependence"},
      {{{"DataDisks", {{{"DiskSize", 5}}}}}, "InvalidParameterValue.Range"},
      {{{"DataDisks", {{{"DiskSize", 50}, {"Encrypt", "yes"}}}}}, "InvalidParameter"},
  };
  for (const Case& c : cases) {
    Json params = NodeParams();
    params.update(c.extra);
    EXPECT_EQ(Call("RunInstances", params).value("/Error/Code"_json_pointer, ""), c.code)
        << c.extra.dump();
  }
  EXPECT_EQ(Bought(*emulator_), 0);
}

TEST_F(EmulatorLaunchTest, ALaunchTemplateFillsInTheTypeAndTheImage) {
  Make(TestWorld());
  auto buy = [&](const Json& launch_template, const Json& extra) {
    Json params = {{"Placement", {{"Zone", "ap-guangzhou-3"}}},
                   {"LaunchTemplate", launch_template}};
    params.update(extra);
    const std::string id = Buy("POSTPAID_BY_HOUR", params);
    const Json instance = Describe(id);
    return id.empty() ? last_error_
                      : instance["InstanceType"].get<std::string>() + " " +
                            instance["ImageId"].get<std::string>();
  };
  // Buy() adds an ImageId: without it the template's shows.
  auto without_image = [&](const Json& launch_template) {
    Json params = {{"Placement", {{"Zone", "ap-guangzhou-3"}}},
                   {"InstanceChargeType", "POSTPAID_BY_HOUR"},
                   {"LaunchTemplate", launch_template}};
    Json answer = Call("RunInstances", params);
    if (!answer.contains("InstanceIdSet")) return answer["Error"]["Code"].get<std::string>();
    const Json instance = Describe(answer["InstanceIdSet"][0]);
    return instance["InstanceType"].get<std::string>() + " " +
           instance["ImageId"].get<std::string>();
  };
  EXPECT_EQ(without_image({{"LaunchTemplateId", kTestLaunchTemplateId}}),
            "S5.MEDIUM2 img-template1");  // the default version
  EXPECT_EQ(
      without_image({{"LaunchTemplateId", kTestLaunchTemplateId}, {"LaunchTemplateVersion", 2}}),
      "S5.LARGE8 img-template2");
  // The request's own parameters win over the template's.
  EXPECT_EQ(buy({{"LaunchTemplateId", kTestLaunchTemplateId}, {"LaunchTemplateVersion", 2}},
                {{"InstanceType", "S5.MEDIUM2"}}),
            "S5.MEDIUM2 img-1");
  EXPECT_EQ(without_image({{"LaunchTemplateId", "lt-missing"}}),
            "InvalidParameterValue.LaunchTemplateIdNotExisted");
  EXPECT_EQ(
      without_image({{"LaunchTemplateId", kTestLaunchTemplateId}, {"LaunchTemplateVersion", 7}}),
      "InvalidParameterValue.LaunchTemplateIdVerNotExisted");
  EXPECT_EQ(without_image({{"LaunchTemplateId", "template-1"}}),
            "InvalidParameterValue.LaunchTemplateIdMalformed");
  // Without a template, the type and the image are still required.
  EXPECT_EQ(Call("RunInstances", {{"Placement", {{"Zone", "ap-guangzhou-3"}}}})["Error"]["Code"],
            "MissingParameter");
  // The price is the template's type's: S5.LARGE8 costs 0.44 an hour.
  Json price =
      Call("InquiryPriceRunInstances",
           {{"Placement", {{"Zone", "ap-guangzhou-3"}}},
            {"LaunchTemplate",
             {{"LaunchTemplateId", kTestLaunchTemplateId}, {"LaunchTemplateVersion", 2}}}});
  EXPECT_DOUBLE_EQ(price["Price"]["InstancePrice"]["UnitPrice"].get<double>(), 0.44)
      << price.dump();
}

}  // namespace
}  // namespace cvm::tencentcloud
