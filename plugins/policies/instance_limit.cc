// Plugin "instance_limit": at most max_instances live instances per tenant
// (config: provisioning.policies.v1.InstanceLimitConfig), counted from the
// store through the OrderLedger. Exact under concurrent purchases because
// PolicySet serializes the check-and-admit of a tenant (plugins/policy.h).
#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "plugins/policies/policy_configs.pb.h"
#include "plugins/policies/policy_support.h"
#include "plugins/policy_registry.h"

namespace cvm {
namespace {

using provisioning::policies::v1::InstanceLimitConfig;

class InstanceLimit : public Policy {
 public:
  InstanceLimit(int max_instances, std::string name, OrderLedger* ledger)
      : max_(max_instances), name_(std::move(name)), ledger_(ledger) {}

  absl::Status Check(const PurchaseCheck& check) override {
    ASSIGN_OR_RETURN(std::vector<provisioning::v1::Order> orders,
                     ledger_->LiveOrders(check.tenant));
    int64_t live = 0;
    for (const provisioning::v1::Order& order : orders) live += LiveInstances(order);
    const int64_t requested = check.request->instance_count();
    if (live + requested <= max_) return absl::OkStatus();
    return PolicyDenial(absl::StatusCode::kFailedPrecondition, "POLICY_INSTANCE_LIMIT_EXCEEDED",
                        name_, absl::StrCat("tenants/", TenantLabel(check.tenant)),
                        absl::StrCat("tenant ", TenantLabel(check.tenant), " holds ", live, " live instances; ",
                                     requested, " more would exceed its limit of ", max_),
                        {{"tenant", TenantLabel(check.tenant)},
                         {"limit", absl::StrCat(max_)},
                         {"live", absl::StrCat(live)},
                         {"requested", absl::StrCat(requested)}});
  }

 private:
  const int64_t max_;
  const std::string name_;
  OrderLedger* const ledger_;
};

class InstanceLimitFactory : public PolicyFactory {
 public:
  std::string name() const override { return "instance_limit"; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return std::make_unique<InstanceLimitConfig>();
  }
  absl::StatusOr<std::unique_ptr<Policy>> Create(const google::protobuf::Message& config,
                                                 const PolicyContext& context) const override {
    const auto& typed = static_cast<const InstanceLimitConfig&>(config);
    if (typed.max_instances() < 1) {
      return InvalidFields({{"max_instances", "must be at least 1"}});
    }
    if (context.ledger == nullptr) {
      return absl::FailedPreconditionError("instance_limit needs the order store (a ledger)");
    }
    return std::unique_ptr<Policy>(
        new InstanceLimit(typed.max_instances(), context.name, context.ledger));
  }
};

REGISTER_POLICY_FACTORY(InstanceLimitFactory);

}  // namespace
}  // namespace cvm
