#include "service/authenticator.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_details.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace cvm {
namespace {

using provisioning::config::v1::AuthConfig;

constexpr unsigned int kCertificateRefreshSeconds = 60;

absl::Status Readable(const std::string& field, const std::string& path) {
  if (std::ifstream(path).good()) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("auth.", field, ": cannot read ", path));
}

absl::Status Unauthenticated(absl::string_view why) {
  return WithReason(absl::UnauthenticatedError(why), "UNAUTHENTICATED");
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> LoadTokens(const std::string& path) {
  std::ifstream file(path);
  if (!file.good()) return absl::NotFoundError(absl::StrCat("auth.tokens_file: cannot read ", path));
  std::map<std::string, std::string> tenant_by_token;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || absl::StartsWith(text, "#")) continue;
    std::vector<std::string> parts = absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() != 2) {
      return InvalidFields({{"auth.tokens_file",
                             absl::StrCat(path, " line ", number, ": expected \"<tenant> <token>\"")}});
    }
    if (!tenant_by_token.emplace(parts[1], parts[0]).second) {
      return InvalidFields(
          {{"auth.tokens_file", absl::StrCat(path, " line ", number, ": a token given twice")}});
    }
  }
  return tenant_by_token;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(const AuthConfig& config) {
  std::unique_ptr<Authenticator> auth(new Authenticator);
  const bool tls = !config.tls_cert_file().empty() || !config.tls_key_file().empty();
  if (tls && (config.tls_cert_file().empty() || config.tls_key_file().empty())) {
    return InvalidFields({{config.tls_cert_file().empty() ? "auth.tls_cert_file" : "auth.tls_key_file",
                           "TLS needs both the certificate and the key file"}});
  }
  if (tls && config.insecure_plaintext()) {
    return InvalidFields(
        {{"auth.insecure_plaintext", "contradicts tls_cert_file / tls_key_file"}});
  }
  if (!tls && !config.insecure_plaintext()) {
    return InvalidFields(
        {{"auth", "set tls_cert_file and tls_key_file (with client_ca_file or tokens_file), "
                  "or insecure_plaintext: true to serve plaintext explicitly"}});
  }
  if (!config.client_ca_file().empty() && !tls) {
    return InvalidFields({{"auth.client_ca_file", "client certificates need TLS"}});
  }
  if (tls && config.client_ca_file().empty() && config.tokens_file().empty()) {
    return InvalidFields(
        {{"auth", "TLS alone names no tenant: set client_ca_file or tokens_file"}});
  }
  if (!config.tokens_file().empty()) {
    absl::StatusOr<std::map<std::string, std::string>> tokens = LoadTokens(config.tokens_file());
    if (!tokens.ok()) return tokens.status();
    auth->tenant_by_token_ = *std::move(tokens);
  }
  if (!tls) {
    auth->plaintext_ = true;
    auth->credentials_ = grpc::InsecureServerCredentials();
    return auth;
  }
  for (const auto& [field, path] : {std::pair<std::string, std::string>{"tls_cert_file", config.tls_cert_file()},
                                    {"tls_key_file", config.tls_key_file()},
                                    {"client_ca_file", config.client_ca_file()}}) {
    if (!path.empty()) {
      if (absl::Status s = Readable(field, path); !s.ok()) return s;
    }
  }
  auto provider = config.client_ca_file().empty()
                      ? std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                            config.tls_key_file(), config.tls_cert_file(), kCertificateRefreshSeconds)
                      : std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                            config.tls_key_file(), config.tls_cert_file(), config.client_ca_file(),
                            kCertificateRefreshSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!config.client_ca_file().empty()) {
    options.watch_root_certs();
    // A certificate is verified when sent; callers without one may use a token.
    options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    auth->client_certificates_ = true;
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  auth->credentials_ = grpc::experimental::TlsServerCredentials(options);
  if (auth->credentials_ == nullptr) {
    return absl::InvalidArgumentError("auth: gRPC refused the TLS configuration");
  }
  return auth;
}

absl::StatusOr<std::string> Authenticator::TenantOfBearer(absl::string_view authorization) const {
  if (authorization.empty()) return absl::NotFoundError("no authorization metadata");
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ") || token.empty()) {
    return Unauthenticated("the authorization metadata is not \"Bearer <token>\"");
  }
  auto it = tenant_by_token_.find(std::string(token));
  if (it == tenant_by_token_.end()) return Unauthenticated("unknown bearer token");
  return it->second;
}

absl::StatusOr<std::string> Authenticator::TenantOf(const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  if (header != metadata.end() && !tenant_by_token_.empty()) {
    return TenantOfBearer(absl::string_view(header->second.data(), header->second.size()));
  }
  if (client_certificates_) {
    std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
    if (auth != nullptr && auth->IsPeerAuthenticated()) {
      std::vector<grpc::string_ref> names = auth->FindPropertyValues("x509_common_name");
      if (!names.empty() && names[0].size() > 0) return std::string(names[0].data(), names[0].size());
    }
  }
  if (plaintext_ && tenant_by_token_.empty()) return std::string();
  return Unauthenticated(
      "this service needs a client certificate or a bearer token (authorization: Bearer ...)");
}

}  // namespace cvm
