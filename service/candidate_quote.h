// A Quote over candidates: every cell (zone x instance type x billing) of a
// QuoteRequest's candidates with its price, stock, quota headroom and
// verdict, ranked by the candidates' strategy, and the cell a purchase would
// take now.
//
// The cloud is asked once for the whole matrix (Backend::Offers(): on
// Tencent Cloud one DescribeZoneInstanceConfigInfos and one
// DescribeAccountQuota, whatever the number of cells). With all_zones or
// requirements the same listing, asked for every zone or every type, is the
// catalogue the zones and types are resolved from. Cells the sold-out
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
// for a backend that cannot list its offers), and the resolution's
// (RankCandidates()).
#ifndef CVM_PROVISIONER_SERVICE_CANDIDATE_QUOTE_H_
#define CVM_PROVISIONER_SERVICE_CANDIDATE_QUOTE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "common/candidate_cells.h"
#include "provisioning/v1/provisioning.pb.h"
#include "service/capacity_memory.h"

namespace cvm {

// One cell as ranked, with what the ranking knew of it.
struct RankedCell {
  provisioning::v1::QuoteCell cell;
  int64_t price_micros = 0;  // per instance-hour; 0 when not offered
  int cpu = 0;               // vCPUs of the type; 0 when not offered
};

// The most cells one candidates request may come to once its zones and
// types are resolved from the cloud's catalogue (10 zones x 20 types x 4
// billings, the most a request can name).
inline constexpr size_t kMaxCandidateCells = 800;

// The cells of `candidates` around `spec` (each list defaulting to spec's
// one value; all_zones: every zone of spec.region the offers list with one
// of the types, sorted; requirements: the types of the offers that meet
// them, the listed ones in the order given, else sorted), judged for a
// purchase of `count` instances and ranked by the strategy, available first. What the offers show
// without capacity is remembered; cells the memory knows carry its verdict. `purchase`: the memory
// counts a skip for each (a purchase), else only peeks (a Quote). A purchase through a backend that
// cannot list its offers (Offers() UNIMPLEMENTED) gets every cell in the order given, AVAILABLE
// with nothing known of price, stock or quota, for its pre-flight to judge; with all_zones or
// requirements it is INVALID_ARGUMENT naming them. Errors of the resolution: FAILED_PRECONDITION
// NO_MATCHING_INSTANCE_TYPE (no type meets the requirements) or NO_MATCHING_ZONE (no zone lists the
// types); INVALID_ARGUMENT naming candidates.all_zones / .requirements when
// the cells would exceed kMaxCandidateCells.
struct RankedCells {
  std::string currency;
  std::vector<RankedCell> cells;
};
absl::StatusOr<RankedCells> RankCandidates(Backend& backend, const std::string& backend_name,
                                           const provisioning::v1::InstanceSpec& spec,
                                           const provisioning::v1::Candidates& candidates,
                                           int count, CapacityMemory* memory, bool purchase,
                                           absl::Time deadline);

// The verdict "AVAILABLE".
inline constexpr char kAvailable[] = "AVAILABLE";

// `memory` may be null (no sold-out memory).
absl::StatusOr<provisioning::v1::Quote> QuoteCandidates(
    Backend& backend, const std::string& backend_name,
    const provisioning::v1::QuoteRequest& request, CapacityMemory* memory, absl::Time deadline);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_CANDIDATE_QUOTE_H_
