#include "plugins/backend_set.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "plugins/abi_backend.h"
#include "plugins/plugin_loader.h"

namespace cvm {
namespace {

using provisioning::config::v1::BackendInstance;
using provisioning::config::v1::ServiceConfig;

absl::Status ConfigError(const std::string& field, const std::string& what) {
  return InvalidFields({{field, what}});
}

// Collects parser errors instead of printing them to stderr.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    errors_.push_back(absl::StrCat("line ", line + 1, ":", column + 1, ": ", message));
  }
  std::string Text() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::vector<std::string> errors_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BackendSet>> BackendSet::Create(
    const ServiceConfig& config, const BackendRegistry& registry,
    const BackendContext& context) {
  if (config.backends().empty()) {
    return ConfigError("backends", "at least one backend is required");
  }
  // Backends exported by plugin libraries, by name; they may not shadow a
  // built-in.
  std::map<std::string, std::unique_ptr<BackendFactory>> loaded;
  ASSIGN_OR_RETURN(auto libraries, LoadPluginLibraries(config, CVM_PLUGIN_KIND_BACKEND));
  for (auto& library : libraries) {
    if (registry.Find(library->name()) != nullptr) {
      return ConfigError("plugin_libraries",
                         absl::StrCat(library->path(), " exports backend plugin \"",
                                      library->name(), "\", which is built in"));
    }
    loaded.emplace(library->name(), std::make_unique<AbiBackendFactory>(library));
  }
  std::unique_ptr<BackendSet> set(new BackendSet);
  for (int i = 0; i < config.backends_size(); ++i) {
    const BackendInstance& instance = config.backends(i);
    const std::string field = absl::StrCat("backends[", i, "]");
    if (instance.name().empty()) {
      return ConfigError(field + ".name", "must not be empty");
    }
    if (set->backends_.count(instance.name()) > 0) {
      return ConfigError(field + ".name",
                         absl::StrCat("duplicate backend name \"", instance.name(), "\""));
    }
    auto loaded_factory = loaded.find(instance.plugin());
    const BackendFactory* factory = loaded_factory != loaded.end()
                                        ? loaded_factory->second.get()
                                        : registry.Find(instance.plugin());
    if (factory == nullptr) {
      std::vector<std::string> known = registry.Names();
      for (const auto& entry : loaded) known.push_back(entry.first);
      return ConfigError(
          field + ".plugin",
          absl::StrCat("unknown backend plugin \"", instance.plugin(),
                       "\"; registered plugins: ", absl::StrJoin(known, ", ")));
    }
    std::unique_ptr<google::protobuf::Message> typed = factory->CreateEmptyConfig();
    if (instance.has_config() && !instance.config().UnpackTo(typed.get())) {
      const std::string& type = typed->GetDescriptor()->full_name();
      if (absl::EndsWith(instance.config().type_url(), "/" + type)) {
        // The right type that does not parse: the text format lets "\xff"
        // into a string, which proto3 refuses when unpacking.
        return ConfigError(field + ".config", absl::StrCat("does not parse as ", type,
                                                           " (are its strings UTF-8?)"));
      }
      return ConfigError(
          field + ".config",
          absl::StrCat("plugin \"", instance.plugin(), "\" takes ",
                       typed->GetDescriptor()->full_name(), ", not ",
                       instance.config().type_url()));
    }
    BackendContext named = context;
    named.name = instance.name();
    absl::StatusOr<std::unique_ptr<Backend>> backend = factory->Create(*typed, named);
    if (!backend.ok()) {
      absl::Status status(backend.status().code(),
                          absl::StrCat(field, " (", instance.name(), "): ",
                                       backend.status().message()));
      // Keep the plugin's details; its field paths become config paths.
      backend.status().ForEachPayload(
          [&status](absl::string_view type_url, const absl::Cord& payload) {
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
    set->backends_.emplace(instance.name(), *std::move(backend));
  }
  for (int i = 0; i < config.routes_size(); ++i) {
    const provisioning::config::v1::Route& route = config.routes(i);
    if (set->backends_.count(route.backend()) == 0) {
      return ConfigError(absl::StrCat("routes[", i, "].backend"),
                         absl::StrCat("no backend named \"", route.backend(), "\""));
    }
    set->routes_.push_back(route);
  }
  if (set->routes_.empty() && set->backends_.size() > 1) {
    return ConfigError("routes", "required when more than one backend is configured");
  }
  return set;
}

absl::StatusOr<RoutedBackend> BackendSet::Route(const std::string& region,
                                                const std::string& tenant) const {
  if (routes_.empty()) {
    const auto& only = *backends_.begin();
    return RoutedBackend{only.first, only.second.get()};
  }
  for (const auto& route : routes_) {
    bool matches = route.regions().empty();
    for (const std::string& r : route.regions()) matches = matches || r == region;
    bool serves_tenant = route.tenants().empty();
    for (const std::string& t : route.tenants()) serves_tenant = serves_tenant || t == tenant;
    if (matches && serves_tenant) {
      return RoutedBackend{route.backend(), backends_.at(route.backend()).get()};
    }
  }
  return InvalidFields(
      {{"spec.region", absl::StrCat("no backend serves region \"", region, "\"")}});
}

absl::StatusOr<Backend*> BackendSet::Get(const std::string& name) const {
  auto it = backends_.find(name);
  if (it == backends_.end()) {
    return absl::NotFoundError(absl::StrCat("no backend named \"", name, "\""));
  }
  return it->second.get();
}

std::vector<std::string> BackendSet::Names() const {
  std::vector<std::string> names;
  for (const auto& entry : backends_) names.push_back(entry.first);
  return names;
}

absl::StatusOr<ServiceConfig> ParseServiceConfig(absl::string_view text, ConfigFormat format,
                                                 const std::string& source) {
  ServiceConfig config;
  if (format == ConfigFormat::kJson) {
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(text.data(), text.size()), &config);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config ", source, ": ", status.ToString()));
    }
    return config;
  }
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(absl::StrCat("config ", source, ": ", errors.Text()));
  }
  return config;
}

absl::StatusOr<ServiceConfig> LoadServiceConfig(const std::string& path) {
  if (path.empty()) {
    return InvalidFields({{"config", "is required: the path of a service config file"}});
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseServiceConfig(
      buffer.str(), absl::EndsWith(path, ".json") ? ConfigFormat::kJson : ConfigFormat::kTextProto,
      path);
}

}  // namespace cvm
