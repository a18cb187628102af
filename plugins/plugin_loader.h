// The host side of the plugin ABI (plugins/plugin_abi.h): loading a shared
// object, checking its version, and calling it with protobuf messages.
//
//   auto library = PluginLibrary::Load("/opt/cvm/libacme_cloud.so");
//   // library->kind() == CVM_PLUGIN_KIND_BACKEND, library->name() == "acme"
//
// Adapters turn a loaded library into a BackendFactory (plugins/abi_backend.h)
// or a PolicyFactory (plugins/abi_policy.h); LoadPluginLibraries() loads the
// ones a ServiceConfig lists.
//
// Contract: a PluginLibrary is immutable once loaded and thread-safe; every
// instance created from it holds a shared_ptr to it, so the library stays
// loaded (dlclose only after the last instance is destroyed). Errors:
//   Load(): FAILED_PRECONDITION with ErrorInfo reason PLUGIN_LOAD_FAILED (the
//     file cannot be loaded: dlerror's text), PLUGIN_ENTRY_MISSING (no
//     cvm_plugin_entry), PLUGIN_ABI_MISMATCH (a version outside
//     [CVM_PLUGIN_ABI_MIN_VERSION, CVM_PLUGIN_ABI_VERSION]: "built for plugin
//     ABI v3, this service speaks v1 and v2"; metadata plugin_abi_version,
//     service_abi_version, service_min_abi_version) or PLUGIN_INVALID (a null
//     name or function, an unknown kind).
//   Create()/Call(): the plugin's own status (code, message, details) per
//     rule 4 of the ABI; INTERNAL when its JSON cannot be read.
#ifndef CVM_PROVISIONER_PLUGINS_PLUGIN_LOADER_H_
#define CVM_PROVISIONER_PLUGINS_PLUGIN_LOADER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "plugins/plugin_abi.h"
#include "plugins/service_config.pb.h"

namespace cvm {

class PluginLibrary {
 public:
  static absl::StatusOr<std::shared_ptr<const PluginLibrary>> Load(const std::string& path);
  ~PluginLibrary();

  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  uint32_t kind() const { return plugin_->kind; }
  // The ABI the plugin speaks, CVM_PLUGIN_ABI_MIN_VERSION..CVM_PLUGIN_ABI_VERSION.
  uint32_t abi_version() const { return plugin_->abi_version; }

  // Creates an instance named `instance_name` from its JSON config; the
  // handle is the plugin's (may be null) and must be released with Destroy().
  absl::StatusOr<void*> Create(const std::string& instance_name,
                               const std::string& config_json) const;
  void Destroy(void* instance) const;

  // Sends `request` as JSON and parses the result into `result` (which may be
  // null for methods answering Empty), in the caller's thread, however long
  // the plugin takes (plugins/plugin_instance.h bounds calls by a deadline).
  absl::Status Call(void* instance, uint32_t method, const google::protobuf::Message& request,
                    google::protobuf::Message* result) const;

  // The two halves of Call(), for a caller that runs the plugin on another
  // thread: CallJson() runs call() and returns its code, keeping what it sent
  // in `output`; ReadResult() turns them into the status and `result`.
  int32_t CallJson(void* instance, uint32_t method, const std::string& request_json,
                   std::string* output) const;
  absl::Status ReadResult(uint32_t method, int32_t code, const std::string& output,
                          google::protobuf::Message* result) const;

  // "Quote" for CVM_BACKEND_QUOTE, "method 42" for a number it does not know.
  static std::string MethodName(uint32_t method);

 private:
  PluginLibrary(std::string path, void* handle, const cvm_plugin* plugin)
      : path_(std::move(path)), name_(plugin->name), handle_(handle), plugin_(plugin) {}

  // The status a plugin answered with: `code` and the google.rpc.Status JSON
  // it sent (possibly empty).
  absl::Status PluginError(int32_t code, const std::string& what,
                           const std::string& status_json) const;

  const std::string path_;
  const std::string name_;
  void* const handle_;
  const cvm_plugin* const plugin_;
};

// The libraries of config.plugin_libraries whose kind is `kind`, in order
// (libraries of the other kind are loaded, checked and released). Errors:
// INVALID_ARGUMENT naming plugin_libraries[i] with the loader's message and
// ErrorInfo reason (see Load()), or a duplicate plugin name among them.
absl::StatusOr<std::vector<std::shared_ptr<const PluginLibrary>>> LoadPluginLibraries(
    const provisioning::config::v1::ServiceConfig& config, uint32_t kind);

// A message as the ABI's JSON (rule 2: .proto field names, enums by name).
std::string ToAbiJson(const google::protobuf::Message& message);
// Parses ABI JSON into `message`, ignoring unknown fields; INTERNAL on
// malformed JSON (naming `what`).
absl::Status FromAbiJson(const std::string& json, const std::string& what,
                         google::protobuf::Message* message);

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_PLUGIN_LOADER_H_
