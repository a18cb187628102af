// Candidates orders on the fake backend: cells tried cheapest first, a cell
// with too few left takes what it has, refusals move on to the next cell and
// are remembered, and a crash at any point between attempts buys no more
// than the order asked.
#include <set>
#include <string>

#include "backends/fake/fake_backend.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/capacity_memory.h"
#include "service/order_workflow.h"
#include "service/workflow_test_support.h"
#include "store/capacity_verdicts.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::fake::v1::Failure;
using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::CandidateAttempt;
using provisioning::v1::Instance;
using provisioning::v1::PurchaseRequest;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kSoldOut[] = "ap-guangzhou-3";
constexpr char kOpen[] = "ap-guangzhou-4";

// `count` instances: zones ap-guangzhou-3 then -4, types S5.MEDIUM2 then
// S5.LARGE8, spot up to 0.05 then pay-as-you-go, cheapest first.
PurchaseRequest Candidates(const std::string& request_id, int count) {
  PurchaseRequest request = TestPurchase(request_id, count);
  auto* candidates = request.mutable_candidates();
  candidates->add_zones(kSoldOut);
  candidates->add_zones(kOpen);
  candidates->add_instance_types("S5.MEDIUM2");
  candidates->add_instance_types("S5.LARGE8");
  candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.05");
  candidates->add_billing()->mutable_pay_as_you_go();
  return request;
}

class CandidatesWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeBackendConfig fake;
    fake.add_sold_out_zones(kSoldOut);
    (*fake.mutable_stock())["S5.MEDIUM2"] = 3;
    Build(fake);
  }

  void Build(const FakeBackendConfig& fake) {
    auto backends = FakeBackendSet(fake, &clock_);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = *std::move(backends);
    fake_ = dynamic_cast<FakeBackend*>(*backends_->Get("fake"));
    ASSERT_NE(fake_, nullptr);
    workflow_ = std::make_unique<OrderWorkflow>(&store_, backends_.get());
    workflow_->SetCapacityMemory(&memory_);
  }

  // What a process that died right after recording attempt `number` (and
  // maybe after the cloud bought it: `bought`) leaves behind.
  Order CrashedInAttempt(const PurchaseRequest& request, const std::string& zone,
                         const std::string& type, int count, bool bought) {
    auto accepted = workflow_->Accept(request);
    EXPECT_TRUE(accepted.ok()) << accepted.status();
    const std::string id = accepted->order.order_id();
    auto stored = store_.UpdateOrder(id, [&](Order& o) {
      o.set_state(Order::SUBMITTED);
      CandidateAttempt* attempt = o.add_attempts();
      attempt->set_number(1);
      attempt->mutable_cell()->set_zone(zone);
      attempt->mutable_cell()->set_instance_type(type);
      attempt->mutable_cell()->mutable_billing()->mutable_spot()->set_max_price_per_hour("0.05");
      attempt->set_instance_count(count);
      attempt->set_outcome(CandidateAttempt::IN_FLIGHT);
      return absl::OkStatus();
    });
    EXPECT_TRUE(stored.ok()) << stored.status();
    if (bought) {
      CreateRequest create;
      create.spec = request.spec();
      create.spec.set_zone(zone);
      create.spec.set_instance_type(type);
      create.count = count;
      create.client_token = ClientTokenFor(id, 1);
      create.order_id = id;
      EXPECT_TRUE(fake_->Create(create).ok());
    }
    return *stored;
  }

  // Recover() as a restarted process runs it; then the order.
  Order RecoverAndGet(const std::string& order_id) {
    auto unfinished = workflow_->Unfinished();
    EXPECT_TRUE(unfinished.ok()) << unfinished.status();
    EXPECT_TRUE(RecoverNow(*workflow_, unfinished.value_or(std::vector<Order>())).ok());
    auto order = workflow_->Get(order_id);
    EXPECT_TRUE(order.ok()) << order.status();
    return order.value_or(Order());
  }

  FakeClock clock_;
  MemoryOrderStore store_{&clock_};
  LocalCapacityVerdicts verdicts_;
  CapacityMemory memory_{&verdicts_, CapacityMemory::Options{absl::Minutes(3), &clock_}};
  std::unique_ptr<BackendSet> backends_;
  FakeBackend* fake_ = nullptr;
  std::unique_ptr<OrderWorkflow> workflow_;
};

