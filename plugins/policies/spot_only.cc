// Plugin "spot_only": matching purchases must be spot, optionally with a
// capped bid (config: provisioning.policies.v1.SpotOnlyConfig).
//
// A purchase with candidates may land in any of its cells (policy_support.h
// PurchaseCells), so each cell is judged on its own: every cell whose type
// and region match must be spot, and every spot cell's bid within the cap. A
// pay-as-you-go rung of the billing ladder for a matching type is denied
// naming "candidates.billing[i]"; a bid above the cap names
// "candidates.billing[i].spot.max_price_per_hour" (or the spec's fields when
// the billing is the spec's).
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/money.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "plugins/policies/policy_configs.pb.h"
#include "plugins/policies/policy_support.h"
#include "plugins/policy_registry.h"

namespace cvm {
namespace {

using provisioning::policies::v1::SpotOnlyConfig;

class SpotOnly : public Policy {
 public:
  SpotOnly(SpotOnlyConfig config, std::string name, int64_t cap_micros)
      : config_(std::move(config)), name_(std::move(name)), cap_micros_(cap_micros) {}

  absl::Status Check(const PurchaseCheck& check) override {
    // Types resolved from the catalogue may be any: with a restricted type
    // list, every rung of the ladder must then be spot.
    const provisioning::v1::Candidates& candidates = check.request->candidates();
    const bool any_type = candidates.has_requirements() && candidates.instance_types().empty();
    for (const PurchaseCell& cell : PurchaseCells(*check.request)) {
      if (any_type && !config_.instance_types().empty() && !cell.spec.has_spot() &&
          MatchesAny(config_.regions(), cell.spec.region())) {
        return PolicyDenial(
            absl::StatusCode::kPermissionDenied, "POLICY_SPOT_REQUIRED", name_,
            "candidates.requirements",
            absl::StrCat("types resolved from candidates.requirements may be ones that are "
                         "spot only, and ", cell.billing_field, " is not spot: name "
                         "candidates.instance_types or bill only spot"),
            {{"field", "candidates.requirements"}, {"billing", cell.billing_field}});
      }
      RETURN_IF_ERROR(CheckCell(cell));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status CheckCell(const PurchaseCell& cell) const {
    const provisioning::v1::InstanceSpec& spec = cell.spec;
    if (!MatchesAny(config_.instance_types(), spec.instance_type()) ||
        !MatchesAny(config_.regions(), spec.region())) {
      return absl::OkStatus();
    }
    // A billing from the ladder says where: the spec may be spot.
    const bool from_ladder = absl::StartsWith(cell.billing_field, "candidates.");
    if (!spec.has_spot()) {
      return PolicyDenial(
          absl::StatusCode::kPermissionDenied, "POLICY_SPOT_REQUIRED", name_, cell.billing_field,
          absl::StrCat(spec.instance_type(), " in ", spec.region(),
                       " may only be bought as spot instances",
                       from_ladder ? absl::StrCat(" (", cell.billing_field, " is not spot)") : ""),
          {{"instance_type", spec.instance_type()},
           {"region", spec.region()},
           {"field", cell.billing_field}});
    }
    if (cap_micros_ < 0) return absl::OkStatus();
    // Validation refuses an unparsable bid; should one get here, it is no
    // bid within the cap (fail closed).
    absl::StatusOr<int64_t> bid = ParseMoneyMicros(spec.spot().max_price_per_hour());
    if (!bid.ok() || *bid > cap_micros_) {
      return PolicyDenial(
          absl::StatusCode::kPermissionDenied, "POLICY_SPOT_PRICE_ABOVE_CAP", name_, cell.bid_field,
          absl::StrCat("a spot bid of ", spec.spot().max_price_per_hour(),
                       from_ladder ? absl::StrCat(" (", cell.bid_field, ")") : "",
                       " per hour is above the cap of ", config_.max_price_per_hour()),
          {{"max_price_per_hour", spec.spot().max_price_per_hour()},
           {"cap", config_.max_price_per_hour()},
           {"field", cell.bid_field}});
    }
    return absl::OkStatus();
  }

  const SpotOnlyConfig config_;
  const std::string name_;
  const int64_t cap_micros_;  // -1: no cap
};

class SpotOnlyFactory : public PolicyFactory {
 public:
  std::string name() const override { return "spot_only"; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return std::make_unique<SpotOnlyConfig>();
  }
  absl::StatusOr<std::unique_ptr<Policy>> Create(const google::protobuf::Message& config,
                                                 const PolicyContext& context) const override {
    const auto& typed = static_cast<const SpotOnlyConfig&>(config);
    RETURN_IF_ERROR(ValidatePatterns(typed.instance_types(), "instance_types"));
    RETURN_IF_ERROR(ValidatePatterns(typed.regions(), "regions"));
    int64_t cap = -1;
    if (!typed.max_price_per_hour().empty()) {
      absl::StatusOr<int64_t> parsed = ParseMoneyMicros(typed.max_price_per_hour());
      if (!parsed.ok()) {
        return InvalidFields({{"max_price_per_hour", "must be a decimal such as \"0.05\""}});
      }
      cap = *parsed;
    }
    return std::unique_ptr<Policy>(new SpotOnly(typed, context.name, cap));
  }
};

REGISTER_POLICY_FACTORY(SpotOnlyFactory);

}  // namespace
}  // namespace cvm
