// The registry that backend plugins register into, keyed by plugin name.
//
// A plugin is a BackendFactory: a name, the type of its config message, and a
// Create() that builds a Backend from a config of that type. Factories
// register statically (REGISTER_BACKEND_FACTORY in a library built with
// alwayslink = 1), so the core never names a concrete backend.
//
// The registry's rules (thread-safety, ALREADY_EXISTS for a name registered
// twice, lifetime) are those of common/plugin_registry.h.
#ifndef CVM_PROVISIONER_BACKENDS_BACKEND_REGISTRY_H_
#define CVM_PROVISIONER_BACKENDS_BACKEND_REGISTRY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "common/clock.h"
#include "common/plugin_registry.h"
#include "google/protobuf/message.h"
#include "prometheus/registry.h"
#include "store/rate_slots.h"

namespace cvm {

// What a factory gets besides its config.
struct BackendContext {
  Clock* clock = RealClock::Get();
  // The configured backend's name (a metrics label, log prefix).
  std::string name;
  // Where the backend registers its metrics; null: no metrics.
  prometheus::Registry* registry = nullptr;
  // The request schedules of cloud accounts, shared with every replica that
  // uses the same store (store/rate_slots.h); a backend paces each call of
  // its account on them. Null: the backend keeps its own (one process).
  RateSlots* rate_slots = nullptr;
};

// name(), CreateEmptyConfig() and Create(config, context) of a backend
// plugin (common/plugin_registry.h).
class BackendFactory : public PluginFactory<Backend, BackendContext> {
 public:
  static constexpr char kPluginKind[] = "backend";
};

// Register/Find/Names, Global(): common/plugin_registry.h.
using BackendRegistry = PluginRegistry<BackendFactory>;

}  // namespace cvm

#define REGISTER_BACKEND_FACTORY(Factory) \
  CVM_REGISTER_PLUGIN_FACTORY(::cvm::BackendFactory, Factory)

#endif  // CVM_PROVISIONER_BACKENDS_BACKEND_REGISTRY_H_
