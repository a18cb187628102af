// Test double: a scripted Provisioning service on an in-process gRPC server,
// so the client's tests run real calls over a real socket without the real
// service. Set the responses before the calls; read the recorded requests
// after them. Thread-safe.
#ifndef CVM_PROVISIONER_CLI_FAKE_SERVICE_H_
#define CVM_PROVISIONER_CLI_FAKE_SERVICE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/provisioning.grpc.pb.h"

namespace cvm::cli::testing {

// What one Watch call streams: each event after its delay, then `end`
// (or, when hold_open, nothing more until the client cancels).
struct WatchScript {
  struct Step {
    absl::Duration delay;
    provisioning::v1::WatchEvent event;
  };
  std::vector<Step> steps;
  grpc::Status end = grpc::Status(grpc::StatusCode::UNAVAILABLE, "script over");
  bool hold_open = false;
};

class FakeProvisioningService final : public provisioning::v1::Provisioning::Service {
 public:
  void SetPurchase(grpc::Status status, provisioning::v1::Order response = {});
  void SetDescribe(grpc::Status status, provisioning::v1::DescribeResponse response = {});
  void SetQuote(grpc::Status status, provisioning::v1::Quote response = {});
  void SetTerminate(grpc::Status status, provisioning::v1::Order response = {});
  // Each Watch call plays the next script; calls beyond them fail UNAVAILABLE.
  void AddWatch(WatchScript script);

  std::vector<provisioning::v1::PurchaseRequest> purchases() const;
  std::vector<provisioning::v1::DescribeRequest> describes() const;
  std::vector<provisioning::v1::QuoteRequest> quotes() const;
  std::vector<provisioning::v1::TerminateRequest> terminates() const;
  std::vector<provisioning::v1::WatchRequest> watches() const;

  grpc::Status Purchase(grpc::ServerContext*, const provisioning::v1::PurchaseRequest* request,
                        provisioning::v1::Order* response) override;
  grpc::Status Describe(grpc::ServerContext*, const provisioning::v1::DescribeRequest* request,
                        provisioning::v1::DescribeResponse* response) override;
  grpc::Status Quote(grpc::ServerContext*, const provisioning::v1::QuoteRequest* request,
                     provisioning::v1::Quote* response) override;
  grpc::Status Terminate(grpc::ServerContext*, const provisioning::v1::TerminateRequest* request,
                         provisioning::v1::Order* response) override;
  grpc::Status Watch(grpc::ServerContext* context, const provisioning::v1::WatchRequest* request,
                     grpc::ServerWriter<provisioning::v1::WatchEvent>* writer) override;

 private:
  mutable absl::Mutex mu_;
  grpc::Status purchase_status_ ABSL_GUARDED_BY(mu_);
  provisioning::v1::Order purchase_ ABSL_GUARDED_BY(mu_);
  grpc::Status describe_status_ ABSL_GUARDED_BY(mu_);
  provisioning::v1::DescribeResponse describe_ ABSL_GUARDED_BY(mu_);
  grpc::Status quote_status_ ABSL_GUARDED_BY(mu_);
  provisioning::v1::Quote quote_ ABSL_GUARDED_BY(mu_);
  grpc::Status terminate_status_ ABSL_GUARDED_BY(mu_);
  provisioning::v1::Order terminate_ ABSL_GUARDED_BY(mu_);
  std::vector<WatchScript> scripts_ ABSL_GUARDED_BY(mu_);
  size_t next_script_ ABSL_GUARDED_BY(mu_) = 0;

  std::vector<provisioning::v1::PurchaseRequest> purchases_ ABSL_GUARDED_BY(mu_);
  std::vector<provisioning::v1::DescribeRequest> describes_ ABSL_GUARDED_BY(mu_);
  std::vector<provisioning::v1::QuoteRequest> quotes_ ABSL_GUARDED_BY(mu_);
  std::vector<provisioning::v1::TerminateRequest> terminates_ ABSL_GUARDED_BY(mu_);
  std::vector<provisioning::v1::WatchRequest> watches_ ABSL_GUARDED_BY(mu_);
};

// The service on 127.0.0.1, on a free port, until destroyed.
class InProcessServer {
 public:
  explicit InProcessServer(grpc::Service* service);
  ~InProcessServer();

  std::string target() const;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> NewStub() const;

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// INVALID_ARGUMENT naming `field`, built by the service's own code
// (BadRequest + ErrorInfo in a google.rpc.Status).
grpc::Status BadFieldStatus(const std::string& field, const std::string& description);

}  // namespace cvm::cli::testing

#endif  // CVM_PROVISIONER_CLI_FAKE_SERVICE_H_
