#include "service/node_groups_service.h"

#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"
#include "service/unary_dispatch.h"

namespace cvm {
namespace {

using provisioning::v1::NodeGroup;

// A watch refused before it started.
class RefusedWatch : public grpc::ServerWriteReactor<NodeGroup> {
 public:
  explicit RefusedWatch(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

// Streams a group's revisions from a thread of its own that polls the store.
class GroupWatch : public grpc::ServerWriteReactor<NodeGroup> {
 public:
  GroupWatch(NodeGroupManager* manager, std::string tenant,
             provisioning::v1::WatchNodeGroupRequest request, absl::Duration interval,
             std::shared_ptr<std::atomic<bool>> draining)
      : manager_(manager),
        tenant_(std::move(tenant)),
        request_(std::move(request)),
        interval_(interval),
        draining_(std::move(draining)) {
    thread_ = std::thread([this] { Run(); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    broken_ = broken_ || !ok;
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  void OnDone() override {
    thread_.join();
    delete this;
  }

 private:
  void Run() {
    int64_t sent = request_.start_revision();
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return !writing_ || cancelled_ || broken_;
        };
        mu_.Await(absl::Condition(&idle));
        if (cancelled_ || broken_) return Finish(grpc::Status::CANCELLED);
      }
      if (draining_->load()) return Finish(ToGrpcStatus(Draining()));
      absl::StatusOr<NodeGroup> group = manager_->Get(tenant_, request_.group_id());
      if (!group.ok()) return Finish(ToGrpcStatus(group.status()));
      if (group->revision() > sent) {
        sent = group->revision();
        current_ = *std::move(group);
        {
          absl::MutexLock lock(&mu_);
          writing_ = true;
        }
        StartWrite(&current_);
        if (current_.state() == NodeGroup::DELETED) {
          absl::MutexLock lock(&mu_);
          auto written = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !writing_; };
          mu_.Await(absl::Condition(&written));
          return Finish(grpc::Status::OK);
        }
        continue;
      }
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return cancelled_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), interval_);
    }
  }

  NodeGroupManager* const manager_;
  const std::string tenant_;
  const provisioning::v1::WatchNodeGroupRequest request_;
  const absl::Duration interval_;
  const std::shared_ptr<std::atomic<bool>> draining_;
  NodeGroup current_;  // the message being written
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace

grpc::ServerUnaryReactor* NodeGroupsService::Answer(
    grpc::CallbackServerContext* context, NodeGroup* response,
    std::function<absl::StatusOr<NodeGroup>(const std::string&)> handler) {
  return RunUnaryOnPool(context, *deps_.auth, *deps_.pool, draining_->load(), response,
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
  return RunUnaryOnPool(context, *deps_.auth, *deps_.pool, draining_->load(), response,
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
  if (!tenant.ok() || draining_->load()) {
    return new RefusedWatch(tenant.ok() ? Draining() : tenant.status());
  }
  return new GroupWatch(deps_.manager, *tenant, *request, deps_.watch_interval, draining_);
}

}  // namespace cvm
