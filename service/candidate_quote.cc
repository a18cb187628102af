#include "service/candidate_quote.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
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

constexpr char kAvailable[] = "AVAILABLE";

// The candidates' lists, each defaulting to the spec's one value.
std::vector<std::string> ZonesOf(const QuoteRequest& request) {
  const auto& zones = request.candidates().zones();
  if (zones.empty()) return {request.spec().zone()};
  return {zones.begin(), zones.end()};
}
std::vector<std::string> TypesOf(const QuoteRequest& request) {
  const auto& types = request.candidates().instance_types();
  if (types.empty()) return {request.spec().instance_type()};
  return {types.begin(), types.end()};
}
std::vector<Billing> BillingsOf(const QuoteRequest& request) {
  const auto& billing = request.candidates().billing();
  if (!billing.empty()) return {billing.begin(), billing.end()};
  Billing only;
  if (request.spec().has_spot()) {
    *only.mutable_spot() = request.spec().spot();
  } else {
    only.mutable_pay_as_you_go();
  }
  return {only};
}

// `spec` moved to the cell.
InstanceSpec SpecOf(const InstanceSpec& spec, const QuoteCell& cell) {
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

}  // namespace

absl::StatusOr<provisioning::v1::Quote> QuoteCandidates(Backend& backend,
                                                        const std::string& backend_name,
                                                        const QuoteRequest& request,
                                                        CapacityMemory* memory,
                                                        absl::Time deadline) {
  const std::vector<std::string> zones = ZonesOf(request);
  const std::vector<std::string> types = TypesOf(request);
  ASSIGN_OR_RETURN(CellOffers offers,
                   backend.Offers(request.spec().region(), zones, types, deadline));
  std::map<std::tuple<std::string, std::string, bool>, const CellOffer*> by_cell;
  for (const CellOffer& offer : offers.cells) {
    by_cell[{offer.zone, offer.instance_type, offer.spot}] = &offer;
  }
  struct Ranked {
    QuoteCell cell;
    int64_t price = 0;
    size_t given = 0;  // the position in the order given
  };
  std::vector<Ranked> ranked;
  for (const Billing& billing : BillingsOf(request)) {
    for (const std::string& zone : zones) {
      for (const std::string& type : types) {
        Ranked r;
        r.given = ranked.size();
        r.cell.set_zone(zone);
        r.cell.set_instance_type(type);
        *r.cell.mutable_billing() = billing;
        auto it = by_cell.find({zone, type, billing.has_spot()});
        const CellOffer* offer = it == by_cell.end() ? nullptr : it->second;
        r.cell.set_verdict(Judge(offer, request.instance_count(), r.cell));
        r.price = offer == nullptr ? 0 : offer->unit_price_micros;
        const InstanceSpec spec = SpecOf(request.spec(), r.cell);
        if (memory != nullptr) {
          absl::Status known = memory->Peek(backend_name, spec, request.instance_count());
          if (!known.ok()) {
            r.cell.set_verdict(ErrorReason(known));
            r.cell.set_remembered(true);
          } else if (r.cell.verdict() != kAvailable) {
            memory->Learn(backend_name, spec, AsError(r.cell));
          }
        }
        ranked.push_back(std::move(r));
      }
    }
  }
  const bool by_price =
      request.candidates().strategy() != Candidates::PRIORITIZED;
  std::stable_sort(ranked.begin(), ranked.end(), [by_price](const Ranked& a, const Ranked& b) {
    const bool a_ok = a.cell.verdict() == kAvailable, b_ok = b.cell.verdict() == kAvailable;
    if (a_ok != b_ok) return a_ok;
    if (a_ok && by_price && a.price != b.price) return a.price < b.price;
    return a.given < b.given;
  });
  provisioning::v1::Quote quote;
  quote.set_currency(offers.currency);
  quote.set_backend(backend_name);
  for (Ranked& r : ranked) *quote.add_cells() = std::move(r.cell);
  if (quote.cells_size() > 0 && quote.cells(0).verdict() == kAvailable) {
    *quote.mutable_chosen() = quote.cells(0);
  }
  return quote;
}

}  // namespace cvm
