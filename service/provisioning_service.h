// The gRPC surface of provisioning.v1.Provisioning.
//
// Dispatch only: unary calls run on the callback API, their handler
// (service/order_handlers.h) on the worker pool, because handlers block on
// backend calls. Watch runs on the async API over several completion queues
// (service/watch_endpoint.h), one WatchStream per call, registered raw (bytes
// in, bytes out) so that one serialized change is sent to every stream
// (service/watch_message.h). Every handler's absl::Status goes through
// ToGrpcStatus once. No answer carries user data: unary answers are redacted
// in RunOnPool, Watch messages where they are built
// (service/user_data_redaction.h). After StartDraining() every new call is
// refused with UNAVAILABLE (a new Watch by the hub, which is closed first).
//
// Serving Watch takes three steps around the grpc::Server: watch().AddTo()
// before BuildAndStart(), watch().Start() after it, and watch().Stop() after
// its Shutdown().
#ifndef CVM_PROVISIONER_SERVICE_PROVISIONING_SERVICE_H_
#define CVM_PROVISIONER_SERVICE_PROVISIONING_SERVICE_H_

#include <atomic>
#include <memory>

#include "common/thread_pool.h"
#include "provisioning/v1/provisioning.grpc.pb.h"
#include "service/audit_log.h"
#include "service/authenticator.h"
#include "service/metrics.h"
#include "service/node_group_manager.h"
#include "service/order_driver.h"
#include "service/order_workflow.h"
#include "service/watch_endpoint.h"
#include "service/watch_stream.h"
#include "store/order_store.h"

namespace cvm {

// Every method on the callback API but Watch, which is raw and async.
using ProvisioningServiceBase = provisioning::v1::Provisioning::WithRawMethod_Watch<
    provisioning::v1::Provisioning::WithCallbackMethod_Purchase<
        provisioning::v1::Provisioning::WithCallbackMethod_Describe<
            provisioning::v1::Provisioning::WithCallbackMethod_Quote<
                provisioning::v1::Provisioning::WithCallbackMethod_Terminate<
                    provisioning::v1::Provisioning::WithCallbackMethod_TerminateInstance<
                        provisioning::v1::Provisioning::WithCallbackMethod_StopInstance<
                            provisioning::v1::Provisioning::WithCallbackMethod_StartInstance<
                                provisioning::v1::Provisioning::Service>>>>>>>>;

class ProvisioningService final : public ProvisioningServiceBase {
 public:
  struct Deps {
    OrderWorkflow* workflow = nullptr;
    OrderDriver* driver = nullptr;
    OrderStore* store = nullptr;
    ThreadPool* pool = nullptr;
    ServiceMetrics* metrics = nullptr;  // optional
    const Authenticator* auth = nullptr;
    AuditLog* audit = nullptr;  // optional
    // For TerminateInstance of an instance in a node group.
    NodeGroupManager* groups = nullptr;
    // Watch streams' store, hub and buffer bound; their metrics are set
    // from `metrics` here.
    WatchStream::Deps watch;
    // The Watch endpoint's completion queues (and threads).
    int watch_queues = 4;
  };
  explicit ProvisioningService(Deps deps);

  // The method that counts its own gRPC series (ServiceMetrics::Method::
  // counted_by_handler): the interceptor would cost it a call per message.
  static constexpr char kWatchMethod[] = "/provisioning.v1.Provisioning/Watch";

  void StartDraining() { draining_.store(true); }
  WatchEndpoint& watch() { return *watch_; }

  grpc::ServerUnaryReactor* Purchase(grpc::CallbackServerContext* context,
                                     const provisioning::v1::PurchaseRequest* request,
                                     provisioning::v1::Order* response) override;
  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext* context,
                                     const provisioning::v1::DescribeRequest* request,
                                     provisioning::v1::DescribeResponse* response) override;
  grpc::ServerUnaryReactor* Quote(grpc::CallbackServerContext* context,
                                  const provisioning::v1::QuoteRequest* request,
                                  provisioning::v1::Quote* response) override;
  grpc::ServerUnaryReactor* Terminate(grpc::CallbackServerContext* context,
                                      const provisioning::v1::TerminateRequest* request,
                                      provisioning::v1::Order* response) override;
  grpc::ServerUnaryReactor* TerminateInstance(
      grpc::CallbackServerContext* context,
      const provisioning::v1::TerminateInstanceRequest* request,
      provisioning::v1::Order* response) override;
  grpc::ServerUnaryReactor* StopInstance(grpc::CallbackServerContext* context,
                                         const provisioning::v1::StopInstanceRequest* request,
                                         provisioning::v1::Order* response) override;
  grpc::ServerUnaryReactor* StartInstance(grpc::CallbackServerContext* context,
                                          const provisioning::v1::StartInstanceRequest* request,
                                          provisioning::v1::Order* response) override;

 private:
  // Authenticates the caller, runs `handler(tenant)` on the pool and
  // finishes the call with its status (UNAUTHENTICATED without identity)
  // and `response`, stripped of user data.
  grpc::ServerUnaryReactor* RunOnPool(grpc::CallbackServerContext* context,
                                      google::protobuf::Message* response,
                                      std::function<absl::Status(const std::string&)> handler);
  void Audit(const std::string& tenant, const char* action, const std::string& request_id,
             const std::string& order_id, const absl::Status& outcome,
             const std::string& instance_id = "");
  // RunOnPool of a per-instance operation `action` on `instance_id`,
  // audited with the order it answers.
  grpc::ServerUnaryReactor* RunInstanceOperation(
      grpc::CallbackServerContext* context, const char* action, const std::string& instance_id,
      provisioning::v1::Order* response,
      std::function<absl::Status(const std::string& tenant, absl::Time deadline)> handler);

  const Deps deps_;  // deps_.watch.metrics set from deps_.metrics
  std::atomic<bool> draining_{false};
  // A provisioning.v1.WatchRequest in, a stream of WatchEvents out.
  std::unique_ptr<WatchEndpoint> watch_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_PROVISIONING_SERVICE_H_
