#include "cli/fake_node_groups.h"

namespace cvm::cli::testing {

using provisioning::v1::NodeGroup;

grpc::Status FakeNodeGroupsService::CreateNodeGroup(
    grpc::ServerContext*, const provisioning::v1::CreateNodeGroupRequest* request,
    NodeGroup* response) {
  return create.Answer(*request, response);
}

grpc::Status FakeNodeGroupsService::UpdateNodeGroup(
    grpc::ServerContext*, const provisioning::v1::UpdateNodeGroupRequest* request,
    NodeGroup* response) {
  return update.Answer(*request, response);
}

grpc::Status FakeNodeGroupsService::DeleteNodeGroup(
    grpc::ServerContext*, const provisioning::v1::DeleteNodeGroupRequest* request,
    NodeGroup* response) {
  return remove.Answer(*request, response);
}

grpc::Status FakeNodeGroupsService::GetNodeGroup(
    grpc::ServerContext*, const provisioning::v1::GetNodeGroupRequest* request,
    NodeGroup* response) {
  return get.Answer(*request, response);
}

grpc::Status FakeNodeGroupsService::ListNodeGroups(
    grpc::ServerContext*, const provisioning::v1::ListNodeGroupsRequest* request,
    provisioning::v1::ListNodeGroupsResponse* response) {
  return list.Answer(*request, response);
}

grpc::Status FakeNodeGroupsService::DeleteNodeGroupInstances(
    grpc::ServerContext*, const provisioning::v1::DeleteNodeGroupInstancesRequest* request,
    NodeGroup* response) {
  return delete_instances.Answer(*request, response);
}

grpc::Status FakeNodeGroupsService::WatchNodeGroup(
    grpc::ServerContext* context, const provisioning::v1::WatchNodeGroupRequest* request,
    grpc::ServerWriter<NodeGroup>* writer) {
  return watch.Play(context, *request, writer);
}

}  // namespace cvm::cli::testing
