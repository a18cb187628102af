// RunUnaryOnPool on a real server: the tenant of the bearer token reaches the
// handler, a call without identity never runs it, the handler's status goes
// out with its details, and a draining server or a stopped pool answer
// UNAVAILABLE with RetryInfo.
#include "service/unary_dispatch.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "clusterautoscaler/cloudprovider/v1/externalgrpc/externalgrpc.grpc.pb.h"
#include "common/status_details.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

namespace ca = clusterautoscaler::cloudprovider::v1::externalgrpc;

// GPULabel answers with the caller's tenant: a service
// whose one method goes through RunUnaryOnPool.
class EchoTenant final : public ca::CloudProvider::CallbackService {
 public:
  EchoTenant(const Authenticator* auth, ThreadPool* pool) : auth_(auth), pool_(pool) {}
  std::atomic<bool> draining{false};
  std::atomic<int> runs{0};

  grpc::ServerUnaryReactor* GPULabel(grpc::CallbackServerContext* context,
                                     const ca::GPULabelRequest*,
                                     ca::GPULabelResponse* response) override {
    return RunUnaryOnPool(context, *auth_, *pool_, draining.load(),
                          [this, response](const std::string& tenant) {
                            ++runs;
                            if (tenant == "team-b") {
                              return PreconditionFailed("CHECK", "subject", "team-b is refused");
                            }
                            response->set_label(tenant);
                            return absl::OkStatus();
                          });
  }

 private:
  const Authenticator* auth_;
  ThreadPool* pool_;
};

class UnaryDispatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string tokens = std::string(std::getenv("TEST_TMPDIR")) + "/tokens";
    std::ofstream(tokens) << "team-a token-a\nteam-b token-b\n";
    provisioning::config::v1::AuthConfig config;
    config.set_insecure_plaintext(true);
    config.set_tokens_file(tokens);
    auth_ = *Authenticator::Create(config);
    service_ = std::make_unique<EchoTenant>(auth_.get(), &pool_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = ca::CloudProvider::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::Status Call(const std::string& token, ca::GPULabelResponse* response) {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    return stub_->GPULabel(&context, ca::GPULabelRequest(), response);
  }

  ThreadPool pool_{2};
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<EchoTenant> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ca::CloudProvider::Stub> stub_;
};

template <typename Detail>
bool HasDetail(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return false;
  for (const auto& any : details.details()) {
    if (any.Is<Detail>()) return true;
  }
  return false;
}

TEST_F(UnaryDispatchTest, TheCallersTenantRunsTheHandlerAndItsStatusGoesOut) {
  ca::GPULabelResponse response;
  ASSERT_TRUE(Call("token-a", &response).ok());
  EXPECT_EQ(response.label(), "team-a");

  grpc::Status refused = Call("token-b", &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("team-b is refused"));
  EXPECT_TRUE(HasDetail<google::rpc::PreconditionFailure>(refused));

  EXPECT_EQ(Call("", &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call("guess", &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(service_->runs.load(), 2);
}

TEST_F(UnaryDispatchTest, DrainingOrAStoppedPoolAnswersUnavailableWithRetryInfo) {
  ca::GPULabelResponse response;
  service_->draining = true;
  grpc::Status draining = Call("token-a", &response);
  EXPECT_EQ(draining.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(HasDetail<google::rpc::RetryInfo>(draining));
  service_->draining = false;
  pool_.Stop();
  EXPECT_EQ(Call("token-a", &response).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_->runs.load(), 0);
}

}  // namespace
}  // namespace cvm