TEST_F(CandidatesWorkflowTest, ACellWithTooFewLeftTakesWhatItHasAndTheRestGoesNext) {
  auto order = PurchaseNow(*workflow_, Candidates("split", 4));
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state(), Order::PROVISIONING);
  ASSERT_THAT(order->instances(), SizeIs(4));
  ASSERT_THAT(order->attempts(), SizeIs(2));
  // Spot (0.03) is cheaper than pay-as-you-go (0.10); the sold-out zone is
  // passed over; S5.MEDIUM2 has 3 left, so S5.LARGE8 takes the fourth.
  EXPECT_EQ(order->attempts(0).cell().zone(), kOpen);
  EXPECT_EQ(order->attempts(0).cell().instance_type(), "S5.MEDIUM2");
  EXPECT_TRUE(order->attempts(0).cell().billing().has_spot());
  EXPECT_EQ(order->attempts(0).instance_count(), 3);
  EXPECT_EQ(order->attempts(0).outcome(), CandidateAttempt::BOUGHT);
  EXPECT_EQ(order->attempts(1).cell().instance_type(), "S5.LARGE8");
  EXPECT_EQ(order->attempts(1).instance_count(), 1);
  EXPECT_EQ(order->attempts(1).outcome(), CandidateAttempt::BOUGHT);
  int medium = 0;
  for (const Instance& instance : order->instances()) {
    EXPECT_EQ(instance.zone(), kOpen);
    EXPECT_TRUE(instance.billing().has_spot());
    EXPECT_EQ(instance.unit_price_per_hour(), "0.03");
    medium += instance.instance_type() == "S5.MEDIUM2" ? 1 : 0;
    EXPECT_EQ(instance.attempt(), instance.instance_type() == "S5.MEDIUM2" ? 1 : 2);
  }
  EXPECT_EQ(medium, 3);
  std::set<std::string> skipped;
  for (const auto& cell : order->skipped()) {
    EXPECT_EQ(cell.zone(), kSoldOut);
    EXPECT_EQ(cell.verdict(), "ZONE_SOLD_OUT");
    skipped.insert(cell.instance_type());
  }
  EXPECT_EQ(skipped, (std::set<std::string>{"S5.MEDIUM2", "S5.LARGE8"}));
  EXPECT_EQ(fake_->CreatedCount(), 4);
}

TEST_F(CandidatesWorkflowTest, AllZonesAndRequirementsBuyInCellsOfTheCatalogue) {
  FakeBackendConfig fake;
  fake.add_sold_out_zones(kSoldOut);
  for (const char* zone : {kOpen, kSoldOut}) fake.add_catalogue_zones(zone);
  for (const auto& [type, cpu] : {std::pair{"S5.LARGE8", 4}, {"S5.2XLARGE16", 8}}) {
    auto* entry = fake.add_catalogue_types();
    entry->set_instance_type(type);
    entry->set_cpu(cpu);
  }
  Build(fake);
  PurchaseRequest request = TestPurchase("resolved", 2);
  request.mutable_candidates()->set_all_zones(true);
  request.mutable_candidates()->mutable_requirements()->set_max_cpu(4);
  auto order = PurchaseNow(*workflow_, request);
  ASSERT_TRUE(order.ok()) << order.status();
  // The one type of at most 4 vCPUs, in the one zone that sells; the
  // sold-out zone's cell of it passed over.
  EXPECT_EQ(order->state(), Order::PROVISIONING);
  ASSERT_THAT(order->attempts(), SizeIs(1));
  EXPECT_EQ(order->attempts(0).cell().zone(), kOpen);
  EXPECT_EQ(order->attempts(0).cell().instance_type(), "S5.LARGE8");
  EXPECT_EQ(order->attempts(0).instance_count(), 2);
  ASSERT_THAT(order->instances(), SizeIs(2));
  ASSERT_THAT(order->skipped(), SizeIs(1));
  EXPECT_EQ(order->skipped(0).zone(), kSoldOut);
  EXPECT_EQ(order->skipped(0).instance_type(), "S5.LARGE8");
}

