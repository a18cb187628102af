#include "service/node_groups_service.h"

#include <string>
#include <utility>

#include "service/unary_dispatch.h"

namespace cvm {

using provisioning::v1::NodeGroup;

grpc::ServerUnaryReactor* NodeGroupsService::Answer(
    grpc::CallbackServerContext* context, NodeGroup* response,
    std::function<absl::StatusOr<NodeGroup>(const std::string&)> handler) {
  return RunUnaryOnPool(context, *deps_.auth, *deps_.pool, draining_.load(), response,
                        [response, handler = std::move(handler)](const std::string& tenant) {
                          absl::StatusOr<NodeGroup> group = handler(tenant);
                          if (!group.ok()) return group.status();
                          *response = *std::move(group);
                          return absl::OkStatus();
                        });
}

grpc::ServerUnaryReactor* NodeGroupsService::CreateNodeGroup(
    grpc::CallbackServerContext* context, const provisioning::v1::CreateNodeGroupRequest* request,
    NodeGroup* response) {
  return Answer(context, response, [this, request](const std::string& tenant) {
    return deps_.manager->Create(tenant, request->node_group());
  });
}

grpc::ServerUnaryReactor* NodeGroupsService::UpdateNodeGroup(
    grpc::CallbackServerContext* context, const provisioning::v1::UpdateNodeGroupRequest* request,
    NodeGroup* response) {
  return Answer(context, response, [this, request](const std::string& tenant) {
    return deps_.manager->Update(tenant, *request);
  });
}

grpc::ServerUnaryReactor* NodeGroupsService::DeleteNodeGroup(
    grpc::CallbackServerContext* context, const provisioning::v1::DeleteNodeGroupRequest* request,
    NodeGroup* response) {
  return Answer(context, response, [this, request](const std::string& tenant) {
    return deps_.manager->Delete(tenant, *request);
  });
}

grpc::ServerUnaryReactor* NodeGroupsService::GetNodeGroup(
    grpc::CallbackServerContext* context, const provisioning::v1::GetNodeGroupRequest* request,
    NodeGroup* response) {
  return Answer(context, response, [this, request](const std::string& tenant) {
    return deps_.manager->Get(tenant, request->group_id());
  });
}

grpc::ServerUnaryReactor* NodeGroupsService::ListNodeGroups(
    grpc::CallbackServerContext* context, const provisioning::v1::ListNodeGroupsRequest*,
    provisioning::v1::ListNodeGroupsResponse* response) {
  return RunUnaryOnPool(context, *deps_.auth, *deps_.pool, draining_.load(), response,
                        [this, response](const std::string& tenant) -> absl::Status {
                          absl::StatusOr<std::vector<NodeGroup>> groups =
                              deps_.manager->List(tenant);
                          if (!groups.ok()) return groups.status();
                          for (NodeGroup& group : *groups) {
                            *response->add_node_groups() = std::move(group);
                          }
                          return absl::OkStatus();
                        });
}

grpc::ServerUnaryReactor* NodeGroupsService::DeleteNodeGroupInstances(
    grpc::CallbackServerContext* context,
    const provisioning::v1::DeleteNodeGroupInstancesRequest* request, NodeGroup* response) {
  return Answer(context, response, [this, request](const std::string& tenant) {
    return deps_.manager->DeleteInstances(tenant, *request);
  });
}

grpc::ServerWriteReactor<NodeGroup>* NodeGroupsService::WatchNodeGroup(
    grpc::CallbackServerContext* context, const provisioning::v1::WatchNodeGroupRequest* request) {
  absl::StatusOr<std::string> tenant = deps_.auth->TenantOf(*context);
  if (!tenant.ok()) return NodeGroupWatches::Refuse(tenant.status());
  return watches_.Open(*tenant, *request);  // refused with UNAVAILABLE once draining
}

void NodeGroupsService::StartDraining() {
  draining_.store(true);
  watches_.Close(Draining());
}

}  // namespace cvm
