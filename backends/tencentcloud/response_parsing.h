// Tencent Cloud answers -> results: pure functions from the HTTP body or the
// "Response" object to what the backend needs, with no I/O.
//
// Each takes whatever the network delivered: a body that is not JSON, a
// field of the wrong type or a number out of range is a malformed answer
// (UNAVAILABLE, reason MALFORMED_ANSWER, retryable like a transport fault),
// never an exception or a crash. Thread-safe.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_RESPONSE_PARSING_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_RESPONSE_PARSING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "backends/backend.h"
#include "backends/quote_parts.h"
#include "nlohmann/json.hpp"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm::tencentcloud {

using Json = nlohmann::json;

// An HTTP 200 body: the "Response" object without RequestId, or the mapped
// Tencent error (error_mapping.h) when it carries "Error".
absl::StatusOr<Json> ParseApiAnswer(const std::string& action, const std::string& body);

// DescribeZoneInstanceConfigInfos: the first offer of the zone and type.
struct ZoneOffer {
  bool sells = false;                 // Status "SELL"
  std::optional<int> instance_quota;  // instances left, when Tencent says
  int64_t unit_price_micros = 0;      // Price.UnitPrice per hour
  int cpu = 1;                        // vCPUs per instance
};
absl::StatusOr<ZoneOffer> ParseZoneOffer(const Json& answer);

// DescribeZoneInstanceConfigInfos: every POSTPAID_BY_HOUR and SPOTPAID item
// as a CellOffer (quota_headroom unset: DescribeAccountQuota says it), with
// the type's Memory, InstanceFamily and GPUs (the larger of Gpu and
// GpuCount).
absl::StatusOr<std::vector<CellOffer>> ParseCellOffers(const Json& answer);

// DescribeAccountQuota: the smallest RemainingQuota listed for `zone` in
// AccountQuotaOverview.AccountQuota.<set_name>; nullopt when none is.
absl::StatusOr<std::optional<int>> ParseRemainingQuota(const Json& answer,
                                                       const std::string& set_name,
                                                       const std::string& zone);

// billing DescribeAccountBalance: Balance (cents) in micro-units.
absl::StatusOr<int64_t> ParseBalanceMicros(const Json& answer);

// RunInstances: InstanceIdSet.
absl::StatusOr<std::vector<std::string>> ParseInstanceIdSet(const Json& answer);

// DescribeInstances by id: one status per id of `instance_ids`, in order; an
// id missing from InstanceSet is TERMINATED (backend.h rule 5).
absl::StatusOr<std::vector<InstanceStatus>> ParseInstanceStatuses(
    const Json& answer, absl::Span<const std::string> instance_ids);

// DescribeInstances by tag: the ids of instances not TERMINATING.
absl::StatusOr<std::vector<std::string>> ParseLiveInstanceIds(const Json& answer);

// One page of DescribeInstances by tag key: instances (not TERMINATING)
// carrying kOrderTagKey, how many the page listed, and TotalCount.
struct TaggedPage {
  std::vector<TaggedInstance> tagged;
  int64_t listed = 0;
  int64_t total_count = 0;
};
absl::StatusOr<TaggedPage> ParseTaggedPage(const Json& answer);

// InquiryPriceRunInstances: the price of `count` instances in `currency`
// (Tencent's answer names none). Price.InstancePrice prices the instances,
// their disks included: the whole order and period for a prepaid order
// (DiscountPrice, else OriginalPrice), else one instance-hour
// (UnitPriceDiscount, else UnitPrice; the first step of a stepped price).
// Price.BandwidthPrice prices the public network by its ChargeUnit: "HOUR"
// one instance's bandwidth for an hour (BANDWIDTH_POSTPAID_BY_HOUR), "GB" one
// GB of traffic (TRAFFIC_POSTPAID_BY_HOUR), none with DiscountPrice /
// OriginalPrice the whole order and period (BANDWIDTH_PREPAID). The Quote
// carries each part and their totals (backends/quote_parts.h). Malformed: no
// InstancePrice, a ChargeUnit other than HOUR or GB, or a unit price without
// its unit (a price is never silently left out).
absl::StatusOr<provisioning::v1::Quote> ParseQuote(const Json& answer, bool prepaid, int count,
                                                   const std::string& currency);

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_RESPONSE_PARSING_H_
