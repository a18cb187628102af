#include "service/node_group_wiring.h"

namespace cvm {

std::unique_ptr<NodeGroupWiring> NodeGroupWiring::Create(const Deps& deps) {
  auto wiring = std::make_unique<NodeGroupWiring>();
  NodeGroupReconciler::Options reconciling;
  reconciling.interval = deps.interval;
  reconciling.first_backoff = deps.first_backoff;
  reconciling.clock = deps.clock;
  reconciling.leases = deps.shared_leases;
  OrderDriver* const driver = deps.driver;
  wiring->reconciler = std::make_unique<NodeGroupReconciler>(
      deps.groups, deps.orders, deps.workflow,
      [driver](const std::string& order_id) { driver->Enqueue(order_id, /*recovering=*/false); },
      reconciling);
  wiring->manager = std::make_unique<NodeGroupManager>(deps.groups, deps.orders, deps.workflow,
                                                       wiring->reconciler.get(), deps.clock);
  NodeGroupsService::Deps group_deps;
  group_deps.manager = wiring->manager.get();
  group_deps.pool = deps.pool;
  group_deps.auth = deps.auth;
  wiring->service = std::make_unique<NodeGroupsService>(group_deps);
  AutoscalerProvider::Deps autoscaler_deps;
  autoscaler_deps.manager = wiring->manager.get();
  autoscaler_deps.workflow = deps.workflow;
  autoscaler_deps.backends = deps.backends;
  autoscaler_deps.auth = deps.auth;
  autoscaler_deps.pool = deps.pool;
  wiring->autoscaler = std::make_unique<AutoscalerProvider>(autoscaler_deps);
  return wiring;
}

}  // namespace cvm
