#include "service/order_driver.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "service/workflow_test_support.h"
#include "store/fake_work_leases.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::fake::v1::Failure;
using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::PurchaseRequest;

PurchaseRequest Purchase(const std::string& request_id) {
  PurchaseRequest r = TestPurchase(request_id);
  r.mutable_spec()->clear_internet();
  return r;
}

class OrderDriverTest : public ::testing::Test {
 protected:
  void Build(FakeBackendConfig fake, int workers = 4, WorkLeases* leases = nullptr) {
    auto backends = FakeBackendSet(fake, &clock_);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = *std::move(backends);
    store_ = std::make_unique<MemoryOrderStore>(&clock_);
    workflow_ = std::make_unique<OrderWorkflow>(store_.get(), backends_.get());
    OrderDriver::Options options;
    options.workers = workers;
    options.first_retry = absl::Milliseconds(1);
    options.max_retry = absl::Milliseconds(5);
    options.leases = leases;
    driver_ = std::make_unique<OrderDriver>(workflow_.get(), options,
                                            [this](const absl::Status& status) {
                                              absl::MutexLock lock(&mu_);
                                              outcomes_.push_back(status);
                                            });
  }

  // Accepts and enqueues `n` orders; returns their ids.
  std::vector<std::string> AcceptMany(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto accepted = workflow_->Accept(Purchase(absl::StrCat("r", i)));
      EXPECT_TRUE(accepted.ok()) << accepted.status();
      if (!accepted.ok()) continue;
      EXPECT_EQ(accepted->order.state(), Order::ACCEPTED);
      ids.push_back(accepted->order.order_id());
      EXPECT_TRUE(driver_->Enqueue(ids.back(), /*recovering=*/false));
    }
    return ids;
  }

  std::vector<absl::Status> Outcomes() {
    absl::MutexLock lock(&mu_);
    return outcomes_;
  }

  FakeClock clock_;
  std::unique_ptr<BackendSet> backends_;
  std::unique_ptr<MemoryOrderStore> store_;
  std::unique_ptr<OrderWorkflow> workflow_;
  std::unique_ptr<OrderDriver> driver_;
  absl::Mutex mu_;
  std::vector<absl::Status> outcomes_;
};

TEST_F(OrderDriverTest, AnOrderAnotherReplicaHoldsIsLeftToItAndTheRestAreDrivenUnderClaim) {
  FakeWorkLeases leases;
  {
    absl::MutexLock lock(&leases.mu);
    leases.failures = 3;  // the first attempts wait for the database
  }
  Build(FakeBackendConfig(), 2, &leases);
  auto elsewhere = workflow_->Accept(Purchase("elsewhere"));
  ASSERT_TRUE(elsewhere.ok());
  {
    absl::MutexLock lock(&leases.mu);
    leases.others.insert("order/" + elsewhere->order.order_id());
  }
  ASSERT_TRUE(driver_->Enqueue(elsewhere->order.order_id(), false));
  const std::vector<std::string> ids = AcceptMany(5);
  // Queued twice (a takeover scan finding it): driven once.
  ASSERT_TRUE(driver_->Enqueue(ids[0], true));
  ASSERT_TRUE(driver_->WaitIdle(absl::Seconds(30)));
  EXPECT_EQ(store_->GetOrder(elsewhere->order.order_id())->state(), Order::ACCEPTED);
  for (const std::string& id : ids) {
    EXPECT_EQ(store_->GetOrder(id)->state(), Order::PROVISIONING) << id;
  }
  EXPECT_EQ(Outcomes().size(), ids.size());
  absl::MutexLock lock(&leases.mu);
  EXPECT_TRUE(leases.held.empty());  // each claim given back once its order left the driver
  std::set<std::string> released(leases.released.begin(), leases.released.end());
  std::set<std::string> driven;
  for (const std::string& id : ids) driven.insert("order/" + id);
  EXPECT_EQ(released, driven);  // never the order the other replica holds
  EXPECT_EQ(leases.failures, 0);
}

