#include "backends/tencentcloud/tencent_backend.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "backends/tencentcloud/response_parsing.h"
#include "common/money.h"
#include "common/status_details.h"
#include "common/status_macros.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::v1::Disk;
using provisioning::v1::Instance;
using provisioning::v1::InstanceSpec;
using provisioning::v1::InternetAccess;

const char* ChargeType(const InstanceSpec& spec) {
  if (spec.has_spot()) return "SPOTPAID";
  if (spec.has_prepaid()) return "PREPAID";
  return "POSTPAID_BY_HOUR";
}

const char* DiskType(Disk::Type type) {
  switch (type) {
    case Disk::CLOUD_SSD: return "CLOUD_SSD";
    case Disk::CLOUD_BSSD: return "CLOUD_BSSD";
    case Disk::CLOUD_HSSD: return "CLOUD_HSSD";
    default: return "CLOUD_PREMIUM";
  }
}

const char* InternetChargeType(InternetAccess::ChargeType type) {
  switch (type) {
    case InternetAccess::BANDWIDTH_POSTPAID_BY_HOUR: return "BANDWIDTH_POSTPAID_BY_HOUR";
    case InternetAccess::BANDWIDTH_PREPAID: return "BANDWIDTH_PREPAID";
    default: return "TRAFFIC_POSTPAID_BY_HOUR";
  }
}

// The node-bootstrap fields (docs/node-bootstrap.md), under the names of
// the official SDK's RunInstancesRequest (cvm_models.d.ts).
void AddBootstrapParams(const InstanceSpec& spec, Json& params) {
  if (spec.project_id() != 0) params["Placement"]["ProjectId"] = spec.project_id();
  if (!spec.host_name().empty()) params["HostName"] = spec.host_name();
  if (!spec.cam_role_name().empty()) params["CamRoleName"] = spec.cam_role_name();
  if (!spec.placement_group_ids().empty()) {
    params["DisasterRecoverGroupIds"] = std::vector<std::string>(spec.placement_group_ids().begin(),
                                                                 spec.placement_group_ids().end());
  }
  if (!spec.user_data().empty()) params["UserData"] = spec.user_data();
  if (spec.has_launch_template()) {
    Json& launch_template = params["LaunchTemplate"];
    launch_template["LaunchTemplateId"] = spec.launch_template().launch_template_id();
    if (spec.launch_template().launch_template_version() != 0) {
      launch_template["LaunchTemplateVersion"] = spec.launch_template().launch_template_version();
    }
  }
}

}  // namespace

Json InquiryPriceParams(const InstanceSpec& spec, int count) {
  Json params = RunInstancesParams(spec, count);
  // InquiryPriceRunInstancesRequest has none of these (cvm_models.d.ts), and
  // the user data stays out of a call that does not need it.
  for (const char* name : {"UserData", "CamRoleName", "DisasterRecoverGroupIds"}) {
    params.erase(name);
  }
  return params;
}

