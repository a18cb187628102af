// Who is calling: the gRPC port's credentials and the tenant of each call.
//
// The tenant comes only from a verified identity (plugins/service_config.proto
// AuthConfig): a bearer token from the tokens file, or the common name of a
// client certificate verified against client_ca_file. With
// insecure_plaintext and no tokens every caller is the unnamed tenant "".
// Certificate and key files are re-read when they change (gRPC's file
// watcher). Tokens are never logged or echoed in errors.
//
// Contract: immutable after Create(), thread-safe. TenantOf() returns
// UNAUTHENTICATED when the call carries no valid identity.
#ifndef CVM_PROVISIONER_SERVICE_AUTHENTICATOR_H_
#define CVM_PROVISIONER_SERVICE_AUTHENTICATOR_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_context.h"
#include "plugins/service_config.pb.h"

namespace cvm {

class Authenticator {
 public:
  // INVALID_ARGUMENT naming the auth.* field of an incomplete or
  // contradictory config; NOT_FOUND for a file that cannot be read.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      const provisioning::config::v1::AuthConfig& config);

  std::shared_ptr<grpc::ServerCredentials> credentials() const { return credentials_; }
  bool plaintext() const { return plaintext_; }

  // The caller's tenant (see above), or UNAUTHENTICATED.
  absl::StatusOr<std::string> TenantOf(const grpc::ServerContextBase& context) const;

  // The tenant of `authorization` metadata ("Bearer <token>"); NOT_FOUND
  // when there is none, UNAUTHENTICATED for an unknown token.
  absl::StatusOr<std::string> TenantOfBearer(absl::string_view authorization) const;

 private:
  Authenticator() = default;

  std::shared_ptr<grpc::ServerCredentials> credentials_;
  bool plaintext_ = false;
  bool client_certificates_ = false;
  std::map<std::string, std::string> tenant_by_token_;
};

// Reads a tokens file: "<tenant> <token>" per line, '#' comments, blank lines
// skipped. INVALID_ARGUMENT naming the line for anything else or a token given
// twice.
absl::StatusOr<std::map<std::string, std::string>> LoadTokens(const std::string& path);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_AUTHENTICATOR_H_
