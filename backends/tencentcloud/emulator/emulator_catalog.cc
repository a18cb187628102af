// The read-only side of the emulator: offers, prices and quotas; and the
// books for tests and the rate limits.
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "backends/tencentcloud/emulator/cvm_emulator.h"
#include "common/money.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::tencentcloud::emulator::v1::Account;

// Prices in responses are JSON numbers, as Tencent sends them.
double Number(int64_t micros) { return static_cast<double>(micros) / 1e6; }

bool Allows(const Json& values, const std::string& value) {
  return values.empty() || std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

Json FilterValues(const Json& params, const std::string& name) {
  for (const Json& filter : params.value("Filters", Json::array())) {
    if (filter.value("Name", "") == name) return filter.value("Values", Json::array());
  }
  return Json::array();
}

std::optional<int64_t> IntParam(const Json& params, const Json::json_pointer& pointer,
                                int64_t fallback, int64_t min, int64_t max) {
  if (!params.contains(pointer)) return fallback;
  const Json& value = params.at(pointer);
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max)) {
    return std::nullopt;
  }
  if (!value.is_number_integer()) return std::nullopt;
  const int64_t n = value.get<int64_t>();
  if (n < min || n > max) return std::nullopt;
  return n;
}

absl::StatusOr<CvmEmulator::Offer> CvmEmulator::FindOffer(const std::string& region,
                                                          const Json& params, Json* error) const {
  const std::string zone = params.value("/Placement/Zone"_json_pointer, "");
  const std::string type = params.value("InstanceType", "");
  if (zone.empty()) *error = ApiError("MissingParameter", "Placement.Zone is required.");
  if (type.empty()) *error = ApiError("MissingParameter", "InstanceType is required.");
  if (zone.empty() || type.empty()) return absl::InvalidArgumentError("missing");
  for (const auto& z : config_.zones()) {
    if (z.zone() != zone) continue;
    if (z.region() != region) {
      *error = ApiError("InvalidZone.MismatchRegion",
                        absl::StrCat("Zone ", zone, " is not in region ", region, "."));
      return absl::InvalidArgumentError("region");
    }
    for (const auto& t : z.types()) {
      if (t.instance_type() == type) return Offer{&z, &t};
    }
    *error = ApiError("InvalidParameterValue.InstanceTypeNotFound",
                      absl::StrCat("Instance type ", type, " is not sold in ", zone, "."));
    return absl::NotFoundError("type");
  }
  *error = ApiError("InvalidParameterValue.InvalidZone",
                    absl::StrCat("Zone ", zone, " does not exist."));
  return absl::NotFoundError("zone");
}

int64_t CvmEmulator::HourlyMicros(const Offer& offer, const std::string& charge_type) const {
  if (charge_type == "SPOTPAID") {
    return spot_micros_.at(offer.zone->zone() + "/" + offer.type->instance_type());
  }
  return ParseMoneyMicros(offer.type->price_per_hour()).value_or(0);  // checked in Create()
}

absl::StatusOr<CvmEmulator::Network> CvmEmulator::NetworkOf(const Json& params,
                                                            const std::string& instance_charge,
                                                            Json* error) const {
  Network network;
  network.charge_type = params.value(
      "/InternetAccessible/InternetChargeType"_json_pointer,
      instance_charge == "PREPAID" ? "BANDWIDTH_PREPAID" : "TRAFFIC_POSTPAID_BY_HOUR");
  const std::optional<int64_t> mbps = IntParam(
      params, "/InternetAccessible/InternetMaxBandwidthOut"_json_pointer, 0, 0, 100000);
  if (!mbps.has_value()) {
    *error = ApiError("InvalidParameterValue",
                      "InternetAccessible.InternetMaxBandwidthOut must be 0-100000.");
    return absl::InvalidArgumentError("bandwidth");
  }
  network.mbps = *mbps;
  if (network.charge_type == "BANDWIDTH_PREPAID" && instance_charge != "PREPAID") {
    *error = ApiError("InvalidParameterValue",
                      "BANDWIDTH_PREPAID needs InstanceChargeType PREPAID.");
    return absl::InvalidArgumentError("bandwidth");
  }
  if (network.charge_type == "TRAFFIC_POSTPAID_BY_HOUR") {
    // No bandwidth, no traffic: Tencent quotes 0 per GB then.
    network.traffic_micros = network.mbps > 0 ? traffic_micros_per_gb_ : 0;
  } else if (network.charge_type == "BANDWIDTH_POSTPAID_BY_HOUR" ||
             network.charge_type == "BANDWIDTH_PREPAID") {
    network.bandwidth_micros = network.mbps * bandwidth_micros_per_mbps_;
  } else {
    *error = ApiError("InvalidParameterValue",
                      "The emulator does not sell InternetChargeType " + network.charge_type + ".");
    return absl::InvalidArgumentError("bandwidth");
  }
  return network;
}

