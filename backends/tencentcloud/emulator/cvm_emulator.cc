#include "backends/tencentcloud/emulator/cvm_emulator.h"

#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/money.h"
#include "common/proto_time.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::tencentcloud::emulator::v1::Account;

// How long a terminated instance shows TERMINATING before it vanishes.
constexpr absl::Duration kTerminatingFor = absl::Seconds(2);

std::string IsoTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace


Json ApiError(const std::string& code, const std::string& message) {
  return Json{{"Error", {{"Code", code}, {"Message", message}}}};
}

absl::StatusOr<std::unique_ptr<CvmEmulator>> CvmEmulator::Create(const EmulatorConfig& config,
                                                                 Clock* clock) {
  if (config.accounts().empty() || config.zones().empty()) {
    return absl::InvalidArgumentError("emulator config needs accounts and zones");
  }
  for (const auto& [field, price] :
       {std::pair<const char*, std::string>{"bandwidth_price_per_mbps_hour",
                                            config.bandwidth_price_per_mbps_hour()},
        {"traffic_price_per_gb", config.traffic_price_per_gb()}}) {
    if (!price.empty() && !ParseMoneyMicros(price).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": bad price \"", price, "\""));
    }
  }
  for (const auto& zone : config.zones()) {
    for (const auto& type : zone.types()) {
      for (const std::string& price : {type.price_per_hour(), type.spot_price_per_hour()}) {
        if (!ParseMoneyMicros(price).ok()) {
          return absl::InvalidArgumentError(absl::StrCat("zones ", zone.zone(), " type ",
                                                         type.instance_type(), ": bad price \"",
                                                         price, "\""));
        }
      }
    }
  }
  return std::unique_ptr<CvmEmulator>(new CvmEmulator(config, clock));
}

CvmEmulator::CvmEmulator(const EmulatorConfig& config, Clock* clock)
    : config_(config),
      clock_(clock),
      pending_(
          DurationOr(config.pending_duration(), config.has_pending_duration(), absl::Seconds(5))),
      ip_delay_(
          DurationOr(config.public_ip_delay(), config.has_public_ip_delay(), absl::Seconds(5))),
      arrears_shutdown_delay_(DurationOr(config.arrears_shutdown_delay(),
                                         config.has_arrears_shutdown_delay(), absl::Hours(2))),
      isolated_release_delay_(DurationOr(config.isolated_release_delay(),
                                         config.has_isolated_release_delay(),
                                         absl::Hours(15 * 24))),
      spot_notice_(DurationOr(config.spot_reclaim_notice(), config.has_spot_reclaim_notice(),
                              absl::Minutes(2))),
      spot_shutdown_for_(DurationOr(config.spot_shutdown_duration(),
                                    config.has_spot_shutdown_duration(), absl::Seconds(60))),
      returned_release_delay_(DurationOr(config.returned_release_delay(),
                                         config.has_returned_release_delay(),
                                         absl::Hours(7 * 24))),
      stop_for_(DurationOr(config.stop_duration(), config.has_stop_duration(), absl::Seconds(5))),
      start_for_(
          DurationOr(config.start_duration(), config.has_start_duration(), absl::Seconds(5))),
      // Checked in Create(); unset is free.
      bandwidth_micros_per_mbps_(ParseMoneyMicros(config.bandwidth_price_per_mbps_hour()).value_or(0)),
      traffic_micros_per_gb_(ParseMoneyMicros(config.traffic_price_per_gb()).value_or(0)) {
  absl::MutexLock lock(&mu_);
  // Settlements fall on whole hours of the clock, the first one after now.
  const absl::Time first_settlement =
      absl::FromUnixSeconds((absl::ToUnixSeconds(clock_->Now()) / 3600 + 1) * 3600);
  for (const Account& account : config_.accounts()) {
    AccountBooks& books = books_[account.secret_id()];
    books.balance_cents = account.balance_cents();
    books.next_settlement = first_settlement;
  }
  for (const auto& zone : config_.zones()) {
    for (const auto& type : zone.types()) {
      const std::string key = zone.zone() + "/" + type.instance_type();
      stock_[key] = type.stock();
      spot_micros_[key] = ParseMoneyMicros(type.spot_price_per_hour()).value_or(0);
    }
  }
}

