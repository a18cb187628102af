#include "plugins/plugin_builder.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "common/status_details.h"

namespace cvm {
namespace plugin_builder_internal {

absl::Status ConfigError(const std::string& field, const std::string& what) {
  return InvalidFields({{field, what}});
}

absl::Status UnpackConfig(const google::protobuf::Any& config, bool has_config,
                          const std::string& plugin, const std::string& field,
                          google::protobuf::Message* typed) {
  if (!has_config || config.UnpackTo(typed)) return absl::OkStatus();
  const std::string& type = typed->GetDescriptor()->full_name();
  if (absl::EndsWith(config.type_url(), "/" + type)) {
    // The right type that does not parse: the text format lets "\xff" into a
    // string, which proto3 refuses when unpacking.
    return ConfigError(field + ".config",
                       absl::StrCat("does not parse as ", type, " (are its strings UTF-8?)"));
  }
  return ConfigError(field + ".config", absl::StrCat("plugin \"", plugin, "\" takes ", type,
                                                     ", not ", config.type_url()));
}

absl::Status AtConfigPath(const absl::Status& error, const std::string& field,
                          const std::string& name) {
  absl::Status status(error.code(), absl::StrCat(field, " (", name, "): ", error.message()));
  // Keep the plugin's details; its field paths become config paths.
  error.ForEachPayload([&status](absl::string_view type_url, const absl::Cord& payload) {
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

}  // namespace plugin_builder_internal
}  // namespace cvm
