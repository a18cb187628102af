#include "service/provisioning_service.h"

#include "common/status_details.h"
#include "service/grpc_status.h"
#include "service/order_handlers.h"
#include "service/watch_reactor.h"

namespace cvm {
namespace {

absl::Status Draining() {
  return WithReason(RetryLater("the server is shutting down; retry on another "
                               "replica or after it restarts",
                               absl::Seconds(1)),
                    "SERVER_DRAINING");
}

}  // namespace

grpc::ServerUnaryReactor* ProvisioningService::RunOnPool(
    grpc::CallbackServerContext* context, std::function<absl::Status()> handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (draining_.load()) {
    reactor->Finish(ToGrpcStatus(Draining()));
    return reactor;
  }
  const bool scheduled = deps_.pool->Schedule([reactor, handler = std::move(handler)] {
    reactor->Finish(ToGrpcStatus(handler()));
  });
  if (!scheduled) reactor->Finish(ToGrpcStatus(Draining()));
  return reactor;
}

grpc::ServerUnaryReactor* ProvisioningService::Purchase(
    grpc::CallbackServerContext* context,
    const provisioning::v1::PurchaseRequest* request,
    provisioning::v1::Order* response) {
  return RunOnPool(context, [this, request, response] {
    return HandlePurchase(*deps_.workflow, *deps_.driver, deps_.metrics, *request,
                          response);
  });
}

grpc::ServerUnaryReactor* ProvisioningService::Describe(
    grpc::CallbackServerContext* context,
    const provisioning::v1::DescribeRequest* request,
    provisioning::v1::DescribeResponse* response) {
  return RunOnPool(context, [this, request, response] {
    return HandleDescribe(*deps_.store, *request, response);
  });
}

grpc::ServerUnaryReactor* ProvisioningService::Quote(
    grpc::CallbackServerContext* context,
    const provisioning::v1::QuoteRequest* request,
    provisioning::v1::Quote* response) {
  return RunOnPool(context, [this, request, response] {
    return HandleQuote(*deps_.workflow, *request, response);
  });
}

grpc::ServerUnaryReactor* ProvisioningService::Terminate(
    grpc::CallbackServerContext* context,
    const provisioning::v1::TerminateRequest* request,
    provisioning::v1::Order* response) {
  return RunOnPool(context, [this, request, response] {
    return HandleTerminate(*deps_.workflow, *request, response);
  });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ProvisioningService::Watch(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  (void)context;
  // While draining the hub is closed, so a new watch ends UNAVAILABLE.
  return WatchReactor::Start(*request, deps_.store, deps_.hub, deps_.max_watch_buffer);
}

}  // namespace cvm
