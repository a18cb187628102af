#include "backends/tencentcloud/response_parsing.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/tencentcloud/error_mapping.h"
#include "common/money.h"
#include "common/status_details.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::v1::Instance;

absl::Status Malformed(const std::string& action) {
  return WithReason(
      absl::UnavailableError(absl::StrCat("Tencent Cloud ", action, ": malformed answer")),
      "MALFORMED_ANSWER");
}

// Tencent sends prices as JSON numbers with at most a few decimals; rounding
// to micro-units recovers the exact decimal.
int64_t Micros(const Json& number) {
  return number.is_number() ? std::llround(number.get<double>() * 1e6) : 0;
}

Instance::State StateOf(const std::string& state) {
  if (state == "PENDING" || state == "STARTING") return Instance::PENDING;
  if (state == "RUNNING" || state == "REBOOTING") return Instance::RUNNING;
  if (state == "STOPPED" || state == "STOPPING") return Instance::STOPPED;
  if (state == "SHUTDOWN") return Instance::SHUTDOWN;
  if (state == "LAUNCH_FAILED") return Instance::LAUNCH_FAILED;
  if (state == "TERMINATING") return Instance::TERMINATED;
  return Instance::STATE_UNSPECIFIED;
}

Instance::Restriction RestrictionOf(const Json& instance) {
  const std::string restrict = instance.value("RestrictState", "NORMAL");
  const std::string source = instance.value("IsolatedSource", "NOTISOLATED");
  if (source == "ARREAR") return Instance::ISOLATED_ARREARS;
  if (restrict == "EXPIRED" || source == "EXPIRE") return Instance::EXPIRED;
  return Instance::NORMAL;
}

Instance::IsolatedSource IsolatedSourceOf(const Json& instance) {
  const std::string source = instance.value("IsolatedSource", "");
  if (source == "NOTISOLATED") return Instance::NOT_ISOLATED;
  if (source == "ARREAR") return Instance::ISOLATED_BY_ARREARS;
  if (source == "EXPIRE") return Instance::ISOLATED_BY_EXPIRY;
  if (source == "MANMADE") return Instance::ISOLATED_MANUALLY;
  return Instance::ISOLATED_SOURCE_UNSPECIFIED;
}

