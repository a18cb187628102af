#include "backends/tencentcloud/response_parsing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/tencentcloud/error_mapping.h"
#include "common/money.h"
#include "common/status_details.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::v1::Instance;

// Bounds on what a sane answer holds. Prices in currency units per hour (or
// per prepaid order), so that micro-units times any order size fit int64.
constexpr double kMaxPrice = 1e9;
constexpr int64_t kMaxCount = 1 << 30;  // instances, quotas, TotalCount
constexpr int64_t kMaxCpu = 1 << 16;
constexpr double kMaxMemoryGb = 1 << 24;
constexpr double kMaxGpu = 1 << 16;
constexpr int64_t kMaxBalanceCents = int64_t{1} << 48;
// CreatedTime, ExpiredTime: ISO 8601 in UTC.
constexpr char kTimeFormat[] = "%Y-%m-%dT%H:%M:%SZ";

absl::Status Malformed(const std::string& action) {
  return WithReason(
      absl::UnavailableError(absl::StrCat("Tencent Cloud ", action, ": malformed answer")),
      "MALFORMED_ANSWER");
}

// Reads typed fields of a JSON answer without exceptions. A field present
// with another type, or a number out of range, marks the answer malformed
// (ok() false) and reads as the fallback; null reads as absent.
class Fields {
 public:
  // `object`'s member `key`, or null when absent or null (or `object` is
  // null). Malformed when `object` is neither an object nor null.
  const Json* Find(const Json* object, const char* key) {
    if (object == nullptr || object->is_null()) return nullptr;
    if (!object->is_object()) return Bad(nullptr);
    const auto it = object->find(key);
    return it == object->end() || it->is_null() ? nullptr : &*it;
  }

  std::string String(const Json* object, const char* key, const char* fallback = "") {
    const Json* value = Find(object, key);
    if (value == nullptr) return fallback;
    if (!value->is_string()) return Bad(std::string(fallback));
    return value->get<std::string>();
  }

  // An integer within [min, max]; a float only when it is a whole number.
  int64_t Int(const Json* object, const char* key, int64_t fallback, int64_t min, int64_t max) {
    const Json* value = Find(object, key);
    if (value == nullptr) return fallback;
    if (value->is_number_integer() || value->is_number_unsigned()) {
      if (value->is_number_unsigned() && value->get<uint64_t>() > static_cast<uint64_t>(max)) {
        return Bad(fallback);
      }
      const int64_t n = value->get<int64_t>();
      return n < min || n > max ? Bad(fallback) : n;
    }
    if (value->is_number_float()) {
      const double d = value->get<double>();
      if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != std::floor(d)) {
        return Bad(fallback);
      }
      return static_cast<int64_t>(d);
    }
    return Bad(fallback);
  }

  // A number within [min, max], whole or not; `fallback` when absent.
  double Number(const Json* object, const char* key, double fallback, double min, double max) {
    const Json* value = Find(object, key);
    if (value == nullptr) return fallback;
    if (!value->is_number()) return Bad(fallback);
    const double d = value->get<double>();
    return d >= min && d <= max ? d : Bad(fallback);
  }

  // A price (a JSON number with a few decimals) in micro-units; 0 when
  // absent. Rounding recovers the exact decimal.
  int64_t Micros(const Json* object, const char* key) {
    const Json* value = Find(object, key);
    if (value == nullptr) return 0;
    if (!value->is_number()) return Bad(int64_t{0});
    const double price = value->get<double>();
    if (!(price >= 0 && price <= kMaxPrice)) return Bad(int64_t{0});
    return std::llround(price * 1e6);
  }

  // A unit price (per hour, per GB): UnitPriceDiscount, what the account
  // pays, when the answer has it, else UnitPrice (the list price).
  int64_t UnitPrice(const Json* object) {
    return Micros(object,
                  Find(object, "UnitPriceDiscount") != nullptr ? "UnitPriceDiscount" : "UnitPrice");
  }

  // The array `key`, or an empty one when absent.
  const Json& Array(const Json* object, const char* key) {
    static const Json* const kEmpty = new Json(Json::array());
    const Json* value = Find(object, key);
    if (value == nullptr) return *kEmpty;
    if (!value->is_array()) return *Bad(kEmpty);
    return *value;
  }

  std::vector<std::string> Strings(const Json* object, const char* key) {
    std::vector<std::string> out;
    for (const Json& item : Array(object, key)) {
      if (!item.is_string()) return Bad(std::vector<std::string>());
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  bool ok() const { return ok_; }

 private:
  template <typename T>
  T Bad(T fallback) {
    ok_ = false;
    return fallback;
  }

  bool ok_ = true;
};

Instance::State StateOf(const std::string& state) {
  if (state == "PENDING" || state == "STARTING") return Instance::PENDING;
  if (state == "RUNNING" || state == "REBOOTING") return Instance::RUNNING;
  if (state == "STOPPED" || state == "STOPPING") return Instance::STOPPED;
  if (state == "SHUTDOWN") return Instance::SHUTDOWN;
  if (state == "LAUNCH_FAILED") return Instance::LAUNCH_FAILED;
  if (state == "TERMINATING") return Instance::TERMINATED;
  return Instance::STATE_UNSPECIFIED;
}

Instance::Restriction RestrictionOf(const std::string& restrict, const std::string& source) {
  if (source == "ARREAR") return Instance::ISOLATED_ARREARS;
  if (restrict == "EXPIRED" || source == "EXPIRE") return Instance::EXPIRED;
  return Instance::NORMAL;
}

Instance::IsolatedSource IsolatedSourceOf(const std::string& source) {
  if (source == "NOTISOLATED") return Instance::NOT_ISOLATED;
  if (source == "ARREAR") return Instance::ISOLATED_BY_ARREARS;
  if (source == "EXPIRE") return Instance::ISOLATED_BY_EXPIRY;
  if (source == "MANMADE") return Instance::ISOLATED_MANUALLY;
  return Instance::ISOLATED_SOURCE_UNSPECIFIED;
}

// `value` or, when ok is false, the malformed-answer error for `action`.
template <typename T>
absl::StatusOr<T> Checked(const Fields& fields, const char* action, T value) {
  if (!fields.ok()) return Malformed(action);
  return value;
}

}  // namespace