TEST_F(OrderDriverTest, AnOrderFinishedElsewhereBeforeTheClaimIsNotSubmittedAgain) {
  FakeWorkLeases leases;
  Build(FakeBackendConfig(), 1, &leases);
  auto accepted = workflow_->Accept(Purchase("done-elsewhere"));
  ASSERT_TRUE(accepted.ok());
  const std::string id = accepted->order.order_id();
  ASSERT_TRUE(store_->UpdateOrder(id, [](Order& o) {
    o.set_state(Order::PROVISIONING);
    o.add_instances()->set_instance_id("ins-from-another-replica");
    return absl::OkStatus();
  }).ok());
  ASSERT_TRUE(driver_->Enqueue(id, true));
  ASSERT_TRUE(driver_->WaitIdle(absl::Seconds(30)));
  Order order = *store_->GetOrder(id);
  ASSERT_EQ(order.instances_size(), 1);
  EXPECT_EQ(order.instances(0).instance_id(), "ins-from-another-replica");
  EXPECT_TRUE(Outcomes().empty());  // counted by the replica that drove it
}

TEST_F(OrderDriverTest, AcceptedOrdersReachTheCloud) {
  Build(FakeBackendConfig());
  const std::vector<std::string> ids = AcceptMany(20);
  ASSERT_TRUE(driver_->WaitIdle(absl::Seconds(30)));
  for (const std::string& id : ids) {
    Order order = *store_->GetOrder(id);
    EXPECT_EQ(order.state(), Order::PROVISIONING) << id;
    EXPECT_EQ(order.instances_size(), 1) << id;
  }
  const std::vector<absl::Status> outcomes = Outcomes();
  ASSERT_EQ(outcomes.size(), 20u);
  for (const absl::Status& status : outcomes) EXPECT_TRUE(status.ok()) << status;
}

TEST_F(OrderDriverTest, ErrorsThatMayPassAreRetriedWithoutBuyingTwice) {
  FakeBackendConfig fake;
  Failure* failure = fake.add_failures();
  failure->set_operation(Failure::CREATE);
  failure->set_code(static_cast<int>(absl::StatusCode::kUnavailable));
  failure->set_probability(0.6);
  failure = fake.add_failures();
  failure->set_operation(Failure::PREFLIGHT);
  failure->set_code(static_cast<int>(absl::StatusCode::kUnavailable));
  failure->set_probability(0.3);
  Build(fake);
  const std::vector<std::string> ids = AcceptMany(10);
  ASSERT_TRUE(driver_->WaitIdle(absl::Seconds(60)));
  for (const std::string& id : ids) {
    Order order = *store_->GetOrder(id);
    EXPECT_EQ(order.state(), Order::PROVISIONING) << id;
    EXPECT_EQ(order.instances_size(), 1) << id;
  }
  EXPECT_EQ(Outcomes().size(), 10u);  // one outcome per order, however many tries
}

TEST_F(OrderDriverTest, ADefinitiveRefusalFailsTheOrderOnce) {
  FakeBackendConfig fake;
  Failure* failure = fake.add_failures();
  failure->set_operation(Failure::PREFLIGHT);
  failure->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
  failure->set_reason("ZONE_SOLD_OUT");
  Build(fake);
  const std::vector<std::string> ids = AcceptMany(1);
  ASSERT_TRUE(driver_->WaitIdle(absl::Seconds(30)));
  Order order = *store_->GetOrder(ids[0]);
  EXPECT_EQ(order.state(), Order::FAILED);
  EXPECT_EQ(order.failure().reason(), "ZONE_SOLD_OUT");
  const std::vector<absl::Status> outcomes = Outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(OrderDriverTest, StopLeavesQueuedOrdersUnfinishedInTheStore) {
  FakeBackendConfig fake;
  fake.mutable_create_latency()->set_nanos(20 * 1000 * 1000);
  Build(fake, /*workers=*/1);
  const std::vector<std::string> ids = AcceptMany(20);
  driver_->Stop();
  EXPECT_FALSE(driver_->Enqueue("ord-late", false));
  int submitted = 0, unfinished = 0;
  for (const std::string& id : ids) {
    const Order::State state = store_->GetOrder(id)->state();
    if (state == Order::PROVISIONING) ++submitted;
    if (state == Order::ACCEPTED) ++unfinished;
  }
  EXPECT_EQ(submitted + unfinished, 20);  // nothing half-done, nothing lost
  EXPECT_GT(unfinished, 0);
  EXPECT_EQ(workflow_->Unfinished()->size(), static_cast<size_t>(unfinished));
}

}  // namespace
}  // namespace cvm
