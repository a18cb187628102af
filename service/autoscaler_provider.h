// The gRPC surface of Cluster Autoscaler's externalgrpc CloudProvider
// service (proto/clusterautoscaler/cloudprovider/v1/externalgrpc/), on the
// callback API. Dispatch only: every call is authenticated and run on the
// worker pool (service/unary_dispatch.h), its answer comes from
// AutoscalerHandlers (service/autoscaler_handlers.h) with the caller's
// tenant, and its absl::Status is converted once (common/grpc_status.h).
// Refresh and Cleanup answer OK at once (the handlers read the store on
// every call, so there is nothing to refresh or close); GPULabel names the
// in-tree tencentcloud provider's label; GetAvailableGPUTypes is empty;
// PricingPodPrice is UNIMPLEMENTED, as the contract allows.
//
// Contract: thread-safe; every dependency must outlive the service. After
// StartDraining() every new call is refused with UNAVAILABLE.
#ifndef CVM_PROVISIONER_SERVICE_AUTOSCALER_PROVIDER_H_
#define CVM_PROVISIONER_SERVICE_AUTOSCALER_PROVIDER_H_

#include <atomic>

#include "clusterautoscaler/cloudprovider/v1/externalgrpc/externalgrpc.grpc.pb.h"
#include "common/thread_pool.h"
#include "service/authenticator.h"
#include "service/autoscaler_handlers.h"
#include "service/unary_dispatch.h"

namespace cvm {

class AutoscalerProvider final : public ca::CloudProvider::CallbackService {
 public:
  struct Deps {
    NodeGroupManager* manager = nullptr;
    OrderWorkflow* workflow = nullptr;
    const BackendSet* backends = nullptr;
    const Authenticator* auth = nullptr;
    ThreadPool* pool = nullptr;
    AutoscalerHandlers::Options options;
  };
  explicit AutoscalerProvider(Deps deps);

  void StartDraining() { draining_.store(true); }

  grpc::ServerUnaryReactor* NodeGroups(grpc::CallbackServerContext* context,
                                       const ca::NodeGroupsRequest* request,
                                       ca::NodeGroupsResponse* response) override;
  grpc::ServerUnaryReactor* NodeGroupForNode(grpc::CallbackServerContext* context,
                                             const ca::NodeGroupForNodeRequest* request,
                                             ca::NodeGroupForNodeResponse* response) override;
  grpc::ServerUnaryReactor* PricingNodePrice(grpc::CallbackServerContext* context,
                                             const ca::PricingNodePriceRequest* request,
                                             ca::PricingNodePriceResponse* response) override;
  grpc::ServerUnaryReactor* PricingPodPrice(grpc::CallbackServerContext* context,
                                            const ca::PricingPodPriceRequest* request,
                                            ca::PricingPodPriceResponse* response) override;
  grpc::ServerUnaryReactor* GPULabel(grpc::CallbackServerContext* context,
                                     const ca::GPULabelRequest* request,
                                     ca::GPULabelResponse* response) override;
  grpc::ServerUnaryReactor* GetAvailableGPUTypes(
      grpc::CallbackServerContext* context, const ca::GetAvailableGPUTypesRequest* request,
      ca::GetAvailableGPUTypesResponse* response) override;
  grpc::ServerUnaryReactor* Cleanup(grpc::CallbackServerContext* context,
                                    const ca::CleanupRequest* request,
                                    ca::CleanupResponse* response) override;
  grpc::ServerUnaryReactor* Refresh(grpc::CallbackServerContext* context,
                                    const ca::RefreshRequest* request,
                                    ca::RefreshResponse* response) override;
  grpc::ServerUnaryReactor* NodeGroupTargetSize(grpc::CallbackServerContext* context,
                                                const ca::NodeGroupTargetSizeRequest* request,
                                                ca::NodeGroupTargetSizeResponse* response) override;
  grpc::ServerUnaryReactor* NodeGroupIncreaseSize(
      grpc::CallbackServerContext* context, const ca::NodeGroupIncreaseSizeRequest* request,
      ca::NodeGroupIncreaseSizeResponse* response) override;
  grpc::ServerUnaryReactor* NodeGroupDeleteNodes(
      grpc::CallbackServerContext* context, const ca::NodeGroupDeleteNodesRequest* request,
      ca::NodeGroupDeleteNodesResponse* response) override;
  grpc::ServerUnaryReactor* NodeGroupDecreaseTargetSize(
      grpc::CallbackServerContext* context, const ca::NodeGroupDecreaseTargetSizeRequest* request,
      ca::NodeGroupDecreaseTargetSizeResponse* response) override;
  grpc::ServerUnaryReactor* NodeGroupNodes(grpc::CallbackServerContext* context,
                                           const ca::NodeGroupNodesRequest* request,
                                           ca::NodeGroupNodesResponse* response) override;
  grpc::ServerUnaryReactor* NodeGroupTemplateNodeInfo(
      grpc::CallbackServerContext* context, const ca::NodeGroupTemplateNodeInfoRequest* request,
      ca::NodeGroupTemplateNodeInfoResponse* response) override;
  grpc::ServerUnaryReactor* NodeGroupGetOptions(
      grpc::CallbackServerContext* context, const ca::NodeGroupAutoscalingOptionsRequest* request,
      ca::NodeGroupAutoscalingOptionsResponse* response) override;

 private:
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, TenantHandler handler);
  // Runs `method` of the handlers with the caller's tenant.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Call(
      grpc::CallbackServerContext* context, const Request* request, Response* response,
      absl::Status (AutoscalerHandlers::*method)(const std::string&, const Request&, Response*)) {
    return Run(context, [this, request, response, method](const std::string& tenant) {
      return (handlers_.*method)(tenant, *request, response);
    });
  }
  // The same for a method bounded by the client's deadline.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Call(grpc::CallbackServerContext* context, const Request* request,
                                 Response* response,
                                 absl::Status (AutoscalerHandlers::*method)(
                                     const std::string&, const Request&, Response*, absl::Time)) {
    const absl::Time deadline = DeadlineOf(*context);
    return Run(context, [this, request, response, method, deadline](const std::string& tenant) {
      return (handlers_.*method)(tenant, *request, response, deadline);
    });
  }

  const Deps deps_;
  AutoscalerHandlers handlers_;
  std::atomic<bool> draining_{false};
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_AUTOSCALER_PROVIDER_H_
