#include "service/server.h"

#include <cstdio>
#include <exception>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "service/provisioning_service.h"

namespace cvm {
namespace {

using grpc::experimental::ServerRpcInfo;

constexpr char kServiceName[] = "provisioning.v1.Provisioning";

// Every method served, for metrics created up front.
std::vector<ServiceMetrics::Method> ServedMethods() {
  std::vector<ServiceMetrics::Method> methods;
  for (const char* name : {kServiceName, "provisioning.v1.NodeGroups",
                           "clusterautoscaler.cloudprovider.v1.externalgrpc.CloudProvider"}) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* m = service->method(i);
      const std::string full_name = absl::StrCat("/", service->full_name(), "/", m->name());
      methods.push_back({full_name,
                         m->server_streaming() ? ServerRpcInfo::Type::SERVER_STREAMING
                                               : ServerRpcInfo::Type::UNARY,
                         full_name == ProvisioningService::kWatchMethod});
    }
  }
  methods.push_back({"/grpc.health.v1.Health/Check", ServerRpcInfo::Type::UNARY});
  methods.push_back({"/grpc.health.v1.Health/Watch",
                     ServerRpcInfo::Type::SERVER_STREAMING});
  methods.push_back({"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                     ServerRpcInfo::Type::BIDI_STREAMING});
  return methods;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Create(Options options) {
  std::unique_ptr<Server> server(new Server(std::move(options)));
  absl::Status status = server->Start();
  if (!status.ok()) {
    server->Shutdown();
    return status;
  }
  return server;
}

absl::Status Server::Start() {
  ASSIGN_OR_RETURN(env_, ServerEnvironment::Create(options_, ServedMethods()));
  if (!options_.metrics_listen.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(options_.metrics_listen);
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat(
          "cannot serve metrics on ", options_.metrics_listen, ": ", e.what()));
    }
    exposer_->RegisterCollectable(env_->metrics->registry());
    metrics_port_ = exposer_->GetListeningPorts().at(0);
  }
  ASSIGN_OR_RETURN(cluster_metrics_,
                   ClusterMetrics::Create(env_->metrics->cluster_registry(),
                                          *env_->metrics->registry(), exposer_.get(),
                                          env_->shared_leases()));
  CheckClusterMetrics();
  RETURN_IF_ERROR(Serve());
  SetServing(true);
  env_->StartBackgroundWork();
  sweeper_thread_ = std::thread([this] { SweepLoop(); });
  replica_thread_ = std::thread([this] { ReplicaLoop(); });
  return absl::OkStatus();
}

absl::Status Server::Serve() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, env_->auth->credentials(), &port_);
  builder.RegisterService(env_->service.get());
  builder.RegisterService(env_->node_groups->service.get());
  builder.RegisterService(env_->node_groups->autoscaler.get());
  builder.SetMaxReceiveMessageSize(options_.max_request_bytes);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(env_->metrics->NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  env_->service->watch().AddTo(builder);
  grpc_server_ = builder.BuildAndStart();
  if (grpc_server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve gRPC on ", options_.listen));
  }
  env_->service->watch().Start();
  if (!options_.health_listen.empty()) {
    // Only the default health service is registered here (and the
    // reflection plugin, which every builder gets); API calls are
    // UNIMPLEMENTED on this port.
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(options_.health_listen, grpc::InsecureServerCredentials(),
                                    &health_port_);
    health_server_ = health_builder.BuildAndStart();
    if (health_server_ == nullptr || health_port_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve health checks on ", options_.health_listen));
    }
  }
  return absl::OkStatus();
}

