// The fake's offers (Backend::Offers()): the cells of the zones and types
// asked for, or of its configured catalogue for every zone or type (see
// FakeBackendConfig.catalogue_zones, catalogue_types).
#include <cmath>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/fake/fake_backend.h"
#include "common/status_details.h"

namespace cvm {
namespace {

using provisioning::fake::v1::CatalogueType;
using provisioning::fake::v1::FakeBackendConfig;

// `type` as the catalogue describes it; a type it does not have: 2 vCPUs,
// 0 GB, the family in its name, no GPU.
CatalogueType CatalogueEntry(const FakeBackendConfig& config, const std::string& type) {
  CatalogueType described;
  described.set_instance_type(type);
  described.set_cpu(2);
  for (const CatalogueType& known : config.catalogue_types()) {
    if (known.instance_type() == type) described = known;
  }
  if (described.family().empty()) described.set_family(type.substr(0, type.find('.')));
  return described;
}

}  // namespace

absl::StatusOr<CellOffers> FakeBackend::Offers(const std::string& region,
                                              absl::Span<const std::string> zones,
                                              absl::Span<const std::string> instance_types,
                                              absl::Time /*deadline*/) {
  std::vector<std::string> zone_list(zones.begin(), zones.end());
  if (zones.empty()) {
    if (config_.catalogue_zones().empty()) {
      return InvalidFields({{"catalogue_zones",
                             "the fake backend lists every zone of a region only from its "
                             "configured catalogue_zones: name the zones"}});
    }
    for (const std::string& zone : config_.catalogue_zones()) {
      if (absl::StartsWith(zone, absl::StrCat(region, "-"))) zone_list.push_back(zone);
    }
  }
  std::vector<std::string> type_list(instance_types.begin(), instance_types.end());
  if (instance_types.empty()) {
    if (config_.catalogue_types().empty()) {
      return InvalidFields({{"catalogue_types",
                             "the fake backend lists every instance type only from its "
                             "configured catalogue_types: name the instance types"}});
    }
    for (const CatalogueType& type : config_.catalogue_types()) {
      type_list.push_back(type.instance_type());
    }
  }
  CellOffers offers;
  offers.currency = config_.currency().empty() ? "CNY" : config_.currency();
  absl::MutexLock lock(&mu_);
  for (const std::string& zone : zone_list) {
    const bool sold_out = absl::c_linear_search(config_.sold_out_zones(), zone);
    for (const std::string& type : type_list) {
      const CatalogueType described = CatalogueEntry(config_, type);
      for (const bool spot : {false, true}) {
        CellOffer cell;
        cell.zone = zone;
        cell.instance_type = type;
        cell.spot = spot;
        cell.sells = !sold_out;
        cell.cpu = described.cpu();
        cell.memory_gb = described.memory_gb();
        cell.family = described.family();
        cell.gpu = described.gpu();
        cell.unit_price_micros = std::llround((spot ? spot_market_price_ : price_per_hour_) * 1e6);
        if (auto it = stock_.find(type); it != stock_.end()) cell.stock = it->second;
        if (config_.instance_quota() > 0) {
          cell.quota_headroom = config_.instance_quota() - LiveCountLocked();
        }
        offers.cells.push_back(std::move(cell));
      }
    }
  }
  return offers;
}

}  // namespace cvm
