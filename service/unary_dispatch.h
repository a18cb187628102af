// How every unary RPC of the callback services runs (provisioning.v1
// Provisioning and NodeGroups, Cluster Autoscaler's CloudProvider): refused
// with UNAVAILABLE (SERVER_DRAINING, retry elsewhere) while the server
// drains; the caller authenticated to a tenant (UNAUTHENTICATED otherwise);
// the handler run on the worker pool, because handlers block on the store
// and the cloud; user data stripped from the response
// (service/user_data_redaction.h); the handler's absl::Status converted once
// (common/grpc_status.h).
//
// Contract: thread-safe; `auth`, `pool` and `response` outlive the call.
#ifndef CVM_PROVISIONER_SERVICE_UNARY_DISPATCH_H_
#define CVM_PROVISIONER_SERVICE_UNARY_DISPATCH_H_

#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/thread_pool.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "service/authenticator.h"

namespace cvm {

using TenantHandler = std::function<absl::Status(const std::string& tenant)>;

// `response` (may be null: nothing to strip) is what the handler fills.
grpc::ServerUnaryReactor* RunUnaryOnPool(grpc::CallbackServerContext* context,
                                         const Authenticator& auth, ThreadPool& pool,
                                         bool draining, google::protobuf::Message* response,
                                         TenantHandler handler);
// For answers that cannot carry user data (Cluster Autoscaler's).
inline grpc::ServerUnaryReactor* RunUnaryOnPool(grpc::CallbackServerContext* context,
                                                const Authenticator& auth, ThreadPool& pool,
                                                bool draining, TenantHandler handler) {
  return RunUnaryOnPool(context, auth, pool, draining, nullptr, std::move(handler));
}

// The client's deadline; InfiniteFuture when it set none.
absl::Time DeadlineOf(const grpc::CallbackServerContext& context);

// UNAVAILABLE, SERVER_DRAINING, with RetryInfo.
absl::Status Draining();

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_UNARY_DISPATCH_H_
