// A node group world for tests: the fake backend, memory stores, the order
// workflow, the poller, the reconciler (driven by hand, no thread) and the
// NodeGroupManager on a fake clock.
#ifndef CVM_PROVISIONER_SERVICE_NODE_GROUP_TEST_SUPPORT_H_
#define CVM_PROVISIONER_SERVICE_NODE_GROUP_TEST_SUPPORT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "plugins/backend_set.h"
#include "service/node_group_manager.h"
#include "service/node_group_reconciler.h"
#include "service/order_workflow.h"
#include "service/poller.h"
#include "store/memory_order_store.h"
#include "store/node_group_store.h"

namespace cvm {

class NodeGroupWorld {
 public:
  // Instances run `pending_duration` (default 1 s) after their purchase.
  explicit NodeGroupWorld(provisioning::fake::v1::FakeBackendConfig fake);

  // A valid group `group_id`: S5.MEDIUM2 in ap-guangzhou-3, sizes 0 / target
  // / max.
  static provisioning::v1::NodeGroup Group(const std::string& group_id, int target, int max = 5);

  // Reconcile, let the instances come up (the clock moves 2 s), reconcile
  // again: `rounds` times, then reconcile once more.
  absl::Status Settle(int rounds = 3);

  FakeClock clock;
  MemoryOrderStore orders{&clock};
  MemoryNodeGroupStore groups{&clock};
  std::unique_ptr<BackendSet> backends;
  std::unique_ptr<OrderWorkflow> workflow;
  std::unique_ptr<Poller> poller;
  std::unique_ptr<NodeGroupReconciler> reconciler;
  std::unique_ptr<NodeGroupManager> manager;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_NODE_GROUP_TEST_SUPPORT_H_
