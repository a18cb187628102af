// Figures about the whole deployment, exported by one replica at a time.
//
// Some gauges describe the cluster, not the process: the orders by state
// (every replica follows the one event log, so each one counts every order)
// and the cloud account's balance and arrears forecast (every replica reads
// the same account). Exported by every replica, a dashboard's sum() would
// count them once per replica. They live in their own registry, which only
// the replica holding the claim "metrics/cluster" (store/work_leases.h)
// exposes on /metrics; the others leave those series out, so sum(), max() and
// a single scrape all read the same number. A replica that dies frees its
// claim with its database session; another one exposes the registry at its
// next Check() (the server calls it every --replica_check_interval).
//
// Every replica exports provisioner_cluster_metrics_exporter: 1 on the one
// that exports the cluster-wide series, 0 on the others. With a store shared
// with no one (SQLite, memory) the process is the whole cluster: it exports
// them from the start. A replica without /metrics never takes the claim.
//
// Contract: thread-safe. The exposer (may be null: no /metrics) and leases
// (null: nothing shared) must outlive this object; the destructor removes
// the registry from the exposer and gives the claim back.
#ifndef CVM_PROVISIONER_SERVICE_CLUSTER_METRICS_H_
#define CVM_PROVISIONER_SERVICE_CLUSTER_METRICS_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/exposer.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "store/work_leases.h"

namespace cvm {

class ClusterMetrics {
 public:
  inline static constexpr char kClaim[] = "metrics/cluster";

  // `cluster`: the registry of cluster-wide series; `replica`: this
  // process's own registry, which gets the exporter gauge. INTERNAL when
  // prometheus-cpp refuses the gauge.
  static absl::StatusOr<std::unique_ptr<ClusterMetrics>> Create(
      std::shared_ptr<prometheus::Registry> cluster, prometheus::Registry& replica,
      prometheus::Exposer* exposer, WorkLeases* leases);
  ~ClusterMetrics();

  ClusterMetrics(const ClusterMetrics&) = delete;
  ClusterMetrics& operator=(const ClusterMetrics&) = delete;

  // Takes (or checks) the claim and exposes the cluster registry while it is
  // held; stops exposing it when the claim is lost or cannot be checked
  // (that error is returned: two exporters would double the sums, none only
  // leaves a gap).
  absl::Status Check();

  // Whether this replica exposes the cluster-wide series now.
  bool exporting() const;

 private:
  ClusterMetrics(std::shared_ptr<prometheus::Registry> cluster, prometheus::Gauge* exporter_gauge,
                 prometheus::Exposer* exposer, WorkLeases* leases);
  void SetExportingLocked(bool exporting) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<prometheus::Registry> cluster_;
  prometheus::Gauge* const exporter_gauge_;
  prometheus::Exposer* const exposer_;
  WorkLeases* const leases_;
  mutable absl::Mutex mu_;
  bool exporting_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_CLUSTER_METRICS_H_
