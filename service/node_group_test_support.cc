#include "service/node_group_test_support.h"

#include <cstdlib>
#include <utility>

#include "common/status_macros.h"
#include "service/workflow_test_support.h"

namespace cvm {

NodeGroupWorld::NodeGroupWorld(provisioning::fake::v1::FakeBackendConfig fake) {
  if (!fake.has_pending_duration()) fake.mutable_pending_duration()->set_seconds(1);
  fake.mutable_public_ip_delay()->set_seconds(0);
  auto made = FakeBackendSet(fake, &clock);
  if (!made.ok()) std::abort();  // a test config the fake refuses
  backends = *std::move(made);
  workflow = std::make_unique<OrderWorkflow>(&orders, backends.get());
  poller = std::make_unique<Poller>(&orders, backends.get(), &clock, Poller::Options());
  NodeGroupReconciler::Options options;
  options.clock = &clock;
  reconciler = std::make_unique<NodeGroupReconciler>(
      &groups, &orders, workflow.get(),
      // A failure is recorded on the order, where the reconciler reads it.
      [this](const std::string& id) { (void)workflow->Submit(id, /*recovering=*/false); }, options);
  manager = std::make_unique<NodeGroupManager>(&groups, &orders, workflow.get(), reconciler.get(),
                                               &clock);
}

provisioning::v1::NodeGroup NodeGroupWorld::Group(const std::string& group_id, int target,
                                                  int max) {
  provisioning::v1::NodeGroup group;
  group.set_group_id(group_id);
  *group.mutable_spec() = TestPurchase("unused", 1).spec();
  group.mutable_spec()->mutable_internet()->set_max_bandwidth_out_mbps(10);
  group.mutable_spec()->mutable_internet()->set_charge_type(
      provisioning::v1::InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
  group.set_max_size(max);
  group.set_target_size(target);
  return group;
}

absl::Status NodeGroupWorld::Settle(int rounds) {
  for (int i = 0; i < rounds; ++i) {
    RETURN_IF_ERROR(reconciler->ReconcileAll());
    clock.Advance(absl::Seconds(2));
    RETURN_IF_ERROR(poller->PollAll());
  }
  return reconciler->ReconcileAll();
}

}  // namespace cvm
