// RunInstances' launch settings: the parameters Tencent's official SDK
// knows, launch templates, and the node-bootstrap parameters (user data,
// host name, CAM role, project, placement group, private IPs, data disk
// encryption) as DescribeInstances shows them.
#include <arpa/inet.h>

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backends/tencentcloud/emulator/cvm_emulator.h"

namespace cvm::tencentcloud {
namespace {

// The request models of tencentcloud-sdk-nodejs-cvm 4.1.316
// (tencentcloud/services/cvm/v20170312/cvm_models.d.ts), field by field:
// RunInstancesRequest, InquiryPriceRunInstancesRequest, StopInstancesRequest,
// StartInstancesRequest, and the nested models checked below (tests/node/emulator_sdk_test.js holds the lists to
// the installed SDK).
const std::set<std::string>& Model(const std::string& name) {
  static const auto* const kModels = new std::map<std::string, std::set<std::string>>{
      {"RunInstances",
       {"InstanceChargeType",
        "InstanceChargePrepaid",
        "Placement",
        "InstanceType",
        "ImageId",
        "SystemDisk",
        "DataDisks",
        "VirtualPrivateCloud",
        "InternetAccessible",
        "InstanceCount",
        "MinCount",
        "InstanceName",
        "LoginSettings",
        "SecurityGroupIds",
        "EnhancedService",
        "ClientToken",
        "HostName",
        "ActionTimer",
        "DisasterRecoverGroupIds",
        "TagSpecification",
        "InstanceMarketOptions",
        "UserData",
        "Metadata",
        "DryRun",
        "CpuTopology",
        "CamRoleName",
        "HpcClusterId",
        "LaunchTemplate",
        "DedicatedClusterId",
        "ChcIds",
        "PartitionNumber",
        "DisableApiTermination",
        "EnableJumboFrame",
        "NetworkInterfaces"}},
      {"InquiryPriceRunInstances", {"Placement",          "ImageId",
                                    "InstanceChargeType", "InstanceChargePrepaid",
                                    "InstanceType",       "SystemDisk",
                                    "DataDisks",          "VirtualPrivateCloud",
                                    "InternetAccessible", "InstanceCount",
                                    "InstanceName",       "LoginSettings",
                                    "SecurityGroupIds",   "EnhancedService",
                                    "ClientToken",        "HostName",
                                    "TagSpecification",   "InstanceMarketOptions",
                                    "Metadata",           "HpcClusterId",
                                    "CpuTopology",        "LaunchTemplate",
                                    "NetworkInterfaces"}},
      {"DataDisk",
       {"DiskSize", "DiskType", "DiskId", "DeleteWithInstance", "SnapshotId", "Encrypt", "KmsKeyId",
        "ThroughputPerformance", "CdcId", "BurstPerformance", "DiskName"}},
      {"Placement",
       {"Zone", "ProjectId", "HostIds", "HostId", "DedicatedResourcePackTenancy",
        "DedicatedResourcePackIds", "RackId"}},
      {"VirtualPrivateCloud",
       {"VpcId", "SubnetId", "AsVpcGateway", "PrivateIpAddresses", "Ipv6AddressCount"}},
      {"LaunchTemplate", {"LaunchTemplateId", "LaunchTemplateVersion"}},
      {"StopInstances", {"InstanceIds", "ForceStop", "StopType", "StoppedMode"}},
      {"StartInstances", {"InstanceIds"}},
  };
  static const auto* const kNone = new std::set<std::string>();
  auto it = kModels->find(name);
  return it == kModels->end() ? *kNone : it->second;
}

// UnknownParameter for the first key of `object` not in `model`, named by
// its path ("DataDisks.0.Foo"); null when all are known.
Json Unknown(const Json& object, const std::string& model, const std::string& path) {
  if (!object.is_object()) return Json();
  for (const auto& [key, value] : object.items()) {
    if (Model(model).count(key) == 0) {
      return ApiError("UnknownParameter",
                      absl::StrCat("The parameter `", path, key, "` is not recognized."));
    }
  }
  return Json();
}

bool IsBase64(const std::string& text) {
  std::string decoded;
  return absl::Base64Unescape(text, &decoded) && absl::Base64Escape(decoded) == text;
}

// Tencent's rule for Linux host names: 2-60 letters, digits, '.' and '-',
// with '.' and '-' neither first, last nor doubled.
bool IsHostName(const std::string& name) {
  if (name.size() < 2 || name.size() > 60) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const bool separator = name[i] == '.' || name[i] == '-';
    if (!absl::ascii_isalnum(name[i]) && !separator) return false;
    if (separator && (i == 0 || i + 1 == name.size() || !absl::ascii_isalnum(name[i - 1]))) {
      return false;
    }
  }
  return true;
}

bool IsCamRoleName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("+=,.@_-", c)) return false;
  }
  return true;
}

