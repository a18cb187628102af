// The registry that backend plugins register into, keyed by plugin name.
//
// A plugin is a BackendFactory: a name, the type of its config message, and a
// Create() that builds a Backend from a config of that type. Factories
// register statically (REGISTER_BACKEND_FACTORY in a library built with
// alwayslink = 1), so the core never names a concrete backend.
//
// Rules:
//  1. Registration happens during static initialisation or in tests before
//     any lookup; Register/Find/Names are thread-safe.
//  2. Register() of a name already present is ALREADY_EXISTS.
//  3. Factories live as long as the registry (the process, for Global()).
#ifndef CVM_PROVISIONER_BACKENDS_BACKEND_REGISTRY_H_
#define CVM_PROVISIONER_BACKENDS_BACKEND_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backends/backend.h"
#include "common/clock.h"
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

class BackendFactory {
 public:
  virtual ~BackendFactory() = default;
  // The plugin name used in configs, e.g. "fake".
  virtual std::string name() const = 0;
  // A default instance of the plugin's config message.
  virtual std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const = 0;
  // Builds a backend. `config` has the type of CreateEmptyConfig().
  // INVALID_ARGUMENT for a bad config (naming the field).
  virtual absl::StatusOr<std::unique_ptr<Backend>> Create(
      const google::protobuf::Message& config,
      const BackendContext& context) const = 0;
};

class BackendRegistry {
 public:
  // The process-wide registry used by REGISTER_BACKEND_FACTORY.
  static BackendRegistry& Global();

  absl::Status Register(std::unique_ptr<BackendFactory> factory);
  // nullptr when no plugin has that name.
  const BackendFactory* Find(const std::string& name) const;
  // Registered names, sorted.
  std::vector<std::string> Names() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<BackendFactory>> factories_
      ABSL_GUARDED_BY(mu_);
};

// Prints `status` and aborts: a duplicate plugin name is a build error.
void AbortOnRegistrationFailure(const absl::Status& status);

// Registers a default-constructed Factory into the global registry.
template <typename Factory>
struct BackendRegistration {
  BackendRegistration() {
    absl::Status status =
        BackendRegistry::Global().Register(std::make_unique<Factory>());
    if (!status.ok()) AbortOnRegistrationFailure(status);
  }
};

}  // namespace cvm

#define REGISTER_BACKEND_FACTORY(Factory) \
  static ::cvm::BackendRegistration<Factory> cvm_backend_registration_##Factory

#endif  // CVM_PROVISIONER_BACKENDS_BACKEND_REGISTRY_H_