absl::StatusOr<Json> ParseApiAnswer(const std::string& action, const std::string& body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return Malformed(action);
  const auto response = parsed.find("Response");
  if (response == parsed.end() || !response->is_object()) return Malformed(action);
  Json result = std::move(*response);
  Fields fields;
  const std::string request_id = fields.String(&result, "RequestId");
  if (const Json* error = fields.Find(&result, "Error")) {
    const std::string code = fields.String(error, "Code", "UnknownError");
    const std::string message = fields.String(error, "Message");
    if (!fields.ok()) return Malformed(action);
    return StatusFromApiError(code, message, request_id, action);
  }
  if (!fields.ok()) return Malformed(action);
  result.erase("RequestId");
  return result;
}

absl::StatusOr<ZoneOffer> ParseZoneOffer(const Json& answer) {
  Fields fields;
  ZoneOffer offer;
  const Json& set = fields.Array(&answer, "InstanceTypeQuotaSet");
  if (!set.empty() && fields.String(&set[0], "Status") == "SELL") {
    const Json& first = set[0];
    offer.sells = true;
    if (fields.Find(&first, "InstanceQuota") != nullptr) {
      offer.instance_quota = fields.Int(&first, "InstanceQuota", 0, 0, kMaxCount);
    }
    offer.unit_price_micros = fields.UnitPrice(fields.Find(&first, "Price"));
    offer.cpu = fields.Int(&first, "Cpu", 1, 0, kMaxCpu);
  }
  return Checked(fields, "DescribeZoneInstanceConfigInfos", offer);
}

