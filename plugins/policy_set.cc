#include "plugins/policy_set.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "plugins/abi_policy.h"
#include "plugins/plugin_builder.h"

namespace cvm {
namespace {

using provisioning::config::v1::PolicyInstance;
using provisioning::config::v1::ServiceConfig;

}  // namespace

absl::StatusOr<std::unique_ptr<PolicySet>> PolicySet::Create(const ServiceConfig& config,
                                                             const PolicyRegistry& registry,
                                                             const PolicyContext& context) {
  ASSIGN_OR_RETURN(auto built, (BuildPlugins<PolicyFactory, AbiPolicyFactory>(
                                   config, CVM_PLUGIN_KIND_POLICY, "policies",
                                   config.policies(), registry, context)));
  std::unique_ptr<PolicySet> set(new PolicySet);
  for (auto& policy : built) {
    const PolicyInstance& instance = config.policies(policy.index);
    Entry entry;
    entry.name = std::move(policy.name);
    entry.tenants.insert(instance.tenants().begin(), instance.tenants().end());
    entry.policy = std::move(policy.product);
    set->entries_.push_back(std::move(entry));
  }
  return set;
}

bool PolicySet::AppliesTo(const std::string& tenant) const {
  for (const Entry& entry : entries_) {
    if (entry.AppliesTo(tenant)) return true;
  }
  return false;
}

absl::StatusOr<PolicySet::Admission> PolicySet::Admit(const std::string& tenant) {
  if (!AppliesTo(tenant)) return Admission();
  std::mutex* tenant_mu;
  {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<std::mutex>& slot = tenant_locks_[tenant];
    if (slot == nullptr) slot = std::make_unique<std::mutex>();
    tenant_mu = slot.get();
  }
  Admission admission(*tenant_mu);
  if (shared_leases_ == nullptr) return admission;
  // Another replica may be between its check and its store write.
  const std::string claim = absl::StrCat("admission/", tenant);
  const absl::Time give_up = absl::Now() + admission_timeout_;
  for (absl::Duration wait = absl::Milliseconds(1);; wait = std::min(wait * 2, absl::Milliseconds(20))) {
    absl::StatusOr<bool> won = shared_leases_->TryAcquire(claim);
    if (!won.ok()) return won.status();
    if (*won) break;
    if (absl::Now() + wait > give_up) {
      return absl::UnavailableError(absl::StrCat(
          "the admission of tenant ", TenantLabel(tenant), " is held by another replica for over ",
          absl::FormatDuration(admission_timeout_), "; retry"));
    }
    absl::SleepFor(wait);
  }
  admission.leases_ = shared_leases_;
  admission.claim_ = claim;
  return admission;
}

absl::Status PolicySet::Check(const PurchaseCheck& check) const {
  for (const Entry& entry : entries_) {
    if (!entry.AppliesTo(check.tenant)) continue;
    RETURN_IF_ERROR(entry.policy->Check(check));
  }
  return absl::OkStatus();
}

std::vector<std::string> PolicySet::Names() const {
  std::vector<std::string> names;
  for (const Entry& entry : entries_) names.push_back(entry.name);
  return names;
}

}  // namespace cvm
