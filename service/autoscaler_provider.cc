#include "service/autoscaler_provider.h"

#include <utility>

namespace cvm {

AutoscalerProvider::AutoscalerProvider(Deps deps)
    : deps_(deps),
      handlers_(
          AutoscalerHandlers::Deps{deps.manager, deps.workflow, deps.backends, deps.options}) {}

grpc::ServerUnaryReactor* AutoscalerProvider::Run(grpc::CallbackServerContext* context,
                                                  TenantHandler handler) {
  return RunUnaryOnPool(context, *deps_.auth, *deps_.pool, draining_.load(), std::move(handler));
}

grpc::ServerUnaryReactor* AutoscalerProvider::NodeGroups(grpc::CallbackServerContext* context,
                                                         const ca::NodeGroupsRequest* request,
                                                         ca::NodeGroupsResponse* response) {
  return Call(context, request, response, &AutoscalerHandlers::NodeGroups);
}

grpc::ServerUnaryReactor* AutoscalerProvider::NodeGroupForNode(
    grpc::CallbackServerContext* context, const ca::NodeGroupForNodeRequest* request,
    ca::NodeGroupForNodeResponse* response) {
  return Call(context, request, response, &AutoscalerHandlers::NodeGroupForNode);
}

grpc::ServerUnaryReactor* AutoscalerProvider::PricingNodePrice(
    grpc::CallbackServerContext* context, const ca::PricingNodePriceRequest* request,
    ca::PricingNodePriceResponse* response) {
  return Call(context, request, response, &AutoscalerHandlers::PricingNodePrice);
}

grpc::ServerUnaryReactor* AutoscalerProvider::PricingPodPrice(grpc::CallbackServerContext* context,
                                                              const ca::PricingPodPriceRequest*,
                                                              ca::PricingPodPriceResponse*) {
  return Run(context, [](const std::string&) {
    return absl::UnimplementedError("pod prices are not served; node prices are");
  });
}

grpc::ServerUnaryReactor* AutoscalerProvider::GPULabel(grpc::CallbackServerContext* context,
                                                       const ca::GPULabelRequest*,
                                                       ca::GPULabelResponse* response) {
  return Run(context, [response](const std::string&) {
    response->set_label(kTencentGpuLabel);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AutoscalerProvider::GetAvailableGPUTypes(
    grpc::CallbackServerContext* context, const ca::GetAvailableGPUTypesRequest*,
    ca::GetAvailableGPUTypesResponse*) {
  return Run(context, [](const std::string&) { return absl::OkStatus(); });
}

grpc::ServerUnaryReactor* AutoscalerProvider::Cleanup(grpc::CallbackServerContext* context,
                                                      const ca::CleanupRequest*,
                                                      ca::CleanupResponse*) {
  return Run(context, [](const std::string&) { return absl::OkStatus(); });
}

grpc::ServerUnaryReactor* AutoscalerProvider::Refresh(grpc::CallbackServerContext* context,
                                                      const ca::RefreshRequest*,
                                                      ca::RefreshResponse*) {
  return Run(context, [](const std::string&) { return absl::OkStatus(); });
}

grpc::ServerUnaryReactor* AutoscalerProvider::NodeGroupTargetSize(
    grpc::CallbackServerContext* context, const ca::NodeGroupTargetSizeRequest* request,
    ca::NodeGroupTargetSizeResponse* response) {
  return Call(context, request, response, &AutoscalerHandlers::NodeGroupTargetSize);
}

grpc::ServerUnaryReactor* AutoscalerProvider::NodeGroupIncreaseSize(
    grpc::CallbackServerContext* context, const ca::NodeGroupIncreaseSizeRequest* request,
    ca::NodeGroupIncreaseSizeResponse* response) {
  return Call(context, request, response, &AutoscalerHandlers::NodeGroupIncreaseSize);
}

grpc::ServerUnaryReactor* AutoscalerProvider::NodeGroupDeleteNodes(
    grpc::CallbackServerContext* context, const ca::NodeGroupDeleteNodesRequest* request,
    ca::NodeGroupDeleteNodesResponse* response) {
  return Call(context, request, response, &AutoscalerHandlers::NodeGroupDeleteNodes);
}

grpc::ServerUnaryReactor* AutoscalerProvider::NodeGroupDecreaseTargetSize(
    grpc::CallbackServerContext* context, const ca::NodeGroupDecreaseTargetSizeRequest* request,
    ca::NodeGroupDecreaseTargetSizeResponse* response) {
  return Call(context, request, response, &AutoscalerHandlers::NodeGroupDecreaseTargetSize);
}

grpc::ServerUnaryReactor* AutoscalerProvider::NodeGroupNodes(
    grpc::CallbackServerContext* context, const ca::NodeGroupNodesRequest* request,
    ca::NodeGroupNodesResponse* response) {
  return Call(context, request, response, &AutoscalerHandlers::NodeGroupNodes);
}

grpc::ServerUnaryReactor* AutoscalerProvider::NodeGroupTemplateNodeInfo(
    grpc::CallbackServerContext* context, const ca::NodeGroupTemplateNodeInfoRequest* request,
    ca::NodeGroupTemplateNodeInfoResponse* response) {
  return Call(context, request, response, &AutoscalerHandlers::NodeGroupTemplateNodeInfo);
}

grpc::ServerUnaryReactor* AutoscalerProvider::NodeGroupGetOptions(
    grpc::CallbackServerContext* context, const ca::NodeGroupAutoscalingOptionsRequest* request,
    ca::NodeGroupAutoscalingOptionsResponse* response) {
  return Call(context, request, response, &AutoscalerHandlers::NodeGroupGetOptions);
}

}  // namespace cvm
