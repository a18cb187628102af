// The provisioning server: serves what its environment holds (store,
// backends, workflow, poller, metrics, node groups: service/server_environment.h)
// over gRPC, runs the store health and takeover loop and the orphan sweep,
// and drains them on shutdown.
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
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/server.h"
#include "prometheus/exposer.h"
#include "service/cluster_metrics.h"
#include "service/server_environment.h"

namespace cvm {

class Server {
 public:
  // Listening addresses, config, store, intervals and limits
  // (service/server_environment.h).
  using Options = ServerOptions;

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
  // Builds the environment, serves it, starts the background work.
  absl::Status Start();
  // The gRPC server on options_.listen and the health-only one.
  absl::Status Serve();
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
  // Everything the service needs; built first, destroyed last.
  std::unique_ptr<ServerEnvironment> env_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<ClusterMetrics> cluster_metrics_;  // uses exposer_, env_->leases
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<grpc::Server> health_server_;  // plaintext, health only
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
