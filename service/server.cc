#include "service/server.h"

#include <cstdio>
#include <exception>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "common/proto_time.h"
#include "common/status_details.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "absl/strings/strip.h"
#include "plugins/policies/store_order_ledger.h"
#include "service/change_recording_store.h"
#include "store/memory_order_store.h"
#include "store/postgres_order_store.h"
#include "store/postgres_capacity_verdicts.h"
#include "store/postgres_node_group_store.h"
#include "store/postgres_rate_slots.h"
#include "store/postgres_work_leases.h"
#include "store/sqlite_node_group_store.h"
#include "store/sqlite_order_store.h"

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
                         // Watch counts its messages itself (service/watch_reactor.h).
                         full_name == "/provisioning.v1.Provisioning/Watch"});
    }
  }
  methods.push_back({"/grpc.health.v1.Health/Check", ServerRpcInfo::Type::UNARY});
  methods.push_back({"/grpc.health.v1.Health/Watch",
                     ServerRpcInfo::Type::SERVER_STREAMING});
  methods.push_back({"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                     ServerRpcInfo::Type::BIDI_STREAMING});
  return methods;
}

// The store `spec` names, and the claims on work that go with it: shared
// through PostgreSQL, local otherwise (no other process can use that store).
struct OpenedStore {
  std::unique_ptr<OrderStore> store;
  std::unique_ptr<WorkLeases> leases = std::make_unique<LocalWorkLeases>();
  // The cloud accounts' request schedules (store/rate_slots.h).
  std::unique_ptr<RateSlots> rate_slots = std::make_unique<LocalRateSlots>();
  // The sold-out memory (store/capacity_verdicts.h).
  std::unique_ptr<CapacityVerdicts> verdicts = std::make_unique<LocalCapacityVerdicts>();
  // Node groups (store/node_group_store.h), beside the orders.
  std::unique_ptr<NodeGroupStore> node_groups;
};

absl::StatusOr<OpenedStore> OpenStore(const std::string& spec, Clock* clock) {
  OpenedStore opened;
  if (spec == "memory") {
    opened.store = std::make_unique<MemoryOrderStore>(clock);
    opened.node_groups = std::make_unique<MemoryNodeGroupStore>(clock);
    return opened;
  }
  absl::string_view path = spec;
  if (absl::ConsumePrefix(&path, "sqlite:") && !path.empty()) {
    SqliteOrderStore::Options options;
    // "?sync=normal": commits survive a process crash, not a power cut.
    if (absl::ConsumeSuffix(&path, "?sync=normal")) options.fsync_each_commit = false;
    auto store = SqliteOrderStore::Open(std::string(path), clock, options);
    if (!store.ok()) return store.status();
    opened.store = *std::move(store);
    // After the order store: its migrations make the table.
    auto groups = SqliteNodeGroupStore::Open(std::string(path), clock, {options.fsync_each_commit});
    if (!groups.ok()) return groups.status();
    opened.node_groups = *std::move(groups);
    return opened;
  }
  absl::string_view conninfo = spec;
  if (absl::ConsumePrefix(&conninfo, "postgres:") && !conninfo.empty()) {
    // A libpq conninfo or URI; errors never repeat it (it may hold a password).
    auto store = PostgresOrderStore::Open(std::string(conninfo), clock);
    if (!store.ok()) return store.status();
    opened.store = *std::move(store);
    opened.leases = std::make_unique<PostgresWorkLeases>(std::string(conninfo));
    opened.rate_slots = std::make_unique<PostgresRateSlots>(std::string(conninfo));
    opened.verdicts = std::make_unique<PostgresCapacityVerdicts>(std::string(conninfo));
    opened.node_groups = std::make_unique<PostgresNodeGroupStore>(std::string(conninfo), clock);
    return opened;
  }
  return InvalidFields({{"store", absl::StrCat("unknown store \"", spec,
                                               "\"; supported: memory, sqlite:PATH, sqlite:PATH?sync=normal, "
                                               "postgres:CONNINFO")}});
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
  absl::StatusOr<std::unique_ptr<Authenticator>> auth =
      Authenticator::Create(options_.config.auth());
  if (!auth.ok()) return auth.status();
  auth_ = *std::move(auth);
  if (auth_->plaintext()) {
    std::fprintf(stderr,
                 "provisioner: WARNING: serving plaintext gRPC on %s (auth.insecure_plaintext): "
                 "traffic and any bearer tokens are unencrypted\n",
                 options_.listen.c_str());
  }
  if (!options_.audit_log.empty()) {
    absl::StatusOr<std::unique_ptr<AuditLog>> audit =
        AuditLog::Open(options_.audit_log, options_.clock);
    if (!audit.ok()) return audit.status();
    audit_ = *std::move(audit);
  }
  if (options_.poll_fast_interval <= absl::ZeroDuration() ||
      options_.poll_slow_interval < options_.poll_fast_interval) {
    return InvalidFields(
        {{"poll_fast_interval", "must be positive and at most poll_slow_interval"}});
  }
  if (options_.prepaid_release_grace < absl::ZeroDuration()) {
    return InvalidFields({{"prepaid_release_grace", "must not be negative"}});
  }
  if (options_.replica_check_interval <= absl::ZeroDuration()) {
    return InvalidFields({{"replica_check_interval", "must be positive"}});
  }
  absl::StatusOr<OpenedStore> opened = OpenStore(options_.store, options_.clock);
  if (!opened.ok()) return opened.status();
  // Every revision carries what it changed (Order.last_changes).
  store_ = std::make_unique<ChangeRecordingStore>(std::move(opened->store));
  leases_ = std::move(opened->leases);
  rate_slots_ = std::move(opened->rate_slots);
  verdicts_ = std::move(opened->verdicts);
  WorkLeases* const shared_leases = leases_->shared() ? leases_.get() : nullptr;
  WatchHub::Options hub_options;
  hub_options.progress_interval = options_.watch_progress_interval;
  hub_options.clock = options_.clock;
  hub_ = std::make_unique<WatchHub>(hub_options);

  absl::StatusOr<std::unique_ptr<ServiceMetrics>> metrics =
      ServiceMetrics::Create(ServedMethods());
  if (!metrics.ok()) return metrics.status();
  metrics_ = *std::move(metrics);
  BackendContext context;
  context.clock = options_.clock;
  context.registry = metrics_->registry().get();
  context.rate_slots = rate_slots_.get();
  absl::StatusOr<std::unique_ptr<BackendSet>> backends =
      BackendSet::Create(options_.config, BackendRegistry::Global(), context);
  if (!backends.ok()) return backends.status();
  backends_ = *std::move(backends);
  ledger_ = std::make_unique<StoreOrderLedger>(store_.get());
  PolicyContext policy_context;
  policy_context.ledger = ledger_.get();
  policy_context.backends = backends_.get();
  policy_context.clock = options_.clock;
  absl::StatusOr<std::unique_ptr<PolicySet>> policies =
      PolicySet::Create(options_.config, PolicyRegistry::Global(), policy_context);
  if (!policies.ok()) return policies.status();
  policies_ = *std::move(policies);
  // Replicas admit one tenant's purchases one at a time, all of them.
  if (shared_leases != nullptr) policies_->ShareAdmissions(shared_leases);
  workflow_ = std::make_unique<OrderWorkflow>(store_.get(), backends_.get(), policies_.get());
  if (!options_.config.arrears_guard().disabled()) {
    absl::StatusOr<ArrearsGuard::Options> guarding =
        ArrearsGuard::OptionsFrom(options_.config.arrears_guard());
    if (!guarding.ok()) return guarding.status();
    guarding->clock = options_.clock;
    // The account's figures are the same on every replica: one exports them;
    // check failures are this replica's own.
    guarding->registry = metrics_->registry().get();
    guarding->account_registry = metrics_->cluster_registry().get();
    guarding->publish = [this](const provisioning::v1::AccountForecast& forecast,
                               std::vector<std::string> tenants) {
      hub_->PublishAccount(forecast, std::move(tenants));
    };
    arrears_ = std::make_unique<ArrearsGuard>(store_.get(), backends_.get(), options_.config,
                                              *std::move(guarding));
    workflow_->SetPurchaseGate(
        [this](const RoutedBackend& routed, const provisioning::v1::PurchaseRequest& request,
               absl::Time deadline) { return arrears_->CheckPurchase(routed, request, deadline); });
  }
  const provisioning::config::v1::CapacityMemoryConfig& memory = options_.config.capacity_memory();
  if (!memory.disabled()) {
    CapacityMemory::Options remembering;
    remembering.ttl = DurationOr(memory.verdict_ttl(), memory.has_verdict_ttl(), remembering.ttl);
    if (remembering.ttl < absl::Seconds(1) || remembering.ttl > absl::Hours(1)) {
      return InvalidFields({{"capacity_memory.verdict_ttl", "must be 1s to 1h"}});
    }
    remembering.clock = options_.clock;
    remembering.registry = metrics_->registry().get();
    capacity_ = std::make_unique<CapacityMemory>(verdicts_.get(), remembering);
    workflow_->SetCapacityMemory(capacity_.get());
  }
  Poller::Options polling;
  polling.fast_interval = options_.poll_fast_interval;
  polling.slow_interval = options_.poll_slow_interval;
  polling.prepaid_release_grace = options_.prepaid_release_grace;
  polling.leases = shared_leases;
  poller_ = std::make_unique<Poller>(store_.get(), backends_.get(), options_.clock, polling);
  absl::StatusOr<std::vector<Order>> unfinished = workflow_->Unfinished();
  if (!unfinished.ok()) return unfinished.status();

  // The gauges start from what the store holds (a restart keeps them right).
  absl::StatusOr<OrderSnapshot> counted = store_->Snapshot("");
  if (!counted.ok()) return counted.status();
  metrics_->StartOrderCounts(*counted);
  store_->SetListener([this](const OrderEvent& event) {
    metrics_->RecordOrderEvent(event);
    poller_->Notify(event);
    hub_->Publish(event);
  });
  if (!options_.metrics_listen.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(options_.metrics_listen);
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat(
          "cannot serve metrics on ", options_.metrics_listen, ": ", e.what()));
    }
    exposer_->RegisterCollectable(metrics_->registry());
    metrics_port_ = exposer_->GetListeningPorts().at(0);
  }
  absl::StatusOr<std::unique_ptr<ClusterMetrics>> cluster = ClusterMetrics::Create(
      metrics_->cluster_registry(), *metrics_->registry(), exposer_.get(), shared_leases);
  if (!cluster.ok()) return cluster.status();
  cluster_metrics_ = *std::move(cluster);
  CheckClusterMetrics();

  pool_ = std::make_unique<ThreadPool>(options_.worker_threads);
  OrderDriver::Options driver_options;
  driver_options.workers = options_.submit_threads;
  driver_options.leases = shared_leases;
  driver_ = std::make_unique<OrderDriver>(
      workflow_.get(), driver_options,
      [this](const absl::Status& outcome) { metrics_->RecordPurchaseOutcome(outcome); });
  // Node groups: kept capacity, through the same orders.
  node_groups_ = std::move(opened->node_groups);
  NodeGroupReconciler::Options reconciling;
  reconciling.interval = options_.node_group_interval;
  reconciling.first_backoff = options_.node_group_backoff;
  reconciling.clock = options_.clock;
  reconciling.leases = shared_leases;
  reconciler_ = std::make_unique<NodeGroupReconciler>(
      node_groups_.get(), store_.get(), workflow_.get(),
      [this](const std::string& order_id) { driver_->Enqueue(order_id, /*recovering=*/false); },
      reconciling);
  group_manager_ = std::make_unique<NodeGroupManager>(node_groups_.get(), store_.get(),
                                                      workflow_.get(), reconciler_.get(),
                                                      options_.clock);
  NodeGroupsService::Deps group_deps;
  group_deps.manager = group_manager_.get();
  group_deps.pool = pool_.get();
  group_deps.auth = auth_.get();
  group_service_ = std::make_unique<NodeGroupsService>(group_deps);
  // Cluster Autoscaler's externalgrpc provider, on the same groups.
  AutoscalerProvider::Deps autoscaler_deps;
  autoscaler_deps.manager = group_manager_.get();
  autoscaler_deps.workflow = workflow_.get();
  autoscaler_deps.backends = backends_.get();
  autoscaler_deps.auth = auth_.get();
  autoscaler_deps.pool = pool_.get();
  autoscaler_ = std::make_unique<AutoscalerProvider>(autoscaler_deps);
  ProvisioningService::Deps deps;
  deps.workflow = workflow_.get();
  deps.driver = driver_.get();
  deps.auth = auth_.get();
  deps.audit = audit_.get();
  deps.groups = group_manager_.get();
  deps.store = store_.get();
  deps.hub = hub_.get();
  deps.pool = pool_.get();
  deps.metrics = metrics_.get();
  deps.max_watch_buffer = options_.max_watch_buffer;
  service_ = std::make_unique<ProvisioningService>(deps);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, auth_->credentials(), &port_);
  builder.RegisterService(service_.get());
  builder.RegisterService(group_service_.get());
  builder.RegisterService(autoscaler_.get());
  builder.SetMaxReceiveMessageSize(options_.max_request_bytes);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(metrics_->NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  grpc_server_ = builder.BuildAndStart();
  if (grpc_server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve gRPC on ", options_.listen));
  }
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
  SetServing(true);
  // Orders a previous process left unfinished are driven on in the
  // background, instances under their tag adopted before any resubmission.
  for (const Order& order : *unfinished) driver_->Enqueue(order.order_id(), true);
  poller_->Start();
  sweeper_ = std::make_unique<OrphanSweeper>(store_.get(), backends_.get(), options_.config,
                                             metrics_->registry().get());
  sweeper_thread_ = std::thread([this] { SweepLoop(); });
  replica_thread_ = std::thread([this] { ReplicaLoop(); });
  if (arrears_ != nullptr) arrears_->Start();
  reconciler_->Start();
  return absl::OkStatus();
}

