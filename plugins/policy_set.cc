#include "plugins/policy_set.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "plugins/abi_policy.h"

namespace cvm {
namespace {

using provisioning::config::v1::PolicyInstance;
using provisioning::config::v1::ServiceConfig;

absl::Status ConfigError(const std::string& field, const std::string& what) {
  return InvalidFields({{field, what}});
}

// A plugin's Create() error, its message prefixed with the config path and
// its BadRequest field paths moved under `field`.config.
absl::Status AtConfigPath(const absl::Status& error, const std::string& field,
                          const std::string& name) {
  absl::Status status(error.code(), absl::StrCat(field, " (", name, "): ", error.message()));
  error.ForEachPayload([&status](absl::string_view type_url, const absl::Cord& payload) {
    status.SetPayload(type_url, payload);
  });
  if (auto bad = GetDetail<google::rpc::BadRequest>(status)) {
    for (auto& violation : *bad->mutable_field_violations()) {
      violation.set_field(absl::StrCat(field, ".config.", violation.field()));
    }
    SetDetail(status, *bad);
  }
  return status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PolicySet>> PolicySet::Create(const ServiceConfig& config,
                                                             const PolicyRegistry& registry,
                                                             const PolicyContext& context) {
  // Policies exported by plugin libraries, by name; they may not shadow a
  // built-in.
  std::map<std::string, std::unique_ptr<PolicyFactory>> loaded;
  ASSIGN_OR_RETURN(auto libraries, LoadPluginLibraries(config, CVM_PLUGIN_KIND_POLICY));
  for (auto& library : libraries) {
    if (registry.Find(library->name()) != nullptr) {
      return ConfigError("plugin_libraries",
                         absl::StrCat(library->path(), " exports policy plugin \"", library->name(),
                                      "\", which is built in"));
    }
    loaded.emplace(library->name(), std::make_unique<AbiPolicyFactory>(library));
  }
  auto find = [&](const std::string& plugin) -> const PolicyFactory* {
    auto it = loaded.find(plugin);
    return it != loaded.end() ? it->second.get() : registry.Find(plugin);
  };

  std::unique_ptr<PolicySet> set(new PolicySet);
  std::set<std::string> names;
  for (int i = 0; i < config.policies_size(); ++i) {
    const PolicyInstance& instance = config.policies(i);
    const std::string field = absl::StrCat("policies[", i, "]");
    if (instance.name().empty()) return ConfigError(field + ".name", "must not be empty");
    if (!names.insert(instance.name()).second) {
      return ConfigError(field + ".name",
                         absl::StrCat("duplicate policy name \"", instance.name(), "\""));
    }
    const PolicyFactory* factory = find(instance.plugin());
    if (factory == nullptr) {
      std::vector<std::string> known = registry.Names();
      for (const auto& entry : loaded) known.push_back(entry.first);
      return ConfigError(field + ".plugin",
                         absl::StrCat("unknown policy plugin \"", instance.plugin(),
                                      "\"; registered plugins: ", absl::StrJoin(known, ", ")));
    }
    std::unique_ptr<google::protobuf::Message> typed = factory->CreateEmptyConfig();
    if (instance.has_config() && !instance.config().UnpackTo(typed.get())) {
      return ConfigError(field + ".config",
                         absl::StrCat("plugin \"", instance.plugin(), "\" takes ",
                                      typed->GetDescriptor()->full_name(), ", not ",
                                      instance.config().type_url()));
    }
    PolicyContext named = context;
    named.name = instance.name();
    absl::StatusOr<std::unique_ptr<Policy>> policy = factory->Create(*typed, named);
    if (!policy.ok()) return AtConfigPath(policy.status(), field, instance.name());
    Entry entry;
    entry.name = instance.name();
    entry.tenants.insert(instance.tenants().begin(), instance.tenants().end());
    entry.policy = *std::move(policy);
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
