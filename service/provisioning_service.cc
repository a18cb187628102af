#include "service/provisioning_service.h"

#include "service/order_handlers.h"
#include "service/unary_dispatch.h"
#include "service/user_data_redaction.h"
#include "service/watch_reactor.h"

namespace cvm {

grpc::ServerUnaryReactor* ProvisioningService::RunOnPool(
    grpc::CallbackServerContext* context, google::protobuf::Message* response,
    std::function<absl::Status(const std::string&)> handler) {
  return RunUnaryOnPool(context, *deps_.auth, *deps_.pool, draining_.load(),
                        [response, handler = std::move(handler)](const std::string& tenant) {
                          absl::Status status = handler(tenant);
                          RedactUserData(response);
                          return status;
                        });
}

void ProvisioningService::Audit(const std::string& tenant, const char* action,
                                const std::string& request_id, const std::string& order_id,
                                const absl::Status& outcome) {
  if (deps_.audit == nullptr) return;
  deps_.audit->Record({tenant, action, request_id, order_id, outcome});
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

grpc::ServerWriteReactor<grpc::ByteBuffer>* ProvisioningService::Watch(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  absl::StatusOr<std::string> tenant = deps_.auth->TenantOf(*context);
  if (!tenant.ok()) return WatchReactor::Refuse(tenant.status());
  // While draining the hub is closed, so a new watch ends UNAVAILABLE.
  return WatchReactor::Start(*request, *tenant, deps_.store, deps_.hub,
                             deps_.max_watch_buffer);
}

}  // namespace cvm
