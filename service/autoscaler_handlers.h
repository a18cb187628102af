// What the service answers to Cluster Autoscaler's externalgrpc CloudProvider
// calls (proto/clusterautoscaler/.../externalgrpc.proto), on top of the node
// groups (service/node_group_manager.h), for one tenant at a time: the
// caller's (service/authenticator.h), so a tenant sees and scales only its
// own groups. AutoscalerProvider (service/autoscaler_provider.h) runs these
// on the worker pool; docs/cluster-autoscaler.md says what each call does.
//
// Instances go out as provider IDs "qcloud:///<zone>/<instance id>" (the
// zone's id from Options::zone_ids when listed, else its name), what
// Tencent's cloud-controller-manager and kubelets write into
// spec.providerID; a node is matched by the instance id alone, and a bare
// "ins-..." is accepted too. While a group cannot reach its target
// (status.unsatisfiable), each missing instance is reported as creating with
// an error and the id "qcloud:///<zone>/placeholder-<group>-<n>"; the
// autoscaler deletes those, which lowers the target.
//
// Contract: thread-safe; every method blocks on the store (and the cloud for
// prices and the template), so run them on worker threads. `deadline` is the
// client's. Errors: INVALID_ARGUMENT naming the request field; NOT_FOUND for
// a group the tenant does not have (or a node of no group where one is
// needed); FAILED_PRECONDITION for a size the group's state forbids; the
// manager's, the store's and the backend's errors as they are.
#ifndef CVM_PROVISIONER_SERVICE_AUTOSCALER_HANDLERS_H_
#define CVM_PROVISIONER_SERVICE_AUTOSCALER_HANDLERS_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clusterautoscaler/cloudprovider/v1/externalgrpc/externalgrpc.pb.h"
#include "plugins/backend_set.h"
#include "service/node_group_manager.h"
#include "service/order_workflow.h"

namespace cvm {

namespace ca = clusterautoscaler::cloudprovider::v1::externalgrpc;

// The GPU label of the in-tree tencentcloud provider of Cluster Autoscaler
// (cloudprovider/tencentcloud: GPULabel).
inline constexpr char kTencentGpuLabel[] = "cloud.tencent.com/tke-accelerator";
// The label the template node carries with its group's id, so that
// PricingNodePrice finds the group of a template node (which has no
// providerID).
inline constexpr char kNodeGroupLabel[] = "provisioner.cvm.dev/node-group";

// "qcloud:///<zone>/<instance_id>", the zone mapped through `zone_ids`.
std::string ProviderIdOf(const std::map<std::string, std::string>& zone_ids,
                         const std::string& zone, const std::string& instance_id);
// The instance id a node's providerID names ("qcloud:///<zone>/<id>" or a bare
// "ins-..."); "" for anything else.
std::string InstanceIdOf(absl::string_view provider_id);

class AutoscalerHandlers {
 public:
  struct Options {
    // Zone name -> the zone id nodes carry in spec.providerID, e.g.
    // {"ap-guangzhou-3", "100003"}; a zone not listed is written by name.
    std::map<std::string, std::string> zone_ids;
    // Pods a template node allows (kubelet's default).
    int max_pods = 110;
  };
  struct Deps {
    NodeGroupManager* manager = nullptr;
    // Quote (PricingNodePrice) through the tenant's route.
    OrderWorkflow* workflow = nullptr;
    // Offers (the template's vCPUs) of the backend routing the group's region.
    const BackendSet* backends = nullptr;
    Options options;
  };
  explicit AutoscalerHandlers(Deps deps) : deps_(std::move(deps)) {}

  // ACTIVE groups only (a group being deleted is not scaled).
  absl::Status NodeGroups(const std::string& tenant, const ca::NodeGroupsRequest& request,
                          ca::NodeGroupsResponse* response);
  // The ACTIVE group holding the node's instance; id "" for any other node.
  absl::Status NodeGroupForNode(const std::string& tenant,
                                const ca::NodeGroupForNodeRequest& request,
                                ca::NodeGroupForNodeResponse* response);
  absl::Status NodeGroupTargetSize(const std::string& tenant,
                                   const ca::NodeGroupTargetSizeRequest& request,
                                   ca::NodeGroupTargetSizeResponse* response);
  // delta > 0 and target + delta <= max_size; answers once it is recorded.
  absl::Status NodeGroupIncreaseSize(const std::string& tenant,
                                     const ca::NodeGroupIncreaseSizeRequest& request,
                                     ca::NodeGroupIncreaseSizeResponse* response);
  // Exactly the named nodes (NOT_FOUND naming one not in the group), lowering
  // the target by their number; placeholders only lower the target; nodes
  // already being deleted are skipped. Prepaid instances are refused.
  absl::Status NodeGroupDeleteNodes(const std::string& tenant,
                                    const ca::NodeGroupDeleteNodesRequest& request,
                                    ca::NodeGroupDeleteNodesResponse* response);
  // delta < 0, never below the instances creating or running
  // (FAILED_PRECONDITION EXISTING_NODES).
  absl::Status NodeGroupDecreaseTargetSize(const std::string& tenant,
                                           const ca::NodeGroupDecreaseTargetSizeRequest& request,
                                           ca::NodeGroupDecreaseTargetSizeResponse* response);
  absl::Status NodeGroupNodes(const std::string& tenant, const ca::NodeGroupNodesRequest& request,
                              ca::NodeGroupNodesResponse* response);
  // The group's spec priced for one instance (Quote) over the interval; the
  // node is found by its providerID or the template's kNodeGroupLabel.
  absl::Status PricingNodePrice(const std::string& tenant,
                                const ca::PricingNodePriceRequest& request,
                                ca::PricingNodePriceResponse* response, absl::Time deadline);
  absl::Status NodeGroupTemplateNodeInfo(const std::string& tenant,
                                         const ca::NodeGroupTemplateNodeInfoRequest& request,
                                         ca::NodeGroupTemplateNodeInfoResponse* response,
                                         absl::Time deadline);
  // The autoscaler's defaults, unchanged (no per-group options yet).
  absl::Status NodeGroupGetOptions(const std::string& tenant,
                                   const ca::NodeGroupAutoscalingOptionsRequest& request,
                                   ca::NodeGroupAutoscalingOptionsResponse* response);

 private:
  // The tenant's ACTIVE group `id` (NOT_FOUND otherwise; INVALID_ARGUMENT
  // for an empty id).
  absl::StatusOr<NodeGroupManager::NodeGroup> ActiveGroup(const std::string& tenant,
                                                          const std::string& id);
  // The group a node (by providerID, placeholder or label) belongs to.
  absl::StatusOr<NodeGroupManager::NodeGroup> GroupOfNode(const std::string& tenant,
                                                          const ca::ExternalGrpcNode& node);
  ca::NodeGroup Describe(const NodeGroupManager::NodeGroup& group) const;

  const Deps deps_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_AUTOSCALER_HANDLERS_H_
