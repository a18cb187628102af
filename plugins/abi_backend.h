// A backend built out of tree: adapts a loaded backend plugin library
// (plugins/plugin_loader.h) to the Backend contract (backends/backend.h).
//
// AbiBackendFactory is the BackendFactory of one library: its config is a
// google.protobuf.Struct, passed to the plugin's create() as JSON; Create()
// makes one plugin instance and wraps it in a Backend that forwards each
// method through the ABI's call() (requests and results as the JSON of
// plugins/plugin_abi.proto). The plugin's errors, details included, are the
// backend's errors, so a conforming plugin is a conforming Backend.
// Deadlines (backends/backend.h rule 7, ABI rule 7): the deadline of
// Preflight, Create, Terminate and Quote goes into the request of a v2
// plugin, which stops by itself; a v1 plugin's call is bounded by the
// service (plugins/plugin_instance.h). Either way the caller gets
// DEADLINE_EXCEEDED at its deadline.
//
// Contract: both classes are thread-safe (ABI rule 5); a backend holds its
// plugin instance and library, which stay until the last backend made from
// them, or v1 call still running past its deadline, is gone.
#ifndef CVM_PROVISIONER_PLUGINS_ABI_BACKEND_H_
#define CVM_PROVISIONER_PLUGINS_ABI_BACKEND_H_

#include <memory>
#include <string>

#include "backends/backend_registry.h"
#include "plugins/plugin_loader.h"

namespace cvm {

class AbiBackendFactory : public BackendFactory {
 public:
  // `library` must be of kind CVM_PLUGIN_KIND_BACKEND.
  explicit AbiBackendFactory(std::shared_ptr<const PluginLibrary> library)
      : library_(std::move(library)) {}

  std::string name() const override { return library_->name(); }
  // A google.protobuf.Struct.
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override;
  // The plugin's create() error, e.g. INVALID_ARGUMENT for a bad config.
  absl::StatusOr<std::unique_ptr<Backend>> Create(const google::protobuf::Message& config,
                                                  const BackendContext& context) const override;

 private:
  const std::shared_ptr<const PluginLibrary> library_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_ABI_BACKEND_H_
