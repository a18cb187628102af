// The configured policies (ServiceConfig.policies) and the per-tenant
// admission lock that makes counting policies exact under concurrency.
//
// Built once at start-up: every policy is created through the registry (or
// from a plugin library, ServiceConfig.plugin_libraries), so a bad config
// never starts a half-working server. The order workflow admits a purchase
// like this (service/order_workflow.cc):
//
//   PolicySet::Admission admission = policies->Admit(tenant);  // blocks
//   RETURN_IF_ERROR(policies->Check({tenant, &request, backend_name, backend}));
//   store->CreateOrder(...);   // still holding `admission`
//
// so the check-and-admit of one tenant is serialized: while one purchase is
// between its check and its store write, the next purchase of the same tenant
// waits, and then counts it. Different tenants never wait for each other.
// With replicas on one store (ShareAdmissions()), the admission also holds
// the claim "admission/<tenant>" (store/work_leases.h) shared by every
// replica, so two replicas racing for the last unit of a budget are
// serialized the same way and the second counts the first's order.
//
// Contract: thread-safe. The policy list is immutable after Create().
#ifndef CVM_PROVISIONER_PLUGINS_POLICY_SET_H_
#define CVM_PROVISIONER_PLUGINS_POLICY_SET_H_

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "plugins/plugin_loader.h"
#include "plugins/policy.h"
#include "plugins/policy_registry.h"
#include "plugins/service_config.pb.h"
#include "store/work_leases.h"

namespace cvm {

class PolicySet {
 public:
  // One tenant's admission lock, held from construction (PolicySet::Admit)
  // to destruction. Movable; a default-constructed one holds nothing.
  class Admission {
   public:
    Admission() = default;
    Admission(Admission&& other) noexcept = default;
    Admission& operator=(Admission&& other) noexcept {
      Reset();
      lock_ = std::move(other.lock_);
      leases_ = std::exchange(other.leases_, nullptr);
      claim_ = std::move(other.claim_);
      return *this;
    }
    ~Admission() { Reset(); }
    bool holds() const { return lock_.owns_lock(); }

   private:
    friend class PolicySet;
    explicit Admission(std::mutex& mu) : lock_(mu) {}
    // Gives the shared claim back before the process-local lock.
    void Reset() {
      if (leases_ != nullptr) leases_->Release(claim_);
      leases_ = nullptr;
      if (lock_.owns_lock()) lock_.unlock();
    }
    std::unique_lock<std::mutex> lock_;
    WorkLeases* leases_ = nullptr;  // set while holding `claim_`
    std::string claim_;
  };

  // INVALID_ARGUMENT naming the config field for: an empty or duplicate
  // policy name, an unknown plugin (the message lists the registered ones),
  // a config of the wrong type, or a plugin's own config error (its field
  // paths become policies[i].config.<field>); a plugin library that cannot
  // be loaded (see LoadPluginLibraries); FAILED_PRECONDITION when a policy
  // needs what `context` lacks (a ledger, the backends).
  static absl::StatusOr<std::unique_ptr<PolicySet>> Create(
      const provisioning::config::v1::ServiceConfig& config, const PolicyRegistry& registry,
      const PolicyContext& context);

  // Whether any configured policy applies to `tenant`.
  bool AppliesTo(const std::string& tenant) const;

  // Blocks until no other purchase of `tenant` (of any replica, after
  // ShareAdmissions()) holds its admission, then holds it. An empty
  // Admission when no policy applies to `tenant`. UNAVAILABLE naming the
  // tenant when the shared claim cannot be won within `admission_timeout`
  // or the store cannot be reached.
  absl::StatusOr<Admission> Admit(const std::string& tenant);

  // Admissions also hold a claim in `leases` (shared by the replicas of one
  // store; outlives the set). Call before serving.
  void ShareAdmissions(WorkLeases* leases,
                       absl::Duration admission_timeout = absl::Seconds(10)) {
    shared_leases_ = leases;
    admission_timeout_ = admission_timeout;
  }

  // Runs the policies that apply to check.tenant, in config order, and
  // returns the first denial (plugins/policy.h rule 2), or OK. Call while
  // holding check.tenant's Admission.
  absl::Status Check(const PurchaseCheck& check) const;

  // Configured policy names, in config order.
  std::vector<std::string> Names() const;

 private:
  struct Entry {
    std::string name;
    std::set<std::string> tenants;  // empty: every tenant
    std::unique_ptr<Policy> policy;
    bool AppliesTo(const std::string& tenant) const {
      return tenants.empty() || tenants.count(tenant) > 0;
    }
  };

  PolicySet() = default;

  std::vector<Entry> entries_;
  WorkLeases* shared_leases_ = nullptr;
  absl::Duration admission_timeout_ = absl::Seconds(10);
  absl::Mutex mu_;
  // Never erased, so a mutex outlives every Admission of it.
  std::map<std::string, std::unique_ptr<std::mutex>> tenant_locks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_POLICY_SET_H_
