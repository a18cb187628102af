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
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/provisioning.grpc.pb.h"

namespace cvm::cli::testing {

// What one streaming call streams: each message after its delay, then
// `end` (or, when hold_open, nothing more until the client cancels).
template <typename Message>
struct StreamScript {
  struct Step {
    absl::Duration delay;
    Message event;
  };
  std::vector<Step> steps;
  grpc::Status end = grpc::Status(grpc::StatusCode::UNAVAILABLE, "script over");
  bool hold_open = false;
};
using WatchScript = StreamScript<provisioning::v1::WatchEvent>;

// The scripts successive calls of one streaming method play, and the
// requests those calls received. Thread-safe.
template <typename Request, typename Message>
class ScriptedStream {
 public:
  void Add(StreamScript<Message> script) {
    absl::MutexLock lock(&mu_);
    scripts_.push_back(std::move(script));
  }
  std::vector<Request> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  // Plays the next script to `writer` (UNAVAILABLE when none is left;
  // CANCELLED when the client goes away first).
  grpc::Status Play(grpc::ServerContext* context, const Request& request,
                    grpc::ServerWriter<Message>* writer) {
    StreamScript<Message> script;
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
      if (next_ >= scripts_.size()) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no more watch scripts");
      }
      script = scripts_[next_++];
    }
    for (const typename StreamScript<Message>::Step& step : script.steps) {
      absl::SleepFor(step.delay);
      if (context->IsCancelled() || !writer->Write(step.event)) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
      }
    }
    while (script.hold_open && !context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
    return script.end;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<StreamScript<Message>> scripts_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
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

  std::vector<provisioning::v1::PurchaseRequest> purchases_ ABSL_GUARDED_BY(mu_);
  std::vector<provisioning::v1::DescribeRequest> describes_ ABSL_GUARDED_BY(mu_);
  std::vector<provisioning::v1::QuoteRequest> quotes_ ABSL_GUARDED_BY(mu_);
  std::vector<provisioning::v1::TerminateRequest> terminates_ ABSL_GUARDED_BY(mu_);
  ScriptedStream<provisioning::v1::WatchRequest, provisioning::v1::WatchEvent> watch_;
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
