#include "service/request_validation.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/money.h"
#include "common/status_details.h"
#include "service/bootstrap_validation.h"
#include "service/field_checks.h"

namespace cvm {
namespace {

using provisioning::v1::Disk;
using provisioning::v1::InstanceSpec;
using provisioning::v1::InternetAccess;
using provisioning::v1::Order;

bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    int extra = -1;  // continuation bytes after the lead byte
    if (c < 0x80) {
      extra = 0;
    } else if ((c >> 5) == 0x6) {
      extra = 1;
    } else if ((c >> 4) == 0xe) {
      extra = 2;
    } else if ((c >> 3) == 0x1e) {
      extra = 3;
    }
    if (extra < 0 || s.size() - i <= static_cast<size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += extra + 1;
  }
  return true;
}

// Display text: 0-max UTF-8 characters without control characters.
void CheckText(Violations& v, const std::string& field, const std::string& value,
               size_t max) {
  if (!IsValidUtf8(value)) {
    v.Add(field, "must be valid UTF-8");
    return;
  }
  size_t chars = 0;
  for (unsigned char c : value) {
    if ((c >> 6) != 2) ++chars;
    if (c < 0x20 || c == 0x7f) {
      v.Add(field, "must not contain control characters");
      return;
    }
  }
  if (chars > max) v.Add(field, absl::StrCat("must be at most ", max, " characters"));
}

void CheckDisk(Violations& v, const std::string& field, const Disk& disk,
               int min_gb, int max_gb, bool data_disk) {
  if (!Disk::Type_IsValid(disk.type())) {
    v.Add(field + ".type", "unknown disk type");
  }
  if (disk.size_gb() < min_gb || disk.size_gb() > max_gb) {
    v.Add(field + ".size_gb",
          absl::StrCat("must be between ", min_gb, " and ", max_gb, " GB"));
  }
  CheckDiskOptions(v, field, disk, data_disk);
}

void CheckInternet(Violations& v, const InstanceSpec& spec) {
  if (!spec.has_internet()) return;
  const InternetAccess& net = spec.internet();
  if (!InternetAccess::ChargeType_IsValid(net.charge_type())) {
    v.Add("spec.internet.charge_type", "unknown charge type");
  }
  if (!net.public_ip()) {
    if (net.max_bandwidth_out_mbps() != 0) {
      v.Add("spec.internet.max_bandwidth_out_mbps",
            "must be 0 unless spec.internet.public_ip is true");
    }
    return;
  }
  if (net.max_bandwidth_out_mbps() < 1 || net.max_bandwidth_out_mbps() > 1000) {
    v.Add("spec.internet.max_bandwidth_out_mbps", "must be between 1 and 1000 Mbps");
  }
  if (net.charge_type() == InternetAccess::CHARGE_TYPE_UNSPECIFIED) {
    v.Add("spec.internet.charge_type", "is required when public_ip is true");
  } else if (net.charge_type() == InternetAccess::BANDWIDTH_PREPAID &&
             !spec.has_prepaid()) {
    v.Add("spec.internet.charge_type", "BANDWIDTH_PREPAID needs prepaid billing");
  }
}

// A spot max price at `field`: a decimal above 0.
void CheckMaxPrice(Violations& v, const std::string& field, const std::string& max_price) {
  absl::StatusOr<int64_t> price = ParseMoneyMicros(max_price);
  if (!price.ok()) {
    v.Add(field, std::string(price.status().message()));
  } else if (*price == 0) {
    v.Add(field, "must be greater than 0");
  }
}

void CheckBilling(Violations& v, const InstanceSpec& spec) {
  switch (spec.billing_case()) {
    case InstanceSpec::BILLING_NOT_SET:
      v.Add("spec.billing",
            "is required: set one of pay_as_you_go, spot or prepaid");
      break;
    case InstanceSpec::kPayAsYouGo:
      break;
    case InstanceSpec::kSpot:
      CheckMaxPrice(v, "spec.spot.max_price_per_hour", spec.spot().max_price_per_hour());
      break;
    case InstanceSpec::kPrepaid: {
      const int months = spec.prepaid().period_months();
      const bool ok = (months >= 1 && months <= 12) || months == 24 ||
                      months == 36 || months == 48 || months == 60;
      if (!ok) {
        v.Add("spec.prepaid.period_months", "must be 1-12, 24, 36, 48 or 60");
      }
      break;
    }
  }
}

void CheckTags(Violations& v, const InstanceSpec& spec) {
  if (spec.tags_size() > 40) v.Add("spec.tags", "at most 40 tags allowed");
  std::set<std::string> keys;
  for (int i = 0; i < spec.tags_size(); ++i) {
    const std::string field = absl::StrCat("spec.tags[", i, "]");
    const std::string& key = spec.tags(i).key();
    if (key.empty()) {
      v.Add(field + ".key", "is required");
    } else if (absl::StartsWith(key, kReservedTagPrefix)) {
      v.Add(field + ".key", absl::StrCat("the prefix \"", kReservedTagPrefix,
                                         "\" is reserved for the service"));
    } else if (!keys.insert(key).second) {
      v.Add(field + ".key", "is a duplicate");
    }
    CheckText(v, field + ".key", key, 127);
    CheckText(v, field + ".value", spec.tags(i).value(), 255);
  }
}

void CheckSpec(Violations& v, const InstanceSpec& spec, bool present, int count) {
  if (!present) {
    v.Add("spec", "is required");
    return;
  }
  const bool region_ok = CheckId(v, "spec.region", spec.region(), /*required=*/true);
  const bool zone_ok = CheckId(v, "spec.zone", spec.zone(), /*required=*/true);
  if (region_ok && zone_ok && !absl::StartsWith(spec.zone(), spec.region() + "-")) {
    v.Add("spec.zone", absl::StrCat("zone \"", spec.zone(),
                                    "\" is not in region \"", spec.region(), "\""));
  }
  CheckTypeAndImage(v, spec);
  if (spec.has_system_disk()) {
    CheckDisk(v, "spec.system_disk", spec.system_disk(), 20, 1024, /*data_disk=*/false);
  }
  if (spec.data_disks_size() > 20) v.Add("spec.data_disks", "at most 20 data disks");
  for (int i = 0; i < spec.data_disks_size(); ++i) {
    CheckDisk(v, absl::StrCat("spec.data_disks[", i, "]"), spec.data_disks(i), 10,
              32000, /*data_disk=*/true);
  }
  if (spec.has_network()) {
    CheckId(v, "spec.network.vpc_id", spec.network().vpc_id(), /*required=*/true);
    CheckId(v, "spec.network.subnet_id", spec.network().subnet_id(),
            /*required=*/true);
  }
  CheckInternet(v, spec);
  CheckText(v, "spec.instance_name", spec.instance_name(), 60);
  CheckTags(v, spec);
  CheckIdList(v, "spec.security_group_ids", spec.security_group_ids(), 5);
  CheckIdList(v, "spec.login_key_ids", spec.login_key_ids(), 5);
  CheckBootstrap(v, spec, count);
  CheckBilling(v, spec);
}

void CheckCount(Violations& v, int count) {
  if (count < 1 || count > kMaxInstancesPerOrder) {
    v.Add("instance_count",
          absl::StrCat("must be between 1 and ", kMaxInstancesPerOrder));
  }
}

using IdCheck = std::function<void(const std::string&, const std::string&)>;

// A candidates list of at most `max` distinct valid ids, each named
// "name[i]" when bad; `extra` checks each valid one further.
void CheckCandidateIds(
    Violations& v, const std::string& name,
    const google::protobuf::RepeatedPtrField<std::string>& values, int max,
    const IdCheck& extra = [](const std::string&, const std::string&) {}) {
  if (values.size() > max) v.Add(name, absl::StrCat("at most ", max, " entries"));
  std::set<std::string> seen;
  for (int i = 0; i < values.size(); ++i) {
    const std::string field = absl::StrCat(name, "[", i, "]");
    if (!CheckId(v, field, values[i], /*required=*/true)) continue;
    if (!seen.insert(values[i]).second) v.Add(field, "is listed twice");
    extra(field, values[i]);
  }
}

// Candidates.requirements: bounds not negative, min not above max, families
// allowed or excluded but not both, a known GPU requirement.
void CheckRequirements(Violations& v, const provisioning::v1::InstanceRequirements& r) {
  const std::string name = "candidates.requirements.";
  auto range = [&v, &name](const char* min_field, int min, const char* max_field, int max) {
    if (min < 0) v.Add(name + min_field, "must not be negative");
    if (max < 0) v.Add(name + max_field, "must not be negative (0: no bound)");
    if (min > 0 && max > 0 && min > max) {
      v.Add(name + max_field, absl::StrCat("must be at least ", min_field, " (", min, ")"));
    }
  };
  range("min_cpu", r.min_cpu(), "max_cpu", r.max_cpu());
  range("min_memory_gb", r.min_memory_gb(), "max_memory_gb", r.max_memory_gb());
  CheckCandidateIds(v, name + "families", r.families(), 20);
  const std::set<std::string> allowed(r.families().begin(), r.families().end());
  CheckCandidateIds(v, name + "excluded_families", r.excluded_families(), 20,
                    [&v, &allowed](const std::string& field, const std::string& family) {
                      if (allowed.count(family) > 0) {
                        v.Add(field,
                              absl::StrCat("family \"", family,
                                           "\" is also in candidates.requirements.families"));
                      }
                    });
  if (!provisioning::v1::InstanceRequirements::GpuRequirement_IsValid(r.gpu())) {
    v.Add(name + "gpu", "unknown GPU requirement");
  }
}

// The candidates of a Quote or a Purchase: bounded lists of ids, zones of
// spec.region (or all_zones), no repeats, sound requirements, billings that
// are pay-as-you-go or spot with a valid max price.
void CheckCandidates(Violations& v, const InstanceSpec& spec,
                     const provisioning::v1::Candidates& c) {
  const std::string region = spec.region();
  CheckCandidateIds(
      v, "candidates.zones", c.zones(), 10,
      [&v, &region](const std::string& f, const std::string& z) {
        if (!absl::StartsWith(z, region + "-")) {
          v.Add(f, absl::StrCat("zone \"", z, "\" is not in spec.region \"", region, "\""));
        }
      });
  if (c.all_zones() && !c.zones().empty()) {
    v.Add("candidates.all_zones", "cannot be combined with candidates.zones");
  }
  CheckCandidateIds(v, "candidates.instance_types", c.instance_types(), 20);
  if (c.has_requirements()) {
    CheckRequirements(v, c.requirements());
    if (spec.has_launch_template()) {
      v.Add("candidates.requirements", "cannot be combined with spec.launch_template");
    }
  }
  if (c.billing_size() > 4) v.Add("candidates.billing", "at most 4 entries");
  for (int i = 0; i < c.billing_size(); ++i) {
    const std::string field = absl::StrCat("candidates.billing[", i, "]");
    if (c.billing(i).has_spot()) {
      CheckMaxPrice(v, field + ".spot.max_price_per_hour", c.billing(i).spot().max_price_per_hour());
    } else if (!c.billing(i).has_pay_as_you_go()) {
      v.Add(field, "is required: set one of pay_as_you_go or spot");
    }
  }
  if (c.billing().empty() && spec.has_prepaid()) {
    v.Add("candidates.billing", "prepaid is not a candidate billing: name pay_as_you_go or spot");
  }
  if (!provisioning::v1::Candidates::Strategy_IsValid(c.strategy())) {
    v.Add("candidates.strategy", "unknown strategy");
  }
}

}  // namespace

