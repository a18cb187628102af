// Conformance cases (order_store_conformance.h) for detaching the listener
// (order_store.h rule 5): SetListener(nullptr) waits for a call in progress,
// and the detached listener is neither called again nor kept.
#include <atomic>
#include <memory>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "store/order_store_conformance.h"

namespace cvm {
namespace {

TEST_P(OrderStoreConformanceTest, DetachingTheListenerWaitsForACallInProgress) {
  absl::Notification entered, release;
  std::atomic<bool> call_returned{false};
  store_->SetListener([&](const OrderEvent&) {
    if (entered.HasBeenNotified()) return;
    entered.Notify();
    release.WaitForNotification();
    call_returned = true;
  });
  std::thread writer([&] { EXPECT_TRUE(store_->CreateOrder(DraftOrder("held")).ok()); });
  entered.WaitForNotification();
  std::atomic<bool> detached{false};
  bool returned_first = false;
  std::thread detacher([&] {
    store_->SetListener(nullptr);
    returned_first = call_returned.load();
    detached = true;
  });
  // Real time: what is checked is that the detach does not return while
  // the call is held (a store that does not wait returns well within this).
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(detached.load()) << "SetListener(nullptr) returned during a listener call";
  release.Notify();
  detacher.join();
  writer.join();
  EXPECT_TRUE(returned_first) << "the call was still running when SetListener returned";
}

TEST_P(OrderStoreConformanceTest, ADetachedListenerIsNeitherCalledNorKept) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  store_->SetListener([calls](const OrderEvent&) { calls->fetch_add(1); });
  const Order order = Create("heard");
  EXPECT_EQ(calls->load(), 1);
  store_->SetListener(nullptr);
  EXPECT_EQ(calls.use_count(), 1) << "the store still holds the detached listener";
  Create("unheard");
  ASSERT_TRUE(store_->UpdateOrder(order.order_id(), MutateState(Order::CHECKING)).ok());
  EXPECT_EQ(calls->load(), 1);
}

}  // namespace
}  // namespace cvm
