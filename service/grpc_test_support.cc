#include "service/grpc_test_support.h"

#include <cstdlib>
#include <fstream>

namespace cvm {

std::unique_ptr<Authenticator> TwoTenantAuthenticator() {
  const std::string tokens = std::string(std::getenv("TEST_TMPDIR")) + "/two-tenant-tokens";
  std::ofstream(tokens) << "team-a token-a\nteam-b token-b\n";
  provisioning::config::v1::AuthConfig config;
  config.set_insecure_plaintext(true);
  config.set_tokens_file(tokens);
  auto auth = Authenticator::Create(config);
  if (!auth.ok()) std::abort();  // the config above is valid
  return *std::move(auth);
}

TestServer::TestServer(grpc::Service* service) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  channel_ =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> ContextFor(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

}  // namespace cvm
