#include "service/candidate_quote.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/candidate_cells.h"
#include "common/money.h"
#include "common/status_details.h"
#include "common/status_macros.h"

namespace cvm {
namespace {

using provisioning::v1::Billing;
using provisioning::v1::Candidates;
using provisioning::v1::InstanceSpec;
using provisioning::v1::QuoteCell;
using provisioning::v1::QuoteRequest;

// The verdict of the offers on `cell` (price, stock and headroom filled in).
std::string Judge(const CellOffer* offer, int count, QuoteCell& cell) {
  cell.set_stock(-1);
  cell.set_quota_headroom(-1);
  if (offer == nullptr || !offer->sells) return "ZONE_SOLD_OUT";
  cell.set_unit_price_per_hour(FormatMoneyMicros(offer->unit_price_micros));
  if (offer->stock.has_value()) cell.set_stock(*offer->stock);
  if (offer->quota_headroom.has_value()) cell.set_quota_headroom(*offer->quota_headroom);
  if (offer->stock.has_value() && *offer->stock < count) return "INSUFFICIENT_STOCK";
  if (cell.billing().has_spot()) {
    absl::StatusOr<int64_t> max = ParseMoneyMicros(cell.billing().spot().max_price_per_hour());
    if (max.ok() && *max < offer->unit_price_micros) return "SPOT_PRICE_TOO_LOW";
  }
  const int needed = cell.billing().has_spot() ? count * offer->cpu : count;
  if (offer->quota_headroom.has_value() && *offer->quota_headroom < needed) {
    return "QUOTA_EXCEEDED";
  }
  return kAvailable;
}

// The verdict as the error a purchase of the cell would get, with the
// figure it depends on (backends/backend.h).
absl::Status AsError(const QuoteCell& cell) {
  const std::string subject = absl::StrCat(cell.zone(), "/", cell.instance_type());
  if (cell.verdict() == "QUOTA_EXCEEDED") return QuotaExceeded(subject, "seen by a Quote");
  absl::Status error = PreconditionFailed(cell.verdict(), subject, "seen by a Quote");
  if (cell.verdict() == "INSUFFICIENT_STOCK") {
    return WithReason(error, cell.verdict(), {{kStockLeftKey, absl::StrCat(cell.stock())}});
  }
  if (cell.verdict() == "SPOT_PRICE_TOO_LOW") {
    return WithReason(error, cell.verdict(), {{kMarketPriceKey, cell.unit_price_per_hour()}});
  }
  return error;
}

// The zones and instance types of the cells.
struct CellLists {
  std::vector<std::string> zones;
  std::vector<std::string> types;
};

// The fields whose lists the cloud's catalogue resolves.
std::vector<std::string> CatalogueFields(const Candidates& candidates) {
  std::vector<std::string> fields;
  if (ZonesFromCatalogue(candidates)) fields.push_back("candidates.all_zones");
  if (TypesFromCatalogue(candidates)) fields.push_back("candidates.requirements");
  return fields;
}

// INVALID_ARGUMENT naming each of `fields` (none: "candidates"), for the
// same reason.
absl::Status EachInvalid(const std::vector<std::string>& fields, const std::string& why) {
  std::vector<FieldViolation> violations;
  for (const std::string& field : fields) violations.push_back({field, why});
  if (violations.empty()) violations.push_back({"candidates", why});
  return InvalidFields(violations);
}

// The lists to ask the cloud's offers for: an empty one is every zone of
// the region (all_zones) or every type (requirements without types).
CellLists Asked(const InstanceSpec& spec, const Candidates& candidates) {
  CellLists asked;
  if (!ZonesFromCatalogue(candidates)) asked.zones = CandidateZones(spec, candidates);
  if (!TypesFromCatalogue(candidates) || !candidates.instance_types().empty()) {
    asked.types = CandidateTypes(spec, candidates);
  }
  return asked;
}

// The cells' lists: the candidates' own, or resolved from `offers`. Types
// meeting the requirements (a type meets them when one of its offers does),
// listed ones in the order given, else sorted; every zone listing one of the
// types, sorted. FAILED_PRECONDITION when none is left; INVALID_ARGUMENT
// naming the resolved fields when the matrix exceeds kMaxCandidateCells.
absl::StatusOr<CellLists> Resolve(const InstanceSpec& spec, const Candidates& candidates,
                                  const CellOffers& offers, size_t billings) {
  CellLists lists{CandidateZones(spec, candidates), CandidateTypes(spec, candidates)};
  if (TypesFromCatalogue(candidates)) {
    std::map<std::string, bool> meets;  // by type, sorted
    for (const CellOffer& offer : offers.cells) {
      meets[offer.instance_type] |= MeetsRequirements(
          candidates.requirements(), {offer.cpu, offer.memory_gb, offer.family, offer.gpu});
    }
    std::vector<std::string> listed = lists.types;
    if (candidates.instance_types().empty()) {
      listed.clear();
      for (const auto& [type, ok] : meets) listed.push_back(type);
    }
    lists.types.clear();
    for (const std::string& type : listed) {
      if (meets[type]) lists.types.push_back(type);
    }
    if (lists.types.empty()) {
      return PreconditionFailed(
          "NO_MATCHING_INSTANCE_TYPE", "candidates.requirements",
          absl::StrCat("no instance type the cloud lists in ", spec.region(), " meets them"));
    }
  }
  if (ZonesFromCatalogue(candidates)) {
    const std::set<std::string> types(lists.types.begin(), lists.types.end());
    std::set<std::string> zones;
    for (const CellOffer& offer : offers.cells) {
      if (types.count(offer.instance_type) > 0) zones.insert(offer.zone);
    }
    if (zones.empty()) {
      return PreconditionFailed(
          "NO_MATCHING_ZONE", "candidates.all_zones",
          absl::StrCat("the cloud lists no zone of ", spec.region(), " with the instance types"));
    }
    lists.zones.assign(zones.begin(), zones.end());
  }
  const size_t cells = lists.zones.size() * lists.types.size() * billings;
  if (cells > kMaxCandidateCells) {
    return EachInvalid(
        CatalogueFields(candidates),
        absl::StrCat("the candidates come to ", cells, " cells (", lists.zones.size(), " zones x ",
                     lists.types.size(), " instance types x ", billings,
                     " billings), above the limit of ", kMaxCandidateCells, ": narrow them"));
  }
  return lists;
}

}  // namespace

absl::StatusOr<RankedCells> RankCandidates(Backend& backend, const std::string& backend_name,
                                           const InstanceSpec& spec, const Candidates& candidates,
                                           int count, CapacityMemory* memory, bool purchase,
                                           absl::Time deadline) {
  const CellLists asked = Asked(spec, candidates);
  absl::StatusOr<CellOffers> listed =
      backend.Offers(spec.region(), asked.zones, asked.types, deadline);
  const bool unlisted = listed.status().code() == absl::StatusCode::kUnimplemented;
  if (unlisted && !CatalogueFields(candidates).empty()) {
    return EachInvalid(CatalogueFields(candidates),
                       absl::StrCat("backend ", backend_name,
                                    " cannot list its offers to resolve it: name the zones and "
                                    "instance types"));
  }
  // A purchase through a backend that cannot list its offers tries every
  // cell in the order given, each judged by its pre-flight.
  const bool blind = purchase && unlisted;
  if (!listed.ok() && !blind) return listed.status();
  const CellOffers offers = blind ? CellOffers() : *std::move(listed);
  const std::vector<Billing> billings = CandidateBillings(spec, candidates);
  ASSIGN_OR_RETURN(const CellLists lists, Resolve(spec, candidates, offers, billings.size()));
  std::map<std::tuple<std::string, std::string, bool>, const CellOffer*> by_cell;
  for (const CellOffer& offer : offers.cells) {
    by_cell[{offer.zone, offer.instance_type, offer.spot}] = &offer;
  }
  std::vector<RankedCell> ranked;
  for (const Billing& billing : billings) {
    for (const std::string& zone : lists.zones) {
      for (const std::string& type : lists.types) {
        RankedCell r;
        r.cell.set_zone(zone);
        r.cell.set_instance_type(type);
        *r.cell.mutable_billing() = billing;
        auto it = by_cell.find({zone, type, billing.has_spot()});
        const CellOffer* offer = it == by_cell.end() ? nullptr : it->second;
        if (blind) {
          r.cell.set_stock(-1);
          r.cell.set_quota_headroom(-1);
          r.cell.set_verdict(kAvailable);
        } else {
          r.cell.set_verdict(Judge(offer, count, r.cell));
        }
        if (offer != nullptr) {
          r.price_micros = offer->unit_price_micros;
          r.cpu = offer->cpu;
        }
        if (memory != nullptr) {
          const InstanceSpec moved = SpecInCell(spec, r.cell);
          absl::Status known = purchase ? memory->Check(backend_name, moved, count)
                                           : memory->Peek(backend_name, moved, count);
          if (!known.ok()) {
            r.cell.set_verdict(ErrorReason(known));
            r.cell.set_remembered(true);
          } else if (r.cell.verdict() != kAvailable) {
            memory->Learn(backend_name, moved, AsError(r.cell));
          }
        }
        ranked.push_back(std::move(r));
      }
    }
  }
  // Stable: ties keep the order given (billing, then zone, then type).
  const bool by_price = candidates.strategy() != Candidates::PRIORITIZED;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [by_price](const RankedCell& a, const RankedCell& b) {
                     const bool a_ok = a.cell.verdict() == kAvailable;
                     const bool b_ok = b.cell.verdict() == kAvailable;
                     if (a_ok != b_ok) return a_ok;
                     return a_ok && by_price && a.price_micros < b.price_micros;
                   });
  return RankedCells{offers.currency, std::move(ranked)};
}

absl::StatusOr<provisioning::v1::Quote> QuoteCandidates(Backend& backend,
                                                        const std::string& backend_name,
                                                        const QuoteRequest& request,
                                                        CapacityMemory* memory,
                                                        absl::Time deadline) {
  ASSIGN_OR_RETURN(RankedCells ranked,
                   RankCandidates(backend, backend_name, request.spec(), request.candidates(),
                                  request.instance_count(), memory, /*purchase=*/false,
                                  deadline));
  provisioning::v1::Quote quote;
  quote.set_currency(ranked.currency);
  quote.set_backend(backend_name);
  for (RankedCell& r : ranked.cells) *quote.add_cells() = std::move(r.cell);
  if (quote.cells_size() > 0 && quote.cells(0).verdict() == kAvailable) {
    *quote.mutable_chosen() = quote.cells(0);
  }
  return quote;
}

}  // namespace cvm
