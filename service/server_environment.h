// Everything the provisioning service needs, built from its options (config
// file and flags) and owned in one place: the store and what lives beside it,
// metrics and the Watch hub, the configured backends and policies, the order
// workflow and its driver, the poller, the sweeper and the node groups.
// service/server.h serves it over gRPC.
//
//   ASSIGN_OR_RETURN(auto env, ServerEnvironment::Create(options, methods));
//   ... register env->service and env->node_groups' services, serve ...
//   env->StartBackgroundWork();
//
// Create() fails (and builds nothing) on bad options, a bad config, an
// unknown backend or policy plugin, a plugin library it cannot load or a store
// it cannot open: INVALID_ARGUMENT naming the field, or the component's own
// error. Nothing runs until StartBackgroundWork().
//
// Contract: members are built in declaration order from what is declared
// before them, and destroyed in reverse, after the destructor has detached
// the store's listener (it calls into the poller, the hub and the metrics;
// a store shared by replicas calls it from its feed thread until the store
// is destroyed, after the poller). The caller stops the running parts
// (Server::Shutdown) before destroying it. Not thread-safe itself; every
// member is (see its header).
#ifndef CVM_PROVISIONER_SERVICE_SERVER_ENVIRONMENT_H_
#define CVM_PROVISIONER_SERVICE_SERVER_ENVIRONMENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/thread_pool.h"
#include "plugins/backend_set.h"
#include "plugins/policy.h"
#include "plugins/policy_set.h"
#include "plugins/service_config.pb.h"
#include "service/arrears_guard.h"
#include "service/audit_log.h"
#include "service/authenticator.h"
#include "service/capacity_memory.h"
#include "service/metrics.h"
#include "service/node_group_wiring.h"
#include "service/order_driver.h"
#include "service/order_workflow.h"
#include "service/orphan_sweeper.h"
#include "service/poller.h"
#include "service/provisioning_service.h"
#include "service/watch_hub.h"
#include "store/capacity_verdicts.h"
#include "store/node_group_store.h"
#include "store/order_store.h"
#include "store/rate_slots.h"
#include "store/work_leases.h"

namespace cvm {

struct ServerOptions {
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

class ServerEnvironment {
 public:
  // `methods`: every method served, for metrics created up front.
  static absl::StatusOr<std::unique_ptr<ServerEnvironment>> Create(
      const ServerOptions& options, std::vector<ServiceMetrics::Method> methods);
  // Detaches the store's listener (returns once no call of it is running),
  // then destroys the members.
  ~ServerEnvironment();

  // Drives on the orders a previous process left unfinished (instances
  // under their tag adopted before any resubmission), and starts the poller,
  // the arrears guard and the node group reconciler.
  void StartBackgroundWork();

  // The claims shared with other replicas of the store; null when this
  // process is the store's only user.
  WorkLeases* shared_leases() const { return leases->shared() ? leases.get() : nullptr; }

  // Metrics and the Watch hub first: every later member may report to them.
  std::unique_ptr<ServiceMetrics> metrics;
  std::unique_ptr<WatchHub> hub;
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<AuditLog> audit;  // null when Options::audit_log is empty
  // The store (every revision carries what it changed) and what lives beside it.
  std::unique_ptr<OrderStore> store;
  std::unique_ptr<WorkLeases> leases;
  std::unique_ptr<RateSlots> rate_slots;  // outlives the backends pacing on it
  std::unique_ptr<CapacityVerdicts> verdicts;
  std::unique_ptr<NodeGroupStore> node_group_store;
  std::unique_ptr<BackendSet> backends;
  std::unique_ptr<OrderLedger> ledger;
  std::unique_ptr<PolicySet> policies;
  std::unique_ptr<OrderWorkflow> workflow;
  std::unique_ptr<ArrearsGuard> arrears;     // null when disabled
  std::unique_ptr<CapacityMemory> capacity;  // null when disabled
  std::unique_ptr<Poller> poller;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<OrderDriver> driver;
  std::unique_ptr<OrphanSweeper> sweeper;
  std::unique_ptr<NodeGroupWiring> node_groups;
  std::unique_ptr<ProvisioningService> service;
  // The orders unfinished when the environment was built.
  std::vector<provisioning::v1::Order> unfinished;

 private:
  ServerEnvironment() = default;
  absl::Status Build(const ServerOptions& options, std::vector<ServiceMetrics::Method> methods);
  // The purchase gates: the arrears guard and the capacity memory.
  absl::Status BuildGates(const ServerOptions& options);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_SERVER_ENVIRONMENT_H_
