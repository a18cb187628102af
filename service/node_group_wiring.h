// The node groups and the Cluster Autoscaler's externalgrpc provider on them,
// wired from what the server environment already holds: the reconciler that
// keeps each group at its target through ordinary orders, the manager that
// the RPCs go through, and the two gRPC services (NodeGroups and the
// CloudProvider).
//
//   std::unique_ptr<NodeGroupWiring> groups = NodeGroupWiring::Create(deps);
//   builder.RegisterService(groups->service.get());
//   builder.RegisterService(groups->autoscaler.get());
//   groups->reconciler->Start();
//
// Contract: Create() only constructs (nothing runs until reconciler->Start());
// everything in `deps` outlives the result. Members are destroyed in reverse
// order: the services before the manager before the reconciler.
#ifndef CVM_PROVISIONER_SERVICE_NODE_GROUP_WIRING_H_
#define CVM_PROVISIONER_SERVICE_NODE_GROUP_WIRING_H_

#include <memory>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/thread_pool.h"
#include "plugins/backend_set.h"
#include "service/authenticator.h"
#include "service/autoscaler_provider.h"
#include "service/node_group_manager.h"
#include "service/node_group_reconciler.h"
#include "service/node_groups_service.h"
#include "service/order_driver.h"
#include "service/order_workflow.h"
#include "store/node_group_store.h"
#include "store/order_store.h"
#include "store/work_leases.h"

namespace cvm {

struct NodeGroupWiring {
  struct Deps {
    NodeGroupStore* groups = nullptr;
    OrderStore* orders = nullptr;
    OrderWorkflow* workflow = nullptr;
    // Takes the orders the reconciler places to the cloud.
    OrderDriver* driver = nullptr;
    const BackendSet* backends = nullptr;
    const Authenticator* auth = nullptr;
    ThreadPool* pool = nullptr;
    Clock* clock = RealClock::Get();
    // Shared by replicas: one reconciles each group; null: this process alone.
    WorkLeases* shared_leases = nullptr;
    // NodeGroupReconciler::Options::interval and first_backoff.
    absl::Duration interval = absl::Seconds(1);
    absl::Duration first_backoff = absl::Seconds(10);
  };

  static std::unique_ptr<NodeGroupWiring> Create(const Deps& deps);

  std::unique_ptr<NodeGroupReconciler> reconciler;
  std::unique_ptr<NodeGroupManager> manager;
  std::unique_ptr<NodeGroupsService> service;
  // Cluster Autoscaler's externalgrpc provider, on the same groups.
  std::unique_ptr<AutoscalerProvider> autoscaler;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_NODE_GROUP_WIRING_H_