Json RunInstancesParams(const InstanceSpec& spec, int count) {
  Json params = {{"Placement", {{"Zone", spec.zone()}}},
                 {"InstanceChargeType", ChargeType(spec)},
                 {"InstanceCount", count}};
  // Without them a launch template supplies them (validation saw to it).
  if (!spec.instance_type().empty()) params["InstanceType"] = spec.instance_type();
  if (!spec.image_id().empty()) params["ImageId"] = spec.image_id();
  if (spec.has_system_disk()) {
    params["SystemDisk"] = {{"DiskType", DiskType(spec.system_disk().type())},
                            {"DiskSize", spec.system_disk().size_gb()}};
  }
  for (const Disk& disk : spec.data_disks()) {
    Json data_disk = {{"DiskType", DiskType(disk.type())}, {"DiskSize", disk.size_gb()}};
    if (disk.encrypt()) data_disk["Encrypt"] = true;
    if (!disk.kms_key_id().empty()) data_disk["KmsKeyId"] = disk.kms_key_id();
    if (disk.has_delete_with_instance()) {
      data_disk["DeleteWithInstance"] = disk.delete_with_instance();
    }
    params["DataDisks"].push_back(std::move(data_disk));
  }
  if (spec.has_network()) {
    params["VirtualPrivateCloud"] = {{"VpcId", spec.network().vpc_id()},
                                     {"SubnetId", spec.network().subnet_id()}};
    const auto& ips = spec.network().private_ip_addresses();
    if (!ips.empty()) {
      params["VirtualPrivateCloud"]["PrivateIpAddresses"] =
          std::vector<std::string>(ips.begin(), ips.end());
    }
  }
  AddBootstrapParams(spec, params);
  if (spec.internet().public_ip()) {
    params["InternetAccessible"] = {
        {"PublicIpAssigned", true},
        {"InternetMaxBandwidthOut", spec.internet().max_bandwidth_out_mbps()},
        {"InternetChargeType", InternetChargeType(spec.internet().charge_type())}};
  }
  if (!spec.instance_name().empty()) params["InstanceName"] = spec.instance_name();
  if (!spec.security_group_ids().empty()) {
    params["SecurityGroupIds"] = std::vector<std::string>(spec.security_group_ids().begin(),
                                                          spec.security_group_ids().end());
  }
  if (!spec.login_key_ids().empty()) {
    params["LoginSettings"] = {{"KeyIds", std::vector<std::string>(spec.login_key_ids().begin(),
                                                                    spec.login_key_ids().end())}};
  }
  if (spec.has_spot()) {
    params["InstanceMarketOptions"] = {
        {"MarketType", "spot"},
        {"SpotOptions",
         {{"MaxPrice", spec.spot().max_price_per_hour()}, {"SpotInstanceType", "one-time"}}}};
  }
  if (spec.has_prepaid()) {
    params["InstanceChargePrepaid"] = {
        {"Period", spec.prepaid().period_months()},
        {"RenewFlag", spec.prepaid().auto_renew() ? "NOTIFY_AND_AUTO_RENEW"
                                                  : "NOTIFY_AND_MANUAL_RENEW"}};
  }
  if (!spec.tags().empty()) {
    Json tags = Json::array();
    for (const auto& tag : spec.tags()) tags.push_back({{"Key", tag.key()}, {"Value", tag.value()}});
    params["TagSpecification"] = {{{"ResourceType", "instance"}, {"Tags", tags}}};
  }
  return params;
}

absl::StatusOr<Json> TencentBackend::Cvm(const std::string& action, const std::string& region,
                                         Json params, absl::Time deadline) {
  return api_->Call(ApiCall{"cvm", kCvmVersion, action, region, std::move(params), deadline});
}

absl::StatusOr<ZoneOffer> TencentBackend::CheckOffer(const CreateRequest& request) {
  const InstanceSpec& spec = request.spec;
  ASSIGN_OR_RETURN(
      Json offers,
      Cvm("DescribeZoneInstanceConfigInfos", spec.region(),
          {{"Filters",
            {{{"Name", "zone"}, {"Values", {spec.zone()}}},
             {{"Name", "instance-type"}, {"Values", {spec.instance_type()}}},
             {{"Name", "instance-charge-type"},
              {"Values", {spec.has_spot() ? "SPOTPAID" : "POSTPAID_BY_HOUR"}}}}}},
          request.deadline));
  ASSIGN_OR_RETURN(const ZoneOffer offer, ParseZoneOffer(offers));
  if (!offer.sells) {
    return PreconditionFailed("ZONE_SOLD_OUT", spec.zone(),
                              absl::StrCat(spec.zone(), " sells no ", spec.instance_type()));
  }
  if (offer.instance_quota.has_value() && *offer.instance_quota < request.count) {
    return WithReason(
        PreconditionFailed("INSUFFICIENT_STOCK", spec.instance_type(),
                           absl::StrCat(*offer.instance_quota, " left in ", spec.zone(), ", ",
                                        request.count, " requested")),
        "INSUFFICIENT_STOCK", {{kStockLeftKey, absl::StrCat(*offer.instance_quota)}});
  }
  if (spec.has_spot()) {
    absl::StatusOr<int64_t> max = ParseMoneyMicros(spec.spot().max_price_per_hour());
    if (max.ok() && *max < offer.unit_price_micros) {
      return WithReason(
          PreconditionFailed("SPOT_PRICE_TOO_LOW", spec.instance_type(),
                             absl::StrCat("max price ", spec.spot().max_price_per_hour(),
                                          " is below the market price ",
                                          FormatMoneyMicros(offer.unit_price_micros))),
          "SPOT_PRICE_TOO_LOW", {{kMarketPriceKey, FormatMoneyMicros(offer.unit_price_micros)}});
    }
  }
  return offer;
}

