// What the node group API does (proto/provisioning/v1/node_groups.proto),
// tenant by tenant, for the NodeGroups gRPC service and Cluster Autoscaler's
// CloudProvider service alike: validation field by field, changes to the
// group record (store/node_group_store.h), and a wake-up of the reconciler
// (service/node_group_reconciler.h), which does the buying and releasing.
//
// A tenant sees only its own groups: another tenant's is NOT_FOUND.
//
// Contract: thread-safe. Errors: INVALID_ARGUMENT with a BadRequest naming
// each bad field; NOT_FOUND; ALREADY_EXISTS; FAILED_PRECONDITION for a
// change the group's state or sizes forbid (a stale revision, below
// min_size, a prepaid instance without release_prepaid); the store's.
#ifndef CVM_PROVISIONER_SERVICE_NODE_GROUP_MANAGER_H_
#define CVM_PROVISIONER_SERVICE_NODE_GROUP_MANAGER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "provisioning/v1/node_groups.pb.h"
#include "service/node_group_reconciler.h"
#include "service/order_workflow.h"
#include "store/node_group_store.h"
#include "store/order_store.h"

namespace cvm {

class NodeGroupManager {
 public:
  using NodeGroup = provisioning::v1::NodeGroup;

  // `reconciler` may be null (tests drive it themselves).
  NodeGroupManager(NodeGroupStore* groups, OrderStore* orders, OrderWorkflow* workflow,
                   NodeGroupReconciler* reconciler, Clock* clock = RealClock::Get())
      : groups_(groups),
        orders_(orders),
        workflow_(workflow),
        reconciler_(reconciler),
        clock_(clock) {}

  absl::StatusOr<NodeGroup> Create(const std::string& tenant, NodeGroup group);
  absl::StatusOr<NodeGroup> Update(const std::string& tenant,
                                   const provisioning::v1::UpdateNodeGroupRequest& request);
  absl::StatusOr<NodeGroup> Delete(const std::string& tenant,
                                   const provisioning::v1::DeleteNodeGroupRequest& request);
  // A DELETED group too (its state says so).
  absl::StatusOr<NodeGroup> Get(const std::string& tenant, const std::string& group_id);
  // The tenant's groups that are not DELETED, by group_id.
  absl::StatusOr<std::vector<NodeGroup>> List(const std::string& tenant);
  absl::StatusOr<NodeGroup> DeleteInstances(
      const std::string& tenant, const provisioning::v1::DeleteNodeGroupInstancesRequest& request);
  // The tenant's live group holding `instance_id`, or NOT_FOUND.
  absl::StatusOr<NodeGroup> GroupOfInstance(const std::string& tenant,
                                            const std::string& instance_id);

 private:
  void Wake();

  NodeGroupStore* const groups_;
  OrderStore* const orders_;
  OrderWorkflow* const workflow_;
  NodeGroupReconciler* const reconciler_;
  Clock* const clock_;
};

// INVALID_ARGUMENT naming every bad field of a group to create, under
// `prefix` (e.g. "node_group.").
absl::Status ValidateNodeGroup(const provisioning::v1::NodeGroup& group,
                               const std::string& prefix);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_NODE_GROUP_MANAGER_H_
