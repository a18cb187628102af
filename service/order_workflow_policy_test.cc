// Policies in the order workflow: checked in Accept() before the order is
// stored (dry runs too), never twice for one request_id, and exact under
// concurrent purchases of one tenant.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "common/money.h"
#include "common/status_details.h"
#include "gtest/gtest.h"
#include "plugins/policies/policy_configs.pb.h"
#include "plugins/policies/policy_support.h"
#include "plugins/policies/store_order_ledger.h"
#include "service/order_workflow.h"
#include "service/workflow_test_support.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::config::v1::ServiceConfig;
using provisioning::fake::v1::FakeBackendConfig;
using provisioning::policies::v1::AllowedPlacementConfig;
using provisioning::policies::v1::HourlyBudgetConfig;
using provisioning::policies::v1::InstanceLimitConfig;
using provisioning::v1::PurchaseRequest;

PurchaseRequest Purchase(const std::string& request_id, int count,
                         const std::string& region = "ap-guangzhou") {
  PurchaseRequest r;
  r.set_request_id(request_id);
  r.set_instance_count(count);
  auto* spec = r.mutable_spec();
  spec->set_region(region);
  spec->set_zone(region + "-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-1");
  spec->mutable_pay_as_you_go();
  return r;
}

// The fake cloud with quotes that take 2 ms, like a cloud's price API: wide
// enough a window between check and store that unserialized concurrent
// purchases would all pass on the same headroom.
class SlowQuotes : public Backend {
 public:
  explicit SlowQuotes(std::unique_ptr<Backend> fake) : fake_(std::move(fake)) {}
  absl::StatusOr<provisioning::v1::Quote> Quote(const provisioning::v1::InstanceSpec& spec,
                                                int count, absl::Time) override {
    absl::SleepFor(absl::Milliseconds(2));
    return fake_->Quote(spec, count);
  }
  absl::Status Preflight(const CreateRequest& r) override { return fake_->Preflight(r); }
  absl::StatusOr<std::vector<std::string>> Create(const CreateRequest& r) override {
    return fake_->Create(r);
  }
  absl::StatusOr<std::vector<InstanceStatus>> Describe(const std::string& region,
                                                       absl::Span<const std::string> ids) override {
    return fake_->Describe(region, ids);
  }
  absl::StatusOr<std::vector<std::string>> FindByOrder(const std::string& region,
                                                       const std::string& order_id) override {
    return fake_->FindByOrder(region, order_id);
  }
  absl::Status Terminate(const std::string& region, absl::Span<const std::string> ids,
                         absl::Time) override {
    return fake_->Terminate(region, ids);
  }

 private:
  std::unique_ptr<Backend> fake_;
};

class SlowQuotesFactory : public BackendFactory {
 public:
  std::string name() const override { return "fake"; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return BackendRegistry::Global().Find("fake")->CreateEmptyConfig();
  }
  absl::StatusOr<std::unique_ptr<Backend>> Create(const google::protobuf::Message& config,
                                                  const BackendContext& context) const override {
    auto fake = BackendRegistry::Global().Find("fake")->Create(config, context);
    if (!fake.ok()) return fake.status();
    return std::unique_ptr<Backend>(new SlowQuotes(*std::move(fake)));
  }
};

class OrderWorkflowPolicyTest : public ::testing::Test {
 protected:
  OrderWorkflowPolicyTest() {
    EXPECT_TRUE(slow_registry_.Register(std::make_unique<SlowQuotesFactory>()).ok());
  }

  // The fake cloud at 0.20 CNY per instance-hour, and `policy` as "rule".
  void Build(const std::string& plugin, const google::protobuf::Message& policy,
             const std::vector<std::string>& tenants = {}) {
    FakeBackendConfig fake;
    fake.set_price_per_hour("0.20");
    ServiceConfig config;
    auto* backend = config.add_backends();
    backend->set_name("fake");
    backend->set_plugin("fake");
    backend->mutable_config()->PackFrom(fake);
    auto* rule = config.add_policies();
    rule->set_name("rule");
    rule->set_plugin(plugin);
    rule->mutable_config()->PackFrom(policy);
    for (const std::string& t : tenants) rule->add_tenants(t);
    BackendContext backend_context;
    backend_context.clock = &clock_;
    auto backends = BackendSet::Create(config, slow_registry_, backend_context);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = *std::move(backends);
    store_ = std::make_unique<MemoryOrderStore>(&clock_);
    ledger_ = std::make_unique<StoreOrderLedger>(store_.get());
    PolicyContext context;
    context.ledger = ledger_.get();
    context.backends = backends_.get();
    auto policies = PolicySet::Create(config, PolicyRegistry::Global(), context);
    ASSERT_TRUE(policies.ok()) << policies.status();
    policies_ = *std::move(policies);
    workflow_ = std::make_unique<OrderWorkflow>(store_.get(), backends_.get(), policies_.get());
  }

