#include "service/provisioning_service.h"

#include <utility>

#include "service/order_handlers.h"
#include "service/unary_dispatch.h"

namespace cvm {

namespace {

ProvisioningService::Deps WithWatchMetrics(ProvisioningService::Deps deps) {
  if (deps.metrics != nullptr) {
    deps.watch.metrics = deps.metrics->Find(ProvisioningService::kWatchMethod);
  }
  return deps;
}

}  // namespace

ProvisioningService::ProvisioningService(Deps deps)
    : deps_(WithWatchMetrics(std::move(deps))) {
  WatchEndpoint::Options watch;
  watch.request = [this](grpc::ServerContext* context, grpc::ByteBuffer* request,
                         grpc::ServerAsyncWriter<grpc::ByteBuffer>* writer,
                         grpc::ServerCompletionQueue* queue, void* tag) {
    RequestWatch(context, request, writer, queue, queue, tag);
  };
  // While draining the hub is closed, so a new watch ends UNAVAILABLE.
  watch.tenant_of = [auth = deps_.auth](const grpc::ServerContextBase& context) {
    return auth->TenantOf(context);
  };
  watch.streams = deps_.watch;
  watch.completion_queues = deps_.watch_queues;
  watch_ = std::make_unique<WatchEndpoint>(std::move(watch));
}

grpc::ServerUnaryReactor* ProvisioningService::RunOnPool(
    grpc::CallbackServerContext* context, google::protobuf::Message* response,
    std::function<absl::Status(const std::string&)> handler) {
  return RunUnaryOnPool(context, *deps_.auth, *deps_.pool, draining_.load(), response,
                        std::move(handler));
}

void ProvisioningService::Audit(const std::string& tenant, const char* action,
                                const std::string& request_id, const std::string& order_id,
                                const absl::Status& outcome, const std::string& instance_id) {
  if (deps_.audit == nullptr) return;
  deps_.audit->Record({tenant, action, request_id, order_id, outcome, instance_id});
}

grpc::ServerUnaryReactor* ProvisioningService::RunInstanceOperation(
    grpc::CallbackServerContext* context, const char* action, const std::string& instance_id,
    provisioning::v1::Order* response,
    std::function<absl::Status(const std::string& tenant, absl::Time deadline)> handler) {
  const absl::Time deadline = DeadlineOf(*context);
  return RunOnPool(context, response,
                   [this, action, instance_id = std::string(instance_id), response, deadline,
                    handler = std::move(handler)](const std::string& tenant) {
                     absl::Status status = handler(tenant, deadline);
                     Audit(tenant, action, "", response->order_id(), status, instance_id);
                     return status;
                   });
}

grpc::ServerUnaryReactor* ProvisioningService::TerminateInstance(
    grpc::CallbackServerContext* context,
    const provisioning::v1::TerminateInstanceRequest* request,
    provisioning::v1::Order* response) {
  return RunInstanceOperation(
      context, "TerminateInstance", request->instance_id(), response,
      [this, request, response](const std::string& tenant, absl::Time deadline) {
        return HandleTerminateInstance(*deps_.store, *deps_.workflow, *deps_.groups, tenant,
                                       *request, response, deadline);
      });
}

grpc::ServerUnaryReactor* ProvisioningService::StopInstance(
    grpc::CallbackServerContext* context, const provisioning::v1::StopInstanceRequest* request,
    provisioning::v1::Order* response) {
  return RunInstanceOperation(
      context, "StopInstance", request->instance_id(), response,
      [this, request, response](const std::string& tenant, absl::Time deadline) {
        return HandleStopInstance(*deps_.store, *deps_.workflow, tenant, *request, response,
                                  deadline);
      });
}

grpc::ServerUnaryReactor* ProvisioningService::StartInstance(
    grpc::CallbackServerContext* context, const provisioning::v1::StartInstanceRequest* request,
    provisioning::v1::Order* response) {
  return RunInstanceOperation(
      context, "StartInstance", request->instance_id(), response,
      [this, request, response](const std::string& tenant, absl::Time deadline) {
        return HandleStartInstance(*deps_.store, *deps_.workflow, tenant, *request, response,
                                   deadline);
      });
}

grpc::ServerUnaryReactor* ProvisioningService::Purchase(
    grpc::CallbackServerContext* context,
    const provisioning::v1::PurchaseRequest* request,
    provisioning::v1::Order* response) {
  const absl::Time deadline = DeadlineOf(*context);
  return RunOnPool(
      context, response, [this, request, response, deadline](const std::string& tenant) {
        absl::Status status = HandlePurchase(*deps_.workflow, *deps_.driver, deps_.metrics, tenant,
                                             *request, response, deadline);
        Audit(tenant, request->dry_run() ? "PurchaseDryRun" : "Purchase", request->request_id(),
              response->order_id(), status);
        return status;
      });
}

grpc::ServerUnaryReactor* ProvisioningService::Describe(
    grpc::CallbackServerContext* context,
    const provisioning::v1::DescribeRequest* request,
    provisioning::v1::DescribeResponse* response) {
  return RunOnPool(context, response, [this, request, response](const std::string& tenant) {
    return HandleDescribe(*deps_.store, tenant, *request, response);
  });
}

grpc::ServerUnaryReactor* ProvisioningService::Quote(
    grpc::CallbackServerContext* context,
    const provisioning::v1::QuoteRequest* request,
    provisioning::v1::Quote* response) {
  const absl::Time deadline = DeadlineOf(*context);
  return RunOnPool(
      context, response, [this, request, response, deadline](const std::string& tenant) {
        absl::Status status = HandleQuote(*deps_.workflow, tenant, *request, response, deadline);
        Audit(tenant, "Quote", "", "", status);
        return status;
      });
}

grpc::ServerUnaryReactor* ProvisioningService::Terminate(
    grpc::CallbackServerContext* context,
    const provisioning::v1::TerminateRequest* request,
    provisioning::v1::Order* response) {
  const absl::Time deadline = DeadlineOf(*context);
  return RunOnPool(context, response,
                   [this, request, response, deadline](const std::string& tenant) {
                     absl::Status status =
                         HandleTerminate(*deps_.workflow, tenant, *request, response, deadline);
                     Audit(tenant, "Terminate", "", request->order_id(), status);
                     return status;
                   });
}

}  // namespace cvm
