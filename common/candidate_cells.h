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
// spec's spot or pay-as-you-go). Lists resolved from the cloud's catalogue
// (ZonesFromCatalogue(), TypesFromCatalogue()) are known only when the cells
// are ranked (service/candidate_quote.h): the spec's value stands for them
// here.
std::vector<std::string> CandidateZones(const provisioning::v1::InstanceSpec& spec,
                                        const provisioning::v1::Candidates& candidates);
std::vector<std::string> CandidateTypes(const provisioning::v1::InstanceSpec& spec,
                                        const provisioning::v1::Candidates& candidates);
std::vector<provisioning::v1::Billing> CandidateBillings(
    const provisioning::v1::InstanceSpec& spec, const provisioning::v1::Candidates& candidates);

// Whether the zones are every zone of the region the cloud lists
// (all_zones), and whether the instance types are judged on the cloud's
// catalogue (requirements).
bool ZonesFromCatalogue(const provisioning::v1::Candidates& candidates);
bool TypesFromCatalogue(const provisioning::v1::Candidates& candidates);

// What a cloud's catalogue says of an instance type.
struct TypeTraits {
  int cpu = 0;
  double memory_gb = 0;
  std::string family;  // e.g. "S5"
  double gpu = 0;      // GPUs; a vGPU share is a fraction
};

// Whether a type with `traits` meets `requirements` (every bound inclusive,
// 0 none; families compared exactly).
bool MeetsRequirements(const provisioning::v1::InstanceRequirements& requirements,
                       const TypeTraits& traits);

// `spec` moved to `cell`: its zone, instance type and billing.
provisioning::v1::InstanceSpec SpecInCell(const provisioning::v1::InstanceSpec& spec,
                                          const provisioning::v1::QuoteCell& cell);

// Every cell of `request` as the spec a purchase of it would send, in the
// order given (billing, then zone, then type); just the spec without
// candidates. A list resolved from the catalogue counts as the spec's value.
std::vector<provisioning::v1::InstanceSpec> CellSpecs(
    const provisioning::v1::PurchaseRequest& request);

// The spec `instance` was bought with: the order's, moved to the instance's
// zone, type and billing when it records them (a candidates order's cells).
provisioning::v1::InstanceSpec LandedSpec(const provisioning::v1::Order& order,
                                          const provisioning::v1::Instance& instance);

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_CANDIDATE_CELLS_H_