TEST_F(CandidatesWorkflowTest, ARefusedCellIsRememberedAndTheNextIsTried) {
  FakeBackendConfig fake;
  auto* refusal = fake.add_failures();
  refusal->set_operation(Failure::CREATE);
  refusal->set_zone(kSoldOut);
  refusal->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
  refusal->set_reason("ZONE_SOLD_OUT");
  Build(fake);
  auto order = PurchaseNow(*workflow_, Candidates("refused", 2));
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state(), Order::PROVISIONING);
  // Both types in the refusing zone are tried (a type sold out says nothing
  // of another), then the open zone.
  ASSERT_THAT(order->attempts(), SizeIs(3));
  for (int i : {0, 1}) {
    EXPECT_EQ(order->attempts(i).cell().zone(), kSoldOut);
    EXPECT_EQ(order->attempts(i).outcome(), CandidateAttempt::REFUSED);
    EXPECT_EQ(order->attempts(i).reason(), "ZONE_SOLD_OUT");
  }
  EXPECT_EQ(order->attempts(2).cell().zone(), kOpen);
  EXPECT_EQ(order->attempts(2).outcome(), CandidateAttempt::BOUGHT);

  // The next order skips the remembered cells: its first attempt is elsewhere.
  auto next = PurchaseNow(*workflow_, Candidates("after", 2));
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_THAT(next->attempts(), SizeIs(1));
  EXPECT_EQ(next->attempts(0).cell().zone(), kOpen);
  bool remembered = false;
  for (const auto& cell : next->skipped()) remembered |= cell.remembered();
  EXPECT_TRUE(remembered);
  EXPECT_EQ(fake_->CreatedCount(), 4);
}

TEST_F(CandidatesWorkflowTest, NoCellLeftFailsKeepingWhatWasBoughtAndSaysWhy) {
  FakeBackendConfig fake;
  fake.add_sold_out_zones(kSoldOut);
  (*fake.mutable_stock())["S5.MEDIUM2"] = 1;
  (*fake.mutable_stock())["S5.LARGE8"] = 1;
  Build(fake);
  auto order = PurchaseNow(*workflow_, Candidates("short", 4));
  EXPECT_EQ(order.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(order.status()), "NO_CANDIDATE_CELL");
  EXPECT_THAT(std::string(order.status().message()), HasSubstr("2 of 4 bought"));
  auto failure = GetDetail<google::rpc::PreconditionFailure>(order.status());
  ASSERT_TRUE(failure.has_value());
  EXPECT_GE(failure->violations_size(), 4);  // the sold-out zone's cells
  auto stored = store_.FindByRequestId(kDefaultTenant, "short");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state(), Order::FAILED);
  EXPECT_THAT(stored->instances(), SizeIs(2));  // kept; Terminate releases them
  EXPECT_EQ(fake_->CreatedCount(), 2);
}

TEST_F(CandidatesWorkflowTest, ACrashAfterTheCloudBoughtAnAttemptAdoptsItsInstances) {
  Order crashed = CrashedInAttempt(Candidates("crash-bought", 4), kOpen, "S5.MEDIUM2", 3,
                                   /*bought=*/true);
  ASSERT_EQ(fake_->CreatedCount(), 3);
  const Order recovered = RecoverAndGet(crashed.order_id());
  const Order* order = &recovered;
  EXPECT_EQ(order->state(), Order::PROVISIONING);
  EXPECT_THAT(order->instances(), SizeIs(4));
  ASSERT_THAT(order->attempts(), SizeIs(2));
  EXPECT_EQ(order->attempts(0).outcome(), CandidateAttempt::BOUGHT);
  EXPECT_EQ(order->attempts(1).instance_count(), 1);
  EXPECT_EQ(fake_->CreatedCount(), 4);  // 3 adopted + 1, never 3 + 4
}

