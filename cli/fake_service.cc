#include "cli/fake_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/status_details.h"

namespace cvm::cli::testing {

using provisioning::v1::DescribeRequest;
using provisioning::v1::DescribeResponse;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;
using provisioning::v1::QuoteRequest;
using provisioning::v1::TerminateRequest;
using provisioning::v1::WatchEvent;
using provisioning::v1::WatchRequest;

void FakeProvisioningService::SetPurchase(grpc::Status status, Order response) {
  absl::MutexLock lock(&mu_);
  purchase_status_ = std::move(status);
  purchase_ = std::move(response);
}

void FakeProvisioningService::SetDescribe(grpc::Status status, DescribeResponse response) {
  absl::MutexLock lock(&mu_);
  describe_status_ = std::move(status);
  describe_ = std::move(response);
}

void FakeProvisioningService::SetQuote(grpc::Status status, provisioning::v1::Quote response) {
  absl::MutexLock lock(&mu_);
  quote_status_ = std::move(status);
  quote_ = std::move(response);
}

void FakeProvisioningService::SetTerminate(grpc::Status status, Order response) {
  absl::MutexLock lock(&mu_);
  terminate_status_ = std::move(status);
  terminate_ = std::move(response);
}

void FakeProvisioningService::AddWatch(WatchScript script) { watch_.Add(std::move(script)); }

std::vector<PurchaseRequest> FakeProvisioningService::purchases() const {
  absl::MutexLock lock(&mu_);
  return purchases_;
}

std::vector<DescribeRequest> FakeProvisioningService::describes() const {
  absl::MutexLock lock(&mu_);
  return describes_;
}

std::vector<QuoteRequest> FakeProvisioningService::quotes() const {
  absl::MutexLock lock(&mu_);
  return quotes_;
}

std::vector<TerminateRequest> FakeProvisioningService::terminates() const {
  absl::MutexLock lock(&mu_);
  return terminates_;
}

std::vector<WatchRequest> FakeProvisioningService::watches() const { return watch_.requests(); }

grpc::Status FakeProvisioningService::Purchase(grpc::ServerContext*, const PurchaseRequest* request,
                                               Order* response) {
  absl::MutexLock lock(&mu_);
  purchases_.push_back(*request);
  *response = purchase_;
  return purchase_status_;
}

grpc::Status FakeProvisioningService::Describe(grpc::ServerContext*, const DescribeRequest* request,
                                               DescribeResponse* response) {
  absl::MutexLock lock(&mu_);
  describes_.push_back(*request);
  *response = describe_;
  return describe_status_;
}

grpc::Status FakeProvisioningService::Quote(grpc::ServerContext*, const QuoteRequest* request,
                                            provisioning::v1::Quote* response) {
  absl::MutexLock lock(&mu_);
  quotes_.push_back(*request);
  *response = quote_;
  return quote_status_;
}

grpc::Status FakeProvisioningService::Terminate(grpc::ServerContext*,
                                                const TerminateRequest* request, Order* response) {
  absl::MutexLock lock(&mu_);
  terminates_.push_back(*request);
  *response = terminate_;
  return terminate_status_;
}

grpc::Status FakeProvisioningService::Watch(grpc::ServerContext* context,
                                            const WatchRequest* request,
                                            grpc::ServerWriter<WatchEvent>* writer) {
  return watch_.Play(context, *request, writer);
}

InProcessServer::InProcessServer(grpc::Service* service) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(service);
  server_ = builder.BuildAndStart();
}

InProcessServer::~InProcessServer() {
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

std::string InProcessServer::target() const { return absl::StrCat("127.0.0.1:", port_); }

std::unique_ptr<provisioning::v1::Provisioning::Stub> InProcessServer::NewStub() const {
  return provisioning::v1::Provisioning::NewStub(
      grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
}

grpc::Status BadFieldStatus(const std::string& field, const std::string& description) {
  return ToGrpcStatus(InvalidFields({{field, description}}));
}

}  // namespace cvm::cli::testing