Json CvmEmulator::BandwidthPrice(const Network& network, int count, int months) {
  if (network.charge_type == "BANDWIDTH_PREPAID") {
    // The whole order for the whole period, like a prepaid InstancePrice.
    const int64_t original = PrepaidOriginalMicros(network.bandwidth_micros, count, months);
    return {{"OriginalPrice", Number(original)},
            {"DiscountPrice", Number(PrepaidMicros(network.bandwidth_micros, count, months))}};
  }
  // Per instance: one instance's bandwidth for an hour, or one GB.
  const bool hourly = network.charge_type == "BANDWIDTH_POSTPAID_BY_HOUR";
  const int64_t unit = hourly ? network.bandwidth_micros : network.traffic_micros;
  return {{"UnitPrice", Number(unit)},
          {"UnitPriceDiscount", Number(unit)},
          {"ChargeUnit", hourly ? "HOUR" : "GB"}};
}

Json CvmEmulator::InquiryPrice(const std::string& region, const Json& params) const {
  Json error;
  absl::StatusOr<Offer> offer = FindOffer(region, params, &error);
  if (!offer.ok()) return error;
  const std::string charge = params.value("InstanceChargeType", "POSTPAID_BY_HOUR");
  const std::optional<int64_t> count = IntParam(params, "/InstanceCount"_json_pointer, 1, 1, 100);
  const std::optional<int64_t> months =
      IntParam(params, "/InstanceChargePrepaid/Period"_json_pointer, 1, 1, 60);
  if (!count.has_value() || !months.has_value()) {
    return ApiError("InvalidParameterValue",
                    "InstanceCount must be 1-100 and InstanceChargePrepaid.Period 1-60.");
  }
  absl::StatusOr<Network> network = NetworkOf(params, charge, &error);
  if (!network.ok()) return error;
  const int64_t hourly = HourlyMicros(*offer, charge);
  Json instance_price;
  if (charge == "PREPAID") {
    // The whole order for the whole period; prepaid is 20 % cheaper.
    instance_price = {
        {"OriginalPrice", Number(PrepaidOriginalMicros(hourly, *count, *months))},
        {"DiscountPrice", Number(PrepaidMicros(hourly, *count, *months))}};
  } else {
    // UnitPrice is per instance-hour; the order costs UnitPrice x InstanceCount.
    instance_price = {{"UnitPrice", Number(hourly)},
                      {"UnitPriceDiscount", Number(hourly)},
                      {"ChargeUnit", "HOUR"}};
  }
  return Json{{"Price",
               {{"InstancePrice", instance_price},
                {"BandwidthPrice", BandwidthPrice(*network, static_cast<int>(*count),
                                                  static_cast<int>(*months))}}}};
}

Json CvmEmulator::DescribeAccountQuota(const AccountBooks& books, const Account& account,
                                       const std::string& region, const Json& params) const {
  const Json zones = FilterValues(params, "zone");
  Json postpaid = Json::array(), spot = Json::array();
  for (const auto& z : config_.zones()) {
    if (z.region() != region || !Allows(zones, z.zone())) continue;
    const int used = UsedInZone(books, z.zone(), false);
    const int used_vcpus = UsedInZone(books, z.zone(), true);
    postpaid.push_back({{"Zone", z.zone()},
                        {"UsedQuota", used},
                        {"RemainingQuota", std::max(0, account.postpaid_quota_per_zone() - used)},
                        {"TotalQuota", account.postpaid_quota_per_zone()}});
    spot.push_back(
        {{"Zone", z.zone()},
         {"UsedQuota", used_vcpus},
         {"RemainingQuota", std::max(0, account.spot_vcpu_quota_per_zone() - used_vcpus)},
         {"TotalQuota", account.spot_vcpu_quota_per_zone()}});
  }
  return Json{{"AppId", account.uin()},
              {"AccountQuotaOverview",
               {{"Region", region},
                {"AccountQuota", {{"PostPaidQuotaSet", postpaid}, {"SpotPaidQuotaSet", spot}}}}}};
}

