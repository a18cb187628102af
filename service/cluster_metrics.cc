#include "service/cluster_metrics.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cvm {

absl::StatusOr<std::unique_ptr<ClusterMetrics>> ClusterMetrics::Create(
    std::shared_ptr<prometheus::Registry> cluster, prometheus::Registry& replica,
    prometheus::Exposer* exposer, WorkLeases* leases) {
  prometheus::Gauge* gauge = nullptr;
  try {
    gauge = &prometheus::BuildGauge()
                 .Name("provisioner_cluster_metrics_exporter")
                 .Help("1 on the replica that exports the cluster-wide series "
                       "(provisioner_orders, the account gauges), 0 on the others.")
                 .Register(replica)
                 .Add({});
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("cluster metrics: ", e.what()));
  }
  std::unique_ptr<ClusterMetrics> metrics(
      new ClusterMetrics(std::move(cluster), gauge, exposer, leases));
  if (leases == nullptr) {
    absl::MutexLock lock(&metrics->mu_);
    metrics->SetExportingLocked(true);
  }
  return metrics;
}

ClusterMetrics::ClusterMetrics(std::shared_ptr<prometheus::Registry> cluster,
                               prometheus::Gauge* exporter_gauge, prometheus::Exposer* exposer,
                               WorkLeases* leases)
    : cluster_(std::move(cluster)),
      exporter_gauge_(exporter_gauge),
      exposer_(exposer),
      leases_(leases) {}

ClusterMetrics::~ClusterMetrics() {
  absl::MutexLock lock(&mu_);
  SetExportingLocked(false);
  if (leases_ != nullptr) leases_->Release(kClaim);
}

absl::Status ClusterMetrics::Check() {
  if (leases_ == nullptr) return absl::OkStatus();  // the process is the cluster
  // A replica without /metrics leaves the claim to one that can export.
  if (exposer_ == nullptr) return absl::OkStatus();
  const absl::StatusOr<bool> mine = leases_->TryAcquire(kClaim);
  absl::MutexLock lock(&mu_);
  SetExportingLocked(mine.ok() && *mine);
  return mine.status();
}

bool ClusterMetrics::exporting() const {
  absl::MutexLock lock(&mu_);
  return exporting_;
}

void ClusterMetrics::SetExportingLocked(bool exporting) {
  if (exporting == exporting_) return;
  exporting_ = exporting;
  exporter_gauge_->Set(exporting ? 1 : 0);
  if (exposer_ == nullptr) return;
  if (exporting) {
    exposer_->RegisterCollectable(cluster_);
  } else {
    exposer_->RemoveCollectable(cluster_);
  }
}

}  // namespace cvm
