#include "backends/tencentcloud/api_metrics.h"

#include <exception>

#include "absl/strings/str_cat.h"

namespace cvm::tencentcloud {
namespace {

constexpr const char* kKnownActions[] = {
    "RunInstances",          "DescribeInstances",    "TerminateInstances",
    "InquiryPriceRunInstances", "DescribeAccountQuota", "DescribeZoneInstanceConfigInfos",
    "DescribeAccountBalance", "StopInstances",        "StartInstances"};

}  // namespace

absl::StatusOr<std::unique_ptr<ApiMetrics>> ApiMetrics::Create(prometheus::Registry* registry,
                                                                const std::string& backend) {
  std::unique_ptr<ApiMetrics> metrics(new ApiMetrics);
  metrics->backend_ = backend;
  if (registry == nullptr) return metrics;
  try {
    metrics->calls_ = &prometheus::BuildCounter()
                           .Name("provisioner_cloud_calls_total")
                           .Help("Cloud API calls by action and outcome (OK or the error).")
                           .Register(*registry);
    metrics->duration_ = &prometheus::BuildHistogram()
                              .Name("provisioner_cloud_call_duration_seconds")
                              .Help("Latency of cloud API calls, retries included.")
                              .Register(*registry);
    metrics->retries_ = &prometheus::BuildCounter()
                             .Name("provisioner_cloud_call_retries_total")
                             .Help("Cloud API calls repeated after a retryable failure.")
                             .Register(*registry);
    metrics->waited_ = &prometheus::BuildCounter()
                            .Name("provisioner_cloud_rate_limit_wait_seconds_total")
                            .Help("Time cloud API calls waited for their rate-limit slot.")
                            .Register(*registry);
    absl::MutexLock lock(&metrics->mu_);
    for (const char* action : kKnownActions) {
      metrics->Action(action);
      metrics->outcomes_[{action, "OK"}] =
          &metrics->calls_->Add({{"backend", backend}, {"action", action}, {"outcome", "OK"}});
    }
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("building cloud-call metrics: ", e.what()));
  }
  return metrics;
}

ApiMetrics::PerAction& ApiMetrics::Action(const std::string& action) {
  auto it = actions_.find(action);
  if (it != actions_.end()) return it->second;
  const std::map<std::string, std::string> labels = {{"backend", backend_},
                                                     {"action", action}};
  PerAction& per = actions_[action];
  per.duration = &duration_->Add(labels, prometheus::Histogram::BucketBoundaries{
                                             0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                             5, 10, 30});
  per.retries = &retries_->Add(labels);
  per.waited = &waited_->Add(labels);
  return per;
}

void ApiMetrics::RecordCall(const std::string& action, const std::string& outcome,
                            absl::Duration latency) {
  if (calls_ == nullptr) return;
  absl::MutexLock lock(&mu_);
  Action(action).duration->Observe(absl::ToDoubleSeconds(latency));
  prometheus::Counter*& counter = outcomes_[{action, outcome}];
  if (counter == nullptr) {
    counter = &calls_->Add({{"backend", backend_}, {"action", action}, {"outcome", outcome}});
  }
  counter->Increment();
}

void ApiMetrics::RecordRetry(const std::string& action) {
  if (calls_ == nullptr) return;
  absl::MutexLock lock(&mu_);
  Action(action).retries->Increment();
}

void ApiMetrics::RecordRateWait(const std::string& action, absl::Duration wait) {
  if (calls_ == nullptr || wait <= absl::ZeroDuration()) return;
  absl::MutexLock lock(&mu_);
  Action(action).waited->Increment(absl::ToDoubleSeconds(wait));
}

}  // namespace cvm::tencentcloud