const Account* CvmEmulator::AccountOf(const std::string& secret_id) const {
  for (const Account& account : config_.accounts()) {
    if (account.secret_id() == secret_id) return &account;
  }
  return nullptr;
}

std::string CvmEmulator::SecretKeyOf(const std::string& secret_id) const {
  const Account* account = AccountOf(secret_id);
  return account == nullptr ? "" : account->secret_key();
}

Json CvmEmulator::Handle(const std::string& secret_id, const std::string& service,
                         const std::string& action, const std::string& region, const Json& params) {
  const Account* account = AccountOf(secret_id);
  if (account == nullptr) {
    return ApiError("AuthFailure.SecretIdNotFound", "The SecretId is not found.");
  }
  absl::MutexLock lock(&mu_);
  AccountBooks& books = books_[secret_id];
  CatchUp(books, clock_->Now());
  // Parameters of the wrong type or shape surface as nlohmann::json
  // exceptions from the typed reads below: Tencent answers InvalidParameter.
  Json answer;
  try {
    answer = Dispatch(books, *account, service, action, region, params);
  } catch (const Json::exception& e) {
    answer = ApiError("InvalidParameter",
                      absl::StrCat("A parameter of ", action, " has the wrong type: ", e.what()));
  }
  try {
    LogCellCall(action, params, answer);
  } catch (const Json::exception&) {
    // Malformed filters: the answer already says so; nothing to log.
  }
  return answer;
}

void CvmEmulator::LogCellCall(const std::string& action, const Json& params, const Json& answer) {
  CellCall call;
  call.action = action;
  if (action == "RunInstances" || action == "InquiryPriceRunInstances") {
    auto text = [&params](const Json::json_pointer& at, const char* fallback) {
      const Json value = params.value(at, Json(fallback));
      return value.is_string() ? value.get<std::string>() : std::string();
    };
    call.zone = text("/Placement/Zone"_json_pointer, "");
    call.instance_type = text("/InstanceType"_json_pointer, "");
    call.charge_type = text("/InstanceChargeType"_json_pointer, "POSTPAID_BY_HOUR");
  } else if (action == "DescribeZoneInstanceConfigInfos") {
    // Only a look at one cell: filtered to one zone, one type, one billing.
    const Json zones = FilterValues(params, "zone");
    const Json types = FilterValues(params, "instance-type");
    const Json charges = FilterValues(params, "instance-charge-type");
    for (const Json* values : {&zones, &types, &charges}) {
      if (!values->is_array() || values->size() != 1 || !(*values)[0].is_string()) return;
    }
    call.zone = zones[0].get<std::string>();
    call.instance_type = types[0].get<std::string>();
    call.charge_type = charges[0].get<std::string>();
  } else {
    return;
  }
  call.unix_millis = absl::ToUnixMillis(clock_->Now());
  call.error = answer.value("/Error/Code"_json_pointer, std::string());
  cell_calls_.push_back(std::move(call));
  if (cell_calls_.size() > kMaxCellCalls) cell_calls_.pop_front();
}