bool IsIpv4(const std::string& text) {
  in_addr address;
  return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

// The string at `key` of `object` ("" when absent); throws Json::exception
// for another type (Handle() answers InvalidParameter).
std::string StringAt(const Json& object, const char* key) {
  return object.contains(key) ? object.at(key).get<std::string>() : "";
}

}  // namespace

Json CvmEmulator::UnknownParameter(const std::string& action, const Json& params) {
  if (Model(action).empty()) return Json();
  Json error = Unknown(params, action, "");
  if (error.is_null() && params.contains("DataDisks") && params["DataDisks"].is_array()) {
    for (size_t i = 0; i < params["DataDisks"].size() && error.is_null(); ++i) {
      error = Unknown(params["DataDisks"][i], "DataDisk", absl::StrCat("DataDisks.", i, "."));
    }
  }
  for (const char* model : {"Placement", "VirtualPrivateCloud", "LaunchTemplate"}) {
    if (error.is_null() && params.contains(model)) {
      error = Unknown(params[model], model, absl::StrCat(model, "."));
    }
  }
  return error;
}

absl::StatusOr<Json> CvmEmulator::WithLaunchTemplate(const Json& params, Json* error) const {
  if (!params.contains("LaunchTemplate")) return params;
  const Json& named = params.at("LaunchTemplate");
  const std::string id = StringAt(named, "LaunchTemplateId");
  if (!absl::StartsWith(id, "lt-")) {
    *error = ApiError("InvalidParameterValue.LaunchTemplateIdMalformed",
                      absl::StrCat("LaunchTemplateId `", id, "` is not of the form lt-xxxxxxxx."));
    return absl::InvalidArgumentError("malformed");
  }
  const std::optional<int64_t> version =
      IntParam(params, "/LaunchTemplate/LaunchTemplateVersion"_json_pointer, 0, 1,
               std::numeric_limits<int64_t>::max());
  if (!version.has_value()) {
    *error = ApiError("InvalidParameterValue.LaunchTemplateVersion",
                      "LaunchTemplateVersion must be a positive integer.");
    return absl::InvalidArgumentError("version");
  }
  bool id_known = false;
  for (const auto& launch_template : config_.launch_templates()) {
    if (launch_template.launch_template_id() != id) continue;
    id_known = true;
    const bool chosen = *version == 0 ? launch_template.default_version()
                                      : launch_template.launch_template_version() == *version;
    if (!chosen) continue;
    Json full = params;
    if (!full.contains("InstanceType")) full["InstanceType"] = launch_template.instance_type();
    if (!full.contains("ImageId")) full["ImageId"] = launch_template.image_id();
    return full;
  }
  *error = id_known
               ? ApiError("InvalidParameterValue.LaunchTemplateIdVerNotExisted",
                          absl::StrCat("Launch template ", id, " has no version ", *version, "."))
               : ApiError("InvalidParameterValue.LaunchTemplateIdNotExisted",
                          absl::StrCat("Launch template ", id, " does not exist."));
  return absl::NotFoundError("template");
}

