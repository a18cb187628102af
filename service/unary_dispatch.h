// How the callback services run a unary call: authenticate the caller
// (service/authenticator.h), run the handler on the worker pool (handlers
// block on the store and the cloud; gRPC's threads never do) and finish the
// call with the handler's absl::Status converted once (service/grpc_status.h).
// Shared by ProvisioningService and AutoscalerProvider.
//
// Contract: thread-safe (stateless). The response the handler fills must
// live until the call finishes (gRPC owns it). A draining server and a
// stopped pool answer UNAVAILABLE with RetryInfo (reason SERVER_DRAINING);
// a caller without identity UNAUTHENTICATED, without running the handler.
#ifndef CVM_PROVISIONER_SERVICE_UNARY_DISPATCH_H_
#define CVM_PROVISIONER_SERVICE_UNARY_DISPATCH_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/thread_pool.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "service/authenticator.h"

namespace cvm {

// Runs a handler with the caller's tenant.
using TenantHandler = std::function<absl::Status(const std::string& tenant)>;

// Authenticates the caller, runs `handler(tenant)` on `pool` and finishes
// the call with its status. `draining`: refuse the call at once.
grpc::ServerUnaryReactor* RunUnaryOnPool(grpc::CallbackServerContext* context,
                                         const Authenticator& auth, ThreadPool& pool, bool draining,
                                         TenantHandler handler);

// The client's deadline; InfiniteFuture when it set none.
absl::Time DeadlineOf(const grpc::CallbackServerContext& context);

// UNAVAILABLE: the server is shutting down (RetryInfo, SERVER_DRAINING).
absl::Status Draining();

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_UNARY_DISPATCH_H_
