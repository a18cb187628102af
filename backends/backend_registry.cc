#include "backends/backend_registry.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace cvm {

BackendRegistry& BackendRegistry::Global() {
  static BackendRegistry* registry = new BackendRegistry;
  return *registry;
}

absl::Status BackendRegistry::Register(std::unique_ptr<BackendFactory> factory) {
  std::string name = factory->name();
  absl::MutexLock lock(&mu_);
  if (factories_.count(name) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("backend plugin \"", name, "\" is registered twice"));
  }
  factories_.emplace(std::move(name), std::move(factory));
  return absl::OkStatus();
}

const BackendFactory* BackendRegistry::Find(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : it->second.get();
}

std::vector<std::string> BackendRegistry::Names() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& entry : factories_) names.push_back(entry.first);
  return names;
}

void AbortOnRegistrationFailure(const absl::Status& status) {
  std::fprintf(stderr, "fatal: %s\n", status.ToString().c_str());
  std::abort();
}

}  // namespace cvm
