// The policy contract: rules a purchase must pass before it is accepted.
//
// A Policy is one configured rule (allowed regions, a per-tenant instance
// limit, an hourly budget, ...). The order workflow runs the policies that
// apply to the buying tenant (plugins/policy_set.h) after validation and
// routing and before the order is stored; a dry run runs them too. A policy
// never changes the request: it admits it or denies it.
//
// Rules:
//  1. Thread safety: Check() may be called concurrently from many threads,
//     but never concurrently for the same tenant: PolicySet serializes the
//     check-and-admit of one tenant, and the admitted order is in the store
//     before the next check of that tenant starts. A policy that counts what
//     the tenant holds (OrderLedger) therefore sees every admitted order and
//     two concurrent purchases can never both pass on the same headroom.
//  2. Codes: OK admits. A denial is
//       PERMISSION_DENIED    the tenant may not buy this at all (a region,
//                            zone or type outside the allowed ones; billing
//                            the rules forbid),
//       FAILED_PRECONDITION  not now: the purchase would exceed a limit that
//                            depends on what the tenant holds (instances,
//                            hourly spend); it may pass once orders end,
//     each with an ErrorInfo whose reason names the rule (POLICY_...) and
//     whose metadata has "policy" (the configured name) plus the numbers or
//     values involved; FAILED_PRECONDITION also carries a PreconditionFailure
//     whose violation type is that reason (plugins/policies/policy_support.h
//     PolicyDenial). Any other error (UNAVAILABLE from a quote or the
//     store) means the policy could not decide; the purchase is refused
//     with it (fail closed).
//  3. The tenant is a parameter of the check, chosen by the caller (today
//     always kDefaultTenant; later the authenticated caller), never a field
//     of the request.
//  4. Ownership: a policy keeps nothing of the check beyond the call except
//     what it caches itself (e.g. a price); the context's pointers outlive it.
//  5. A purchase with candidates may land in any of its cells
//     (common/candidate_cells.h CellSpecs), so a policy judges every cell,
//     not just the spec, and a denial names the request field the offending
//     value comes from ("candidates.zones[i]", "spec.zone", ...). The
//     built-in policies get the cells and fields from
//     plugins/policies/policy_support.h PurchaseCells.
#ifndef CVM_PROVISIONER_PLUGINS_POLICY_H_
#define CVM_PROVISIONER_PLUGINS_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "common/clock.h"
#include "common/plugin_registry.h"
#include "google/protobuf/message.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

class BackendSet;

// The unnamed tenant: every caller of a service without authentication
// (service/authenticator.h).
inline constexpr char kDefaultTenant[] = "";

// How a tenant is named in denials: the unnamed tenant shows as "default".
inline std::string TenantLabel(const std::string& tenant) {
  return tenant.empty() ? "default" : tenant;
}

// One purchase to check.
struct PurchaseCheck {
  // Who buys (rule 3).
  std::string tenant;
  // The validated request; dry_run set for a dry run.
  const provisioning::v1::PurchaseRequest* request = nullptr;
  // The backend the purchase is routed to, for quotes.
  std::string backend_name;
  Backend* backend = nullptr;
};

class Policy {
 public:
  virtual ~Policy() = default;
  // Admits (OK) or denies `check` (rule 2).
  virtual absl::Status Check(const PurchaseCheck& check) = 0;
};

// What a tenant holds, read from the order store.
//
// Thread-safe. UNAVAILABLE when the store cannot be read.
class OrderLedger {
 public:
  virtual ~OrderLedger() = default;
  // The tenant's orders that hold instances or may still buy some: not
  // CANCELLED or TERMINATED, and not FAILED without live instances.
  virtual absl::StatusOr<std::vector<provisioning::v1::Order>> LiveOrders(
      const std::string& tenant) = 0;
};

// What a policy factory gets besides its config.
struct PolicyContext {
  // The configured policy's name (PolicyInstance.name): the "policy" of its
  // denials.
  std::string name;
  // The orders of each tenant; null where no store is wired (a policy that
  // needs it fails Create() with FAILED_PRECONDITION).
  OrderLedger* ledger = nullptr;
  // The configured backends, to price stored orders by their own backend;
  // null: they are priced by the purchase's routed backend.
  const BackendSet* backends = nullptr;
  Clock* clock = RealClock::Get();
};

// Builds one policy plugin from its typed config: name(), CreateEmptyConfig()
// and Create(config, context) (common/plugin_registry.h); see
// plugins/policy_registry.h.
class PolicyFactory : public PluginFactory<Policy, PolicyContext> {
 public:
  static constexpr char kPluginKind[] = "policy";
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_POLICY_H_