TEST_F(CandidatesWorkflowTest, ACrashBeforeTheCloudCallRepeatsItWithTheSameToken) {
  Order crashed = CrashedInAttempt(Candidates("crash-early", 2), kOpen, "S5.LARGE8", 2,
                                   /*bought=*/false);
  const Order recovered = RecoverAndGet(crashed.order_id());
  const Order* order = &recovered;
  EXPECT_EQ(order->state(), Order::PROVISIONING);
  ASSERT_THAT(order->attempts(), SizeIs(1));
  EXPECT_EQ(order->attempts(0).outcome(), CandidateAttempt::BOUGHT);
  EXPECT_EQ(fake_->CreatedCount(), 2);
  // Asked again with the attempt's token, the cloud gives the same ids.
  CreateRequest again;
  again.spec = Candidates("x", 2).spec();
  again.count = 2;
  again.client_token = ClientTokenFor(crashed.order_id(), 1);
  auto ids = fake_->Create(again);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ((*ids)[0], order->instances(0).instance_id());
  EXPECT_EQ(fake_->CreatedCount(), 2);
}

TEST_F(CandidatesWorkflowTest, ADryRunPlansTheCellAndBuysNothing) {
  PurchaseRequest request = Candidates("dry", 2);
  request.set_dry_run(true);
  auto preview = workflow_->Accept(request);
  ASSERT_TRUE(preview.ok()) << preview.status();
  ASSERT_THAT(preview->order.attempts(), SizeIs(1));
  EXPECT_EQ(preview->order.attempts(0).outcome(), CandidateAttempt::PLANNED);
  EXPECT_EQ(preview->order.attempts(0).cell().zone(), kOpen);
  EXPECT_TRUE(preview->order.order_id().empty());
  EXPECT_EQ(fake_->CreatedCount(), 0);
}

TEST_F(CandidatesWorkflowTest, TheSameRequestIdWithOtherCandidatesIsRefused) {
  ASSERT_TRUE(PurchaseNow(*workflow_, Candidates("same", 1)).ok());
  PurchaseRequest other = Candidates("same", 1);
  other.mutable_candidates()->set_strategy(provisioning::v1::Candidates::PRIORITIZED);
  EXPECT_EQ(PurchaseNow(*workflow_, other).status().code(), absl::StatusCode::kAlreadyExists);
  auto again = PurchaseNow(*workflow_, Candidates("same", 1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(fake_->CreatedCount(), 1);
}

TEST_F(CandidatesWorkflowTest, TerminateBetweenAttemptsStopsTheOrderAndReleasesWhatItHolds) {
  // A crash after attempt 1 bought 3 of 4: the order waits SUBMITTED for
  // its next attempt. Terminate then stops it; no further attempt starts.
  Order crashed = CrashedInAttempt(Candidates("stop-me", 4), kOpen, "S5.MEDIUM2", 3,
                                   /*bought=*/true);
  absl::StatusOr<std::vector<std::string>> bought =
      fake_->FindByOrder("ap-guangzhou", crashed.order_id());
  ASSERT_TRUE(bought.ok());
  const std::vector<std::string> ids = *bought;
  ASSERT_TRUE(store_.UpdateOrder(crashed.order_id(), [&](Order& o) {
    o.mutable_attempts(0)->set_outcome(CandidateAttempt::BOUGHT);
    for (const std::string& id : ids) {
      auto* instance = o.add_instances();
      instance->set_instance_id(id);
      instance->set_state(Instance::PENDING);
    }
    return absl::OkStatus();
  }).ok());
  auto stopped = TerminateById(*workflow_, crashed.order_id());
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->state(), Order::TERMINATING);
  ASSERT_TRUE(RecoverNow(*workflow_, *workflow_->Unfinished()).ok());
  auto order = workflow_->Get(crashed.order_id());
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->state(), Order::TERMINATING);
  EXPECT_EQ(order->attempts_size(), 1);
  EXPECT_EQ(fake_->CreatedCount(), 3);
  EXPECT_TRUE(fake_->FindByOrder("ap-guangzhou", crashed.order_id())->empty());  // released
}

TEST_F(CandidatesWorkflowTest, AnAttemptInFlightCannotBeStopped) {
  Order crashed = CrashedInAttempt(Candidates("busy", 2), kOpen, "S5.LARGE8", 2,
                                   /*bought=*/false);
  EXPECT_EQ(TerminateById(*workflow_, crashed.order_id()).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cvm