  // What the tenant's stored live orders cost per hour, in micro-units.
  int64_t StoredSpendMicros() {
    auto live = ledger_->LiveOrders(kDefaultTenant);
    EXPECT_TRUE(live.ok()) << live.status();
    int64_t spend = 0;
    for (const Order& order : *live) spend += LiveInstances(order) * 200000;
    return spend;
  }

  bool Stored(const std::string& request_id) {
    return store_->FindByRequestId("", request_id).ok();
  }

  FakeClock clock_;
  BackendRegistry slow_registry_;
  std::unique_ptr<BackendSet> backends_;
  std::unique_ptr<MemoryOrderStore> store_;
  std::unique_ptr<StoreOrderLedger> ledger_;
  std::unique_ptr<PolicySet> policies_;
  std::unique_ptr<OrderWorkflow> workflow_;
};

TEST_F(OrderWorkflowPolicyTest, ADenialReachesTheCallerAndStoresNothing) {
  AllowedPlacementConfig placement;
  placement.add_regions("ap-shanghai");
  Build("allowed_placement", placement);
  auto denied = workflow_->Accept(Purchase("r1", 1, "ap-guangzhou"));
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied) << denied.status();
  EXPECT_EQ(ErrorReason(denied.status()), "POLICY_REGION_NOT_ALLOWED");
  EXPECT_FALSE(Stored("r1"));
  auto allowed = workflow_->Accept(Purchase("r2", 1, "ap-shanghai"));
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_TRUE(allowed->created);
}

TEST_F(OrderWorkflowPolicyTest, ADryRunRunsThePoliciesAndStoresNothing) {
  AllowedPlacementConfig placement;
  placement.add_regions("ap-shanghai");
  Build("allowed_placement", placement);
  PurchaseRequest dry = Purchase("dry", 1, "ap-guangzhou");
  dry.set_dry_run(true);
  EXPECT_EQ(ErrorReason(workflow_->Accept(dry).status()), "POLICY_REGION_NOT_ALLOWED");
  dry = Purchase("dry", 1, "ap-shanghai");
  dry.set_dry_run(true);
  EXPECT_TRUE(workflow_->Accept(dry).ok());
  EXPECT_FALSE(Stored("dry"));
}

TEST_F(OrderWorkflowPolicyTest, ARetriedRequestIdGetsItsOrderWithoutASecondCheck) {
  InstanceLimitConfig limit;
  limit.set_max_instances(2);
  Build("instance_limit", limit);
  auto first = workflow_->Accept(Purchase("r1", 2));
  ASSERT_TRUE(first.ok()) << first.status();
  // At the limit now, yet the retry is the same purchase, not a new one.
  auto retry = workflow_->Accept(Purchase("r1", 2));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_FALSE(retry->created);
  EXPECT_EQ(retry->order.order_id(), first->order.order_id());
  auto second = workflow_->Accept(Purchase("r2", 1));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(second.status()), "POLICY_INSTANCE_LIMIT_EXCEEDED");
}

TEST_F(OrderWorkflowPolicyTest, AnEndedOrderFreesItsHeadroom) {
  InstanceLimitConfig limit;
  limit.set_max_instances(2);
  Build("instance_limit", limit);
  auto first = workflow_->Accept(Purchase("r1", 2));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(workflow_->Accept(Purchase("r2", 2)).ok());
  ASSERT_TRUE(TerminateById(*workflow_, first->order.order_id()).ok());  // ACCEPTED -> CANCELLED
  EXPECT_TRUE(workflow_->Accept(Purchase("r2", 2)).ok());
}