absl::Status TencentBackend::Preflight(const CreateRequest& request) {
  const InstanceSpec& spec = request.spec;
  // A launch template without instance_type: the type is the template's,
  // which only the purchase reads, so stock and spot price are the cloud's
  // to check and the cost is quoted (InquiryPriceRunInstances).
  std::optional<ZoneOffer> offer;
  if (!spec.instance_type().empty()) {
    ASSIGN_OR_RETURN(offer, CheckOffer(request));
  }

  ASSIGN_OR_RETURN(Json quota, Cvm("DescribeAccountQuota", spec.region(),
                                   {{"Filters", {{{"Name", "zone"}, {"Values", {spec.zone()}}}}}},
                                   request.deadline));
  ASSIGN_OR_RETURN(
      const std::optional<int> remaining,
      ParseRemainingQuota(quota, spec.has_spot() ? "SpotPaidQuotaSet" : "PostPaidQuotaSet",
                          spec.zone()));
  // Spot quota counts vCPUs: unknown without the type.
  const std::optional<int> needed = !spec.has_spot() ? std::optional<int>(request.count)
                                    : offer ? std::optional<int>(request.count * offer->cpu)
                                            : std::nullopt;
  if (!spec.has_prepaid() && remaining.has_value() && needed.has_value() && *remaining < *needed) {
    return QuotaExceeded(
        absl::StrCat(spec.has_spot() ? "spot vCPUs" : "instances", " in ", spec.zone()),
        absl::StrCat(*remaining, " remaining, ", *needed, " needed"));
  }

  // About one hour of a pay-as-you-go or spot order, or a whole prepaid one.
  int64_t cost_micros = offer ? offer->unit_price_micros * request.count : 0;
  if (spec.has_prepaid() || !offer) {
    ASSIGN_OR_RETURN(provisioning::v1::Quote quote, Quote(spec, request.count, request.deadline));
    cost_micros = ParseMoneyMicros(spec.has_prepaid() ? quote.total_price_prepaid()
                                                      : quote.total_price_per_hour())
                      .value_or(0);
  }
  ASSIGN_OR_RETURN(Json balance,
                   api_->Call(ApiCall{"billing", kBillingVersion, "DescribeAccountBalance", "",
                                      Json::object(), request.deadline}));
  ASSIGN_OR_RETURN(const int64_t balance_micros, ParseBalanceMicros(balance));
  if (balance_micros < cost_micros) {
    return PreconditionFailed(
        "INSUFFICIENT_BALANCE", "account",
        absl::StrCat("balance ", FormatMoneyMicros(balance_micros), " does not cover ",
                     FormatMoneyMicros(cost_micros),
                     spec.has_prepaid() ? " (the prepaid order)" : " (about one hour)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> TencentBackend::Create(const CreateRequest& request) {
  Json params = RunInstancesParams(request.spec, request.count);
  params["ClientToken"] = request.client_token;
  ASSIGN_OR_RETURN(Json result, Cvm("RunInstances", request.spec.region(), std::move(params)));
  ASSIGN_OR_RETURN(std::vector<std::string> ids, ParseInstanceIdSet(result));
  if (static_cast<int>(ids.size()) != request.count) {
    return absl::UnavailableError(absl::StrFormat(
        "RunInstances returned %d instance ids for %d instances", ids.size(), request.count));
  }
  return ids;
}

absl::StatusOr<std::vector<InstanceStatus>> TencentBackend::Describe(
    const std::string& region, absl::Span<const std::string> instance_ids) {
  if (instance_ids.size() > kMaxDescribeBatch) {
    return InvalidFields({{"instance_ids", absl::StrCat("at most ", kMaxDescribeBatch)}});
  }
  if (instance_ids.empty()) return std::vector<InstanceStatus>();
  ASSIGN_OR_RETURN(Json answer,
                   Cvm("DescribeInstances", region,
                       {{"InstanceIds", std::vector<std::string>(instance_ids.begin(),
                                                                 instance_ids.end())},
                        {"Limit", kMaxDescribeBatch}}));
  return ParseInstanceStatuses(answer, instance_ids);
}

absl::StatusOr<std::vector<std::string>> TencentBackend::FindByOrder(
    const std::string& region, const std::string& order_id) {
  ASSIGN_OR_RETURN(
      Json answer,
      Cvm("DescribeInstances", region,
          {{"Filters",
            {{{"Name", absl::StrCat("tag:", kOrderTagKey)}, {"Values", {order_id}}}}},
           {"Limit", kMaxDescribeBatch}}));
  return ParseLiveInstanceIds(answer);
}

absl::StatusOr<std::vector<TaggedInstance>> TencentBackend::ListTagged(
    const std::string& region) {
  std::vector<TaggedInstance> tagged;
  // Pages of 100 (DescribeInstances' maximum) until TotalCount is reached.
  for (int offset = 0;; offset += kMaxDescribeBatch) {
    ASSIGN_OR_RETURN(
        Json answer,
        Cvm("DescribeInstances", region,
            {{"Filters", {{{"Name", "tag-key"}, {"Values", {kOrderTagKey}}}}},
             {"Offset", offset},
             {"Limit", kMaxDescribeBatch}}));
    ASSIGN_OR_RETURN(TaggedPage page, ParseTaggedPage(answer));
    tagged.insert(tagged.end(), page.tagged.begin(), page.tagged.end());
    if (page.listed == 0 || offset + kMaxDescribeBatch >= page.total_count) break;
  }
  return tagged;
}

absl::Status TencentBackend::Terminate(const std::string& region,
                                       absl::Span<const std::string> instance_ids,
                                       absl::Time deadline) {
  if (instance_ids.empty()) return absl::OkStatus();
  if (instance_ids.size() > kMaxDescribeBatch) {
    return InvalidFields({{"instance_ids", absl::StrCat("at most ", kMaxDescribeBatch)}});
  }
  std::vector<std::string> ids(instance_ids.begin(), instance_ids.end());
  // Never repeated blindly (backend.h rule 8). Only a "some are gone"
  // refusal (Tencent executed nothing) is followed by a second call, for
  // what the cloud says is left. A lost answer is returned as UNAVAILABLE:
  // the first request may still be running, so a repeat now could destroy
  // what it returns; callers retry later, after a Describe.
  absl::Status last = Cvm("TerminateInstances", region, {{"InstanceIds", ids}}, deadline).status();
  if (last.code() != absl::StatusCode::kNotFound) return last;
  ASSIGN_OR_RETURN(ids, StillToRelease(region, ids));
  if (ids.empty()) return absl::OkStatus();
  return Cvm("TerminateInstances", region, {{"InstanceIds", ids}}, deadline).status();
}

absl::StatusOr<std::vector<std::string>> TencentBackend::StillToRelease(
    const std::string& region, const std::vector<std::string>& ids) {
  ASSIGN_OR_RETURN(std::vector<InstanceStatus> statuses, Describe(region, ids));
  std::vector<std::string> left;
  for (const InstanceStatus& status : statuses) {
    if (cvm::StillToRelease(status)) left.push_back(status.instance_id);
  }
  return left;
}

absl::Status TencentBackend::Stop(const std::string& region,
                                  absl::Span<const std::string> instance_ids, bool stop_charging,
                                  absl::Time deadline) {
  return ChangePower(
      false, region, instance_ids,
      {{"StopType", "SOFT_FIRST"}, {"StoppedMode", stop_charging ? "STOP_CHARGING" : "KEEP_CHARGING"}},
      deadline);
}

absl::Status TencentBackend::Start(const std::string& region,
                                   absl::Span<const std::string> instance_ids,
                                   absl::Time deadline) {
  return ChangePower(true, region, instance_ids, Json::object(), deadline);
}

absl::Status TencentBackend::ChangePower(bool start, const std::string& region,
                                         absl::Span<const std::string> instance_ids, Json params,
                                         absl::Time deadline) {
  if (instance_ids.empty()) return absl::OkStatus();
  if (instance_ids.size() > kMaxDescribeBatch) {
    return InvalidFields({{"instance_ids", absl::StrCat("at most ", kMaxDescribeBatch)}});
  }
  const char* action = start ? "StartInstances" : "StopInstances";
  const std::vector<std::string> ids(instance_ids.begin(), instance_ids.end());
  params["InstanceIds"] = ids;
  absl::Status refused = Cvm(action, region, params, deadline).status();
  if (ErrorReason(refused) != "INSTANCE_STATE") return refused;
  // Tencent executed nothing. Some may already be where the action takes
  // them (a repeat after a lost answer): ask again for the others only.
  ASSIGN_OR_RETURN(std::vector<InstanceStatus> statuses, Describe(region, ids));
  std::vector<std::string> left;
  for (const InstanceStatus& status : statuses) {
    const bool there = start ? status.state == Instance::RUNNING || status.state == Instance::PENDING
                             : status.state == Instance::STOPPED;
    if (!there) left.push_back(status.instance_id);
  }
  if (left.empty()) return absl::OkStatus();
  if (left.size() == ids.size()) return refused;  // none was: the refusal stands
  params["InstanceIds"] = left;
  return Cvm(action, region, std::move(params), deadline).status();
}

absl::StatusOr<provisioning::v1::Quote> TencentBackend::Quote(const InstanceSpec& spec, int count,
                                                              absl::Time deadline) {
  ASSIGN_OR_RETURN(Json answer, Cvm("InquiryPriceRunInstances", spec.region(),
                                    InquiryPriceParams(spec, count), deadline));
  return ParseQuote(answer, spec.has_prepaid(), count, currency_);
}

absl::StatusOr<AccountBalance> TencentBackend::Balance() {
  ASSIGN_OR_RETURN(Json answer, api_->Call(ApiCall{"billing", kBillingVersion,
                                                   "DescribeAccountBalance", "", Json::object()}));
  AccountBalance balance;
  // The answer names no currency: the account's, from the configuration.
  balance.currency = currency_;
  ASSIGN_OR_RETURN(balance.micros, ParseBalanceMicros(answer));
  return balance;
}

absl::StatusOr<CellOffers> TencentBackend::Offers(const std::string& region,
                                                 absl::Span<const std::string> zones,
                                                 absl::Span<const std::string> instance_types,
                                                 absl::Time deadline) {
  // Two calls for the whole matrix: stock and prices of every cell, then the
  // account's quota in every zone. An empty list is no filter: every zone of
  // the region, every type of the catalogue.
  auto filter = [](const char* name, absl::Span<const std::string> values) {
    return Json{{"Name", name}, {"Values", std::vector<std::string>(values.begin(), values.end())}};
  };
  Json configs_filters =
      Json::array({filter("instance-charge-type", {"POSTPAID_BY_HOUR", "SPOTPAID"})});
  Json quota_params = Json::object();
  if (!zones.empty()) {
    configs_filters.push_back(filter("zone", zones));
    quota_params["Filters"] = Json::array({filter("zone", zones)});
  }
  if (!instance_types.empty()) configs_filters.push_back(filter("instance-type", instance_types));
  ASSIGN_OR_RETURN(Json answer, Cvm("DescribeZoneInstanceConfigInfos", region,
                                    {{"Filters", configs_filters}}, deadline));
  CellOffers offers;
  offers.currency = currency_;
  ASSIGN_OR_RETURN(offers.cells, ParseCellOffers(answer));
  ASSIGN_OR_RETURN(Json quota, Cvm("DescribeAccountQuota", region, quota_params, deadline));
  for (CellOffer& cell : offers.cells) {
    ASSIGN_OR_RETURN(cell.quota_headroom,
                     ParseRemainingQuota(quota, cell.spot ? "SpotPaidQuotaSet" : "PostPaidQuotaSet",
                                         cell.zone));
  }
  return offers;
}

}  // namespace cvm::tencentcloud
