#include "service/order_workflow.h"

#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/poller.h"
#include "service/workflow_test_support.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::fake::v1::Failure;
using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::Instance;
using provisioning::v1::PurchaseRequest;
using ::testing::ElementsAre;
using ::testing::SizeIs;

PurchaseRequest Purchase(const std::string& request_id, int count,
                         const std::string& zone = "ap-guangzhou-3") {
  return TestPurchase(request_id, count, zone);
}

class OrderWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(FakeBackendConfig()); }

  void Build(FakeBackendConfig fake) {
    fake.mutable_pending_duration()->set_seconds(2);
    fake.mutable_public_ip_delay()->set_seconds(1);
    fake.add_sold_out_zones("ap-guangzhou-1");
    auto backends = FakeBackendSet(fake, &clock_);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = *std::move(backends);
    store_ = std::make_unique<MemoryOrderStore>(&clock_);
    store_->SetListener([this](const OrderEvent& e) {
      absl::MutexLock lock(&mu_);
      states_.push_back(e.order.state());
    });
    workflow_ = std::make_unique<OrderWorkflow>(store_.get(), backends_.get());
    poller_ = std::make_unique<Poller>(store_.get(), backends_.get(), &clock_,
                                       Poller::Options());
  }

  std::vector<Order::State> States() {
    absl::MutexLock lock(&mu_);
    return states_;
  }

  FakeClock clock_;
  std::unique_ptr<BackendSet> backends_;
  std::unique_ptr<MemoryOrderStore> store_;
  std::unique_ptr<OrderWorkflow> workflow_;
  std::unique_ptr<Poller> poller_;
  absl::Mutex mu_;
  std::vector<Order::State> states_;
};

TEST_F(OrderWorkflowTest, PurchaseWalksEveryStateThenPollingActivates) {
  auto order = PurchaseNow(*workflow_, Purchase("r1", 2));
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state(), Order::PROVISIONING);
  ASSERT_THAT(order->instances(), SizeIs(2));
  EXPECT_EQ(order->backend(), "fake");
  EXPECT_THAT(States(), ElementsAre(Order::ACCEPTED, Order::CHECKING, Order::SUBMITTED,
                                    Order::PROVISIONING));

  ASSERT_TRUE(poller_->PollAll().ok());
  EXPECT_EQ(store_->GetOrder(order->order_id())->state(), Order::PROVISIONING);
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(poller_->PollAll().ok());
  Order running = *store_->GetOrder(order->order_id());
  EXPECT_EQ(running.state(), Order::PROVISIONING);  // no public IP yet
  EXPECT_EQ(running.instances(0).state(), Instance::RUNNING);
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(poller_->PollAll().ok());
  Order active = *store_->GetOrder(order->order_id());
  EXPECT_EQ(active.state(), Order::ACTIVE);
  for (const Instance& i : active.instances()) EXPECT_THAT(i.public_ips(), SizeIs(1));
}

TEST_F(OrderWorkflowTest, SameRequestIdIsIdempotentAndADifferentSpecIsRejected) {
  auto first = PurchaseNow(*workflow_, Purchase("same", 1));
  auto again = PurchaseNow(*workflow_, Purchase("same", 1));
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->order_id(), again->order_id());
  EXPECT_EQ(first->instances(0).instance_id(), again->instances(0).instance_id());
  absl::Status other = PurchaseNow(*workflow_, Purchase("same", 2)).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorReason(other), "REQUEST_ID_REUSED");
  EXPECT_THAT(store_->ListOrders(ListQuery())->orders, SizeIs(1));
}