absl::Status ValidatePurchaseRequest(const provisioning::v1::PurchaseRequest& request) {
  Violations v;
  CheckId(v, "request_id", request.request_id(), /*required=*/true);
  CheckSpec(v, request.spec(), request.has_spec(), request.instance_count());
  CheckCount(v, request.instance_count());
  if (request.has_candidates()) {
    CheckCandidates(v, request.spec(), request.candidates());
    if (request.spec().has_launch_template()) {
      v.Add("candidates", "cannot be combined with spec.launch_template");
    }
  }
  return v.Status();
}

absl::Status ValidateQuoteRequest(const provisioning::v1::QuoteRequest& request) {
  Violations v;
  CheckSpec(v, request.spec(), request.has_spec(), request.instance_count());
  CheckCount(v, request.instance_count());
  if (request.has_candidates()) CheckCandidates(v, request.spec(), request.candidates());
  return v.Status();
}

absl::Status ValidateDescribeRequest(const provisioning::v1::DescribeRequest& request) {
  Violations v;
  CheckIdList(v, "order_ids", request.order_ids(), kMaxIdsPerDescribe);
  CheckIdList(v, "instance_ids", request.instance_ids(), kMaxIdsPerDescribe);
  const bool by_id = !request.order_ids().empty() || !request.instance_ids().empty();
  if (!request.order_ids().empty() && !request.instance_ids().empty()) {
    v.Add("instance_ids", "cannot be combined with order_ids");
  }
  for (int i = 0; i < request.states_size(); ++i) {
    const auto state = static_cast<Order::State>(request.states(i));
    if (!Order::State_IsValid(state) || state == Order::STATE_UNSPECIFIED) {
      v.Add(absl::StrCat("states[", i, "]"), "unknown order state");
    }
  }
  CheckId(v, "region", request.region(), /*required=*/false);
  if (by_id && (request.states_size() > 0 || !request.region().empty())) {
    v.Add(request.states_size() > 0 ? "states" : "region",
          "filters apply only to listing, not to lookups by id");
  }
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    v.Add("page_size", absl::StrCat("must be between 0 and ", kMaxPageSize));
  }
  return v.Status();
}

absl::Status ValidateWatchRequest(const provisioning::v1::WatchRequest& request) {
  Violations v;
  CheckId(v, "order_id", request.order_id(), /*required=*/false);
  if (request.start_revision() < 0) v.Add("start_revision", "must not be negative");
  return v.Status();
}

absl::Status ValidateTerminateRequest(
    const provisioning::v1::TerminateRequest& request) {
  Violations v;
  CheckId(v, "order_id", request.order_id(), /*required=*/true);
  return v.Status();
}

absl::Status ValidateInstanceIdField(const std::string& instance_id) {
  Violations v;
  CheckId(v, "instance_id", instance_id, /*required=*/true);
  return v.Status();
}

}  // namespace cvm
