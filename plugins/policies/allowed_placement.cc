// Plugin "allowed_placement": the regions, zones and instance types a tenant
// may buy (config: provisioning.policies.v1.AllowedPlacementConfig).
//
// A purchase with candidates may land in any of its cells, so every cell must
// be allowed (policy_support.h PurchaseCells), not just the spec: the first
// cell found outside the lists (region, then zone, then type, cells in the
// order given) is denied, naming the field its value comes from
// ("candidates.zones[i]", "spec.zone", ...) and the value.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "plugins/policies/policy_configs.pb.h"
#include "plugins/policies/policy_support.h"
#include "plugins/policy_registry.h"

namespace cvm {
namespace {

using provisioning::policies::v1::AllowedPlacementConfig;

class AllowedPlacement : public Policy {
 public:
  AllowedPlacement(AllowedPlacementConfig config, std::string name)
      : config_(std::move(config)), name_(std::move(name)) {}

  absl::Status Check(const PurchaseCheck& check) override {
    // Cells resolved from the cloud's catalogue are not known here: a
    // restricted list cannot be checked against them, so it is refused.
    const provisioning::v1::Candidates& candidates = check.request->candidates();
    if (candidates.all_zones() && !config_.zones().empty()) {
      return Unjudgeable("candidates.all_zones", "zones", config_.zones());
    }
    if (candidates.has_requirements() && candidates.instance_types().empty() &&
        !config_.instance_types().empty()) {
      return Unjudgeable("candidates.requirements", "instance types", config_.instance_types());
    }
    for (const PurchaseCell& cell : PurchaseCells(*check.request)) {
      const provisioning::v1::InstanceSpec& spec = cell.spec;
      RETURN_IF_ERROR(Allowed(config_.regions(), "spec.region", "region", spec.region(),
                              "POLICY_REGION_NOT_ALLOWED"));
      RETURN_IF_ERROR(Allowed(config_.zones(), cell.zone_field, "zone", spec.zone(),
                              "POLICY_ZONE_NOT_ALLOWED"));
      RETURN_IF_ERROR(Allowed(config_.instance_types(), cell.type_field, "instance type",
                              spec.instance_type(), "POLICY_INSTANCE_TYPE_NOT_ALLOWED"));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Unjudgeable(const std::string& field, const std::string& what,
                           const google::protobuf::RepeatedPtrField<std::string>& allowed) const {
    const std::string list = absl::StrJoin(allowed, ", ");
    return PolicyDenial(
        absl::StatusCode::kPermissionDenied, "POLICY_PLACEMENT_UNJUDGEABLE", name_, field,
        absl::StrCat(what, " are restricted (allowed: ", list, "), so ", field,
                     " cannot be used: list the candidate ", what, " instead"),
        {{"field", field}, {"allowed", list}});
  }

  absl::Status Allowed(const google::protobuf::RepeatedPtrField<std::string>& allowed,
                       const std::string& field, const std::string& what, const std::string& value,
                       const std::string& reason) const {
    if (MatchesAny(allowed, value)) return absl::OkStatus();
    const std::string list = absl::StrJoin(allowed, ", ");
    // A value from the candidates says where: the spec may hold another.
    const std::string where =
        absl::StartsWith(field, "candidates.") ? absl::StrCat(" in ", field) : "";
    return PolicyDenial(
        absl::StatusCode::kPermissionDenied, reason, name_, field,
        absl::StrCat(what, " \"", value, "\"", where, " is not allowed (allowed: ", list, ")"),
        {{"field", field}, {"value", value}, {"allowed", list}});
  }

  const AllowedPlacementConfig config_;
  const std::string name_;
};

class AllowedPlacementFactory : public PolicyFactory {
 public:
  std::string name() const override { return "allowed_placement"; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return std::make_unique<AllowedPlacementConfig>();
  }
  absl::StatusOr<std::unique_ptr<Policy>> Create(const google::protobuf::Message& config,
                                                 const PolicyContext& context) const override {
    const auto& typed = static_cast<const AllowedPlacementConfig&>(config);
    RETURN_IF_ERROR(ValidatePatterns(typed.regions(), "regions"));
    RETURN_IF_ERROR(ValidatePatterns(typed.zones(), "zones"));
    RETURN_IF_ERROR(ValidatePatterns(typed.instance_types(), "instance_types"));
    return std::unique_ptr<Policy>(new AllowedPlacement(typed, context.name));
  }
};

REGISTER_POLICY_FACTORY(AllowedPlacementFactory);

}  // namespace
}  // namespace cvm
