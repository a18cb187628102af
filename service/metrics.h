// The service's Prometheus metrics, all built once in Create().
//
// gRPC server metrics with the standard names and labels (as
// go-grpc-prometheus exports them, so stock dashboards work):
//   grpc_server_started_total, grpc_server_handled_total (+ grpc_code),
//   grpc_server_msg_received_total, grpc_server_msg_sent_total,
//   grpc_server_handling_seconds (histogram)
// labelled grpc_type, grpc_service, grpc_method; every series of every known
// method is created at 0 up front. Order metrics:
//   provisioner_orders{state}                 orders currently in each state,
//                                             in cluster_registry()
//   provisioner_purchases_total{outcome}      Purchase results: OK or the
//                                             error's reason
// registry() holds what this process did; cluster_registry() what the whole
// deployment holds, exported by one replica (service/cluster_metrics.h).
//
// Contract: thread-safe; the registry is injected into the exposer by the
// caller. Record*() and the interceptors never allocate series for known
// labels on the hot path.
#ifndef CVM_PROVISIONER_SERVICE_METRICS_H_
#define CVM_PROVISIONER_SERVICE_METRICS_H_

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "store/order_store.h"

namespace cvm {

class ServiceMetrics {
 public:
  struct Method {
    std::string full_name;  // "/provisioning.v1.Provisioning/Purchase"
    grpc::experimental::ServerRpcInfo::Type type;
    // The handler counts its own series through Find() (hot streams: an
    // interceptor costs microseconds per message); no interceptor for it.
    bool counted_by_handler = false;
  };
  struct PerMethod {
    prometheus::Counter* started = nullptr;
    prometheus::Counter* received = nullptr;
    prometheus::Counter* sent = nullptr;
    prometheus::Histogram* seconds = nullptr;
    std::array<prometheus::Counter*, 17> handled{};  // by grpc::StatusCode
    bool counted_by_handler = false;
  };

  // INTERNAL if prometheus-cpp rejects a name (its exceptions stop here).
  static absl::StatusOr<std::unique_ptr<ServiceMetrics>> Create(
      const std::vector<Method>& methods);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  std::shared_ptr<prometheus::Registry> cluster_registry() const { return cluster_registry_; }

  // An interceptor factory for grpc::ServerBuilder; methods not given to
  // Create() are not measured, methods counted_by_handler count themselves.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  NewInterceptorFactory();

  // Starts provisioner_orders from the store's orders at `snapshot`'s
  // revision (at start-up, before the store's listener is installed);
  // RecordOrderEvent() then skips events at or below that revision, which
  // the snapshot already counts. Without it the gauges start at 0.
  void StartOrderCounts(const OrderSnapshot& snapshot);
  void RecordOrderEvent(const OrderEvent& event);
  void RecordPurchaseOutcome(const absl::Status& status);

  // nullptr for a method not given to Create().
  const PerMethod* Find(const std::string& full_name) const;

 private:
  ServiceMetrics() = default;
  void Build(const std::vector<Method>& methods);

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Registry> cluster_registry_;
  std::map<std::string, PerMethod> methods_;  // immutable after Create()
  std::map<int, prometheus::Gauge*> orders_by_state_;  // immutable after Create()
  std::atomic<int64_t> counted_revision_{0};  // events up to it are in the gauges
  prometheus::Family<prometheus::Counter>* purchases_ = nullptr;
  absl::Mutex mu_;
  std::map<std::string, prometheus::Counter*> purchase_outcomes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_METRICS_H_
