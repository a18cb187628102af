// A registry of plugin factories keyed by plugin name: one template for every
// kind of plugin (backends/backend_registry.h, plugins/policy_registry.h).
//
// `Factory` is the kind's abstract factory. It has `std::string name() const`
// and a `static constexpr char kPluginKind[]` ("backend", "policy") that
// names the kind in messages. Factories register statically (a
// REGISTER_..._FACTORY macro in a library built with alwayslink = 1), so the
// core never names a concrete plugin.
//
// Rules:
//  1. Register/Find/Names are thread-safe; registration happens during static
//     initialisation or in tests before any lookup.
//  2. Register() of a name already present is ALREADY_EXISTS.
//  3. Factories live as long as the registry (the process, for Global()).
#ifndef CVM_PROVISIONER_COMMON_PLUGIN_REGISTRY_H_
#define CVM_PROVISIONER_COMMON_PLUGIN_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"

namespace cvm {

template <typename Factory>
class PluginRegistry {
 public:
  // The process-wide registry the registration macro of the kind fills.
  static PluginRegistry& Global() {
    static PluginRegistry* registry = new PluginRegistry;
    return *registry;
  }

  absl::Status Register(std::unique_ptr<Factory> factory) {
    std::string name = factory->name();
    absl::MutexLock lock(&mu_);
    if (factories_.count(name) > 0) {
      return absl::AlreadyExistsError(
          absl::StrCat(Factory::kPluginKind, " plugin \"", name, "\" is registered twice"));
    }
    factories_.emplace(std::move(name), std::move(factory));
    return absl::OkStatus();
  }

  // nullptr when no plugin has that name.
  const Factory* Find(const std::string& name) const {
    absl::MutexLock lock(&mu_);
    auto it = factories_.find(name);
    return it == factories_.end() ? nullptr : it->second.get();
  }

  // Registered names, sorted.
  std::vector<std::string> Names() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> names;
    for (const auto& entry : factories_) names.push_back(entry.first);
    return names;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Factory>> factories_ ABSL_GUARDED_BY(mu_);
};

// The factory of one kind of plugin (BackendFactory, PolicyFactory derive
// from it and add kPluginKind): a name, the type of its config message, and
// a Create() that builds a Product from a config of that type.
template <typename ProductT, typename ContextT>
class PluginFactory {
 public:
  // What the factory makes and gets (plugins/plugin_builder.h).
  using Product = ProductT;
  using Context = ContextT;

  virtual ~PluginFactory() = default;
  // The plugin name used in configs, e.g. "fake", "hourly_budget".
  virtual std::string name() const = 0;
  // A default instance of the plugin's config message.
  virtual std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const = 0;
  // Builds one instance. `config` has the type of CreateEmptyConfig().
  // INVALID_ARGUMENT for a bad config (naming the field, relative to the
  // config message).
  virtual absl::StatusOr<std::unique_ptr<Product>> Create(const google::protobuf::Message& config,
                                                          const Context& context) const = 0;
};

// Prints `status` and aborts: a duplicate plugin name is a build error.
void AbortOnRegistrationFailure(const absl::Status& status);

// Registers a default-constructed Impl into the global registry of Factory.
template <typename Factory, typename Impl>
struct PluginRegistration {
  PluginRegistration() {
    absl::Status status = PluginRegistry<Factory>::Global().Register(std::make_unique<Impl>());
    if (!status.ok()) AbortOnRegistrationFailure(status);
  }
};

}  // namespace cvm

// Registers a default-constructed Factory (deriving from `Base`) into the
// global registry of Base, during static initialisation.
#define CVM_REGISTER_PLUGIN_FACTORY(Base, Factory) \
  static ::cvm::PluginRegistration<Base, Factory> cvm_plugin_registration_##Factory

#endif  // CVM_PROVISIONER_COMMON_PLUGIN_REGISTRY_H_
