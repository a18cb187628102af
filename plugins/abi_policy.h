// A policy built out of tree: adapts a loaded policy plugin library
// (plugins/plugin_loader.h) to the Policy contract (plugins/policy.h).
//
// Its config is a google.protobuf.Struct, handed to the plugin's create() as
// JSON. Check() sends a PolicyCheckRequest (tenant, purchase, backend name;
// plugins/plugin_abi.proto) through the ABI's call(CVM_POLICY_CHECK). A
// plugin's denial reaches the client with its code and details; a denial
// (PERMISSION_DENIED / FAILED_PRECONDITION) without an ErrorInfo gets one
// with reason POLICY_DENIED, and every ErrorInfo gets metadata "policy" (the
// configured name) when the plugin left it out. Out-of-tree policies see only
// the request: they cannot read the store or quote (the ABI stays narrow).
//
// Contract: thread-safe (ABI rule 5); a policy keeps its library loaded.
#ifndef CVM_PROVISIONER_PLUGINS_ABI_POLICY_H_
#define CVM_PROVISIONER_PLUGINS_ABI_POLICY_H_

#include <memory>
#include <string>

#include "plugins/plugin_loader.h"
#include "plugins/policy.h"

namespace cvm {

class AbiPolicyFactory : public PolicyFactory {
 public:
  // `library` must be of kind CVM_PLUGIN_KIND_POLICY.
  explicit AbiPolicyFactory(std::shared_ptr<const PluginLibrary> library)
      : library_(std::move(library)) {}

  std::string name() const override { return library_->name(); }
  // A google.protobuf.Struct.
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override;
  absl::StatusOr<std::unique_ptr<Policy>> Create(const google::protobuf::Message& config,
                                                 const PolicyContext& context) const override;

 private:
  const std::shared_ptr<const PluginLibrary> library_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_ABI_POLICY_H_
