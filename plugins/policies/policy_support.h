// Helpers shared by the built-in policies: denials that name their rule,
// patterns, the cells of a purchase with the fields they come from, and what
// an order holds.
#ifndef CVM_PROVISIONER_PLUGINS_POLICIES_POLICY_SUPPORT_H_
#define CVM_PROVISIONER_PLUGINS_POLICIES_POLICY_SUPPORT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

// A denial by the policy named `policy` (plugins/policy.h rule 2): `code`
// (PERMISSION_DENIED or FAILED_PRECONDITION) with the message
// "policy <policy>: <description>", an ErrorInfo with `reason` and metadata
// "policy" plus `metadata`, and for FAILED_PRECONDITION a PreconditionFailure
// whose violation is {type: reason, subject, description}.
absl::Status PolicyDenial(absl::StatusCode code, absl::string_view reason, absl::string_view policy,
                          absl::string_view subject, absl::string_view description,
                          const std::vector<std::pair<std::string, std::string>>& metadata = {});

// Whether `value` matches one of `patterns` (an exact value, or a prefix
// followed by "*"). An empty list matches everything.
bool MatchesAny(const google::protobuf::RepeatedPtrField<std::string>& patterns,
                absl::string_view value);

// INVALID_ARGUMENT naming `field` when a pattern is empty or has a "*"
// anywhere but at its end.
absl::Status ValidatePatterns(const google::protobuf::RepeatedPtrField<std::string>& patterns,
                              absl::string_view field);

// One cell of a purchase (common/candidate_cells.h CellSpecs: the spec a
// purchase of it sends) and the request fields its values come from, for
// denials: "candidates.zones[i]", "candidates.instance_types[i]" and
// "candidates.billing[i]" when the candidates list them, else "spec.zone",
// "spec.instance_type" and "spec.billing".
struct PurchaseCell {
  provisioning::v1::InstanceSpec spec;
  std::string zone_field;
  std::string type_field;
  std::string billing_field;
  // The spot bid's field: billing_field + ".spot.max_price_per_hour", or
  // "spec.spot.max_price_per_hour".
  std::string bid_field;
};

// Every cell `request` may land in, in CellSpecs' order; just the spec
// (fields "spec.*") without candidates.
std::vector<PurchaseCell> PurchaseCells(const provisioning::v1::PurchaseRequest& request);

// Whether the tenant still holds (and pays for) `instance`: neither
// TERMINATED nor LAUNCH_FAILED nor returned to the cloud's recycle bin
// (backends/backend.h rule 8: refunded, no longer the tenant's).
bool IsHeld(const provisioning::v1::Instance& instance);

// The instances `order` holds or may still buy: instance_count before the
// cloud call (ACCEPTED, CHECKING, SUBMITTED), then its instances IsHeld().
int LiveInstances(const provisioning::v1::Order& order);

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_POLICIES_POLICY_SUPPORT_H_
