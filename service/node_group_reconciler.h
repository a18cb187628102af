// Keeps every node group (proto/provisioning/v1/node_groups.proto) at its
// target, through ordinary orders:
//
// - Short of target (an instance lost or a larger target): one order for the
//   difference, never more than max_size - held. Its request_id
//   ("ng-<group_id>-<n>") is recorded on the group before the purchase, so a
//   crash between the two places the same order again (request_id makes it
//   once), and the next order waits until this one is bought or failed.
// - Above target: releases the surplus by the group's scale-in preference
//   (instances not running yet first; prepaid ones never), recording them on
//   the group (status.releasing) before asking (OrderWorkflow::
//   ReleaseInstances); a crash in between asks again.
// - Lost instances (spot reclaim, isolation, a launch failure, a release
//   outside the service) no longer count, so they are replaced; one still up
//   (isolated) is released. A failed order's instances (a partial fill) are
//   released with it and ordered again.
// - An order that fails (no capacity in any candidate, quota, budget) makes
//   the group unsatisfiable: it waits first_backoff, doubled per failure in a
//   row up to max_backoff, before ordering again, and says why in its status
//   and an UNSATISFIABLE event.
//
// Replicas: a group is reconciled only by the process holding its claim
// ("node-group/<tenant>/<group_id>", store/work_leases.h); the group record's
// read-modify-write (store/node_group_store.h) makes a second writer see the
// first's order. A SIGKILLed holder's claim lapses and another replica takes
// the group over at its next pass.
//
// Contract: thread-safe; Start() runs passes every `interval` on a thread
// (Wake() runs one soon), Stop() waits for the pass in progress.
#ifndef CVM_PROVISIONER_SERVICE_NODE_GROUP_RECONCILER_H_
#define CVM_PROVISIONER_SERVICE_NODE_GROUP_RECONCILER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "provisioning/v1/node_groups.pb.h"
#include "service/order_workflow.h"
#include "store/node_group_store.h"
#include "store/order_store.h"
#include "store/work_leases.h"

namespace cvm {

// The request_id of a group's n-th order: "ng-<group_id>-<n>".
std::string GroupOrderRequestId(const std::string& group_id, int64_t n);
// The group_id in a request_id of that form; nullopt for any other.
std::optional<std::string> GroupIdOfRequestId(const std::string& request_id);

class NodeGroupReconciler {
 public:
  struct Options {
    absl::Duration interval = absl::Seconds(1);
    absl::Duration first_backoff = absl::Seconds(10);
    absl::Duration max_backoff = absl::Minutes(5);
    Clock* clock = RealClock::Get();
    WorkLeases* leases = nullptr;  // null: every group is this process's
  };
  // Takes an accepted order to the cloud (the OrderDriver's Enqueue).
  using Submit = std::function<void(const std::string& order_id)>;

  NodeGroupReconciler(NodeGroupStore* groups, OrderStore* orders, OrderWorkflow* workflow,
                      Submit submit, Options options);
  ~NodeGroupReconciler();

  void Start();
  void Stop();
  // Runs a pass soon (after an API change).
  void Wake();

  // One pass over every group; the first error, after trying them all.
  absl::Status ReconcileAll();
  // One pass over one group (claim not checked: ReconcileAll does).
  absl::Status Reconcile(const std::string& tenant, const std::string& group_id);

 private:
  struct Observed;
  absl::StatusOr<Observed> Observe(const provisioning::v1::NodeGroup& group);
  // Orders or releases what `group` (as `seen`) needs, or ends its deletion.
  absl::Status Act(const provisioning::v1::NodeGroup& group, const Observed& seen);
  // Places the group's recorded pending order and records its id.
  absl::StatusOr<provisioning::v1::NodeGroup> PlacePending(provisioning::v1::NodeGroup group);
  // Records a new pending order of `count`, then places it.
  absl::Status PlaceOrder(const provisioning::v1::NodeGroup& group, int count);
  // Marks the group unsatisfiable (an order failed or was refused), with
  // its back-off.
  void Unsatisfied(provisioning::v1::NodeGroup& group, const std::string& reason,
                   const std::string& message, const std::string& order_id, int count,
                   absl::Time now) const;
  // Records `instance_ids` as releasing, then asks for them.
  absl::Status Release(const provisioning::v1::NodeGroup& group, const Observed& seen,
                       const std::vector<std::string>& instance_ids, const std::string& why);
  // Asks for the release of instances already recorded as releasing.
  absl::Status AskRelease(const Observed& seen, const std::vector<std::string>& instance_ids);
  // Writes counts, instances, pruned lists, unsatisfiable and events.
  absl::Status WriteStatus(const provisioning::v1::NodeGroup& group, const Observed& seen);
  void Loop();

  NodeGroupStore* const groups_;
  OrderStore* const orders_;
  OrderWorkflow* const workflow_;
  const Submit submit_;
  const Options options_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Appends `event` to the group's last events (at most 20 kept).
void AddGroupEvent(provisioning::v1::NodeGroup& group,
                   provisioning::v1::NodeGroupEvent::Kind kind, int count,
                   const std::string& message, absl::Time now);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_NODE_GROUP_RECONCILER_H_