absl::StatusOr<std::vector<CellOffer>> ParseCellOffers(const Json& answer) {
  Fields fields;
  std::vector<CellOffer> cells;
  for (const Json& item : fields.Array(&answer, "InstanceTypeQuotaSet")) {
    const std::string charge = fields.String(&item, "InstanceChargeType");
    if (charge != "POSTPAID_BY_HOUR" && charge != "SPOTPAID") continue;
    CellOffer cell;
    cell.zone = fields.String(&item, "Zone");
    cell.instance_type = fields.String(&item, "InstanceType");
    cell.spot = charge == "SPOTPAID";
    cell.sells = fields.String(&item, "Status") == "SELL";
    if (fields.Find(&item, "InstanceQuota") != nullptr) {
      cell.stock = fields.Int(&item, "InstanceQuota", 0, 0, kMaxCount);
    }
    cell.unit_price_micros = fields.UnitPrice(fields.Find(&item, "Price"));
    cell.cpu = fields.Int(&item, "Cpu", 1, 0, kMaxCpu);
    cell.memory_gb = fields.Number(&item, "Memory", 0, 0, kMaxMemoryGb);
    cell.family = fields.String(&item, "InstanceFamily");
    // Gpu counts the GPUs; GpuCount the physical cards, below 1 for a vGPU.
    cell.gpu = std::max(fields.Number(&item, "Gpu", 0, 0, kMaxGpu),
                        fields.Number(&item, "GpuCount", 0, 0, kMaxGpu));
    cells.push_back(std::move(cell));
  }
  return Checked(fields, "DescribeZoneInstanceConfigInfos", std::move(cells));
}

absl::StatusOr<std::optional<int>> ParseRemainingQuota(const Json& answer,
                                                       const std::string& set_name,
                                                       const std::string& zone) {
  Fields fields;
  const Json* quota = fields.Find(fields.Find(&answer, "AccountQuotaOverview"), "AccountQuota");
  std::optional<int> smallest;
  for (const Json& entry : fields.Array(quota, set_name.c_str())) {
    if (fields.String(&entry, "Zone") != zone) continue;
    const int remaining = fields.Int(&entry, "RemainingQuota", 0, 0, kMaxCount);
    if (!smallest.has_value() || remaining < *smallest) smallest = remaining;
  }
  return Checked(fields, "DescribeAccountQuota", smallest);
}

absl::StatusOr<int64_t> ParseBalanceMicros(const Json& answer) {
  Fields fields;
  const int64_t cents = fields.Int(&answer, "Balance", 0, -kMaxBalanceCents, kMaxBalanceCents);
  return Checked(fields, "DescribeAccountBalance", cents * 10000);
}

absl::StatusOr<std::vector<std::string>> ParseInstanceIdSet(const Json& answer) {
  Fields fields;
  std::vector<std::string> ids = fields.Strings(&answer, "InstanceIdSet");
  return Checked(fields, "RunInstances", std::move(ids));
}

absl::StatusOr<std::vector<InstanceStatus>> ParseInstanceStatuses(
    const Json& answer, absl::Span<const std::string> instance_ids) {
  Fields fields;
  std::map<std::string, const Json*> listed;
  for (const Json& instance : fields.Array(&answer, "InstanceSet")) {
    listed[fields.String(&instance, "InstanceId")] = &instance;
  }
  std::vector<InstanceStatus> result;
  for (const std::string& id : instance_ids) {
    InstanceStatus status;
    status.instance_id = id;
    auto it = listed.find(id);
    if (it == listed.end()) {  // released: Tencent no longer lists it
      status.state = Instance::TERMINATED;
      result.push_back(std::move(status));
      continue;
    }
    const Json* i = it->second;
    const std::string source = fields.String(i, "IsolatedSource");
    status.state = StateOf(fields.String(i, "InstanceState"));
    status.restriction = RestrictionOf(fields.String(i, "RestrictState", "NORMAL"),
                                       source.empty() ? "NOTISOLATED" : source);
    status.isolated_source = IsolatedSourceOf(source);
    status.public_ips = fields.Strings(i, "PublicIpAddresses");
    status.private_ips = fields.Strings(i, "PrivateIpAddresses");
    status.zone = fields.String(fields.Find(i, "Placement"), "Zone");
    absl::Time created, expires;
    std::string error;
    if (absl::ParseTime(kTimeFormat, fields.String(i, "CreatedTime"), &created, &error)) {
      status.create_time = created;
    }
    // Prepaid only: Tencent sends null for the others.
    if (absl::ParseTime(kTimeFormat, fields.String(i, "ExpiredTime"), &expires, &error)) {
      status.expire_time = expires;
    }
    status.release_requested = fields.String(i, "LatestOperation") == "TerminateInstances" &&
                               fields.String(i, "LatestOperationState") != "FAILED";
    result.push_back(std::move(status));
  }
  return Checked(fields, "DescribeInstances", std::move(result));
}

