// provisioner: the gRPC provisioning service. SIGTERM/SIGINT drain it.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/termination_signals.h"
#include "service/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC address (port 0: any free port)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464", "Prometheus /metrics address; empty: off");
ABSL_FLAG(std::string, health_listen, "",
          "plaintext gRPC address serving only grpc.health.v1.Health, for probes that "
          "cannot speak TLS (the kubelet's gRPC probes); empty: off");
ABSL_FLAG(std::string, config, "", "backends and routing (.textproto or .json); required");
ABSL_FLAG(std::string, store, "sqlite:provisioner.db",
          "order store: sqlite:PATH (durable, the default), postgres:CONNINFO (a libpq "
          "connection string or URI) or memory (lost on exit)");
ABSL_FLAG(absl::Duration, poll_fast_interval, absl::Seconds(2),
          "cloud polling interval while instances are pending, waiting for a public IP or "
          "being released");
ABSL_FLAG(absl::Duration, poll_slow_interval, absl::Seconds(30),
          "cloud polling interval once every instance is steady");
ABSL_FLAG(absl::Duration, prepaid_release_grace, absl::Minutes(2),
          "a prepaid order left TERMINATING this long with instances not yet returned (a "
          "release cut short by a crash or a cloud error) gets its release retried");
ABSL_FLAG(absl::Duration, replica_check_interval, absl::Seconds(1),
          "how often the store's health is checked (NOT_SERVING while it is unreachable) and, "
          "with replicas on one PostgreSQL database, unfinished orders are scanned for ones a "
          "dead replica left");
ABSL_FLAG(absl::Duration, node_group_interval, absl::Seconds(1),
          "How often node groups are brought to their target");
ABSL_FLAG(absl::Duration, node_group_backoff, absl::Seconds(10),
          "First wait of a node group that cannot be satisfied (doubled per failure, at most 5m)");
ABSL_FLAG(std::string, audit_log, "",
          "append-only audit log (JSON lines) of purchases, quotes and terminations; empty: "
          "none");
ABSL_FLAG(absl::Duration, watch_progress_interval, absl::Seconds(30),
          "a Watch stream idle this long gets a PROGRESS message; 0: never");

static int Fail(const absl::Status& status) {
  std::fprintf(stderr, "provisioner: %s: %s\n", absl::StatusCodeToString(status.code()).c_str(),
               std::string(status.message()).c_str());
  return 1;
}

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with deadlock detection on, which costs a
  // graph update on every lock: with thousands of Watch streams that is a
  // large share of the fan-out. Tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  cvm::BlockTerminationSignals();  // before any thread starts
  cvm::Server::Options options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.health_listen = absl::GetFlag(FLAGS_health_listen);
  options.store = absl::GetFlag(FLAGS_store);
  options.audit_log = absl::GetFlag(FLAGS_audit_log);
  options.poll_fast_interval = absl::GetFlag(FLAGS_poll_fast_interval);
  options.poll_slow_interval = absl::GetFlag(FLAGS_poll_slow_interval);
  options.prepaid_release_grace = absl::GetFlag(FLAGS_prepaid_release_grace);
  options.watch_progress_interval = absl::GetFlag(FLAGS_watch_progress_interval);
  options.replica_check_interval = absl::GetFlag(FLAGS_replica_check_interval);
  options.node_group_interval = absl::GetFlag(FLAGS_node_group_interval);
  options.node_group_backoff = absl::GetFlag(FLAGS_node_group_backoff);
  auto config = cvm::LoadServiceConfig(absl::GetFlag(FLAGS_config));
  if (!config.ok()) return Fail(config.status());
  options.config = *config;
  auto server = cvm::Server::Create(options);
  if (!server.ok()) return Fail(server.status());
  // Its own line, before the "serving" line that tools and tests parse.
  if ((*server)->health_port() != 0) {
    std::printf("provisioner: plaintext health checks on port %d\n", (*server)->health_port());
  }
  std::printf("provisioner: serving gRPC on port %d, metrics on port %d\n", (*server)->port(),
              (*server)->metrics_port());
  std::fflush(stdout);
  std::printf("provisioner: signal %d, draining\n", cvm::WaitForTerminationSignal());
  (*server)->Shutdown();
  return 0;
}
