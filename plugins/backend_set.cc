#include "plugins/backend_set.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "plugins/abi_backend.h"
#include "plugins/plugin_builder.h"

namespace cvm {
namespace {

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
  ASSIGN_OR_RETURN(auto built, (BuildPlugins<BackendFactory, AbiBackendFactory>(
                                   config, CVM_PLUGIN_KIND_BACKEND, "backends",
                                   config.backends(), registry, context)));
  std::unique_ptr<BackendSet> set(new BackendSet);
  for (auto& backend : built) {
    set->backends_.emplace(std::move(backend.name), std::move(backend.product));
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
