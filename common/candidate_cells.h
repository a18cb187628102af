// The cells of a purchase with candidates (PurchaseRequest.candidates,
// QuoteRequest.candidates): every zone x instance type x billing, each list
// defaulting to the spec's one value, and the spec moved into a cell. Shared
// by the service (ranking, attempts), the policies (which judge every cell)
// and whatever prices an order's instances by where they landed.
//
// Contract: pure functions of protos; thread-compatible.
#ifndef CVM_PROVISIONER_COMMON_CANDIDATE_CELLS_H_
#define CVM_PROVISIONER_COMMON_CANDIDATE_CELLS_H_

#include <string>
#include <vector>

#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

// The candidates' lists; an empty one is the spec's value (a billing: the
// spec's spot or pay-as-you-go).
std::vector<std::string> CandidateZones(const provisioning::v1::InstanceSpec& spec,
                                        const provisioning::v1::Candidates& candidates);
std::vector<std::string> CandidateTypes(const provisioning::v1::InstanceSpec& spec,
                                        const provisioning::v1::Candidates& candidates);
std::vector<provisioning::v1::Billing> CandidateBillings(
    const provisioning::v1::InstanceSpec& spec, const provisioning::v1::Candidates& candidates);

// `spec` moved to `cell`: its zone, instance type and billing.
provisioning::v1::InstanceSpec SpecInCell(const provisioning::v1::InstanceSpec& spec,
                                          const provisioning::v1::QuoteCell& cell);

// Every cell of `request` as the spec a purchase of it would send, in the
// order given (billing, then zone, then type); just the spec without
// candidates.
std::vector<provisioning::v1::InstanceSpec> CellSpecs(
    const provisioning::v1::PurchaseRequest& request);

// The spec `instance` was bought with: the order's, moved to the instance's
// zone, type and billing when it records them (a candidates order's cells).
provisioning::v1::InstanceSpec LandedSpec(const provisioning::v1::Order& order,
                                          const provisioning::v1::Instance& instance);

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_CANDIDATE_CELLS_H_
