// Test double: a scripted NodeGroups service, for the client's tests on an
// InProcessServer (cli/fake_service.h). Each unary method answers with what
// was set for it (OK and an empty group by default) and records its
// requests; each WatchNodeGroup call plays the next script of `watch`
// (calls beyond them fail UNAVAILABLE). Thread-safe.
#ifndef CVM_PROVISIONER_CLI_FAKE_NODE_GROUPS_H_
#define CVM_PROVISIONER_CLI_FAKE_NODE_GROUPS_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cli/fake_service.h"
#include "provisioning/v1/node_groups.grpc.pb.h"

namespace cvm::cli::testing {

using GroupWatchScript = StreamScript<provisioning::v1::NodeGroup>;

// One scripted unary method: its answer and the requests it received.
template <typename Request, typename Response>
class ScriptedCall {
 public:
  void Set(grpc::Status status, Response response = {}) {
    absl::MutexLock lock(&mu_);
    status_ = std::move(status);
    response_ = std::move(response);
  }
  std::vector<Request> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  grpc::Status Answer(const Request& request, Response* response) {
    absl::MutexLock lock(&mu_);
    requests_.push_back(request);
    *response = response_;
    return status_;
  }

 private:
  mutable absl::Mutex mu_;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  Response response_ ABSL_GUARDED_BY(mu_);
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
};

class FakeNodeGroupsService final : public provisioning::v1::NodeGroups::Service {
 public:
  using NodeGroup = provisioning::v1::NodeGroup;

  ScriptedCall<provisioning::v1::CreateNodeGroupRequest, NodeGroup> create;
  ScriptedCall<provisioning::v1::UpdateNodeGroupRequest, NodeGroup> update;
  ScriptedCall<provisioning::v1::DeleteNodeGroupRequest, NodeGroup> remove;
  ScriptedCall<provisioning::v1::GetNodeGroupRequest, NodeGroup> get;
  ScriptedCall<provisioning::v1::ListNodeGroupsRequest, provisioning::v1::ListNodeGroupsResponse>
      list;
  ScriptedCall<provisioning::v1::DeleteNodeGroupInstancesRequest, NodeGroup> delete_instances;

  ScriptedStream<provisioning::v1::WatchNodeGroupRequest, NodeGroup> watch;

  grpc::Status CreateNodeGroup(grpc::ServerContext*,
                               const provisioning::v1::CreateNodeGroupRequest* request,
                               NodeGroup* response) override;
  grpc::Status UpdateNodeGroup(grpc::ServerContext*,
                               const provisioning::v1::UpdateNodeGroupRequest* request,
                               NodeGroup* response) override;
  grpc::Status DeleteNodeGroup(grpc::ServerContext*,
                               const provisioning::v1::DeleteNodeGroupRequest* request,
                               NodeGroup* response) override;
  grpc::Status GetNodeGroup(grpc::ServerContext*,
                            const provisioning::v1::GetNodeGroupRequest* request,
                            NodeGroup* response) override;
  grpc::Status ListNodeGroups(grpc::ServerContext*,
                              const provisioning::v1::ListNodeGroupsRequest* request,
                              provisioning::v1::ListNodeGroupsResponse* response) override;
  grpc::Status DeleteNodeGroupInstances(
      grpc::ServerContext*, const provisioning::v1::DeleteNodeGroupInstancesRequest* request,
      NodeGroup* response) override;
  grpc::Status WatchNodeGroup(grpc::ServerContext* context,
                              const provisioning::v1::WatchNodeGroupRequest* request,
                              grpc::ServerWriter<NodeGroup>* writer) override;
};

}  // namespace cvm::cli::testing

#endif  // CVM_PROVISIONER_CLI_FAKE_NODE_GROUPS_H_
