// Test support: a gtest fixture holding a whole node-group world on the fake
// backend and a FakeClock, driven by hand (no threads): the order and group
// stores, the workflow, the poller, the reconciler (which submits orders in
// the caller's thread) and the NodeGroupManager.
#ifndef CVM_PROVISIONER_SERVICE_NODE_GROUP_TEST_SUPPORT_H_
#define CVM_PROVISIONER_SERVICE_NODE_GROUP_TEST_SUPPORT_H_

#include <memory>
#include <string>

#include "backends/fake/fake_backend.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "service/node_group_manager.h"
#include "service/poller.h"
#include "service/workflow_test_support.h"
#include "store/memory_order_store.h"

namespace cvm {

class NodeGroupFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    provisioning::fake::v1::FakeBackendConfig fake;
    fake.mutable_pending_duration()->set_seconds(1);
    fake.mutable_public_ip_delay()->set_seconds(0);
    backends_ = *FakeBackendSet(fake, &clock_);
    fake_ = dynamic_cast<FakeBackend*>(*backends_->Get("fake"));
    workflow_ = std::make_unique<OrderWorkflow>(&orders_, backends_.get());
    poller_ = std::make_unique<Poller>(&orders_, backends_.get(), &clock_, Poller::Options());
    NodeGroupReconciler::Options options;
    options.clock = &clock_;
    reconciler_ = std::make_unique<NodeGroupReconciler>(
        &groups_, &orders_, workflow_.get(),
        [this](const std::string& id) { (void)workflow_->Submit(id, false); }, options);
    manager_ = std::make_unique<NodeGroupManager>(&groups_, &orders_, workflow_.get(),
                                                  reconciler_.get(), &clock_);
  }

  // A valid group "web" of `target` (max 5) pay-as-you-go instances.
  static provisioning::v1::NodeGroup Valid(int target) {
    provisioning::v1::NodeGroup group;
    group.set_group_id("web");
    *group.mutable_spec() = TestPurchase("x", 1).spec();
    group.mutable_spec()->mutable_internet()->set_max_bandwidth_out_mbps(10);
    group.mutable_spec()->mutable_internet()->set_charge_type(
        provisioning::v1::InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
    group.set_max_size(5);
    group.set_target_size(target);
    return group;
  }

  // Reconcile, let the instances come up and poll, three times; reconcile.
  void Settle() {
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(reconciler_->ReconcileAll().ok());
      clock_.Advance(absl::Seconds(2));
      ASSERT_TRUE(poller_->PollAll().ok());
    }
    ASSERT_TRUE(reconciler_->ReconcileAll().ok());
  }

  FakeClock clock_;
  MemoryOrderStore orders_{&clock_};
  MemoryNodeGroupStore groups_{&clock_};
  std::unique_ptr<BackendSet> backends_;
  FakeBackend* fake_ = nullptr;
  std::unique_ptr<OrderWorkflow> workflow_;
  std::unique_ptr<Poller> poller_;
  std::unique_ptr<NodeGroupReconciler> reconciler_;
  std::unique_ptr<NodeGroupManager> manager_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_NODE_GROUP_TEST_SUPPORT_H_