Json CvmEmulator::Dispatch(AccountBooks& books, const Account& account,
                           const std::string& service, const std::string& action,
                           const std::string& region, const Json& params) {
  if (service == "billing") {
    if (action == "DescribeAccountBalance") return DescribeAccountBalance(books);
  } else if (service == "cvm") {
    if (region.empty()) return ApiError("MissingParameter", "X-TC-Region is required.");
    if (action == "RunInstances" || action == "InquiryPriceRunInstances") {
      Json error = UnknownParameter(action, params);
      if (!error.is_null()) return error;
      absl::StatusOr<Json> full = WithLaunchTemplate(params, &error);
      if (!full.ok()) return error;
      if (action == "RunInstances") return RunInstances(books, account, region, *full);
      return InquiryPrice(region, *full);
    }
    if (action == "DescribeInstances") return DescribeInstances(books, params);
    if (action == "TerminateInstances") return TerminateInstances(books, params);
    if (action == "StopInstances" || action == "StartInstances") {
      Json error = UnknownParameter(action, params);
      if (!error.is_null()) return error;
      return ChangePower(books, params, action == "StartInstances");
    }
    if (action == "DescribeAccountQuota") {
      return DescribeAccountQuota(books, account, region, params);
    }
    if (action == "DescribeZoneInstanceConfigInfos") return DescribeZoneConfigs(region, params);
  }
  return ApiError("InvalidAction", absl::StrCat("The action ", action, " of ", service,
                                                " is not supported by the emulator."));
}

