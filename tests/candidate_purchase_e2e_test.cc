// A Purchase with candidates through the real provisioner binary and the CVM
// emulator (tests/candidate_world.h): zone A sold out for spot, the spot
// market above the max in zone B. An order for 4 instances over zones A, B, C
// x 3 types x spot then pay-as-you-go ends ACTIVE with exactly 4 instances in
// the cheapest available cells (3 where only 3 were left, 1 in the next
// cheapest), each attempt with its own ClientToken and attempt tag; the
// Watch stream says when the order falls back; the emulator's log of calls
// into single cells shows none into a cell already known bad within the
// sold-out memory's TTL.
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "tests/candidate_world.h"
#include "tests/emulator_fixture.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::CandidateAttempt;
using provisioning::v1::Instance;
using provisioning::v1::Order;
using provisioning::v1::OrderChange;
using tencentcloud::Json;

// The cell a logged call looked into.
std::string CellOfCall(const Json& call) {
  return CellKey(call.value("Zone", ""), call.value("InstanceType", ""),
                 call.value("ChargeType", "") == "SPOTPAID");
}

class CandidatePurchaseE2eTest : public EmulatorE2eTest {
 protected:
  void SetUp() override {
    Start(CandidateWorld(3));
    if (HasFatalFailure()) return;
    // Every order's changes, from before the first purchase.
    watch_context_ = std::make_unique<grpc::ClientContext>();
    watch_ = stub_->Watch(watch_context_.get(), provisioning::v1::WatchRequest());
    watcher_ = std::thread([this] {
      provisioning::v1::WatchEvent event;
      while (watch_->Read(&event)) {
        if (event.type() != provisioning::v1::WatchEvent::CHANGE) continue;
        absl::MutexLock lock(&mu_);
        for (const OrderChange& change : event.orders(0).last_changes()) {
          if (change.kind() == OrderChange::FELL_BACK) {
            fell_back_[event.orders(0).order_id()].push_back(change.attempt());
          }
        }
      }
    });
  }
  void TearDown() override {
    if (watch_context_ != nullptr) watch_context_->TryCancel();
    if (watcher_.joinable()) watcher_.join();
    EmulatorE2eTest::TearDown();
  }

  Json CellCalls() { return emulator_->Books().value("CellCalls", Json::array()); }

  Order BuyToTheEnd(const provisioning::v1::PurchaseRequest& request) {
    Order order;
    grpc::Status status = stub_->Purchase(ContextWithDeadline(30).get(), request, &order);
    EXPECT_TRUE(status.ok()) << status.error_message();
    absl::StatusOr<Order> final = AwaitFinal(*stub_, order.order_id(), absl::Seconds(90));
    EXPECT_TRUE(final.ok()) << final.status();
    return final.value_or(Order());
  }

  std::vector<CandidateAttempt> FellBack(const std::string& order_id) {
    absl::MutexLock lock(&mu_);
    return fell_back_[order_id];
  }

  std::unique_ptr<grpc::ClientContext> watch_context_;
  std::unique_ptr<grpc::ClientReader<provisioning::v1::WatchEvent>> watch_;
  std::thread watcher_;
  absl::Mutex mu_;
  std::map<std::string, std::vector<CandidateAttempt>> fell_back_ ABSL_GUARDED_BY(mu_);
};

