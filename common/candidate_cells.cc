#include "common/candidate_cells.h"

#include <algorithm>

namespace cvm {

using provisioning::v1::Billing;
using provisioning::v1::Candidates;
using provisioning::v1::InstanceRequirements;
using provisioning::v1::InstanceSpec;
using provisioning::v1::QuoteCell;

std::vector<std::string> CandidateZones(const InstanceSpec& spec, const Candidates& candidates) {
  if (candidates.zones().empty()) return {spec.zone()};
  return {candidates.zones().begin(), candidates.zones().end()};
}

std::vector<std::string> CandidateTypes(const InstanceSpec& spec, const Candidates& candidates) {
  if (candidates.instance_types().empty()) return {spec.instance_type()};
  return {candidates.instance_types().begin(), candidates.instance_types().end()};
}

std::vector<Billing> CandidateBillings(const InstanceSpec& spec, const Candidates& candidates) {
  if (!candidates.billing().empty()) {
    return {candidates.billing().begin(), candidates.billing().end()};
  }
  Billing only;
  if (spec.has_spot()) {
    *only.mutable_spot() = spec.spot();
  } else {
    only.mutable_pay_as_you_go();
  }
  return {only};
}

bool ZonesFromCatalogue(const Candidates& candidates) { return candidates.all_zones(); }

bool TypesFromCatalogue(const Candidates& candidates) { return candidates.has_requirements(); }

bool MeetsRequirements(const InstanceRequirements& requirements, const TypeTraits& traits) {
  auto within = [](double value, int min, int max) {
    return value >= min && (max == 0 || value <= max);
  };
  if (!within(traits.cpu, requirements.min_cpu(), requirements.max_cpu()) ||
      !within(traits.memory_gb, requirements.min_memory_gb(), requirements.max_memory_gb())) {
    return false;
  }
  const auto& allowed = requirements.families();
  const auto& excluded = requirements.excluded_families();
  if (!allowed.empty() &&
      std::find(allowed.begin(), allowed.end(), traits.family) == allowed.end()) {
    return false;
  }
  if (std::find(excluded.begin(), excluded.end(), traits.family) != excluded.end()) return false;
  switch (requirements.gpu()) {
    case InstanceRequirements::GPU_REQUIRED:
      return traits.gpu > 0;
    case InstanceRequirements::GPU_NONE:
      return traits.gpu == 0;
    default:
      return true;
  }
}

InstanceSpec SpecInCell(const InstanceSpec& spec, const QuoteCell& cell) {
  InstanceSpec moved = spec;
  moved.set_zone(cell.zone());
  moved.set_instance_type(cell.instance_type());
  if (cell.billing().has_spot()) {
    *moved.mutable_spot() = cell.billing().spot();
  } else {
    moved.mutable_pay_as_you_go();
  }
  return moved;
}

std::vector<InstanceSpec> CellSpecs(const provisioning::v1::PurchaseRequest& request) {
  if (!request.has_candidates()) return {request.spec()};
  std::vector<InstanceSpec> cells;
  const InstanceSpec& spec = request.spec();
  for (const Billing& billing : CandidateBillings(spec, request.candidates())) {
    for (const std::string& zone : CandidateZones(spec, request.candidates())) {
      for (const std::string& type : CandidateTypes(spec, request.candidates())) {
        QuoteCell cell;
        cell.set_zone(zone);
        cell.set_instance_type(type);
        *cell.mutable_billing() = billing;
        cells.push_back(SpecInCell(spec, cell));
      }
    }
  }
  return cells;
}

InstanceSpec LandedSpec(const provisioning::v1::Order& order,
                        const provisioning::v1::Instance& instance) {
  InstanceSpec spec = order.spec();
  if (instance.instance_type().empty()) return spec;
  spec.set_zone(instance.zone());
  spec.set_instance_type(instance.instance_type());
  if (instance.billing().has_spot()) {
    *spec.mutable_spot() = instance.billing().spot();
  } else if (instance.billing().has_pay_as_you_go()) {
    spec.mutable_pay_as_you_go();
  }
  return spec;
}

}  // namespace cvm