Json CvmEmulator::RunInstances(AccountBooks& books, const Account& account,
                               const std::string& region, const Json& params) {
  Json error;
  absl::StatusOr<Offer> offer = FindOffer(region, params, &error);
  if (!offer.ok()) return error;
  const std::string token = params.value("ClientToken", "");
  if (token.size() > 64) {
    return ApiError("InvalidClientToken.TooLong", "ClientToken is longer than 64 characters.");
  }
  if (!token.empty()) {
    auto seen = books.tokens.find(token);
    if (seen != books.tokens.end()) return Json{{"InstanceIdSet", seen->second}};
  }
  if (!params.contains("ImageId")) return ApiError("MissingParameter", "ImageId is required.");
  const std::optional<int64_t> count = IntParam(params, "/InstanceCount"_json_pointer, 1, 1, 100);
  if (!count.has_value()) {
    return ApiError("InvalidParameterValue.InstanceCount", "InstanceCount must be 1-100.");
  }
  const std::string charge = params.value("InstanceChargeType", "POSTPAID_BY_HOUR");
  absl::StatusOr<Network> network = NetworkOf(params, charge, &error);
  if (!network.ok()) return error;
  // Everything the instances are made of, read before anything is booked.
  absl::StatusOr<Launch> launch = LaunchOf(params, 0, *count, &error);
  if (!launch.ok()) return error;
  const std::string name = params.value("InstanceName", "");
  const bool public_ip =
      params.value("/InternetAccessible/PublicIpAssigned"_json_pointer, false) || network->mbps > 0;
  Json tags = Json::array();
  for (const Json& spec : params.value("TagSpecification", Json::array())) {
    for (const Json& tag : spec.value("Tags", Json::array())) {
      if (!tag.is_object() || !tag.value("Key", Json()).is_string() ||
          !tag.value("Value", Json()).is_string()) {
        return ApiError("InvalidParameter", "Each tag needs a string Key and Value.");
      }
      tags.push_back(tag);
    }
  }
  const std::string zone = offer->zone->zone();
  int& stock = stock_[zone + "/" + offer->type->instance_type()];
  if (stock == 0 || (charge == "SPOTPAID" && offer->type->spot_sold_out())) {
    return ApiError("ResourceInsufficient.AvailabilityZoneSoldOut",
                    absl::StrCat(zone, " has no ", offer->type->instance_type(), " left",
                                 stock == 0 ? "." : " for spot."));
  }
  if (stock > 0 && stock < *count) {
    return ApiError("ResourceInsufficient.SpecifiedInstanceType",
                    absl::StrCat(stock, " ", offer->type->instance_type(), " left in ", zone,
                                 ", ", *count, " requested."));
  }
  if (charge == "SPOTPAID") {
    const std::string max =
        params.value("/InstanceMarketOptions/SpotOptions/MaxPrice"_json_pointer, "");
    absl::StatusOr<int64_t> max_micros = ParseMoneyMicros(max);
    if (!max_micros.ok() || *max_micros < HourlyMicros(*offer, "SPOTPAID")) {
      return ApiError("InvalidParameterValue.InsufficientPrice",
                      absl::StrCat("MaxPrice ", max, " is below the spot price ",
                                   offer->type->spot_price_per_hour(), "."));
    }
    if (UsedInZone(books, zone, true) + *count * offer->type->cpu() >
        account.spot_vcpu_quota_per_zone()) {
      return ApiError("LimitExceeded.SpotQuota", "Spot vCPU quota exceeded in " + zone + ".");
    }
  } else if (UsedInZone(books, zone, false) + *count > account.postpaid_quota_per_zone()) {
    return ApiError("LimitExceeded.InstanceQuota", "Instance quota exceeded in " + zone + ".");
  }
  const bool prepaid = charge == "PREPAID";
  const std::optional<int64_t> period =
      IntParam(params, "/InstanceChargePrepaid/Period"_json_pointer, 1, 1, 120);
  if (prepaid && !period.has_value()) {
    return ApiError("InvalidParameterValue.InvalidPeriod", "Period must be 1-120 months.");
  }
  const int months = static_cast<int>(period.value_or(1));
  const std::string renew_flag =
      params.value("/InstanceChargePrepaid/RenewFlag"_json_pointer, "NOTIFY_AND_MANUAL_RENEW");
  if (prepaid && renew_flag != "NOTIFY_AND_AUTO_RENEW" && renew_flag != "NOTIFY_AND_MANUAL_RENEW" &&
      renew_flag != "DISABLE_NOTIFY_AND_MANUAL_RENEW") {
    return ApiError("InvalidParameterValue", "Unknown InstanceChargePrepaid.RenewFlag " +
                                                 renew_flag + ".");
  }
  // Prepaid bandwidth is paid with the instance, hourly bandwidth accrues.
  const bool bandwidth_prepaid = network->charge_type == "BANDWIDTH_PREPAID";
  const int64_t hourly_bandwidth = bandwidth_prepaid ? 0 : network->bandwidth_micros;
  const int64_t prepaid_hourly =
      HourlyMicros(*offer, charge) + (bandwidth_prepaid ? network->bandwidth_micros : 0);
  // A pay-as-you-go purchase needs about one hour of its cost on the account.
  const int64_t hour_cents = (HourlyMicros(*offer, charge) + hourly_bandwidth) * *count / 10000;
  if (!prepaid && books.balance_cents < hour_cents) {
    return ApiError("InvalidAccount.InsufficientBalance",
                    absl::StrFormat("Balance %d cents is below one hour of the order, %d cents.",
                                    books.balance_cents, hour_cents));
  }
  const int64_t prepaid_cents =
      prepaid ? (PrepaidMicros(prepaid_hourly, static_cast<int>(*count), months) + 9999) / 10000
              : 0;
  if (books.balance_cents < prepaid_cents) {
    return ApiError("InvalidAccount.InsufficientBalance",
                    absl::StrFormat("Balance %d cents is below the prepaid order, %d cents.",
                                    books.balance_cents, prepaid_cents));
  }
  if (params.value("DryRun", false)) {
    return ApiError("DryRunOperation", "The request would have succeeded.");
  }
  // Prepaid is paid now, for the whole period.
  books.balance_cents -= prepaid_cents;
  books.charged_cents += prepaid_cents;
  std::vector<std::string> ids;
  for (int i = 0; i < *count; ++i) {
    Instance instance;
    instance.index = next_index_++;
    instance.id = absl::StrFormat("ins-%08x", instance.index);
    instance.zone = zone;
    instance.region = region;
    instance.instance_type = offer->type->instance_type();
    instance.charge_type = charge;
    instance.cpu = offer->type->cpu();
    instance.name = name;
    instance.created = clock_->Now();
    instance.accrued_until = instance.created;
    instance.offer_key = zone + "/" + offer->type->instance_type();
    instance.hourly_micros = HourlyMicros(*offer, charge);
    instance.max_price_micros =
        ParseMoneyMicros(
            params.value("/InstanceMarketOptions/SpotOptions/MaxPrice"_json_pointer, ""))
            .value_or(0);
    instance.internet_charge = network->charge_type;
    instance.mbps = network->mbps;
    instance.bandwidth_micros = hourly_bandwidth;
    if (prepaid) {
      instance.renew_flag = renew_flag;
      instance.renews = renew_flag == "NOTIFY_AND_AUTO_RENEW";
      instance.month_micros = PrepaidMicros(prepaid_hourly, 1, 1);
      instance.period_micros = PrepaidMicros(prepaid_hourly, 1, months);
      SchedulePrepaid(instance, instance.created, months);
    }
    instance.public_ip = public_ip;
    instance.tags = tags;
    // The first was checked above; the others differ only by their index.
    instance.launch = i == 0 ? *launch : *LaunchOf(params, i, *count, &error);
    ids.push_back(instance.id);
    books.instances[instance.id] = std::move(instance);
  }
  if (stock > 0) stock -= *count;
  if (!token.empty()) books.tokens[token] = ids;
  return Json{{"InstanceIdSet", ids}};
}