absl::StatusOr<CvmEmulator::Launch> CvmEmulator::LaunchOf(const Json& params, int64_t index,
                                                          int64_t count, Json* error) {
  auto refuse = [error](const std::string& code, const std::string& message) {
    *error = ApiError(code, message);
    return absl::InvalidArgumentError(code);
  };
  Launch launch;
  launch.image_id = StringAt(params, "ImageId");
  launch.user_data = StringAt(params, "UserData");
  if (launch.user_data.size() > 16384) {
    return refuse("InvalidParameterValue.TooLong", "UserData is longer than 16 KB.");
  }
  if (!IsBase64(launch.user_data)) {
    return refuse("InvalidParameterValue.InvalidUserDataFormat", "UserData must be base64.");
  }
  launch.host_name = StringAt(params, "HostName");
  if (params.contains("HostName") && !IsHostName(launch.host_name)) {
    return refuse("InvalidParameterValue.IllegalHostName",
                  absl::StrCat("HostName `", launch.host_name, "` is not valid."));
  }
  // Several instances: Tencent appends 1..n to a HostName without a pattern.
  if (count > 1 && !launch.host_name.empty()) absl::StrAppend(&launch.host_name, index + 1);
  launch.cam_role_name = StringAt(params, "CamRoleName");
  if (params.contains("CamRoleName") && !IsCamRoleName(launch.cam_role_name)) {
    return refuse("InvalidParameterValue.CamRoleNameMalformed",
                  "CamRoleName may contain only letters, digits and +=,.@_-.");
  }
  const std::optional<int64_t> project = IntParam(params, "/Placement/ProjectId"_json_pointer, 0, 0,
                                                  std::numeric_limits<int64_t>::max());
  if (!project.has_value()) {
    return refuse("InvalidParameterValue", "Placement.ProjectId must be 0 or more.");
  }
  launch.project_id = *project;
  const Json groups = params.value("DisasterRecoverGroupIds", Json::array());
  if (groups.size() > 1) {
    return refuse("InvalidParameterValue.LimitExceeded",
                  "At most one DisasterRecoverGroupIds is supported.");
  }
  if (!groups.empty()) launch.placement_group = groups[0].get<std::string>();
  if (!groups.empty() && !absl::StartsWith(launch.placement_group, "ps-")) {
    return refuse("InvalidParameterValue.DisasterRecoverGroupIdMalformed",
                  absl::StrCat("DisasterRecoverGroupId `", launch.placement_group,
                               "` is not of the form ps-xxxxxxxx."));
  }
  if (params.contains("VirtualPrivateCloud")) {
    const Json& vpc = params.at("VirtualPrivateCloud");
    launch.vpc_id = StringAt(vpc, "VpcId");
    launch.subnet_id = StringAt(vpc, "SubnetId");
    if (launch.vpc_id.empty() || launch.subnet_id.empty()) {
      return refuse("MissingParameter", "VirtualPrivateCloud needs VpcId and SubnetId.");
    }
    const Json ips = vpc.value("PrivateIpAddresses", Json::array());
    if (!ips.empty() && (ips.size() > 20 || static_cast<int64_t>(ips.size()) != count)) {
      return refuse("InvalidParameterValue.AmountNotEqual",
                    absl::StrCat(ips.size(), " PrivateIpAddresses for InstanceCount ", count,
                                 ": give one per instance, at most 20."));
    }
    std::set<std::string> seen;
    for (const Json& ip : ips) {
      if (!IsIpv4(ip.get<std::string>())) {
        return refuse("InvalidParameterValue.IPAddressMalformed",
                      absl::StrCat("`", ip.get<std::string>(), "` is not an IPv4 address."));
      }
      if (!seen.insert(ip.get<std::string>()).second) {
        return refuse("InvalidParameterValue.Duplicate",
                      absl::StrCat("PrivateIpAddresses lists ", ip.get<std::string>(), " twice."));
      }
    }
    if (!ips.empty()) launch.private_ip = ips[index].get<std::string>();
  }
  const Json disks = params.value("DataDisks", Json::array());
  if (disks.size() > 21)
    return refuse("InvalidParameterValue.LimitExceeded", "At most 21 DataDisks.");
  for (size_t k = 0; k < disks.size(); ++k) {
    const std::optional<int64_t> size = IntParam(disks[k], "/DiskSize"_json_pointer, -1, 10, 32000);
    if (!size.has_value()) {
      return refuse("InvalidParameterValue.Range",
                    absl::StrCat("DataDisks.", k, ".DiskSize must be 10-32000 GB."));
    }
    const bool encrypt = disks[k].value("Encrypt", false);
    const std::string kms_key = StringAt(disks[k], "KmsKeyId");
    if (!kms_key.empty() && !encrypt) {
      return refuse("InvalidParameter.InvalidDependence",
                    absl::StrCat("DataDisks.", k, ".KmsKeyId needs Encrypt."));
    }
    launch.data_disks.push_back({{"DiskType", disks[k].value("DiskType", "CLOUD_PREMIUM")},
                                 {"DiskSize", *size},
                                 {"DeleteWithInstance", disks[k].value("DeleteWithInstance", true)},
                                 {"Encrypt", encrypt},
                                 {"KmsKeyId", kms_key}});
  }
  return launch;
}

void CvmEmulator::DescribeLaunch(const Instance& instance, Json& out) {
  const Launch& launch = instance.launch;
  out["ImageId"] = launch.image_id;
  out["Placement"]["ProjectId"] = launch.project_id;
  out["HostName"] = launch.host_name;
  out["CamRoleName"] = launch.cam_role_name;
  out["DisasterRecoverGroupId"] = launch.placement_group;
  if (!launch.vpc_id.empty()) {
    out["VirtualPrivateCloud"] = {{"VpcId", launch.vpc_id}, {"SubnetId", launch.subnet_id}};
  }
  if (!launch.private_ip.empty()) out["PrivateIpAddresses"] = {launch.private_ip};
  Json disks = launch.data_disks;
  for (size_t k = 0; k < disks.size(); ++k) {
    disks[k]["DiskId"] = absl::StrFormat("disk-%06x%02x", instance.index, k);
  }
  out["DataDisks"] = disks;
}

absl::StatusOr<std::string> CvmEmulator::UserData(const std::string& id) {
  absl::MutexLock lock(&mu_);
  AccountBooks* books = nullptr;
  const Instance* instance = FindInstance(id, &books);
  std::string decoded;
  if (instance == nullptr || Released(*instance, clock_->Now()) ||
      instance->launch.user_data.empty() ||
      !absl::Base64Unescape(instance->launch.user_data, &decoded)) {
    return absl::NotFoundError(absl::StrCat("no user data for ", id));
  }
  return decoded;
}

}  // namespace cvm::tencentcloud
