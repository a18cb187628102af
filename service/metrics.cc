#include "service/metrics.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_details.h"
#include "prometheus/counter.h"

namespace cvm {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

// grpc_code label values, indexed by grpc::StatusCode (gRPC's own names).
constexpr std::array<const char*, 17> kCodeNames = {
    "OK",           "Canceled",         "Unknown",           "InvalidArgument",
    "DeadlineExceeded", "NotFound",     "AlreadyExists",     "PermissionDenied",
    "ResourceExhausted", "FailedPrecondition", "Aborted",    "OutOfRange",
    "Unimplemented", "Internal",        "Unavailable",       "DataLoss",
    "Unauthenticated"};

// Purchase outcomes created at 0 up front.
constexpr const char* kKnownOutcomes[] = {
    "OK", "INVALID_ARGUMENT", "REQUEST_ID_REUSED", "ZONE_SOLD_OUT",
    "INSUFFICIENT_STOCK", "QUOTA_EXCEEDED", "SPOT_PRICE_TOO_LOW",
    "INSUFFICIENT_BALANCE", "UNAVAILABLE"};

const char* TypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(const ServiceMetrics::PerMethod* metrics)
      : metrics_(metrics), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      metrics_->started->Increment();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE)) {
      metrics_->received->Increment();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      metrics_->sent->Increment();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const int code = static_cast<int>(methods->GetSendStatus().error_code());
      metrics_->handled[code >= 0 && code < 17 ? code : 2]->Increment();
      metrics_->seconds->Observe(absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  const ServiceMetrics::PerMethod* const metrics_;
  const absl::Time start_;
};

class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(const ServiceMetrics* metrics)
      : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      ServerRpcInfo* info) override {
    const ServiceMetrics::PerMethod* m = metrics_->Find(info->method());
    return m == nullptr || m->counted_by_handler ? nullptr : new MetricsInterceptor(m);
  }

 private:
  const ServiceMetrics* const metrics_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceMetrics>> ServiceMetrics::Create(
    const std::vector<Method>& methods) {
  std::unique_ptr<ServiceMetrics> metrics(new ServiceMetrics);
  try {
    metrics->Build(methods);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("building metrics: ", e.what()));
  }
  return metrics;
}

void ServiceMetrics::Build(const std::vector<Method>& methods) {
  registry_ = std::make_shared<prometheus::Registry>();
  cluster_registry_ = std::make_shared<prometheus::Registry>();
  auto& started = prometheus::BuildCounter()
                      .Name("grpc_server_started_total")
                      .Help("Total number of RPCs started on the server.")
                      .Register(*registry_);
  auto& handled = prometheus::BuildCounter()
                      .Name("grpc_server_handled_total")
                      .Help("Total number of RPCs completed on the server, "
                            "regardless of success or failure.")
                      .Register(*registry_);
  auto& received = prometheus::BuildCounter()
                       .Name("grpc_server_msg_received_total")
                       .Help("Total number of RPC stream messages received on the server.")
                       .Register(*registry_);
  auto& sent = prometheus::BuildCounter()
                   .Name("grpc_server_msg_sent_total")
                   .Help("Total number of gRPC stream messages sent by the server.")
                   .Register(*registry_);
  auto& seconds = prometheus::BuildHistogram()
                      .Name("grpc_server_handling_seconds")
                      .Help("Histogram of response latency (seconds) of gRPC that "
                            "had been application-level handled by the server.")
                      .Register(*registry_);
  const prometheus::Histogram::BucketBoundaries buckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  for (const Method& method : methods) {
    const size_t slash = method.full_name.rfind('/');
    const std::map<std::string, std::string> labels = {
        {"grpc_type", TypeName(method.type)},
        {"grpc_service", method.full_name.substr(1, slash - 1)},
        {"grpc_method", method.full_name.substr(slash + 1)}};
    PerMethod& m = methods_[method.full_name];
    m.counted_by_handler = method.counted_by_handler;
    m.started = &started.Add(labels);
    m.received = &received.Add(labels);
    m.sent = &sent.Add(labels);
    m.seconds = &seconds.Add(labels, buckets);
    for (size_t code = 0; code < kCodeNames.size(); ++code) {
      auto with_code = labels;
      with_code["grpc_code"] = kCodeNames[code];
      m.handled[code] = &handled.Add(with_code);
    }
  }
  auto& orders = prometheus::BuildGauge()
                     .Name("provisioner_orders")
                     .Help("Orders currently in each state, in the whole deployment.")
                     .Register(*cluster_registry_);
  const auto* states = provisioning::v1::Order::State_descriptor();
  for (int i = 0; i < states->value_count(); ++i) {
    const auto* value = states->value(i);
    if (value->number() == 0) continue;
    orders_by_state_[value->number()] = &orders.Add({{"state", value->name()}});
  }
  purchases_ = &prometheus::BuildCounter()
                    .Name("provisioner_purchases_total")
                    .Help("Purchase calls by outcome: OK or the error reason.")
                    .Register(*registry_);
  absl::MutexLock lock(&mu_);
  for (const char* outcome : kKnownOutcomes) {
    purchase_outcomes_[outcome] = &purchases_->Add({{"outcome", outcome}});
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ServiceMetrics::NewInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(this);
}

const ServiceMetrics::PerMethod* ServiceMetrics::Find(
    const std::string& full_name) const {
  auto it = methods_.find(full_name);
  return it == methods_.end() ? nullptr : &it->second;
}

void ServiceMetrics::StartOrderCounts(const OrderSnapshot& snapshot) {
  std::map<int, int64_t> counts;
  for (const provisioning::v1::Order& order : snapshot.orders) ++counts[order.state()];
  for (const auto& [state, gauge] : orders_by_state_) {
    gauge->Set(static_cast<double>(counts[state]));
  }
  counted_revision_.store(snapshot.revision);
}

void ServiceMetrics::RecordOrderEvent(const OrderEvent& event) {
  if (event.revision <= counted_revision_.load()) return;  // in the start counts
  const int now = event.order.state();
  if (event.previous_state == now) return;
  if (auto it = orders_by_state_.find(event.previous_state); it != orders_by_state_.end()) {
    it->second->Decrement();
  }
  if (auto it = orders_by_state_.find(now); it != orders_by_state_.end()) {
    it->second->Increment();
  }
}

void ServiceMetrics::RecordPurchaseOutcome(const absl::Status& status) {
  std::string outcome = status.ok() ? "OK" : ErrorReason(status);
  if (outcome.empty()) outcome = absl::StatusCodeToString(status.code());
  absl::MutexLock lock(&mu_);
  auto it = purchase_outcomes_.find(outcome);
  if (it == purchase_outcomes_.end()) {
    it = purchase_outcomes_.emplace(outcome, &purchases_->Add({{"outcome", outcome}})).first;
  }
  it->second->Increment();
}

}  // namespace cvm
