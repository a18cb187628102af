#include "service/bootstrap_validation.h"

#include <arpa/inet.h>

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/request_validation.h"

namespace cvm {
namespace {

using provisioning::v1::Disk;
using provisioning::v1::InstanceSpec;

// The messages never quote the data: it may hold secrets.
void CheckUserData(Violations& v, const std::string& data) {
  if (data.empty()) return;
  if (data.size() > kMaxUserDataChars) {
    v.Add("spec.user_data", absl::StrCat("must be at most ", kMaxUserDataChars,
                                         " characters once base64-encoded (16 KB)"));
  } else if (!IsBase64(data)) {
    v.Add("spec.user_data", "must be base64 (standard alphabet, padded with '=')");
  }
}

// Tencent's rule for Linux host names (Windows ones are shorter).
void CheckHostName(Violations& v, const std::string& name) {
  if (name.empty()) return;
  if (name.size() < 2 || name.size() > 60) {
    v.Add("spec.host_name", "must be 2-60 characters");
    return;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const bool separator = name[i] == '.' || name[i] == '-';
    if (!absl::ascii_isalnum(name[i]) && !separator) {
      v.Add("spec.host_name", "may contain only letters, digits, '.' and '-'");
      return;
    }
    if (separator && (i == 0 || i + 1 == name.size() || name[i - 1] == '.' || name[i - 1] == '-')) {
      v.Add("spec.host_name", "'.' and '-' may not be first, last or next to each other");
      return;
    }
  }
}

// Tencent CAM role names.
void CheckCamRoleName(Violations& v, const std::string& name) {
  if (name.size() > 128) v.Add("spec.cam_role_name", "must be at most 128 characters");
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("+=,.@_-", c)) {
      v.Add("spec.cam_role_name", "may contain only letters, digits and \"+=,.@_-\"");
      return;
    }
  }
}

// One address per instance, distinct, in dotted IPv4 form.
void CheckPrivateIps(Violations& v, const google::protobuf::RepeatedPtrField<std::string>& ips,
                     int count) {
  if (ips.empty()) return;
  const std::string field = "spec.network.private_ip_addresses";
  if (ips.size() > kMaxPrivateIpAddresses) {
    v.Add(field, absl::StrCat("at most ", kMaxPrivateIpAddresses, " allowed"));
  } else if (ips.size() != count) {
    v.Add(field, absl::StrCat("must hold one address per instance: ", ips.size(),
                              " for instance_count ", count));
  }
  std::set<std::string> seen;
  for (int i = 0; i < ips.size(); ++i) {
    in_addr address;
    const std::string item = absl::StrCat(field, "[", i, "]");
    if (inet_pton(AF_INET, ips[i].c_str(), &address) != 1) {
      v.Add(item, "must be an IPv4 address such as 10.0.1.8");
    } else if (!seen.insert(ips[i]).second) {
      v.Add(item, "is a duplicate");
    }
  }
}

}  // namespace

bool IsBase64(const std::string& text) {
  std::string decoded;
  // Base64Unescape also takes unpadded text; the round trip asks for padding.
  return absl::Base64Unescape(text, &decoded) && absl::Base64Escape(decoded) == text;
}

void CheckTypeAndImage(Violations& v, const InstanceSpec& spec) {
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string&>{"spec.instance_type", spec.instance_type()},
        {"spec.image_id", spec.image_id()}}) {
    if (value.empty() && !spec.has_launch_template()) {
      v.Add(field, "is required unless spec.launch_template is set");
    } else {
      CheckId(v, field, value, /*required=*/false);
    }
  }
  if (!spec.has_launch_template()) return;
  CheckId(v, "spec.launch_template.launch_template_id", spec.launch_template().launch_template_id(),
          /*required=*/true);
  if (spec.launch_template().launch_template_version() < 0) {
    v.Add("spec.launch_template.launch_template_version", "must not be negative");
  }
}

void CheckDiskOptions(Violations& v, const std::string& field, const Disk& disk, bool data_disk) {
  if (!data_disk) {
    if (disk.encrypt()) v.Add(field + ".encrypt", "applies to data disks only");
    if (!disk.kms_key_id().empty()) v.Add(field + ".kms_key_id", "applies to data disks only");
    if (disk.has_delete_with_instance()) {
      v.Add(field + ".delete_with_instance", "applies to data disks only");
    }
    return;
  }
  if (CheckId(v, field + ".kms_key_id", disk.kms_key_id(), /*required=*/false) && !disk.encrypt()) {
    v.Add(field + ".kms_key_id", "needs encrypt: true");
  }
}

void CheckBootstrap(Violations& v, const InstanceSpec& spec, int count) {
  CheckUserData(v, spec.user_data());
  CheckHostName(v, spec.host_name());
  CheckCamRoleName(v, spec.cam_role_name());
  if (spec.project_id() < 0) v.Add("spec.project_id", "must not be negative");
  CheckIdList(v, "spec.placement_group_ids", spec.placement_group_ids(), kMaxPlacementGroups);
  CheckPrivateIps(v, spec.network().private_ip_addresses(), count);
}

}  // namespace cvm
