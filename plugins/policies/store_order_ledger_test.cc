#include "plugins/policies/store_order_ledger.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;

TEST(StoreOrderLedgerTest, ListsOrdersThatHoldOrMayBuyInstances) {
  FakeClock clock;
  MemoryOrderStore store(&clock);
  std::map<std::string, std::string> ids;  // request id -> order id
  auto add = [&](const std::string& request_id, Order::State state, int count,
                 std::vector<Instance::State> instances) {
    Order order;
    order.set_request_id(request_id);
    order.set_instance_count(count);
    order.set_state(Order::ACCEPTED);
    auto created = store.CreateOrder(order);
    ASSERT_TRUE(created.ok()) << created.status();
    ids[request_id] = created->order.order_id();
    ASSERT_TRUE(store
                    .UpdateOrder(created->order.order_id(),
                                 [&](Order& o) {
                                   o.set_state(state);
                                   for (Instance::State s : instances) {
                                     o.add_instances()->set_state(s);
                                   }
                                   return absl::OkStatus();
                                 })
                    .ok());
  };
  add("accepted", Order::ACCEPTED, 2, {});
  add("active", Order::ACTIVE, 1, {Instance::RUNNING});
  add("failed-with-one-running", Order::FAILED, 2, {Instance::LAUNCH_FAILED, Instance::RUNNING});
  add("failed-before-the-cloud", Order::FAILED, 2, {});
  add("cancelled", Order::CANCELLED, 1, {});
  add("terminated", Order::TERMINATED, 1, {Instance::TERMINATED});
  add("terminating", Order::TERMINATING, 1, {Instance::RUNNING});

  StoreOrderLedger ledger(&store);
  auto live = ledger.LiveOrders(kDefaultTenant);
  ASSERT_TRUE(live.ok()) << live.status();
  std::set<std::string> got;
  for (const Order& order : *live) got.insert(order.request_id());
  EXPECT_EQ(
      got, (std::set<std::string>{"accepted", "active", "failed-with-one-running", "terminating"}));
}

TEST(StoreOrderLedgerTest, EachOrderCountsForItsOwnTenantOnly) {
  FakeClock clock;
  MemoryOrderStore store(&clock);
  Order order;
  order.set_request_id("r");
  order.set_instance_count(1);
  order.set_state(Order::ACCEPTED);
  ASSERT_TRUE(store.CreateOrder(order).ok());
  order.set_tenant("acme");
  order.set_instance_count(2);
  ASSERT_TRUE(store.CreateOrder(order).ok());
  StoreOrderLedger ledger(&store);
  ASSERT_EQ(ledger.LiveOrders(kDefaultTenant)->size(), 1u);
  EXPECT_EQ((*ledger.LiveOrders(kDefaultTenant))[0].instance_count(), 1);
  ASSERT_EQ(ledger.LiveOrders("acme")->size(), 1u);
  EXPECT_EQ((*ledger.LiveOrders("acme"))[0].instance_count(), 2);
  EXPECT_TRUE(ledger.LiveOrders("nobody")->empty());
}

TEST(StoreOrderLedgerTest, ReadsEveryPageOfTheTenantsOrdersOldestFirst) {
  FakeClock clock;
  MemoryOrderStore store(&clock);
  const int count = 2 * StoreOrderLedger::kPageSize + 1;
  for (int i = 0; i < count; ++i) {
    Order order;
    order.set_request_id(absl::StrCat("r", i));
    order.set_instance_count(1);
    order.set_state(Order::ACCEPTED);
    ASSERT_TRUE(store.CreateOrder(order).ok());
    order.set_tenant("other");  // interleaved, never counted
    ASSERT_TRUE(store.CreateOrder(order).ok());
  }
  StoreOrderLedger ledger(&store);
  auto live = ledger.LiveOrders(kDefaultTenant);
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_EQ(static_cast<int>(live->size()), count);
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ((*live)[i].request_id(), absl::StrCat("r", i));
    EXPECT_EQ((*live)[i].tenant(), kDefaultTenant);
  }
}

}  // namespace
}  // namespace cvm
