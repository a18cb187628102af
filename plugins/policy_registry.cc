#include "plugins/policy_registry.h"

#include "absl/strings/str_cat.h"
#include "backends/backend_registry.h"

namespace cvm {

PolicyRegistry& PolicyRegistry::Global() {
  static PolicyRegistry* registry = new PolicyRegistry;
  return *registry;
}

absl::Status PolicyRegistry::Register(std::unique_ptr<PolicyFactory> factory) {
  std::string name = factory->name();
  absl::MutexLock lock(&mu_);
  if (factories_.count(name) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("policy plugin \"", name, "\" is registered twice"));
  }
  factories_.emplace(std::move(name), std::move(factory));
  return absl::OkStatus();
}

const PolicyFactory* PolicyRegistry::Find(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : it->second.get();
}

std::vector<std::string> PolicyRegistry::Names() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& entry : factories_) names.push_back(entry.first);
  return names;
}

void RegisterPolicyOrAbort(std::unique_ptr<PolicyFactory> factory) {
  absl::Status status = PolicyRegistry::Global().Register(std::move(factory));
  if (!status.ok()) AbortOnRegistrationFailure(status);
}

}  // namespace cvm
