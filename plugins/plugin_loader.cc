#include "plugins/plugin_loader.h"

#include <dlfcn.h>

#include <set>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"

namespace cvm {
namespace {

absl::Status LoadError(const std::string& path, absl::string_view reason, const std::string& what,
                       std::vector<std::pair<std::string, std::string>> metadata = {}) {
  metadata.push_back({"library", path});
  return WithReason(
      absl::FailedPreconditionError(absl::StrCat("plugin library ", path, ": ", what)), reason,
      metadata);
}

// Keeps the one buffer a plugin sends (ABI rule 3).
void KeepOutput(void* context, const char* data, size_t size) {
  static_cast<std::string*>(context)->assign(data, size);
}

// "v1 and v2": the ABI versions this service loads.
std::string SpokenVersions() {
  if (CVM_PLUGIN_ABI_MIN_VERSION == CVM_PLUGIN_ABI_VERSION) {
    return absl::StrCat("v", CVM_PLUGIN_ABI_VERSION);
  }
  return absl::StrCat("v", CVM_PLUGIN_ABI_MIN_VERSION,
                      CVM_PLUGIN_ABI_VERSION - CVM_PLUGIN_ABI_MIN_VERSION == 1 ? " and v" : " to v",
                      CVM_PLUGIN_ABI_VERSION);
}

}  // namespace

std::string ToAbiJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  // Printing a message of a compiled-in type cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

absl::Status FromAbiJson(const std::string& json, const std::string& what,
                         google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(what, " is not a valid ",
                                            message->GetDescriptor()->full_name(),
                                            " in JSON: ", status.ToString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const PluginLibrary>> PluginLibrary::Load(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = dlerror();
    return LoadError(path, "PLUGIN_LOAD_FAILED",
                     absl::StrCat("cannot be loaded: ", error ? error : "dlopen failed"));
  }
  auto fail = [&](absl::Status status) {
    dlclose(handle);
    return status;
  };
  auto entry = reinterpret_cast<cvm_plugin_entry_fn>(dlsym(handle, CVM_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr) {
    return fail(LoadError(path, "PLUGIN_ENTRY_MISSING",
                          absl::StrCat("exports no ", CVM_PLUGIN_ENTRY_SYMBOL,
                                       "(); is it a cvm plugin (plugins/plugin_abi.h)?")));
  }
  const cvm_plugin* plugin = entry();
  if (plugin == nullptr) {
    return fail(LoadError(path, "PLUGIN_INVALID",
                          absl::StrCat(CVM_PLUGIN_ENTRY_SYMBOL, "() returned null")));
  }
  // ABI rule 1: nothing but the version is read before it is checked.
  if (plugin->abi_version < CVM_PLUGIN_ABI_MIN_VERSION ||
      plugin->abi_version > CVM_PLUGIN_ABI_VERSION) {
    return fail(LoadError(
        path, "PLUGIN_ABI_MISMATCH",
        absl::StrCat("built for plugin ABI v", plugin->abi_version, ", this service speaks ",
                     SpokenVersions(), "; rebuild it against this service's plugins/plugin_abi.h"),
        {{"plugin_abi_version", absl::StrCat(plugin->abi_version)},
         {"service_abi_version", absl::StrCat(CVM_PLUGIN_ABI_VERSION)},
         {"service_min_abi_version", absl::StrCat(CVM_PLUGIN_ABI_MIN_VERSION)}}));
  }
  if (plugin->name == nullptr || plugin->name[0] == '\0' || plugin->create == nullptr ||
      plugin->call == nullptr || plugin->destroy == nullptr) {
    return fail(
        LoadError(path, "PLUGIN_INVALID", "has a null or empty name, create, call or destroy"));
  }
  if (plugin->kind != CVM_PLUGIN_KIND_BACKEND && plugin->kind != CVM_PLUGIN_KIND_POLICY) {
    return fail(LoadError(path, "PLUGIN_INVALID",
                          absl::StrCat("plugin \"", plugin->name, "\" has unknown kind ",
                                       plugin->kind, " (1 backend, 2 policy)")));
  }
  return std::shared_ptr<const PluginLibrary>(new PluginLibrary(path, handle, plugin));
}

PluginLibrary::~PluginLibrary() { dlclose(handle_); }

absl::Status PluginLibrary::PluginError(int32_t code, const std::string& what,
                                        const std::string& status_json) const {
  const auto status_code =
      code > 0 && code <= 16 ? static_cast<absl::StatusCode>(code) : absl::StatusCode::kUnknown;
  const std::string fallback =
      absl::StrCat("plugin \"", name_, "\" ", what, " failed with code ", code);
  if (status_json.empty()) return absl::Status(status_code, fallback);
  google::rpc::Status sent;
  if (!FromAbiJson(status_json, "error", &sent).ok()) {
    // Details of a type this service does not know: keep the message only.
    google::protobuf::Struct loose;
    if (!FromAbiJson(status_json, "error", &loose).ok()) {
      return absl::Status(status_code, absl::StrCat(fallback, " (unreadable error JSON)"));
    }
    auto it = loose.fields().find("message");
    return absl::Status(status_code,
                        it == loose.fields().end() ? fallback : it->second.string_value());
  }
  absl::Status status(status_code, sent.message().empty() ? fallback : sent.message());
  for (const google::protobuf::Any& detail : sent.details()) {
    status.SetPayload(detail.type_url(), absl::Cord(detail.value()));
  }
  return status;
}

absl::StatusOr<void*> PluginLibrary::Create(const std::string& instance_name,
                                            const std::string& config_json) const {
  void* instance = nullptr;
  std::string error;
  const int32_t code = plugin_->create(instance_name.c_str(), config_json.c_str(),
                                       config_json.size(), &instance, &KeepOutput, &error);
  if (code != 0) return PluginError(code, "create", error);
  return instance;
}

void PluginLibrary::Destroy(void* instance) const { plugin_->destroy(instance); }

absl::Status PluginLibrary::Call(void* instance, uint32_t method,
                                 const google::protobuf::Message& request,
                                 google::protobuf::Message* result) const {
  std::string output;
  const int32_t code = CallJson(instance, method, ToAbiJson(request), &output);
  return ReadResult(method, code, output, result);
}

int32_t PluginLibrary::CallJson(void* instance, uint32_t method, const std::string& request_json,
                                std::string* output) const {
  return plugin_->call(instance, method, request_json.c_str(), request_json.size(), &KeepOutput,
                       output);
}

absl::Status PluginLibrary::ReadResult(uint32_t method, int32_t code, const std::string& output,
                                       google::protobuf::Message* result) const {
  if (code != 0) return PluginError(code, MethodName(method), output);
  if (result == nullptr) return absl::OkStatus();
  result->Clear();
  if (output.empty()) return absl::OkStatus();
  return FromAbiJson(output, absl::StrCat("plugin \"", name_, "\" ", MethodName(method), " result"),
                     result);
}

std::string PluginLibrary::MethodName(uint32_t method) {
  switch (method) {
    case CVM_BACKEND_PREFLIGHT:
      return "Preflight";
    case CVM_BACKEND_CREATE:
      return "Create";
    case CVM_BACKEND_DESCRIBE:
      return "Describe";
    case CVM_BACKEND_FIND_BY_ORDER:
      return "FindByOrder";
    case CVM_BACKEND_LIST_TAGGED:
      return "ListTagged";
    case CVM_BACKEND_TERMINATE:
      return "Terminate";
    case CVM_BACKEND_QUOTE:
      return "Quote";
    case CVM_POLICY_CHECK:
      return "Check";
    default:
      return absl::StrCat("method ", method);
  }
}

absl::StatusOr<std::vector<std::shared_ptr<const PluginLibrary>>> LoadPluginLibraries(
    const provisioning::config::v1::ServiceConfig& config, uint32_t kind) {
  std::vector<std::shared_ptr<const PluginLibrary>> libraries;
  std::set<std::string> names;
  for (int i = 0; i < config.plugin_libraries_size(); ++i) {
    const std::string field = absl::StrCat("plugin_libraries[", i, "]");
    const std::string& path = config.plugin_libraries(i);
    if (path.empty()) return InvalidFields({{field, "must not be empty"}});
    absl::StatusOr<std::shared_ptr<const PluginLibrary>> library = PluginLibrary::Load(path);
    if (!library.ok()) {
      std::vector<std::pair<std::string, std::string>> metadata;
      auto info = GetDetail<google::rpc::ErrorInfo>(library.status());
      if (info.has_value()) metadata.assign(info->metadata().begin(), info->metadata().end());
      return WithReason(InvalidFields({{field, std::string(library.status().message())}}),
                        ErrorReason(library.status()), metadata);
    }
    if (!names.insert((*library)->name()).second) {
      return InvalidFields({{field, absl::StrCat("plugin \"", (*library)->name(),
                                                 "\" is exported by an earlier library too")}});
    }
    if ((*library)->kind() == kind) libraries.push_back(*std::move(library));
  }
  return libraries;
}

}  // namespace cvm