std::vector<std::string> Strings(const Json& array) {
  std::vector<std::string> out;
  if (array.is_array()) {
    for (const Json& item : array) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<Json> ParseApiAnswer(const std::string& action, const std::string& body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.contains("Response") ||
      !parsed["Response"].is_object()) {
    return Malformed(action);
  }
  Json result = std::move(parsed["Response"]);
  const std::string request_id = result.value("RequestId", "");
  if (result.contains("Error")) {
    return StatusFromApiError(result["Error"].value("Code", "UnknownError"),
                              result["Error"].value("Message", ""), request_id, action);
  }
  result.erase("RequestId");
  return result;
}

absl::StatusOr<ZoneOffer> ParseZoneOffer(const Json& answer) {
  ZoneOffer offer;
  const Json set = answer.value("InstanceTypeQuotaSet", Json::array());
  if (set.empty() || set[0].value("Status", "") != "SELL") return offer;
  const Json& first = set[0];
  offer.sells = true;
  if (first.contains("InstanceQuota")) offer.instance_quota = first["InstanceQuota"].get<int>();
  offer.unit_price_micros = Micros(first.value("/Price/UnitPrice"_json_pointer, Json()));
  offer.cpu = first.value("Cpu", 1);
  return offer;
}

absl::StatusOr<std::optional<int>> ParseRemainingQuota(const Json& answer,
                                                       const std::string& set_name,
                                                       const std::string& zone) {
  std::optional<int> smallest;
  for (const Json& entry :
       answer.value(Json::json_pointer(absl::StrCat("/AccountQuotaOverview/AccountQuota/",
                                                    set_name)),
                    Json::array())) {
    if (entry.value("Zone", "") != zone) continue;
    const int remaining = entry.value("RemainingQuota", 0);
    if (!smallest.has_value() || remaining < *smallest) smallest = remaining;
  }
  return smallest;
}

absl::StatusOr<int64_t> ParseBalanceMicros(const Json& answer) {
  return answer.value("Balance", int64_t{0}) * 10000;  // cents
}

absl::StatusOr<std::vector<std::string>> ParseInstanceIdSet(const Json& answer) {
  return Strings(answer.value("InstanceIdSet", Json::array()));
}

absl::StatusOr<std::vector<InstanceStatus>> ParseInstanceStatuses(
    const Json& answer, absl::Span<const std::string> instance_ids) {
  std::map<std::string, Json> seen;
  for (const Json& instance : answer.value("InstanceSet", Json::array())) {
    seen[instance.value("InstanceId", "")] = instance;
  }
  std::vector<InstanceStatus> result;
  for (const std::string& id : instance_ids) {
    InstanceStatus status;
    status.instance_id = id;
    auto it = seen.find(id);
    if (it == seen.end()) {  // released: Tencent no longer lists it
      status.state = Instance::TERMINATED;
      result.push_back(std::move(status));
      continue;
    }
    const Json& i = it->second;
    status.state = StateOf(i.value("InstanceState", ""));
    status.restriction = RestrictionOf(i);
    status.isolated_source = IsolatedSourceOf(i);
    status.public_ips = Strings(i.value("PublicIpAddresses", Json::array()));
    status.private_ips = Strings(i.value("PrivateIpAddresses", Json::array()));
    status.zone = i.value("/Placement/Zone"_json_pointer, "");
    absl::Time created;
    std::string error;
    if (absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", i.value("CreatedTime", ""), &created, &error)) {
      status.create_time = created;
    }
    result.push_back(std::move(status));
  }
  return result;
}

absl::StatusOr<std::vector<std::string>> ParseLiveInstanceIds(const Json& answer) {
  std::vector<std::string> ids;
  for (const Json& instance : answer.value("InstanceSet", Json::array())) {
    if (instance.value("InstanceState", "") != "TERMINATING") {
      ids.push_back(instance.value("InstanceId", ""));
    }
  }
  return ids;
}

absl::StatusOr<TaggedPage> ParseTaggedPage(const Json& answer) {
  TaggedPage page;
  const Json set = answer.value("InstanceSet", Json::array());
  for (const Json& instance : set) {
    if (instance.value("InstanceState", "") == "TERMINATING") continue;
    for (const Json& tag : instance.value("Tags", Json::array())) {
      if (tag.value("Key", "") == kOrderTagKey) {
        page.tagged.push_back({instance.value("InstanceId", ""), tag.value("Value", "")});
      }
    }
  }
  page.listed = static_cast<int64_t>(set.size());
  page.total_count = answer.value("TotalCount", 0);
  return page;
}

absl::StatusOr<provisioning::v1::Quote> ParseQuote(const Json& answer, bool prepaid,
                                                   int count) {
  const Json price = answer.value("/Price/InstancePrice"_json_pointer, Json::object());
  provisioning::v1::Quote quote;
  quote.set_currency("CNY");
  if (prepaid) {
    const Json total = price.contains("DiscountPrice") ? price["DiscountPrice"]
                                                       : price.value("OriginalPrice", Json());
    quote.set_total_price_prepaid(FormatMoneyMicros(Micros(total)));
  } else {
    const Json unit = price.contains("UnitPriceDiscount") ? price["UnitPriceDiscount"]
                                                          : price.value("UnitPrice", Json());
    quote.set_unit_price_per_hour(FormatMoneyMicros(Micros(unit)));
    quote.set_total_price_per_hour(FormatMoneyMicros(Micros(unit) * count));
  }
  return quote;
}

}  // namespace cvm::tencentcloud