Json CvmEmulator::DescribeZoneConfigs(const std::string& region, const Json& params) const {
  const Json zones = FilterValues(params, "zone");
  const Json types = FilterValues(params, "instance-type");
  const Json families = FilterValues(params, "instance-family");
  const Json charges = FilterValues(params, "instance-charge-type");
  Json set = Json::array();
  for (const auto& z : config_.zones()) {
    if (z.region() != region || !Allows(zones, z.zone())) continue;
    for (const auto& t : z.types()) {
      const std::string family = t.family().empty()
                                     ? t.instance_type().substr(0, t.instance_type().find('.'))
                                     : t.family();
      if (!Allows(types, t.instance_type()) || !Allows(families, family)) continue;
      const int left = stock_.at(z.zone() + "/" + t.instance_type());
      for (const std::string charge : {"POSTPAID_BY_HOUR", "SPOTPAID"}) {
        if (!Allows(charges, charge)) continue;
        const int here = charge == "SPOTPAID" && t.spot_sold_out() ? 0 : left;
        set.push_back(
            {{"Zone", z.zone()},
             {"InstanceType", t.instance_type()},
             {"InstanceChargeType", charge},
             {"Status", here == 0 ? "SOLD_OUT" : "SELL"},
             {"Cpu", t.cpu()},
             {"Memory", t.memory_gb()},
             {"InstanceFamily", family},
             {"Gpu", t.gpu()},
             {"GpuCount", t.gpu()},
             {"InstanceQuota", here < 0 ? 1000 : here},
             {"Price",
              {{"UnitPrice", Number(HourlyMicros({&z, &t}, charge))}, {"ChargeUnit", "HOUR"}}}});
      }
    }
  }
  return Json{{"InstanceTypeQuotaSet", set}};
}

bool CvmEmulator::Admit(const std::string& secret_id, const std::string& action, absl::Time now) {
  static const std::map<std::string, int> kPublished = {{"RunInstances", 10},
                                                        {"TerminateInstances", 10},
                                                        {"InquiryPriceRunInstances", 10},
                                                        {"DescribeInstances", 40},
                                                        {"DescribeInstancesStatus", 40},
                                                        {"StopInstances", 10},
                                                        {"StartInstances", 10}};
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
  std::map<int64_t, int>& history = calls_per_second_[action];
  ++history[second];
  while (history.begin()->first <= second - kCallHistorySeconds) history.erase(history.begin());
  return true;
}

Json CvmEmulator::Books() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  CatchUpAll(now);
  Json out = Json::object();
  Json calls = Json::object();
  for (const auto& [action, seconds] : calls_per_second_) {
    for (const auto& [second, count] : seconds) calls[action][std::to_string(second)] = count;
  }
  out["CellCalls"] = Json::array();
  for (const CellCall& call : cell_calls_) {
    out["CellCalls"].push_back({{"Action", call.action},
                                {"Zone", call.zone},
                                {"InstanceType", call.instance_type},
                                {"ChargeType", call.charge_type},
                                {"UnixMillis", call.unix_millis},
                                {"Error", call.error}});
  }
  out["RateLimits"] = Json{
      {"BusiestSecond", busiest_second_}, {"Refused", rate_limited_}, {"CallsPerSecond", calls}};
  for (const auto& [secret_id, books] : books_) {
    int live = 0, isolated = 0, returned = 0, reclaimed = 0, stopped = 0;
    for (const auto& [id, instance] : books.instances) {
      if (Released(instance, now)) continue;
      ++live;
      isolated += now >= instance.shutdown && !instance.isolated_source.empty() ? 1 : 0;
      returned += now >= instance.shutdown && instance.isolated_source == "MANMADE" ? 1 : 0;
      reclaimed += instance.spot_termination != absl::InfiniteFuture() ? 1 : 0;
      const std::string state = StateOf(instance, now);
      stopped += state == "STOPPING" || state == "STOPPED" ? 1 : 0;
    }
    out[secret_id] = Json{{"Created", books.instances.size()},
                          {"Live", live},
                          {"ClientTokens", books.tokens.size()},
                          {"BalanceCents", books.balance_cents},
                          {"ChargedCents", books.charged_cents},
                          {"RefundedCents", books.refunded_cents},
                          {"Renewals", books.renewals},
                          {"InArrears", books.arrears_since != absl::InfiniteFuture()},
                          {"Isolated", isolated},
                          {"Returned", returned},
                          {"SpotReclaimed", reclaimed},
                          {"Stopped", stopped}};
  }
  return out;
}

Json CvmEmulator::LiveInstances(const std::string& secret_id) {
  absl::MutexLock lock(&mu_);
  Json out = Json::array();
  auto books = books_.find(secret_id);
  if (books == books_.end()) return out;
  const absl::Time now = clock_->Now();
  CatchUp(books->second, now);
  for (const auto& [id, instance] : books->second.instances) {
    if (Released(instance, now)) continue;
    out.push_back(Json{{"InstanceId", id}, {"Tags", instance.tags}});
  }
  return out;
}

}  // namespace cvm::tencentcloud