absl::StatusOr<std::vector<std::string>> ParseLiveInstanceIds(const Json& answer) {
  Fields fields;
  std::vector<std::string> ids;
  for (const Json& instance : fields.Array(&answer, "InstanceSet")) {
    if (fields.String(&instance, "InstanceState") != "TERMINATING") {
      ids.push_back(fields.String(&instance, "InstanceId"));
    }
  }
  return Checked(fields, "DescribeInstances", std::move(ids));
}

absl::StatusOr<TaggedPage> ParseTaggedPage(const Json& answer) {
  Fields fields;
  TaggedPage page;
  const Json& set = fields.Array(&answer, "InstanceSet");
  for (const Json& instance : set) {
    const std::string state = fields.String(&instance, "InstanceState");
    if (state == "TERMINATING") continue;
    // Returned to the recycle bin (backend.h rule 8): being released by the
    // cloud; terminating it again would destroy it, adopting it would buy
    // nothing.
    if (state == "SHUTDOWN" && fields.String(&instance, "IsolatedSource") == "MANMADE") continue;
    for (const Json& tag : fields.Array(&instance, "Tags")) {
      if (fields.String(&tag, "Key") == kOrderTagKey) {
        page.tagged.push_back(
            {fields.String(&instance, "InstanceId"), fields.String(&tag, "Value")});
      }
    }
  }
  page.listed = static_cast<int64_t>(set.size());
  page.total_count = fields.Int(&answer, "TotalCount", 0, 0, kMaxCount);
  return Checked(fields, "DescribeInstances", std::move(page));
}

absl::StatusOr<provisioning::v1::Quote> ParseQuote(const Json& answer, bool prepaid, int count,
                                                   const std::string& currency) {
  Fields fields;
  const Json* price = fields.Find(&answer, "Price");
  const Json* instance = fields.Find(price, "InstancePrice");
  const Json* bandwidth = fields.Find(price, "BandwidthPrice");
  const std::string bandwidth_unit = fields.String(bandwidth, "ChargeUnit");
  if (!fields.ok() || instance == nullptr || count < 0) return Malformed("InquiryPriceRunInstances");
  // Per instance-hour (HOUR) and per GB: the discounted unit price wins.
  auto unit_price = [&fields](const Json* item) { return fields.UnitPrice(item); };
  // Prepaid, the whole order for the whole period: the discounted price wins.
  auto prepaid_price = [&fields](const Json* item) {
    return fields.Micros(
        item, fields.Find(item, "DiscountPrice") != nullptr ? "DiscountPrice" : "OriginalPrice");
  };
  PriceParts parts;
  if (prepaid) {
    parts.instance_prepaid = prepaid_price(instance);
  } else {
    parts.instance_hourly = unit_price(instance);
  }
  if (bandwidth_unit == "HOUR") {
    parts.bandwidth_hourly = unit_price(bandwidth);
  } else if (bandwidth_unit == "GB") {
    parts.traffic_per_gb = unit_price(bandwidth);
  } else if (!bandwidth_unit.empty() || fields.Find(bandwidth, "UnitPrice") != nullptr ||
             fields.Find(bandwidth, "UnitPriceDiscount") != nullptr) {
    // A unit we do not know, or a unit price without its unit: never a
    // price silently left out.
    return Malformed("InquiryPriceRunInstances");
  } else if (bandwidth != nullptr && prepaid &&
             (fields.Find(bandwidth, "DiscountPrice") != nullptr ||
              fields.Find(bandwidth, "OriginalPrice") != nullptr)) {
    parts.bandwidth_prepaid = prepaid_price(bandwidth);
  }
  if (!fields.ok()) return Malformed("InquiryPriceRunInstances");
  absl::StatusOr<provisioning::v1::Quote> quote = QuoteOf(parts, count, currency);
  if (!quote.ok()) return Malformed("InquiryPriceRunInstances");
  return quote;
}

}  // namespace cvm::tencentcloud
