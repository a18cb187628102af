// The one builder of configured plugins: makes the instances a ServiceConfig
// lists for one kind of plugin (config.backends through the backend
// registry, config.policies through the policy registry), for BackendSet and
// PolicySet.
//
//   ASSIGN_OR_RETURN(auto built, (BuildPlugins<BackendFactory, AbiBackendFactory>(
//       config, CVM_PLUGIN_KIND_BACKEND, "backends", config.backends(), registry, context)));
//
// The libraries of config.plugin_libraries of that kind are loaded first
// (plugins/plugin_loader.h) and their plugins found by name like registered
// ones; a library may not shadow a built-in plugin. Every instance gets a
// copy of `context` with its own name.
//
// Errors, INVALID_ARGUMENT naming the config field (`field`[i].name,
// .plugin, .config, plugin_libraries): an empty or duplicate instance name, an
// unknown plugin (the message lists the known ones), a config of another type
// or one that does not unpack, a library that cannot be loaded; and a
// factory's own Create() error with its message prefixed by the instance and
// its BadRequest field paths moved under `field`[i].config.
#ifndef CVM_PROVISIONER_PLUGINS_PLUGIN_BUILDER_H_
#define CVM_PROVISIONER_PLUGINS_PLUGIN_BUILDER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/plugin_registry.h"
#include "common/status_macros.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_field.h"
#include "plugins/plugin_loader.h"
#include "plugins/service_config.pb.h"

namespace cvm {

// One instance the builder made, in config order.
template <typename Product>
struct BuiltPlugin {
  int index = 0;  // in the config's list
  std::string name;
  std::unique_ptr<Product> product;
};

namespace plugin_builder_internal {

// INVALID_ARGUMENT on `field`: `what`.
absl::Status ConfigError(const std::string& field, const std::string& what);

// The instance's config unpacked into `typed` (a plugin's empty config);
// INVALID_ARGUMENT on `field`.config when it has another type or does not parse.
absl::Status UnpackConfig(const google::protobuf::Any& config, bool has_config,
                          const std::string& plugin, const std::string& field,
                          google::protobuf::Message* typed);

// A factory's Create() error at its config path (see the file comment).
absl::Status AtConfigPath(const absl::Status& error, const std::string& field,
                          const std::string& name);

}  // namespace plugin_builder_internal

// `Factory` has the aliases Product and Context and kPluginKind
// (common/plugin_registry.h); `AbiFactory` is a Factory made from a
// PluginLibrary; `instances` is config.backends or config.policies, whose
// path is `field`.
template <typename Factory, typename AbiFactory, typename Instance>
absl::StatusOr<std::vector<BuiltPlugin<typename Factory::Product>>> BuildPlugins(
    const provisioning::config::v1::ServiceConfig& config, uint32_t abi_kind,
    const std::string& field, const google::protobuf::RepeatedPtrField<Instance>& instances,
    const PluginRegistry<Factory>& registry, const typename Factory::Context& context) {
  using plugin_builder_internal::ConfigError;
  const std::string kind = Factory::kPluginKind;
  std::map<std::string, std::unique_ptr<Factory>> loaded;
  ASSIGN_OR_RETURN(auto libraries, LoadPluginLibraries(config, abi_kind));
  for (auto& library : libraries) {
    if (registry.Find(library->name()) != nullptr) {
      return ConfigError("plugin_libraries",
                         absl::StrCat(library->path(), " exports ", kind, " plugin \"",
                                      library->name(), "\", which is built in"));
    }
    loaded.emplace(library->name(), std::make_unique<AbiFactory>(library));
  }
  std::vector<BuiltPlugin<typename Factory::Product>> built;
  std::set<std::string> names;
  for (int i = 0; i < instances.size(); ++i) {
    const Instance& instance = instances.Get(i);
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (instance.name().empty()) return ConfigError(at + ".name", "must not be empty");
    if (!names.insert(instance.name()).second) {
      return ConfigError(at + ".name",
                         absl::StrCat("duplicate ", kind, " name \"", instance.name(), "\""));
    }
    auto loaded_factory = loaded.find(instance.plugin());
    const Factory* factory = loaded_factory != loaded.end() ? loaded_factory->second.get()
                                                            : registry.Find(instance.plugin());
    if (factory == nullptr) {
      std::vector<std::string> known = registry.Names();
      for (const auto& entry : loaded) known.push_back(entry.first);
      return ConfigError(at + ".plugin",
                         absl::StrCat("unknown ", kind, " plugin \"", instance.plugin(),
                                      "\"; registered plugins: ", absl::StrJoin(known, ", ")));
    }
    std::unique_ptr<google::protobuf::Message> typed = factory->CreateEmptyConfig();
    RETURN_IF_ERROR(plugin_builder_internal::UnpackConfig(instance.config(), instance.has_config(),
                                                          instance.plugin(), at, typed.get()));
    typename Factory::Context named = context;
    named.name = instance.name();
    auto product = factory->Create(*typed, named);
    if (!product.ok()) {
      return plugin_builder_internal::AtConfigPath(product.status(), at, instance.name());
    }
    built.push_back({i, instance.name(), *std::move(product)});
  }
  return built;
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_PLUGIN_BUILDER_H_
