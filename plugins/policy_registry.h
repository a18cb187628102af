// The registry that policy plugins register into, keyed by plugin name: the
// policy twin of backends/backend_registry.h (BackendRegistry).
//
// Built-in policies register statically (REGISTER_POLICY_FACTORY in a
// library built with alwayslink = 1); policies loaded from shared objects
// (plugins/plugin_loader.h) are added per PolicySet and never here.
//
// Rules:
//  1. Register/Find/Names are thread-safe; registration happens during static
//     initialisation or in tests before any lookup.
//  2. Register() of a name already present is ALREADY_EXISTS.
//  3. Factories live as long as the registry (the process, for Global()).
#ifndef CVM_PROVISIONER_PLUGINS_POLICY_REGISTRY_H_
#define CVM_PROVISIONER_PLUGINS_POLICY_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "plugins/policy.h"

namespace cvm {

class PolicyRegistry {
 public:
  // The process-wide registry used by REGISTER_POLICY_FACTORY.
  static PolicyRegistry& Global();

  absl::Status Register(std::unique_ptr<PolicyFactory> factory);
  // nullptr when no plugin has that name.
  const PolicyFactory* Find(const std::string& name) const;
  // Registered names, sorted.
  std::vector<std::string> Names() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<PolicyFactory>> factories_ ABSL_GUARDED_BY(mu_);
};

// Registers `factory` into the global registry; aborts on a duplicate name
// (a build error).
void RegisterPolicyOrAbort(std::unique_ptr<PolicyFactory> factory);

// Registers a default-constructed Factory into the global registry.
template <typename Factory>
struct PolicyRegistration {
  PolicyRegistration() { RegisterPolicyOrAbort(std::make_unique<Factory>()); }
};

}  // namespace cvm

#define REGISTER_POLICY_FACTORY(Factory) \
  static ::cvm::PolicyRegistration<Factory> cvm_policy_registration_##Factory

#endif  // CVM_PROVISIONER_PLUGINS_POLICY_REGISTRY_H_