TEST_F(OrderWorkflowTest, PreflightFailureIsStoredAndReturnedToEveryRetry) {
  absl::Status status = PurchaseNow(*workflow_, Purchase("sold", 1, "ap-guangzhou-1")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(status), "ZONE_SOLD_OUT");
  Order stored = *store_->FindByRequestId("", "sold");
  EXPECT_EQ(stored.state(), Order::FAILED);
  EXPECT_EQ(stored.failure().reason(), "ZONE_SOLD_OUT");
  EXPECT_THAT(stored.instances(), SizeIs(0));
  absl::Status retry = PurchaseNow(*workflow_, Purchase("sold", 1, "ap-guangzhou-1")).status();
  EXPECT_EQ(retry.code(), status.code());
  EXPECT_EQ(ErrorReason(retry), "ZONE_SOLD_OUT");
  // The check's own details are kept on the order and returned again.
  ASSERT_THAT(stored.failure().details(), SizeIs(1));
  auto original = GetDetail<google::rpc::PreconditionFailure>(status);
  auto replayed = GetDetail<google::rpc::PreconditionFailure>(retry);
  ASSERT_TRUE(original.has_value());
  ASSERT_TRUE(replayed.has_value());
  EXPECT_EQ(replayed->SerializeAsString(), original->SerializeAsString());
  EXPECT_EQ(replayed->violations(0).type(), "ZONE_SOLD_OUT");
}

TEST_F(OrderWorkflowTest, DryRunStoresNothing) {
  PurchaseRequest request = Purchase("dry", 3);
  request.set_dry_run(true);
  auto preview = PurchaseNow(*workflow_, request);
  ASSERT_TRUE(preview.ok()) << preview.status();
  EXPECT_EQ(preview->backend(), "fake");
  EXPECT_TRUE(preview->name().empty());
  EXPECT_THAT(store_->ListOrders(ListQuery())->orders, SizeIs(0));
  request.mutable_spec()->set_zone("ap-guangzhou-1");
  EXPECT_EQ(PurchaseNow(*workflow_, request).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(OrderWorkflowTest, TheGateRefusesNewPurchasesAndDryRunsButNotRetriesOfStoredOnes) {
  ASSERT_TRUE(PurchaseNow(*workflow_, Purchase("before", 1)).ok());
  std::vector<std::string> seen;
  workflow_->SetPurchaseGate(
      [&seen](const RoutedBackend& routed, const PurchaseRequest& r, absl::Time /*deadline*/) {
        seen.push_back(routed.name + "/" + r.request_id());
        return WithReason(absl::FailedPreconditionError("closed"), "GATE_CLOSED");
      });
  absl::Status refused = PurchaseNow(*workflow_, Purchase("after", 1)).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(refused), "GATE_CLOSED");
  PurchaseRequest dry = Purchase("dry", 1);
  dry.set_dry_run(true);
  EXPECT_EQ(ErrorReason(PurchaseNow(*workflow_, dry).status()), "GATE_CLOSED");
  auto retry = PurchaseNow(*workflow_, Purchase("before", 1));
  EXPECT_TRUE(retry.ok()) << retry.status();
  EXPECT_THAT(seen, ElementsAre("fake/after", "fake/dry", "fake/before"));
  EXPECT_THAT(store_->ListOrders(ListQuery())->orders, SizeIs(1));
}

TEST_F(OrderWorkflowTest, TerminateReleasesAndIsIdempotent) {
  auto order = PurchaseNow(*workflow_, Purchase("t", 2));
  ASSERT_TRUE(order.ok());
  auto terminating = TerminateById(*workflow_, order->order_id());
  ASSERT_TRUE(terminating.ok()) << terminating.status();
  EXPECT_EQ(terminating->state(), Order::TERMINATING);
  ASSERT_TRUE(poller_->PollAll().ok());
  Order done = *store_->GetOrder(order->order_id());
  EXPECT_EQ(done.state(), Order::TERMINATED);
  auto again = TerminateById(*workflow_, order->order_id());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->revision(), done.revision());
  EXPECT_EQ(TerminateById(*workflow_, "ord-unknown").status().code(), absl::StatusCode::kNotFound);
}

// Prepaid: only the Terminate that records TERMINATING asks the cloud; a
// second one racing it (here: the intent recorded by another replica) must
// not, or it would destroy instances the first returned to the recycle bin.
TEST_F(OrderWorkflowTest, APrepaidReleaseIsAskedOnlyByTheCallThatRecordedIt) {
  PurchaseRequest request = Purchase("prepaid", 2);
  request.mutable_spec()->mutable_prepaid()->set_period_months(1);
  auto order = PurchaseNow(*workflow_, request);
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_TRUE(store_
                  ->UpdateOrder(order->order_id(),
                                [](Order& o) {
                                  o.set_state(Order::TERMINATING);
                                  return absl::OkStatus();
                                })
                  .ok());
  auto again = TerminateById(*workflow_, order->order_id());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state(), Order::TERMINATING);
  Backend* fake = *backends_->Get("fake");
  std::vector<std::string> ids;
  for (const auto& instance : again->instances()) ids.push_back(instance.instance_id());
  auto statuses = fake->Describe(request.spec().region(), ids);
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  ASSERT_THAT(*statuses, SizeIs(2));
  for (const InstanceStatus& status : *statuses) {
    EXPECT_NE(status.state, provisioning::v1::Instance::TERMINATED) << status.instance_id;
  }
}