TEST_F(OrderWorkflowPolicyTest, APolicyOfAnotherTenantDoesNotApply) {
  AllowedPlacementConfig placement;
  placement.add_regions("ap-shanghai");
  Build("allowed_placement", placement, {"acme"});
  EXPECT_TRUE(workflow_->Accept(Purchase("r1", 1), kDefaultTenant).ok());
  EXPECT_EQ(workflow_->Accept(Purchase("r2", 1), "acme").status().code(),
            absl::StatusCode::kPermissionDenied);
}

// A spot purchase (6 x 0.03 an hour) whose billing ladder ends in
// pay-as-you-go may cost 6 x 0.20 = 1.20: over a budget of 1.00, refused
// through Accept with nothing stored; the spot-only ladder is accepted.
TEST_F(OrderWorkflowPolicyTest, ACandidatesPurchaseOverBudgetAtItsDearestCellIsRefused) {
  HourlyBudgetConfig budget;
  budget.set_max_spend_per_hour("1.00");
  Build("hourly_budget", budget);
  PurchaseRequest ladder = Purchase("r1", 6);
  ladder.mutable_spec()->mutable_spot()->set_max_price_per_hour("0.10");
  ladder.mutable_candidates()->add_zones("ap-guangzhou-3");
  ladder.mutable_candidates()->add_zones("ap-guangzhou-4");
  ladder.mutable_candidates()->add_billing()->mutable_spot()->set_max_price_per_hour("0.10");
  ladder.mutable_candidates()->add_billing()->mutable_pay_as_you_go();
  auto refused = workflow_->Accept(ladder);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_EQ(ErrorReason(refused.status()), "POLICY_BUDGET_EXCEEDED");
  auto info = GetDetail<google::rpc::ErrorInfo>(refused.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at("order_spend_per_hour"), "1.20");
  EXPECT_EQ(info->metadata().at("dearest_cell"), "ap-guangzhou-3/S5.MEDIUM2/pay-as-you-go");
  EXPECT_FALSE(Stored("r1"));
  auto live = ledger_->LiveOrders(kDefaultTenant);
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_TRUE(live->empty());

  PurchaseRequest spot_only = ladder;
  spot_only.set_request_id("r2");
  spot_only.mutable_candidates()->mutable_billing()->RemoveLast();
  auto accepted = workflow_->Accept(spot_only);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(accepted->created);
  EXPECT_TRUE(Stored("r2"));
}

// 20 purchases of one instance at 0.20 an hour start at once against a budget
// of 1.00 an hour: exactly 5 are accepted, the stored spend is the budget.
// (Without the tenant's admission lock, 6 to 8 passed in trial runs: each
// quotes for 2 ms while the others have not stored their orders yet.)
TEST_F(OrderWorkflowPolicyTest, ConcurrentPurchasesNeverExceedTheHourlyBudget) {
  HourlyBudgetConfig budget;
  budget.set_max_spend_per_hour("1.00");
  Build("hourly_budget", budget);
  constexpr int kThreads = 20;
  absl::Barrier start(kThreads);
  std::atomic<int> accepted{0}, over_budget{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.Block();
      auto result = workflow_->Accept(Purchase(absl::StrCat("c", i), 1));
      if (result.ok()) {
        ++accepted;
      } else if (ErrorReason(result.status()) == "POLICY_BUDGET_EXCEEDED") {
        ++over_budget;
      } else {
        ++other;
        ADD_FAILURE() << result.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(accepted, 5);
  EXPECT_EQ(over_budget, 15);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(FormatMoneyMicros(StoredSpendMicros()), "1.00");
}

// The same for the instance limit: 20 purchases of 1 against a limit of 7.
TEST_F(OrderWorkflowPolicyTest, ConcurrentPurchasesNeverExceedTheInstanceLimit) {
  InstanceLimitConfig limit;
  limit.set_max_instances(7);
  Build("instance_limit", limit);
  constexpr int kThreads = 20;
  absl::Barrier start(kThreads);
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.Block();
      if (workflow_->Accept(Purchase(absl::StrCat("c", i), 1)).ok()) ++accepted;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(accepted, 7);
  EXPECT_EQ(StoredSpendMicros(), 7 * 200000);
}

}  // namespace
}  // namespace cvm