TEST_F(CandidatePurchaseE2eTest, FourNodesLandInTheCheapestAvailableCellsExactlyOnce) {
  const absl::Time start = absl::Now();
  // The cloud says zone A has no spot S5.MEDIUM2: now known bad.
  provisioning::v1::PurchaseRequest single = PurchaseOf("spot-in-a", 1);
  single.mutable_spec()->mutable_spot()->set_max_price_per_hour("0.10");
  const Order refused = BuyToTheEnd(single);
  EXPECT_EQ(refused.state(), Order::FAILED);
  EXPECT_EQ(refused.failure().reason(), "ZONE_SOLD_OUT");
  const size_t learnt_at = CellCalls().size();
  ASSERT_GE(learnt_at, 1u);

  const Order order = BuyToTheEnd(CandidatesPurchase("four-nodes", 4));
  ASSERT_EQ(order.state(), Order::ACTIVE) << order.failure().message();
  ASSERT_EQ(order.instances_size(), 4);
  // Spot in C: S5.MEDIUM2 (0.06) had 3 left, SA2.MEDIUM2 (0.07) is next.
  std::map<std::string, int> landed;
  for (const Instance& instance : order.instances()) {
    ++landed[CellKey(instance.zone(), instance.instance_type(), instance.billing().has_spot())];
  }
  EXPECT_EQ(landed, (std::map<std::string, int>{{CellKey(kZoneC, "S5.MEDIUM2", true), 3},
                                                {CellKey(kZoneC, "SA2.MEDIUM2", true), 1}}));
  ASSERT_EQ(order.attempts_size(), 2);
  EXPECT_EQ(order.attempts(0).instance_count(), 3);
  EXPECT_EQ(order.attempts(0).cell().unit_price_per_hour(), "0.06");
  EXPECT_EQ(order.attempts(1).instance_count(), 1);
  EXPECT_EQ(order.attempts(1).cell().unit_price_per_hour(), "0.07");
  for (const CandidateAttempt& attempt : order.attempts()) {
    EXPECT_EQ(attempt.outcome(), CandidateAttempt::BOUGHT);
  }
  // Every spot cell of A and B was passed over, each with its reason.
  std::map<std::string, int> skipped;
  for (const auto& cell : order.skipped()) {
    if (cell.billing().has_spot() && cell.zone() != kZoneC) ++skipped[cell.verdict()];
  }
  EXPECT_EQ(skipped, (std::map<std::string, int>{{"ZONE_SOLD_OUT", 3}, {"SPOT_PRICE_TOO_LOW", 3}}));

  // Each attempt's instances carry the order's and the attempt's tags; two
  // client tokens for two attempts.
  std::map<std::string, std::string> attempt_of;
  for (const Json& instance : emulator_->emulator().LiveInstances(tencentcloud::kTestSecretId)) {
    std::string order_id, attempt;
    for (const Json& tag : instance["Tags"]) {
      if (tag.value("Key", "") == "provisioner:order-id") order_id = tag.value("Value", "");
      if (tag.value("Key", "") == "provisioner:attempt") attempt = tag.value("Value", "");
    }
    if (order_id == order.order_id()) attempt_of[instance["InstanceId"]] = attempt;
  }
  ASSERT_EQ(attempt_of.size(), 4u);
  for (const Instance& instance : order.instances()) {
    EXPECT_EQ(attempt_of[instance.instance_id()], absl::StrCat(instance.attempt()));
  }

  // The next order finds S5.MEDIUM2 gone from C and goes to SA2.MEDIUM2.
  const Order next = BuyToTheEnd(CandidatesPurchase("two-more", 2));
  ASSERT_EQ(next.state(), Order::ACTIVE) << next.failure().message();
  for (const Instance& instance : next.instances()) {
    EXPECT_EQ(CellKey(instance.zone(), instance.instance_type(), instance.billing().has_spot()),
              CellKey(kZoneC, "SA2.MEDIUM2", true));
  }

  // No call into a spot cell of A or B once known bad, all within the TTL.
  const Json calls = CellCalls();
  const absl::Duration elapsed = absl::Now() - start;
  ASSERT_LT(elapsed, absl::Minutes(3)) << "the claim holds within the 3-minute TTL";
  std::set<std::string> bad;
  for (const char* zone : {kZoneA, kZoneB}) {
    for (const char* type : kCandidateTypes) bad.insert(CellKey(zone, type, true));
  }
  int into_bad = 0;
  std::map<std::string, int> by_action;
  for (size_t i = learnt_at; i < calls.size(); ++i) {
    ++by_action[calls[i].value("Action", "")];
    if (bad.count(CellOfCall(calls[i])) > 0) {
      ++into_bad;
      ADD_FAILURE() << "a call into a known-bad cell: " << calls[i].dump();
    }
  }
  EXPECT_EQ(into_bad, 0);

  // The Watch stream said the order fell back, once per attempt (cells
  // listed before C's spot cells were passed over).
  const std::vector<CandidateAttempt> fell_back = FellBack(order.order_id());
  ASSERT_EQ(fell_back.size(), 2u);
  EXPECT_EQ(fell_back[0].cell().instance_type(), "S5.MEDIUM2");
  EXPECT_EQ(fell_back[1].cell().instance_type(), "SA2.MEDIUM2");

  auto scrape = HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(scrape.ok()) << scrape.status();
  double skips = 0;
  for (const char* reason : {"ZONE_SOLD_OUT", "SPOT_PRICE_TOO_LOW", "INSUFFICIENT_STOCK"}) {
    skips += std::max(0.0, MetricValue(*scrape, "provisioner_capacity_skips_total",
                                       {absl::StrCat("reason=\"", reason, "\"")}));
  }
  EXPECT_GT(skips, 0);
  std::printf(
      "candidate purchase: 4 instances over 3 zones x 3 types x (spot<=0.10, payg): "
      "%d x %s + %d x %s in %d attempts, %d spot cells of A/B skipped, %d FELL_BACK events; "
      "then 2 more in %s; calls into single cells after zone A was known sold out: %zu "
      "(RunInstances %d, DescribeZoneInstanceConfigInfos %d, InquiryPriceRunInstances %d), "
      "into known-bad cells: %d; skips counted %.0f; %.1f s\n",
      order.attempts(0).instance_count(), CellKey(kZoneC, "S5.MEDIUM2", true).c_str(),
      order.attempts(1).instance_count(), CellKey(kZoneC, "SA2.MEDIUM2", true).c_str(),
      order.attempts_size(), skipped["ZONE_SOLD_OUT"] + skipped["SPOT_PRICE_TOO_LOW"],
      static_cast<int>(fell_back.size()),
      next.instances_size() > 0 ? CellKey(next.instances(0).zone(),
                                          next.instances(0).instance_type(),
                                          next.instances(0).billing().has_spot())
                                      .c_str()
                                : "-",
      calls.size() - learnt_at, by_action["RunInstances"],
      by_action["DescribeZoneInstanceConfigInfos"], by_action["InquiryPriceRunInstances"],
      into_bad, skips, absl::ToDoubleSeconds(elapsed));
}

}  // namespace
}  // namespace cvm::testing
