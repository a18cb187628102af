// RunUnaryOnPool on a real server: the tenant of the bearer token reaches the
// handler, a call without identity never runs it, the handler's status goes
// out with its details, and a draining server or a stopped pool answer
// UNAVAILABLE with RetryInfo.
#include "service/unary_dispatch.h"

#include <atomic>
#include <memory>

#include "clusterautoscaler/cloudprovider/v1/externalgrpc/externalgrpc.grpc.pb.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "service/grpc_test_support.h"

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
  grpc::Status Call(const std::string& token, ca::GPULabelResponse* response) {
    return stub_->GPULabel(ContextFor(token).get(), ca::GPULabelRequest(), response);
  }

  ThreadPool pool_{2};
  std::unique_ptr<Authenticator> auth_ = TwoTenantAuthenticator();
  std::unique_ptr<EchoTenant> service_ = std::make_unique<EchoTenant>(auth_.get(), &pool_);
  TestServer server_{service_.get()};
  std::unique_ptr<ca::CloudProvider::Stub> stub_ = ca::CloudProvider::NewStub(server_.channel());
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
