// The registry that policy plugins register into, keyed by plugin name: the
// policy twin of backends/backend_registry.h, the same template
// (common/plugin_registry.h, whose rules hold).
//
// Built-in policies register statically (REGISTER_POLICY_FACTORY in a
// library built with alwayslink = 1); policies loaded from shared objects
// (plugins/plugin_loader.h) are added per PolicySet and never here.
#ifndef CVM_PROVISIONER_PLUGINS_POLICY_REGISTRY_H_
#define CVM_PROVISIONER_PLUGINS_POLICY_REGISTRY_H_

#include "common/plugin_registry.h"
#include "plugins/policy.h"

namespace cvm {

using PolicyRegistry = PluginRegistry<PolicyFactory>;

}  // namespace cvm

#define REGISTER_POLICY_FACTORY(Factory) CVM_REGISTER_PLUGIN_FACTORY(::cvm::PolicyFactory, Factory)

#endif  // CVM_PROVISIONER_PLUGINS_POLICY_REGISTRY_H_