void Server::ReplicaLoop() {
  bool serving = true;
  while (!stop_replica_loop_.WaitForNotificationWithTimeout(options_.replica_check_interval)) {
    const absl::Status health = store_->CheckHealth();
    if (health.ok() != serving) {
      serving = health.ok();
      std::fprintf(stderr, "provisioner: store %s: %s\n",
                   serving ? "reachable again, SERVING" : "unreachable, NOT_SERVING",
                   health.ToString().c_str());
      SetApiServing(serving);
    }
    if (!leases_->shared()) continue;
    CheckClusterMetrics();  // also when the store is unreachable: then it stops
    if (!serving) continue;
    absl::StatusOr<std::vector<Order>> unfinished = workflow_->Unfinished();
    if (!unfinished.ok()) {
      std::fprintf(stderr, "provisioner: takeover scan: %s\n",
                   unfinished.status().ToString().c_str());
      continue;
    }
    for (const Order& order : *unfinished) driver_->Enqueue(order.order_id(), true);
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
    if (leases_->shared()) {
      absl::StatusOr<bool> mine = leases_->TryAcquire("orphan-sweep");
      if (!mine.ok()) {
        std::fprintf(stderr, "provisioner: orphan sweep: %s\n", mine.status().ToString().c_str());
      }
      if (!mine.ok() || !*mine) continue;  // another replica sweeps
    }
    absl::StatusOr<std::vector<Orphan>> orphans = sweeper_->SweepOnce();
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
  if (arrears_ != nullptr) arrears_->Stop();
  SetServing(false);
  if (service_ != nullptr) service_->StartDraining();
  if (group_service_ != nullptr) group_service_->StartDraining();
  if (autoscaler_ != nullptr) autoscaler_->StartDraining();
  // No new orders from groups; what they placed is in the store.
  if (reconciler_ != nullptr) reconciler_->Stop();
  if (hub_ != nullptr) {
    hub_->Close(WithReason(RetryLater("the server is shutting down; reconnect and "
                                      "resume from the last revision",
                                      absl::Seconds(1)),
                           "SERVER_DRAINING"));
  }
  if (pool_ != nullptr && !pool_->WaitIdle(options_.drain_timeout)) {
    std::fprintf(stderr, "provisioner: drain timeout: cancelling calls in flight\n");
  }
  // Cloud calls in flight finish (still NOT_SERVING and refusing calls);
  // queued orders stay ACCEPTED in the store for the next start.
  if (driver_ != nullptr) driver_->Stop();
  if (grpc_server_ != nullptr) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  // Probes see NOT_SERVING (not a refused connection) until the end.
  if (health_server_ != nullptr) {
    health_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  if (poller_ != nullptr) poller_->Stop();
  if (sweeper_thread_.joinable()) {
    stop_sweeping_.Notify();
    sweeper_thread_.join();
  }
  if (pool_ != nullptr) pool_->Stop();
  cluster_metrics_.reset();  // another replica exports the cluster's series
  exposer_.reset();
}

Server::~Server() { Shutdown(); }

}  // namespace cvm