TEST_F(OrderWorkflowTest, CreateUnavailableLeavesTheOrderSubmittedForRecovery) {
  FakeBackendConfig fake;
  Failure* failure = fake.add_failures();
  failure->set_operation(Failure::CREATE);
  failure->set_code(static_cast<int>(absl::StatusCode::kUnavailable));
  failure->set_reason("CLOUD_UNAVAILABLE");
  Build(fake);
  absl::Status status = PurchaseNow(*workflow_, Purchase("down", 1)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  // The cloud may have bought it: never FAILED, submitted again later.
  Order stored = *store_->FindByRequestId("", "down");
  EXPECT_EQ(stored.state(), Order::SUBMITTED);
  EXPECT_EQ(workflow_->Submit(stored.order_id(), /*recovering=*/true).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->GetOrder(stored.order_id())->state(), Order::SUBMITTED);
}

TEST_F(OrderWorkflowTest, PreflightUnavailableLeavesTheOrderChecking) {
  FakeBackendConfig fake;
  Failure* failure = fake.add_failures();
  failure->set_operation(Failure::PREFLIGHT);
  failure->set_code(static_cast<int>(absl::StatusCode::kUnavailable));
  Build(fake);
  EXPECT_EQ(PurchaseNow(*workflow_, Purchase("flaky", 1)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->FindByRequestId("", "flaky")->state(), Order::CHECKING);
}

TEST_F(OrderWorkflowTest, CreateRefusalIsRecorded) {
  FakeBackendConfig fake;
  Failure* failure = fake.add_failures();
  failure->set_operation(Failure::CREATE);
  failure->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
  failure->set_reason("INSUFFICIENT_BALANCE");
  failure->set_cloud_error_code("FailedOperation.InsufficientBalance");
  Build(fake);
  absl::Status status = PurchaseNow(*workflow_, Purchase("broke", 1)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  Order stored = *store_->FindByRequestId("", "broke");
  EXPECT_EQ(stored.state(), Order::FAILED);
  EXPECT_EQ(stored.failure().reason(), "INSUFFICIENT_BALANCE");
  EXPECT_EQ(stored.failure().cloud_error_code(), "FailedOperation.InsufficientBalance");
}

TEST_F(OrderWorkflowTest, AcceptStoresWithoutCallingTheCloud) {
  FakeBackendConfig fake;
  Failure* failure = fake.add_failures();
  failure->set_operation(Failure::PREFLIGHT);
  failure->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
  Build(fake);
  auto accepted = workflow_->Accept(Purchase("later", 2));
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(accepted->created);
  EXPECT_EQ(accepted->order.state(), Order::ACCEPTED);
  auto again = workflow_->Accept(Purchase("later", 2));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->order.order_id(), accepted->order.order_id());
  // Submitting runs pre-flight; its refusal fails the order, and a retry of
  // the request gets that failure.
  EXPECT_EQ(workflow_->Submit(accepted->order.order_id(), false).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(workflow_->Accept(Purchase("later", 2)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(OrderWorkflowTest, LaunchFailureFailsTheOrderAfterPolling) {
  FakeBackendConfig fake;
  fake.add_failures()->set_operation(Failure::LAUNCH);
  Build(fake);
  auto order = PurchaseNow(*workflow_, Purchase("launch", 1));
  ASSERT_TRUE(order.ok());
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(poller_->PollAll().ok());
  Order failed = *store_->GetOrder(order->order_id());
  EXPECT_EQ(failed.state(), Order::FAILED);
  EXPECT_EQ(failed.failure().reason(), "LAUNCH_FAILED");
  EXPECT_EQ(failed.instances(0).state(), Instance::LAUNCH_FAILED);
}

TEST_F(OrderWorkflowTest, QuoteNamesTheBackend) {
  provisioning::v1::QuoteRequest request;
  *request.mutable_spec() = Purchase("q", 1).spec();
  request.set_instance_count(2);
  auto quote = workflow_->Quote(request);
  ASSERT_TRUE(quote.ok());
  EXPECT_EQ(quote->backend(), "fake");
  EXPECT_FALSE(quote->total_price_per_hour().empty());
}

// An order as a crashed process left it: stored, in `state`, nothing else.
Order Leftover(OrderStore& store, const std::string& request_id, Order::State state,
               const std::string& zone = "ap-guangzhou-3") {
  Order draft;
  draft.set_request_id(request_id);
  *draft.mutable_spec() = Purchase(request_id, 2, zone).spec();
  draft.set_instance_count(2);
  draft.set_state(Order::ACCEPTED);
  draft.set_backend("fake");
  Order order = store.CreateOrder(draft)->order;
  return *store.UpdateOrder(order.order_id(), [state](Order& o) {
    o.set_state(state);
    return absl::OkStatus();
  });
}

TEST_F(OrderWorkflowTest, RecoveryAdoptsInstancesBoughtBeforeTheCrash) {
  Order order = Leftover(*store_, "crashed-after-buy", Order::SUBMITTED);
  Backend* fake = *backends_->Get("fake");
  CreateRequest bought;  // what the crashed process had sent
  bought.spec = order.spec();
  bought.count = 2;
  bought.client_token = ClientTokenFor(order.order_id());
  bought.order_id = order.order_id();
  auto ids = fake->Create(bought);
  ASSERT_TRUE(ids.ok());

  ASSERT_TRUE(RecoverNow(*workflow_, *workflow_->Unfinished()).ok());
  Order recovered = *store_->GetOrder(order.order_id());
  EXPECT_EQ(recovered.state(), Order::PROVISIONING);
  std::vector<std::string> adopted;
  for (const auto& i : recovered.instances()) adopted.push_back(i.instance_id());
  EXPECT_EQ(std::set<std::string>(adopted.begin(), adopted.end()),
            std::set<std::string>(ids->begin(), ids->end()));
  EXPECT_THAT(*fake->FindByOrder("ap-guangzhou", order.order_id()), SizeIs(2));  // none more
}

TEST_F(OrderWorkflowTest, RecoveryResubmitsWhatWasNeverBought) {
  Order submitted = Leftover(*store_, "crashed-before-buy", Order::SUBMITTED);
  Order accepted = Leftover(*store_, "crashed-accepted", Order::ACCEPTED);
  Order sold_out = Leftover(*store_, "crashed-checking", Order::CHECKING, "ap-guangzhou-1");
  ASSERT_TRUE(RecoverNow(*workflow_, *workflow_->Unfinished()).ok());
  Backend* fake = *backends_->Get("fake");
  for (const Order& order : {submitted, accepted}) {
    Order now = *store_->GetOrder(order.order_id());
    EXPECT_EQ(now.state(), Order::PROVISIONING) << order.request_id();
    EXPECT_THAT(now.instances(), SizeIs(2));
    EXPECT_THAT(*fake->FindByOrder("ap-guangzhou", order.order_id()), SizeIs(2));
  }
  EXPECT_EQ(store_->GetOrder(sold_out.order_id())->state(), Order::FAILED);
  EXPECT_THAT(*workflow_->Unfinished(), SizeIs(0));
}

TEST_F(OrderWorkflowTest, ConcurrentRetriesOfOneRequestBuyOnce) {
  std::vector<std::thread> threads;
  absl::Mutex mu;
  std::set<std::string> order_ids;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto order = PurchaseNow(*workflow_, Purchase("race", 3));
      ASSERT_TRUE(order.ok()) << order.status();
      absl::MutexLock lock(&mu);
      order_ids.insert(order->order_id());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_THAT(order_ids, SizeIs(1));
  Order order = *store_->FindByRequestId("", "race");
  EXPECT_THAT(order.instances(), SizeIs(3));
  EXPECT_THAT(store_->ListOrders(ListQuery())->orders, SizeIs(1));
}

}  // namespace
}  // namespace cvm
