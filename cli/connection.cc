#include "cli/connection.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/credentials.h"

namespace cvm::cli {
namespace {

absl::StatusOr<std::string> ReadFlagFile(const ParsedFlags& flags, const std::string& flag) {
  const std::string path = flags.String(flag);
  std::ifstream file(path);
  if (!file.good()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  }
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const std::string& server,
                                                           const ParsedFlags& flags) {
  const bool tls = flags.Has("tls_ca_file");
  if (!tls) {
    for (const char* flag : {"tls_cert_file", "tls_key_file", "token_file", "tls_server_name"}) {
      if (flags.Has(flag)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", flag, " needs --tls_ca_file (TLS to the service)"));
      }
    }
    return grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
  }
  if (flags.Has("tls_cert_file") != flags.Has("tls_key_file")) {
    return absl::InvalidArgumentError(
        "--tls_cert_file and --tls_key_file go together (a client certificate and its key)");
  }
  grpc::SslCredentialsOptions options;
  absl::StatusOr<std::string> ca = ReadFlagFile(flags, "tls_ca_file");
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *ca;
  if (flags.Has("tls_cert_file")) {
    absl::StatusOr<std::string> cert = ReadFlagFile(flags, "tls_cert_file");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFlagFile(flags, "tls_key_file");
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(options);
  if (flags.Has("token_file")) {
    absl::StatusOr<std::string> token = ReadFlagFile(flags, "token_file");
    if (!token.ok()) return token.status();
    // Sent as "authorization: Bearer <token>" on every call.
    credentials = grpc::CompositeChannelCredentials(
        credentials,
        grpc::AccessTokenCredentials(std::string(absl::StripAsciiWhitespace(*token))));
  }
  grpc::ChannelArguments args;
  if (flags.Has("tls_server_name")) args.SetSslTargetNameOverride(flags.String("tls_server_name"));
  return grpc::CreateCustomChannel(server, credentials, args);
}

}  // namespace cvm::cli
