// How provisionctl reaches the service: plaintext, or TLS trusting a CA,
// with a client certificate (mTLS) and/or a bearer token, from the global
// flags --tls_ca_file, --tls_cert_file, --tls_key_file, --token_file and
// --tls_server_name.
#ifndef CVM_PROVISIONER_CLI_CONNECTION_H_
#define CVM_PROVISIONER_CLI_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/command_line.h"
#include "grpcpp/grpcpp.h"

namespace cvm::cli {

// The channel to `server` the flags describe. INVALID_ARGUMENT naming the
// flag for an unreadable file, a certificate without its key (or the other
// way round), or a token without TLS (tokens never travel in plaintext).
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const std::string& server,
                                                           const ParsedFlags& flags);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_CONNECTION_H_