void Server::ReplicaLoop() {
  bool serving = true;
  while (!stop_replica_loop_.WaitForNotificationWithTimeout(options_.replica_check_interval)) {
    const absl::Status health = env_->store->CheckHealth();
    if (health.ok() != serving) {
      serving = health.ok();
      std::fprintf(stderr, "provisioner: store %s: %s\n",
                   serving ? "reachable again, SERVING" : "unreachable, NOT_SERVING",
                   health.ToString().c_str());
      SetApiServing(serving);
    }
    if (env_->shared_leases() == nullptr) continue;
    CheckClusterMetrics();  // also when the store is unreachable: then it stops
    if (!serving) continue;
    absl::StatusOr<std::vector<Order>> unfinished = env_->workflow->Unfinished();
    if (!unfinished.ok()) {
      std::fprintf(stderr, "provisioner: takeover scan: %s\n",
                   unfinished.status().ToString().c_str());
      continue;
    }
    for (const Order& order : *unfinished) env_->driver->Enqueue(order.order_id(), true);
  }
}

void Server::CheckClusterMetrics() {
  const absl::Status checked = cluster_metrics_->Check();
  if (!checked.ok()) {
    std::fprintf(stderr, "provisioner: cluster metrics claim: %s\n", checked.ToString().c_str());
  }
}

void Server::SweepLoop() {
  const absl::Duration interval =
      DurationOr(options_.config.orphans().interval(),
                 options_.config.orphans().has_interval(), absl::Minutes(5));
  do {
    if (env_->shared_leases() != nullptr) {
      absl::StatusOr<bool> mine = env_->leases->TryAcquire("orphan-sweep");
      if (!mine.ok()) {
        std::fprintf(stderr, "provisioner: orphan sweep: %s\n", mine.status().ToString().c_str());
      }
      if (!mine.ok() || !*mine) continue;  // another replica sweeps
    }
    absl::StatusOr<std::vector<Orphan>> orphans = env_->sweeper->SweepOnce();
    if (!orphans.ok()) {
      std::fprintf(stderr, "provisioner: orphan sweep: %s\n",
                   orphans.status().ToString().c_str());
    }
  } while (!stop_sweeping_.WaitForNotificationWithTimeout(interval));
}

void Server::SetServing(bool serving) {
  for (grpc::Server* server : {grpc_server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    server->GetHealthCheckService()->SetServingStatus(serving);
    server->GetHealthCheckService()->SetServingStatus(kServiceName, serving);
  }
}

void Server::SetApiServing(bool serving) {
  for (grpc::Server* server : {grpc_server_.get(), health_server_.get()}) {
    if (server != nullptr) server->GetHealthCheckService()->SetServingStatus(kServiceName, serving);
  }
}

void Server::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (replica_thread_.joinable()) {
    stop_replica_loop_.Notify();
    replica_thread_.join();
  }
  ServerEnvironment* const env = env_.get();  // null when Create() failed early
  if (env != nullptr && env->arrears != nullptr) env->arrears->Stop();
  SetServing(false);
  if (env != nullptr) {
    env->service->StartDraining();
    env->node_groups->service->StartDraining();
    env->node_groups->autoscaler->StartDraining();
    // No new orders from groups; what they placed is in the store.
    env->node_groups->reconciler->Stop();
    env->hub->Close(WithReason(RetryLater("the server is shutting down; reconnect and "
                                          "resume from the last revision",
                                          absl::Seconds(1)),
                               "SERVER_DRAINING"));
    if (!env->pool->WaitIdle(options_.drain_timeout)) {
      std::fprintf(stderr, "provisioner: drain timeout: cancelling calls in flight\n");
    }
    // Cloud calls in flight finish (still NOT_SERVING and refusing calls);
    // queued orders stay ACCEPTED in the store for the next start.
    env->driver->Stop();
  }
  if (grpc_server_ != nullptr) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  if (env != nullptr) env->service->watch().Stop();  // after the server's Shutdown()
  // Probes see NOT_SERVING (not a refused connection) until the end.
  if (health_server_ != nullptr) {
    health_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  if (env != nullptr) env->poller->Stop();
  if (sweeper_thread_.joinable()) {
    stop_sweeping_.Notify();
    sweeper_thread_.join();
  }
  if (env != nullptr) env->pool->Stop();
  cluster_metrics_.reset();  // another replica exports the cluster's series
  exposer_.reset();
}

Server::~Server() { Shutdown(); }

}  // namespace cvm
