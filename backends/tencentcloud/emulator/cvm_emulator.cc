#include "backends/tencentcloud/emulator/cvm_emulator.h"

#include <limits>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/money.h"

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
  for (const auto& zone : config.zones()) {
    for (const auto& type : zone.types()) {
      for (const std::string& price : {type.price_per_hour(), type.spot_price_per_hour()}) {
        if (!ParseMoneyMicros(price).ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "zones ", zone.zone(), " type ", type.instance_type(), ": bad price \"", price,
              "\""));
        }
      }
    }
  }
  return std::unique_ptr<CvmEmulator>(new CvmEmulator(config, clock));
}

CvmEmulator::CvmEmulator(const EmulatorConfig& config, Clock* clock)
    : config_(config),
      clock_(clock),
      pending_(DurationOr(config.pending_duration(), config.has_pending_duration(),
                          absl::Seconds(5))),
      ip_delay_(DurationOr(config.public_ip_delay(), config.has_public_ip_delay(),
                           absl::Seconds(5))) {
  absl::MutexLock lock(&mu_);
  for (const Account& account : config_.accounts()) {
    books_[account.secret_id()].balance_cents = account.balance_cents();
  }
  for (const auto& zone : config_.zones()) {
    for (const auto& type : zone.types()) {
      stock_[zone.zone() + "/" + type.instance_type()] = type.stock();
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
                         const std::string& action, const std::string& region,
                         const Json& params) {
  const Account* account = AccountOf(secret_id);
  if (account == nullptr) {
    return ApiError("AuthFailure.SecretIdNotFound", "The SecretId is not found.");
  }
  absl::MutexLock lock(&mu_);
  // Parameters of the wrong type or shape surface as nlohmann::json
  // exceptions from the typed reads below: Tencent answers InvalidParameter.
  try {
    return Dispatch(books_[secret_id], *account, service, action, region, params);
  } catch (const Json::exception& e) {
    return ApiError("InvalidParameter",
                    absl::StrCat("A parameter of ", action, " has the wrong type: ", e.what()));
  }
}

Json CvmEmulator::Dispatch(AccountBooks& books, const Account& account,
                           const std::string& service, const std::string& action,
                           const std::string& region, const Json& params) {
  if (service == "billing") {
    if (action == "DescribeAccountBalance") return DescribeAccountBalance(books);
  } else if (service == "cvm") {
    if (region.empty()) return ApiError("MissingParameter", "X-TC-Region is required.");
    if (action == "RunInstances") return RunInstances(books, account, region, params);
    if (action == "DescribeInstances") return DescribeInstances(books, params);
    if (action == "TerminateInstances") return TerminateInstances(books, params);
    if (action == "InquiryPriceRunInstances") return InquiryPrice(region, params);
    if (action == "DescribeAccountQuota") {
      return DescribeAccountQuota(books, account, region, params);
    }
    if (action == "DescribeZoneInstanceConfigInfos") return DescribeZoneConfigs(region, params);
  }
  return ApiError("InvalidAction", absl::StrCat("The action ", action, " of ", service,
                                                " is not supported by the emulator."));
}

Json CvmEmulator::RunInstances(AccountBooks& books, const Account& account, const std::string& region,
                               const Json& params) {
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
  const std::optional<int64_t> bandwidth = IntParam(
      params, "/InternetAccessible/InternetMaxBandwidthOut"_json_pointer, 0, 0, 100000);
  if (!bandwidth.has_value()) {
    return ApiError("InvalidParameterValue",
                    "InternetAccessible.InternetMaxBandwidthOut must be 0-100000.");
  }
  // Everything the instances are made of, read before anything is booked.
  const std::string name = params.value("InstanceName", "");
  const bool public_ip =
      params.value("/InternetAccessible/PublicIpAssigned"_json_pointer, false) || *bandwidth > 0;
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
  const std::string charge = params.value("InstanceChargeType", "POSTPAID_BY_HOUR");
  const std::string zone = offer->zone->zone();
  int& stock = stock_[zone + "/" + offer->type->instance_type()];
  if (stock == 0) {
    return ApiError("ResourceInsufficient.AvailabilityZoneSoldOut",
                    absl::StrCat(zone, " has no ", offer->type->instance_type(), " left."));
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
  // A pay-as-you-go purchase needs about one hour of its cost on the account.
  const int64_t hour_cents = HourlyMicros(*offer, charge) * *count / 10000;
  if (books.balance_cents < hour_cents) {
    return ApiError("InvalidAccount.InsufficientBalance",
                    absl::StrFormat("Balance %d cents is below one hour of the order, %d cents.",
                                    books.balance_cents, hour_cents));
  }
  if (params.value("DryRun", false)) {
    return ApiError("DryRunOperation", "The request would have succeeded.");
  }
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
    instance.public_ip = public_ip;
    instance.tags = tags;
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

Json CvmEmulator::Describe(const Instance& i) const {
  const absl::Duration age = clock_->Now() - i.created;
  std::string state = "RUNNING";
  if (i.terminated != absl::InfiniteFuture()) {
    state = "TERMINATING";
  } else if (age < pending_) {
    state = "PENDING";
  }
  Json public_ips = Json::array();
  if (state == "RUNNING" && i.public_ip && age >= pending_ + ip_delay_) {
    public_ips.push_back(absl::StrFormat("198.51.100.%d", i.index % 254 + 1));
  }
  return Json{
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
      {"RestrictState", "NORMAL"},
      {"IsolatedSource", "NOTISOLATED"},
      {"CreatedTime", IsoTime(i.created)},
      {"Tags", i.tags},
  };
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
            tagged = tagged || (tag.value("Key", "") == name.substr(4) && tag.value("Value", "") == v);
          }
        }
        keep = keep && tagged;
      } else if (name == "tag-key") {
        bool tagged = false;
        for (const Json& tag : instance.tags) {
          tagged = tagged || std::find(values.begin(), values.end(), tag.value("Key", "")) !=
                                 values.end();
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
  for (const Json& id : ids) {
    Instance& instance = books.instances[id.get<std::string>()];
    if (instance.terminated == absl::InfiniteFuture()) instance.terminated = clock_->Now();
  }
  return Json::object();
}

int CvmEmulator::UsedInZone(const AccountBooks& books, const std::string& zone,
                            bool spot_vcpus) const {
  int used = 0;
  for (const auto& [id, instance] : books.instances) {
    if (instance.zone != zone || instance.terminated != absl::InfiniteFuture()) continue;
    const bool spot = instance.charge_type == "SPOTPAID";
    if (spot_vcpus && spot) used += instance.cpu;
    if (!spot_vcpus && !spot) ++used;
  }
  return used;
}

bool CvmEmulator::Admit(const std::string& secret_id, const std::string& action,
                        absl::Time now) {
  static const std::map<std::string, int> kPublished = {
      {"RunInstances", 10},      {"TerminateInstances", 10},     {"InquiryPriceRunInstances", 10},
      {"DescribeInstances", 40}, {"DescribeInstancesStatus", 40}};
  int limit = 20;
  if (auto it = config_.rate_limits().find(action); it != config_.rate_limits().end()) {
    limit = it->second;
  } else if (auto p = kPublished.find(action); p != kPublished.end()) {
    limit = p->second;
  }
  const int64_t second = absl::ToUnixSeconds(now);
  absl::MutexLock lock(&mu_);
  Window& window = windows_[secret_id + "/" + action];
  if (window.second != second) window = Window{second, 0};
  if (window.count >= limit) {
    ++rate_limited_;
    return false;
  }
  ++window.count;
  int& busiest = busiest_second_[action];
  busiest = std::max(busiest, window.count);
  return true;
}

Json CvmEmulator::Books() const {
  absl::MutexLock lock(&mu_);
  Json out = Json::object();
  out["RateLimits"] = Json{{"BusiestSecond", busiest_second_}, {"Refused", rate_limited_}};
  for (const auto& [secret_id, books] : books_) {
    int live = 0;
    for (const auto& [id, instance] : books.instances) {
      live += instance.terminated == absl::InfiniteFuture() ? 1 : 0;
    }
    out[secret_id] = Json{{"Created", books.instances.size()},
                          {"Live", live},
                          {"ClientTokens", books.tokens.size()},
                          {"BalanceCents", books.balance_cents}};
  }
  return out;
}

Json CvmEmulator::LiveInstances(const std::string& secret_id) const {
  absl::MutexLock lock(&mu_);
  Json out = Json::array();
  auto books = books_.find(secret_id);
  if (books == books_.end()) return out;
  for (const auto& [id, instance] : books->second.instances) {
    if (instance.terminated != absl::InfiniteFuture()) continue;
    out.push_back(Json{{"InstanceId", id}, {"Tags", instance.tags}});
  }
  return out;
}

}  // namespace cvm::tencentcloud
