// The gRPC surface of provisioning.v1.NodeGroups on the callback API: each
// unary call runs its NodeGroupManager method for the caller's tenant on the
// worker pool (service/unary_dispatch.h). WatchNodeGroup streams the group
// now, then every new revision of it, read from the store every
// `watch_interval` (so a change any replica makes reaches every watcher) by
// one thread for all watches (service/node_group_watches.h), and ends OK
// after sending a DELETED group.
//
// Contract: thread-safe. After StartDraining() new calls are refused with
// UNAVAILABLE and open watches end with it. Destroy only after the gRPC
// server's Shutdown() (no watch open).
#ifndef CVM_PROVISIONER_SERVICE_NODE_GROUPS_SERVICE_H_
#define CVM_PROVISIONER_SERVICE_NODE_GROUPS_SERVICE_H_

#include <atomic>
#include <memory>

#include "absl/time/time.h"
#include "common/thread_pool.h"
#include "provisioning/v1/node_groups.grpc.pb.h"
#include "service/authenticator.h"
#include "service/node_group_manager.h"
#include "service/node_group_watches.h"

namespace cvm {

class NodeGroupsService final : public provisioning::v1::NodeGroups::CallbackService {
 public:
  struct Deps {
    NodeGroupManager* manager = nullptr;
    ThreadPool* pool = nullptr;
    const Authenticator* auth = nullptr;
    absl::Duration watch_interval = absl::Milliseconds(250);
  };
  explicit NodeGroupsService(Deps deps)
      : deps_(deps),
        watches_(
            [manager = deps.manager](const std::string& tenant, const std::string& group_id) {
              return manager->Get(tenant, group_id);
            },
            deps.watch_interval) {}

  void StartDraining();

  grpc::ServerUnaryReactor* CreateNodeGroup(grpc::CallbackServerContext* context,
                                            const provisioning::v1::CreateNodeGroupRequest* request,
                                            provisioning::v1::NodeGroup* response) override;
  grpc::ServerUnaryReactor* UpdateNodeGroup(grpc::CallbackServerContext* context,
                                            const provisioning::v1::UpdateNodeGroupRequest* request,
                                            provisioning::v1::NodeGroup* response) override;
  grpc::ServerUnaryReactor* DeleteNodeGroup(grpc::CallbackServerContext* context,
                                            const provisioning::v1::DeleteNodeGroupRequest* request,
                                            provisioning::v1::NodeGroup* response) override;
  grpc::ServerUnaryReactor* GetNodeGroup(grpc::CallbackServerContext* context,
                                         const provisioning::v1::GetNodeGroupRequest* request,
                                         provisioning::v1::NodeGroup* response) override;
  grpc::ServerUnaryReactor* ListNodeGroups(
      grpc::CallbackServerContext* context, const provisioning::v1::ListNodeGroupsRequest* request,
      provisioning::v1::ListNodeGroupsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteNodeGroupInstances(
      grpc::CallbackServerContext* context,
      const provisioning::v1::DeleteNodeGroupInstancesRequest* request,
      provisioning::v1::NodeGroup* response) override;
  grpc::ServerWriteReactor<provisioning::v1::NodeGroup>* WatchNodeGroup(
      grpc::CallbackServerContext* context,
      const provisioning::v1::WatchNodeGroupRequest* request) override;

 private:
  // The handler's NodeGroup into `response`.
  grpc::ServerUnaryReactor* Answer(
      grpc::CallbackServerContext* context, provisioning::v1::NodeGroup* response,
      std::function<absl::StatusOr<provisioning::v1::NodeGroup>(const std::string&)> handler);

  const Deps deps_;
  std::atomic<bool> draining_{false};
  NodeGroupWatches watches_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_NODE_GROUPS_SERVICE_H_
