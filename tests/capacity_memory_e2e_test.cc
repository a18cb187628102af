// Sold-out memory across replicas: two replicas on one PostgreSQL, the CVM
// emulator's spot market above the orders' max price. The first order asks
// the cloud (DescribeZoneInstanceConfigInfos) and fails SPOT_PRICE_TOO_LOW;
// the replica that learnt it is SIGKILLed; a second order for the same cell,
// on the other replica, fails the same way without any call into the cell;
// once the verdict's TTL (2 s here) has passed, a third order asks again.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/replica_cluster.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;

class CapacityMemoryE2eTest : public ReplicaCluster {
 protected:
  // DescribeZoneInstanceConfigInfos calls the emulator has answered so far.
  int64_t StockCalls() {
    int64_t calls = 0;
    const tencentcloud::Json per_second = emulator_->Books().value(
        "/RateLimits/CallsPerSecond/DescribeZoneInstanceConfigInfos"_json_pointer,
        tencentcloud::Json::object());
    for (const auto& [second, n] : per_second.items()) calls += n.get<int64_t>();
    return calls;
  }

  // A spot order whose max price is below the market; its final state.
  Order BuyBelowTheMarket(provisioning::v1::Provisioning::Stub& stub, const std::string& id) {
    provisioning::v1::PurchaseRequest request = PurchaseOf(id, 1);
    request.mutable_spec()->mutable_spot()->set_max_price_per_hour("0.001");
    Order order;
    grpc::Status status = stub.Purchase(ContextWithDeadline(30).get(), request, &order);
    EXPECT_TRUE(status.ok()) << status.error_message();
    absl::StatusOr<Order> final = AwaitFinal(stub, order.order_id(), absl::Seconds(30));
    EXPECT_TRUE(final.ok()) << final.status();
    return final.value_or(Order());
  }
};

TEST_F(CapacityMemoryE2eTest, ACellOneReplicaFoundSoldOutIsSkippedByAnotherForTheTtl) {
  std::ofstream(config_, std::ios::app) << "capacity_memory { verdict_ttl { seconds: 2 } }\n";
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  ASSERT_NO_FATAL_FAILURE(StartReplicas(2, replicas));
  auto learner = NewStub(replicas[0]->target());
  auto other = NewStub(replicas[1]->target());

  const int64_t before = StockCalls();
  Order first = BuyBelowTheMarket(*learner, "below-1");
  EXPECT_EQ(first.state(), Order::FAILED);
  EXPECT_EQ(first.failure().reason(), "SPOT_PRICE_TOO_LOW");
  const int64_t after_first = StockCalls();
  EXPECT_EQ(after_first - before, 1);  // the pre-flight asked the cloud

  // The replica that learnt it dies; the verdict is in the database.
  replicas[0]->Signal(SIGKILL);
  ASSERT_EQ(replicas[0]->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);
  Order second = BuyBelowTheMarket(*other, "below-2");
  EXPECT_EQ(second.state(), Order::FAILED);
  EXPECT_EQ(second.failure().reason(), "SPOT_PRICE_TOO_LOW");
  EXPECT_NE(second.failure().message().find("the cloud was not asked"), std::string::npos)
      << second.failure().message();
  const int64_t after_second = StockCalls();
  EXPECT_EQ(after_second, after_first);  // no call into the known cell

  absl::SleepFor(absl::Seconds(2));  // the TTL passes
  Order third = BuyBelowTheMarket(*other, "below-3");
  EXPECT_EQ(third.failure().reason(), "SPOT_PRICE_TOO_LOW");
  const int64_t after_third = StockCalls();
  EXPECT_EQ(after_third - after_second, 1);  // asked again

  std::printf(
      "sold-out memory: DescribeZoneInstanceConfigInfos calls: first order %lld, second order "
      "(other replica, learner SIGKILLed) %lld, third order after the 2 s TTL %lld\n",
      static_cast<long long>(after_first - before),
      static_cast<long long>(after_second - after_first),
      static_cast<long long>(after_third - after_second));
  EXPECT_EQ(replicas[1]->Stop(absl::Seconds(30)).value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
