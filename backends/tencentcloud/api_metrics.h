// Metrics of the calls a Tencent backend makes to the cloud:
//   provisioner_cloud_calls_total{backend, action, outcome}   outcome: OK, a
//       Tencent error code, HTTP_ERROR or TRANSPORT_ERROR
//   provisioner_cloud_call_duration_seconds{backend, action}  histogram
//   provisioner_cloud_call_retries_total{backend, action}
//   provisioner_cloud_rate_limit_wait_seconds_total{backend, action}
// Series of the actions the backend uses are created at 0 up front.
//
// Contract: thread-safe; Create() turns prometheus-cpp's exceptions into
// INTERNAL. Without a registry every Record* is a no-op.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_API_METRICS_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_API_METRICS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace cvm::tencentcloud {

class ApiMetrics {
 public:
  // `registry` may be null (metrics off).
  static absl::StatusOr<std::unique_ptr<ApiMetrics>> Create(prometheus::Registry* registry,
                                                            const std::string& backend);

  void RecordCall(const std::string& action, const std::string& outcome,
                  absl::Duration latency);
  void RecordRetry(const std::string& action);
  void RecordRateWait(const std::string& action, absl::Duration wait);

 private:
  struct PerAction {
    prometheus::Histogram* duration = nullptr;
    prometheus::Counter* retries = nullptr;
    prometheus::Counter* waited = nullptr;
  };
  ApiMetrics() = default;
  // The action's series, created on first use for actions not known up front.
  PerAction& Action(const std::string& action) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::string backend_;
  prometheus::Family<prometheus::Counter>* calls_ = nullptr;
  prometheus::Family<prometheus::Histogram>* duration_ = nullptr;
  prometheus::Family<prometheus::Counter>* retries_ = nullptr;
  prometheus::Family<prometheus::Counter>* waited_ = nullptr;
  absl::Mutex mu_;
  std::map<std::string, PerAction> actions_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, prometheus::Counter*> outcomes_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_API_METRICS_H_
