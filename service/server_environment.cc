#include "service/server_environment.h"

#include <cstdio>

#include "common/proto_time.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "plugins/policies/store_order_ledger.h"
#include "service/change_recording_store.h"
#include "store/open_store.h"

namespace cvm {
namespace {

absl::Status CheckOptions(const ServerOptions& options) {
  if (options.poll_fast_interval <= absl::ZeroDuration() ||
      options.poll_slow_interval < options.poll_fast_interval) {
    return InvalidFields(
        {{"poll_fast_interval", "must be positive and at most poll_slow_interval"}});
  }
  if (options.prepaid_release_grace < absl::ZeroDuration()) {
    return InvalidFields({{"prepaid_release_grace", "must not be negative"}});
  }
  if (options.replica_check_interval <= absl::ZeroDuration()) {
    return InvalidFields({{"replica_check_interval", "must be positive"}});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerEnvironment>> ServerEnvironment::Create(
    const ServerOptions& options, std::vector<ServiceMetrics::Method> methods) {
  std::unique_ptr<ServerEnvironment> env(new ServerEnvironment);
  RETURN_IF_ERROR(env->Build(options, std::move(methods)));
  return env;
}

ServerEnvironment::~ServerEnvironment() {
  // No listener call may run once the poller is gone (order_store.h rule 5).
  if (store != nullptr) store->SetListener(nullptr);
}

absl::Status ServerEnvironment::Build(const ServerOptions& options,
                                      std::vector<ServiceMetrics::Method> methods) {
  // --- Watch and metrics wiring (1/2): the hub and the metrics families ---
  WatchHub::Options hub_options;
  hub_options.progress_interval = options.watch_progress_interval;
  hub_options.clock = options.clock;
  hub = std::make_unique<WatchHub>(hub_options);
  ASSIGN_OR_RETURN(metrics, ServiceMetrics::Create(std::move(methods)));

  ASSIGN_OR_RETURN(auth, Authenticator::Create(options.config.auth()));
  if (auth->plaintext()) {
    std::fprintf(stderr,
                 "provisioner: WARNING: serving plaintext gRPC on %s (auth.insecure_plaintext): "
                 "traffic and any bearer tokens are unencrypted\n",
                 options.listen.c_str());
  }
  if (!options.audit_log.empty()) {
    ASSIGN_OR_RETURN(audit, AuditLog::Open(options.audit_log, options.clock));
  }
  RETURN_IF_ERROR(CheckOptions(options));
  ASSIGN_OR_RETURN(OpenedStore opened, OpenStore(options.store, options.clock));
  // Every revision carries what it changed (Order.last_changes).
  store = std::make_unique<ChangeRecordingStore>(std::move(opened.orders));
  leases = std::move(opened.leases);
  rate_slots = std::move(opened.rate_slots);
  verdicts = std::move(opened.verdicts);
  node_group_store = std::move(opened.node_groups);

  BackendContext context;
  context.clock = options.clock;
  context.registry = metrics->registry().get();
  context.rate_slots = rate_slots.get();
  ASSIGN_OR_RETURN(backends,
                   BackendSet::Create(options.config, BackendRegistry::Global(), context));
  ledger = std::make_unique<StoreOrderLedger>(store.get());
  PolicyContext policy_context;
  policy_context.ledger = ledger.get();
  policy_context.backends = backends.get();
  policy_context.clock = options.clock;
  ASSIGN_OR_RETURN(policies,
                   PolicySet::Create(options.config, PolicyRegistry::Global(), policy_context));
  // Replicas admit one tenant's purchases one at a time, all of them.
  if (shared_leases() != nullptr) policies->ShareAdmissions(shared_leases());
  workflow = std::make_unique<OrderWorkflow>(store.get(), backends.get(), policies.get());
  RETURN_IF_ERROR(BuildGates(options));
  Poller::Options polling;
  polling.fast_interval = options.poll_fast_interval;
  polling.slow_interval = options.poll_slow_interval;
  polling.prepaid_release_grace = options.prepaid_release_grace;
  polling.leases = shared_leases();
  poller = std::make_unique<Poller>(store.get(), backends.get(), options.clock, polling);
  ASSIGN_OR_RETURN(unfinished, workflow->Unfinished());

  // --- Watch and metrics wiring (2/2): every store event to them ---
  // The gauges start from what the store holds (a restart keeps them right).
  ASSIGN_OR_RETURN(OrderSnapshot counted, store->Snapshot(""));
  metrics->StartOrderCounts(counted);
  store->SetListener([this](const OrderEvent& event) {
    metrics->RecordOrderEvent(event);
    poller->Notify(event);
    hub->Publish(event);
  });

  pool = std::make_unique<ThreadPool>(options.worker_threads);
  OrderDriver::Options driver_options;
  driver_options.workers = options.submit_threads;
  driver_options.leases = shared_leases();
  driver = std::make_unique<OrderDriver>(
      workflow.get(), driver_options,
      [this](const absl::Status& outcome) { metrics->RecordPurchaseOutcome(outcome); });
  sweeper = std::make_unique<OrphanSweeper>(store.get(), backends.get(), options.config,
                                            metrics->registry().get());
  // Node groups: kept capacity, through the same orders.
  NodeGroupWiring::Deps group_deps;
  group_deps.groups = node_group_store.get();
  group_deps.orders = store.get();
  group_deps.workflow = workflow.get();
  group_deps.driver = driver.get();
  group_deps.backends = backends.get();
  group_deps.auth = auth.get();
  group_deps.pool = pool.get();
  group_deps.clock = options.clock;
  group_deps.shared_leases = shared_leases();
  group_deps.interval = options.node_group_interval;
  group_deps.first_backoff = options.node_group_backoff;
  node_groups = NodeGroupWiring::Create(group_deps);

  ProvisioningService::Deps deps;
  deps.workflow = workflow.get();
  deps.driver = driver.get();
  deps.auth = auth.get();
  deps.audit = audit.get();
  deps.groups = node_groups->manager.get();
  deps.store = store.get();
  deps.pool = pool.get();
  deps.metrics = metrics.get();
  deps.watch.store = store.get();
  deps.watch.hub = hub.get();
  deps.watch.max_buffered = options.max_watch_buffer;
  service = std::make_unique<ProvisioningService>(deps);
  return absl::OkStatus();
}

absl::Status ServerEnvironment::BuildGates(const ServerOptions& options) {
  if (!options.config.arrears_guard().disabled()) {
    ASSIGN_OR_RETURN(ArrearsGuard::Options guarding,
                     ArrearsGuard::OptionsFrom(options.config.arrears_guard()));
    guarding.clock = options.clock;
    // The account's figures are the same on every replica: one exports them;
    // check failures are this replica's own.
    guarding.registry = metrics->registry().get();
    guarding.account_registry = metrics->cluster_registry().get();
    guarding.publish = [this](const provisioning::v1::AccountForecast& forecast,
                              std::vector<std::string> tenants) {
      hub->PublishAccount(forecast, std::move(tenants));
    };
    arrears = std::make_unique<ArrearsGuard>(store.get(), backends.get(), options.config,
                                             std::move(guarding));
    workflow->SetPurchaseGate(
        [this](const RoutedBackend& routed, const provisioning::v1::PurchaseRequest& request,
               absl::Time deadline) { return arrears->CheckPurchase(routed, request, deadline); });
  }
  const provisioning::config::v1::CapacityMemoryConfig& memory = options.config.capacity_memory();
  if (!memory.disabled()) {
    CapacityMemory::Options remembering;
    remembering.ttl = DurationOr(memory.verdict_ttl(), memory.has_verdict_ttl(), remembering.ttl);
    if (remembering.ttl < absl::Seconds(1) || remembering.ttl > absl::Hours(1)) {
      return InvalidFields({{"capacity_memory.verdict_ttl", "must be 1s to 1h"}});
    }
    remembering.clock = options.clock;
    remembering.registry = metrics->registry().get();
    capacity = std::make_unique<CapacityMemory>(verdicts.get(), remembering);
    workflow->SetCapacityMemory(capacity.get());
  }
  return absl::OkStatus();
}

void ServerEnvironment::StartBackgroundWork() {
  for (const provisioning::v1::Order& order : unfinished) {
    driver->Enqueue(order.order_id(), /*recovering=*/true);
  }
  poller->Start();
  if (arrears != nullptr) arrears->Start();
  node_groups->reconciler->Start();
}

}  // namespace cvm
