// The configured backends and the routing from a purchase to one of them.
//
// Built once at start-up from a ServiceConfig: every backend is created through
// the registry and every route is checked, so a bad config never starts a
// half-working server. Immutable afterwards, hence thread-safe.
#ifndef CVM_PROVISIONER_PLUGINS_BACKEND_SET_H_
#define CVM_PROVISIONER_PLUGINS_BACKEND_SET_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/backend.h"
#include "backends/backend_registry.h"
#include "plugins/service_config.pb.h"

namespace cvm {

struct RoutedBackend {
  std::string name;
  Backend* backend = nullptr;
};

class BackendSet {
 public:
  // INVALID_ARGUMENT naming the config field for: no backends, a duplicate or
  // empty name, an unknown plugin (the message lists the registered ones), a
  // config of the wrong type, a route to an unknown backend; or the error of
  // a factory's Create(). Backend plugins in config.plugin_libraries are
  // loaded first and named like registered ones; a library that cannot be
  // loaded or speaks another ABI version is INVALID_ARGUMENT on
  // plugin_libraries[i] (plugins/plugin_loader.h), and so is one exporting a
  // registered name.
  static absl::StatusOr<std::unique_ptr<BackendSet>> Create(
      const provisioning::config::v1::ServiceConfig& config,
      const BackendRegistry& registry, const BackendContext& context);

  // The backend serving `tenant`'s purchases in `region` (routes that name
  // tenants serve only those); INVALID_ARGUMENT on spec.region when no
  // route matches.
  absl::StatusOr<RoutedBackend> Route(const std::string& region,
                                      const std::string& tenant = "") const;

  // The backend called `name` (as stored on an order); NOT_FOUND otherwise.
  absl::StatusOr<Backend*> Get(const std::string& name) const;

  std::vector<std::string> Names() const;

 private:
  BackendSet() = default;
  std::map<std::string, std::unique_ptr<Backend>> backends_;
  std::vector<provisioning::config::v1::Route> routes_;
};

enum class ConfigFormat { kTextProto, kJson };

// Parses a ServiceConfig in text format or proto JSON. INVALID_ARGUMENT with
// `source` (a file name, for the message) and the parser's message.
absl::StatusOr<provisioning::config::v1::ServiceConfig> ParseServiceConfig(
    absl::string_view text, ConfigFormat format, const std::string& source);

// Reads a ServiceConfig from a text-format (.textproto, .txtpb, .pbtxt) or
// JSON (.json) file. INVALID_ARGUMENT with the parser's message, NOT_FOUND
// when the file cannot be read.
absl::StatusOr<provisioning::config::v1::ServiceConfig> LoadServiceConfig(
    const std::string& path);

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_BACKEND_SET_H_
