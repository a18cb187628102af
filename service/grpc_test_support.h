// A plaintext gRPC server for service tests: two tenants by bearer token
// ("team-a" with "token-a", "team-b" with "token-b") and one registered
// service on 127.0.0.1, port 0.
#ifndef CVM_PROVISIONER_SERVICE_GRPC_TEST_SUPPORT_H_
#define CVM_PROVISIONER_SERVICE_GRPC_TEST_SUPPORT_H_

#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "service/authenticator.h"

namespace cvm {

// Knows token-a (team-a) and token-b (team-b); plaintext.
std::unique_ptr<Authenticator> TwoTenantAuthenticator();

// Serves `service` until destroyed (Shutdown first).
class TestServer {
 public:
  explicit TestServer(grpc::Service* service);
  ~TestServer() { server_->Shutdown(); }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A client context carrying "authorization: Bearer <token>" (none when
// `token` is empty).
std::unique_ptr<grpc::ClientContext> ContextFor(const std::string& token);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_GRPC_TEST_SUPPORT_H_
