// The order store conformance suite: the rules of store/order_store.h, run
// against every implementation. A store's test instantiates it:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, OrderStoreConformanceTest,
//                            ::testing::Values(StoreFactory{"Memory", make}),
//                            [](const auto& info) { return info.param.name; });
//
// `make` returns a fresh, empty store on the given clock keeping at most
// `max_events` events. Durable stores also instantiate DurableOrderStoreTest
// (below) with a DurableStoreFactory. The cases are in order_store_conformance.cc,
// order_store_tenant_conformance.cc (the tenant-scoped reads) and
// order_store_listener_conformance.cc (detaching the listener).
#ifndef CVM_PROVISIONER_STORE_ORDER_STORE_CONFORMANCE_H_
#define CVM_PROVISIONER_STORE_ORDER_STORE_CONFORMANCE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "store/order_store.h"

namespace cvm {

// A new ACCEPTED order of one instance in `region`, not yet stored.
Order DraftOrder(const std::string& request_id, const std::string& region = "ap-guangzhou");
// The mutation that sets an order's state.
OrderStore::Mutation MutateState(Order::State state);

// Stores an order of "team-a" (the first revision) then one of "team-b".
void CreateOrdersOfTwoTenants(OrderStore& store);
// Each of those tenants' replay holds just its order's event.
void ExpectTheEventsOfTwoTenants(OrderStore& store);

// A listener whose first call is held until ExpectDetachWaits() releases it;
// counts its calls (order_store_listener_conformance.cc).
class HeldListener {
 public:
  OrderStore::Listener listener();
  // Waits until the first call is held; false when none came within
  // `timeout` (a store that never calls its listener fails, not hangs).
  [[nodiscard]] bool AwaitHeldCall(absl::Duration timeout = absl::Seconds(60)) {
    return entered_.WaitForNotificationWithTimeout(timeout);
  }
  // Detaches the listener from `store` on another thread; expects that to
  // wait through 200 ms of the held call and return once the call did.
  void ExpectDetachWaits(OrderStore& store);
  int calls() const { return calls_.load(); }

 private:
  absl::Notification entered_, release_;
  std::atomic<int> calls_{0};
  std::atomic<bool> call_returned_{false};
};

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<OrderStore>(Clock* clock, size_t max_events)> make;
};

class OrderStoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().make(&clock_, 100000); }

  // Stores a new order (of `tenant`); the clock moves 1 ms so ids order by
  // creation.
  Order Create(const std::string& request_id, const std::string& region = "ap-guangzhou",
               const std::string& tenant = "");

  FakeClock clock_;
  std::unique_ptr<OrderStore> store_;
};

// What only a durable store promises (SQLite, PostgreSQL): orders, request
// ids and revisions survive a reopen, and concurrent writes share commits in
// revision order. `fresh` names a new empty location (a file, a database);
// `open` opens the store there; `commits` is its transaction count.
struct DurableStoreFactory {
  std::string name;
  std::function<std::string()> fresh;
  std::function<absl::StatusOr<std::unique_ptr<OrderStore>>(const std::string& location,
                                                            Clock* clock)>
      open;
  std::function<int64_t(OrderStore& store)> commits;
};

class DurableOrderStoreTest : public ::testing::TestWithParam<DurableStoreFactory> {
 protected:
  FakeClock clock_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_ORDER_STORE_CONFORMANCE_H_