bool CvmEmulator::Gone(const Instance& instance) const {
  return clock_->Now() >= instance.terminated + kTerminatingFor;
}

CvmEmulator::Instance* CvmEmulator::FindInstance(const std::string& id, AccountBooks** books) {
  for (auto& [secret_id, account_books] : books_) {
    auto it = account_books.instances.find(id);
    if (it == account_books.instances.end()) continue;
    *books = &account_books;
    return &it->second;
  }
  return nullptr;
}

Json CvmEmulator::Describe(const Instance& i) const {
  const absl::Time now = clock_->Now();
  const absl::Duration age = now - i.created;
  const std::string state = StateOf(i, now);
  // An isolation shows from the shutdown on, through the release.
  const bool isolated = now >= i.shutdown && !i.isolated_source.empty();
  const std::string restrict_state = !isolated                       ? "NORMAL"
                                     : i.isolated_source == "EXPIRE" ? "EXPIRED"
                                                                     : "PROTECTIVELY_ISOLATED";
  Json public_ips = Json::array();
  if (state == "RUNNING" && i.public_ip && age >= pending_ + ip_delay_) {
    public_ips.push_back(absl::StrFormat("198.51.100.%d", i.index % 254 + 1));
  }
  Json out{
      {"InstanceId", i.id},
      {"InstanceState", state},
      {"InstanceType", i.instance_type},
      {"InstanceName", i.name},
      {"InstanceChargeType", i.charge_type},
      {"CPU", i.cpu},
      {"Placement", {{"Zone", i.zone}}},
      {"PrivateIpAddresses",
       {absl::StrFormat("10.%d.%d.%d", (i.index >> 16) & 255, (i.index >> 8) & 255,
                        i.index & 255)}},
      {"PublicIpAddresses", public_ips},
      {"RestrictState", restrict_state},
      {"IsolatedSource", isolated ? i.isolated_source : "NOTISOLATED"},
      {"CreatedTime", IsoTime(i.created)},
      {"LatestOperation", i.latest_operation},
      {"StopChargingMode", state == "STOPPED" ? i.stopped_mode : "NOT_APPLICABLE"},
      {"LatestOperationState", "SUCCESS"},
      {"Tags", i.tags},
      {"InternetAccessible",
       {{"InternetChargeType", i.internet_charge}, {"InternetMaxBandwidthOut", i.mbps}}},
  };
  // Prepaid only (Tencent sends null for the others).
  if (i.expired != absl::InfiniteFuture()) {
    out["ExpiredTime"] = IsoTime(i.expired);
    out["RenewFlag"] = i.renew_flag;
  }
  DescribeLaunch(i, out);
  return out;
}

