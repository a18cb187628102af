// The provisioning server: assembles store, backends, workflow, poller,
// metrics and the gRPC services, and drains them on shutdown.
//
//   auto server = Server::Create(options);   // listening when OK
//   ...
//   (*server)->Shutdown();                   // drain, then stop
//
// Create() fails (never half-starts) on a bad config, an unknown backend or
// policy plugin, a plugin library it cannot load (or built for another plugin
// ABI version), a store it cannot open or a port it cannot bind.
#ifndef CVM_PROVISIONER_SERVICE_SERVER_H_
#define CVM_PROVISIONER_SERVICE_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/thread_pool.h"
#include "grpcpp/server.h"
#include "plugins/backend_set.h"
#include "plugins/policy.h"
#include "plugins/policy_set.h"
#include "plugins/service_config.pb.h"
#include "prometheus/exposer.h"
#include "service/arrears_guard.h"
#include "service/capacity_memory.h"
#include "service/cluster_metrics.h"
#include "service/audit_log.h"
#include "service/authenticator.h"
#include "service/metrics.h"
#include "service/order_driver.h"
#include "service/orphan_sweeper.h"
#include "service/order_workflow.h"
#include "service/poller.h"
#include "service/autoscaler_provider.h"
#include "service/node_group_manager.h"
#include "service/node_group_reconciler.h"
#include "service/node_groups_service.h"
#include "service/provisioning_service.h"
#include "service/watch_hub.h"
#include "store/order_store.h"
#include "store/rate_slots.h"
#include "store/work_leases.h"

namespace cvm {

class Server {
 public:
  struct Options {
    // gRPC address; port 0 picks a free port (see port()).
    std::string listen = "127.0.0.1:50051";
    // Prometheus /metrics address; empty disables it; port 0 picks one.
    std::string metrics_listen = "127.0.0.1:9464";
    // A second, plaintext gRPC port serving only grpc.health.v1.Health (the
    // same statuses as the main port) for probes that cannot speak TLS, such
    // as the kubelet's built-in gRPC probes; empty disables it; port 0 picks
    // one (see health_port()).
    std::string health_listen;
    provisioning::config::v1::ServiceConfig config;
    // "sqlite:PATH" (durable), "postgres:CONNINFO" (durable, a libpq
    // connection string or URI) or "memory" (orders are lost on restart).
    std::string store = "memory";
    Clock* clock = RealClock::Get();
    // Cloud polling per backend and region (service/poller.h): this often
    // while an instance is pending, waits for its public IP or is being
    // released, and this often once every order is steady.
    absl::Duration poll_fast_interval = absl::Seconds(2);
    absl::Duration poll_slow_interval = absl::Seconds(30);
    // Poller::Options::prepaid_release_grace.
    absl::Duration prepaid_release_grace = absl::Minutes(2);
    // How long Shutdown() lets in-flight calls finish.
    absl::Duration drain_timeout = absl::Seconds(20);
    // Append-only audit log of purchases, quotes and terminations (JSON
    // lines); empty: none.
    std::string audit_log;
    // Larger requests are refused (RESOURCE_EXHAUSTED naming both sizes)
    // before they are parsed; a valid request is far below it.
    int max_request_bytes = 256 * 1024;
    int worker_threads = 16;
    // Threads taking accepted orders to the cloud (they wait on its rate limits).
    int submit_threads = 8;
    size_t max_watch_buffer = 1024;
    // A Watch stream with nothing to send for this long gets a PROGRESS
    // message (keeps it alive through proxies); zero disables them.
    absl::Duration watch_progress_interval = absl::Seconds(30);
    // How often the store's health is checked (the API service NOT_SERVING
    // while it cannot be reached, SERVING again when it answers) and, when replicas share
    // the store, the unfinished orders are scanned for ones to take over.
    absl::Duration replica_check_interval = absl::Seconds(1);
    // How often the node group reconciler runs, and how long an
    // unsatisfiable group first waits before ordering again (doubled per
    // failure up to 5 minutes).
    absl::Duration node_group_interval = absl::Seconds(1);
    absl::Duration node_group_backoff = absl::Seconds(10);
  };

  static absl::StatusOr<std::unique_ptr<Server>> Create(Options options);
  ~Server();

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  // 0 when Options::health_listen is empty.
  int health_port() const { return health_port_; }

  // Health NOT_SERVING (on both ports), refuses new calls, ends Watch streams with
  // UNAVAILABLE, lets in-flight calls finish within drain_timeout, stops.
  // Idempotent.
  void Shutdown();

 private:
  explicit Server(Options options) : options_(std::move(options)) {}
  absl::Status Start();
  // The health status of the server and of the API service, on every port.
  void SetServing(bool serving);
  // The API service's alone (readiness: the store is unreachable); the
  // server's ("", liveness) stays, so the process is not restarted for it.
  void SetApiServing(bool serving);
  // Sweeps for orphans at start and every config.orphans.interval (with
  // replicas: the one holding the "orphan-sweep" claim).
  void SweepLoop();
  // Every replica_check_interval: store health → serving status; with
  // replicas, enqueues the unfinished orders (the driver claims those no
  // live replica holds: a dead one's are taken over).
  void ReplicaLoop();
  // ClusterMetrics::Check(), its error logged.
  void CheckClusterMetrics();

  const Options options_;
  std::unique_ptr<OrderStore> store_;
  std::unique_ptr<WorkLeases> leases_;
  std::unique_ptr<RateSlots> rate_slots_;  // outlives the backends pacing on it
  std::unique_ptr<CapacityVerdicts> verdicts_;
  std::unique_ptr<BackendSet> backends_;
  std::unique_ptr<OrderLedger> ledger_;
  std::unique_ptr<PolicySet> policies_;
  std::unique_ptr<OrderWorkflow> workflow_;
  std::unique_ptr<OrderDriver> driver_;
  std::unique_ptr<OrphanSweeper> sweeper_;
  std::unique_ptr<ArrearsGuard> arrears_;  // null when disabled
  std::unique_ptr<CapacityMemory> capacity_;  // null when disabled
  std::unique_ptr<ServiceMetrics> metrics_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<ClusterMetrics> cluster_metrics_;  // uses exposer_, leases_
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<ProvisioningService> service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<grpc::Server> health_server_;  // plaintext, health only
  std::unique_ptr<Poller> poller_;
  std::unique_ptr<NodeGroupStore> node_groups_;
  std::unique_ptr<NodeGroupReconciler> reconciler_;
  std::unique_ptr<NodeGroupManager> group_manager_;
  std::unique_ptr<NodeGroupsService> group_service_;
  std::unique_ptr<AutoscalerProvider> autoscaler_;
  std::thread sweeper_thread_;
  absl::Notification stop_sweeping_;
  std::thread replica_thread_;
  absl::Notification stop_replica_loop_;
  bool shut_down_ = false;
  int port_ = 0;
  int metrics_port_ = 0;
  int health_port_ = 0;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_SERVER_H_
