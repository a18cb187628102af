#include "plugins/abi_policy.h"

#include "common/status_details.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "plugins/plugin_abi.pb.h"
#include "plugins/plugin_instance.h"

namespace cvm {
namespace {

class AbiPolicy : public Policy {
 public:
  AbiPolicy(std::shared_ptr<const PluginInstance> instance, std::string name)
      : instance_(std::move(instance)), name_(std::move(name)) {}

  absl::Status Check(const PurchaseCheck& check) override {
    provisioning::plugin::v1::PolicyCheckRequest request;
    request.set_tenant(check.tenant);
    if (check.request != nullptr) *request.mutable_request() = *check.request;
    request.set_backend(check.backend_name);
    absl::Status status = instance_->Call(CVM_POLICY_CHECK, request, nullptr);
    if (status.ok()) return status;
    auto info = GetDetail<google::rpc::ErrorInfo>(status);
    const bool denial = status.code() == absl::StatusCode::kPermissionDenied ||
                        status.code() == absl::StatusCode::kFailedPrecondition;
    if (!info.has_value()) {
      return denial ? WithReason(std::move(status), "POLICY_DENIED", {{"policy", name_}}) : status;
    }
    if (info->metadata().count("policy") == 0) {
      (*info->mutable_metadata())["policy"] = name_;
      SetDetail(status, *info);
    }
    return status;
  }

 private:
  const std::shared_ptr<const PluginInstance> instance_;
  const std::string name_;
};

}  // namespace

std::unique_ptr<google::protobuf::Message> AbiPolicyFactory::CreateEmptyConfig() const {
  return std::make_unique<google::protobuf::Struct>();
}

absl::StatusOr<std::unique_ptr<Policy>> AbiPolicyFactory::Create(
    const google::protobuf::Message& config, const PolicyContext& context) const {
  ASSIGN_OR_RETURN(std::shared_ptr<const PluginInstance> instance,
                   PluginInstance::Create(library_, context.name, ToAbiJson(config)));
  return std::unique_ptr<Policy>(new AbiPolicy(std::move(instance), context.name));
}

}  // namespace cvm