Json CvmEmulator::DescribeInstances(AccountBooks& books, const Json& params) {
  Json set = Json::array();
  if (params.contains("InstanceIds")) {
    if (params["InstanceIds"].size() > 100) {
      return ApiError("InvalidParameterValue.LimitExceeded",
                      "At most 100 InstanceIds per request.");
    }
    for (const Json& id : params["InstanceIds"]) {
      auto it = books.instances.find(id.get<std::string>());
      if (it != books.instances.end() && !Gone(it->second)) set.push_back(Describe(it->second));
    }
    return Json{{"TotalCount", set.size()}, {"InstanceSet", set}};
  }
  const std::optional<int64_t> offset =
      IntParam(params, "/Offset"_json_pointer, 0, 0, std::numeric_limits<int32_t>::max());
  const std::optional<int64_t> limit = IntParam(params, "/Limit"_json_pointer, 20, 0, 100);
  if (!offset.has_value() || !limit.has_value()) {
    return ApiError("InvalidParameterValue", "Offset must be 0 or more, Limit 0-100.");
  }
  std::vector<const Instance*> matching;
  for (const auto& [id, instance] : books.instances) {
    if (Gone(instance)) continue;
    bool keep = true;
    for (const Json& filter : params.value("Filters", Json::array())) {
      const std::string name = filter.value("Name", "");
      const Json values = filter.value("Values", Json::array());
      if (name.rfind("tag:", 0) == 0) {
        bool tagged = false;
        for (const Json& tag : instance.tags) {
          for (const Json& v : values) {
            tagged =
                tagged || (tag.value("Key", "") == name.substr(4) && tag.value("Value", "") == v);
          }
        }
        keep = keep && tagged;
      } else if (name == "tag-key") {
        bool tagged = false;
        for (const Json& tag : instance.tags) {
          tagged = tagged ||
                   std::find(values.begin(), values.end(), tag.value("Key", "")) != values.end();
        }
        keep = keep && tagged;
      } else if (name == "zone") {
        keep = keep && std::find(values.begin(), values.end(), instance.zone) != values.end();
      }
    }
    if (keep) matching.push_back(&instance);
  }
  for (int64_t i = *offset; i < static_cast<int64_t>(matching.size()) && i < *offset + *limit;
       ++i) {
    set.push_back(Describe(*matching[i]));
  }
  return Json{{"TotalCount", matching.size()}, {"InstanceSet", set}};
}

Json CvmEmulator::TerminateInstances(AccountBooks& books, const Json& params) {
  const Json ids = params.value("InstanceIds", Json::array());
  if (ids.empty() || ids.size() > 100) {
    return ApiError("InvalidParameterValue.LimitExceeded", "Give 1-100 InstanceIds.");
  }
  for (const Json& id : ids) {
    auto it = books.instances.find(id.get<std::string>());
    if (it == books.instances.end() || Gone(it->second)) {
      return ApiError("InvalidInstanceId.NotFound",
                      absl::StrCat("Instance ", id.get<std::string>(), " is not found."));
    }
  }
  const absl::Time now = clock_->Now();
  for (const Json& id : ids) {
    Instance& instance = books.instances[id.get<std::string>()];
    instance.latest_operation = "TerminateInstances";
    if (instance.charge_type == "PREPAID" && now < instance.shutdown) {
      // The first call returns it to the recycle bin; the next destroys it.
      ReturnPrepaid(books, instance, now);
    } else {
      instance.terminated = std::min(instance.terminated, now);  // no longer billed
    }
  }
  return Json::object();
}

int CvmEmulator::UsedInZone(const AccountBooks& books, const std::string& zone,
                            bool spot_vcpus) const {
  int used = 0;
  const absl::Time now = clock_->Now();
  for (const auto& [id, instance] : books.instances) {
    if (instance.zone != zone || Released(instance, now)) continue;
    const bool spot = instance.charge_type == "SPOTPAID";
    if (spot_vcpus && spot) used += instance.cpu;
    if (!spot_vcpus && !spot) ++used;
  }
  return used;
}

}  // namespace cvm::tencentcloud
