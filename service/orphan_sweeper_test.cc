#include "service/orphan_sweeper.h"

#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/order_workflow.h"
#include "service/workflow_test_support.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::config::v1::OrphanPolicy;
using provisioning::config::v1::ServiceConfig;
using ::testing::SizeIs;

class OrphanSweeperTest : public ::testing::Test {
 protected:
  void Build(OrphanPolicy::Action action) {
    auto* backend = config_.add_backends();
    backend->set_name("fake");
    backend->set_plugin("fake");
    backend->mutable_config()->PackFrom(provisioning::fake::v1::FakeBackendConfig());
    config_.mutable_orphans()->set_action(action);
    config_.mutable_orphans()->add_regions("ap-guangzhou");
    BackendContext context;
    context.clock = &clock_;
    backends_ = *BackendSet::Create(config_, BackendRegistry::Global(), context);
    store_ = std::make_unique<MemoryOrderStore>(&clock_);
    sweeper_ = std::make_unique<OrphanSweeper>(store_.get(), backends_.get(), config_,
                                               &registry_);
  }

  // Buys `count` instances straight from the cloud, tagged for `order_id`.
  std::vector<std::string> BuyBehindOurBack(const std::string& order_id, int count) {
    CreateRequest request;
    request.spec.set_region("ap-guangzhou");
    request.spec.set_zone("ap-guangzhou-3");
    request.spec.set_instance_type("S5.MEDIUM2");
    request.spec.set_image_id("img-1");
    request.spec.mutable_pay_as_you_go();
    auto* tag = request.spec.add_tags();
    tag->set_key(kOrderTagKey);
    tag->set_value(order_id);
    request.count = count;
    request.order_id = order_id;
    request.client_token = "token-" + order_id;
    return *(*backends_->Get("fake"))->Create(request);
  }

  Backend* fake() { return *backends_->Get("fake"); }

  FakeClock clock_;
  ServiceConfig config_;
  prometheus::Registry registry_;
  std::unique_ptr<BackendSet> backends_;
  std::unique_ptr<MemoryOrderStore> store_;
  std::unique_ptr<OrphanSweeper> sweeper_;
};

TEST_F(OrphanSweeperTest, ReportsInstancesNoOrderHoldsAndTouchesNothing) {
  Build(OrphanPolicy::REPORT);
  const std::vector<std::string> ids = BuyBehindOurBack("ord-ghost", 2);
  auto found = sweeper_->SweepOnce();
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_THAT(*found, SizeIs(2));
  EXPECT_EQ((*found)[0].tagged_order_id, "ord-ghost");
  EXPECT_EQ((*found)[0].backend, "fake");
  EXPECT_EQ((*found)[0].region, "ap-guangzhou");
  EXPECT_THAT(*fake()->FindByOrder("ap-guangzhou", "ord-ghost"), SizeIs(2));
  EXPECT_THAT(*sweeper_->SweepOnce(), SizeIs(2));  // still there, still reported
}

TEST_F(OrphanSweeperTest, InstancesOfStoredOrdersAreNotOrphans) {
  Build(OrphanPolicy::TERMINATE);
  OrderWorkflow workflow(store_.get(), backends_.get());
  provisioning::v1::PurchaseRequest request;
  request.set_request_id("held");
  request.set_instance_count(3);
  auto* spec = request.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone("ap-guangzhou-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-1");
  spec->mutable_pay_as_you_go();
  auto order = PurchaseNow(workflow, request);
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_THAT(order->instances(), SizeIs(3));
  auto found = sweeper_->SweepOnce();
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(*found, SizeIs(0));
  EXPECT_THAT(*fake()->FindByOrder("ap-guangzhou", order->order_id()), SizeIs(3));
}

TEST_F(OrphanSweeperTest, AnOrderBeingSubmittedKeepsItsInstances) {
  Build(OrphanPolicy::TERMINATE);
  Order draft;
  draft.set_request_id("in-flight");
  draft.set_state(Order::SUBMITTED);
  draft.set_backend("fake");
  draft.mutable_spec()->set_region("ap-guangzhou");
  const std::string id = store_->CreateOrder(draft)->order.order_id();
  BuyBehindOurBack(id, 1);  // created, not yet recorded on the order
  auto found = sweeper_->SweepOnce();
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(*found, SizeIs(0));
  EXPECT_THAT(*fake()->FindByOrder("ap-guangzhou", id), SizeIs(1));
}

TEST_F(OrphanSweeperTest, TerminatePolicyReleasesThem) {
  Build(OrphanPolicy::TERMINATE);
  BuyBehindOurBack("ord-ghost", 3);
  ASSERT_THAT(*sweeper_->SweepOnce(), SizeIs(3));
  EXPECT_THAT(*fake()->FindByOrder("ap-guangzhou", "ord-ghost"), SizeIs(0));
  EXPECT_THAT(*sweeper_->SweepOnce(), SizeIs(0));
}

TEST_F(OrphanSweeperTest, AdoptPolicyRecordsEachInAnOrderOnce) {
  Build(OrphanPolicy::ADOPT);
  const std::vector<std::string> ids = BuyBehindOurBack("ord-ghost", 1);
  ASSERT_THAT(*sweeper_->SweepOnce(), SizeIs(1));
  auto adopted = store_->FindByRequestId("", "orphan:" + ids[0]);
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  EXPECT_EQ(adopted->state(), Order::PROVISIONING);
  ASSERT_THAT(adopted->instances(), SizeIs(1));
  EXPECT_EQ(adopted->instances(0).instance_id(), ids[0]);
  EXPECT_EQ(adopted->backend(), "fake");
  EXPECT_THAT(*sweeper_->SweepOnce(), SizeIs(0));  // held now
  EXPECT_THAT(*fake()->FindByOrder("ap-guangzhou", "ord-ghost"), SizeIs(1));
}

TEST_F(OrphanSweeperTest, MetricsCountWhatWasFoundAndHandled) {
  Build(OrphanPolicy::REPORT);
  BuyBehindOurBack("ord-ghost", 2);
  ASSERT_TRUE(sweeper_->SweepOnce().ok());
  double found = -1, handled = -1;
  for (const auto& family : registry_.Collect()) {
    if (family.name == "provisioner_orphan_instances") found = family.metric[0].gauge.value;
    if (family.name == "provisioner_orphans_handled_total") {
      handled = family.metric[0].counter.value;
    }
  }
  EXPECT_EQ(found, 2);
  EXPECT_EQ(handled, 2);
}

}  // namespace
}  // namespace cvm
