// A Quote over candidates: every cell (zone x instance type x billing) of a
// QuoteRequest's candidates with its price, stock, quota headroom and
// verdict, ranked by the candidates' strategy, and the cell a purchase would
// take now.
//
// The cloud is asked once for the whole matrix (Backend::Offers(): on
// Tencent Cloud one DescribeZoneInstanceConfigInfos and one
// DescribeAccountQuota, whatever the number of cells). Cells the sold-out
// memory (service/capacity_memory.h) knows are reported with its verdict
// (`remembered`); what the offers show without capacity is remembered, so
// purchases skip it for the TTL.
//
// Verdicts, in this order: the memory's; ZONE_SOLD_OUT (not sold, or not
// offered at all); INSUFFICIENT_STOCK (fewer left than instance_count);
// SPOT_PRICE_TOO_LOW (the market above the billing's max); QUOTA_EXCEEDED
// (pay-as-you-go: instances, spot: vCPUs); else AVAILABLE.
//
// Contract: thread-safe (no state). Errors: the backend's (UNIMPLEMENTED
// for a backend that cannot list its offers).
#ifndef CVM_PROVISIONER_SERVICE_CANDIDATE_QUOTE_H_
#define CVM_PROVISIONER_SERVICE_CANDIDATE_QUOTE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "provisioning/v1/provisioning.pb.h"
#include "service/capacity_memory.h"

namespace cvm {

// `memory` may be null (no sold-out memory).
absl::StatusOr<provisioning::v1::Quote> QuoteCandidates(
    Backend& backend, const std::string& backend_name,
    const provisioning::v1::QuoteRequest& request, CapacityMemory* memory, absl::Time deadline);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_CANDIDATE_QUOTE_H_
