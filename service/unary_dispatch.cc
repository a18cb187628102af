#include "service/unary_dispatch.h"

#include <utility>

#include "common/grpc_status.h"
#include "common/status_details.h"
#include "service/user_data_redaction.h"

namespace cvm {

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline >= std::chrono::system_clock::time_point::max() - std::chrono::hours(24 * 365)) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

absl::Status Draining() {
  return WithReason(RetryLater("the server is shutting down; retry on another "
                               "replica or after it restarts",
                               absl::Seconds(1)),
                    "SERVER_DRAINING");
}

grpc::ServerUnaryReactor* RunUnaryOnPool(grpc::CallbackServerContext* context,
                                         const Authenticator& auth, ThreadPool& pool,
                                         bool draining, google::protobuf::Message* response,
                                         TenantHandler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (draining) {
    reactor->Finish(ToGrpcStatus(Draining()));
    return reactor;
  }
  absl::StatusOr<std::string> tenant = auth.TenantOf(*context);
  if (!tenant.ok()) {
    reactor->Finish(ToGrpcStatus(tenant.status()));
    return reactor;
  }
  const bool scheduled =
      pool.Schedule([reactor, response, tenant = *std::move(tenant), handler = std::move(handler)] {
        absl::Status status = handler(tenant);
        if (response != nullptr) RedactUserData(response);
        reactor->Finish(ToGrpcStatus(status));
      });
  if (!scheduled) reactor->Finish(ToGrpcStatus(Draining()));
  return reactor;
}

}  // namespace cvm
