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

OrderStore::Listener HeldListener::listener() {
  return [this](const OrderEvent&) {
    calls_.fetch_add(1);
    if (entered_.HasBeenNotified()) return;
    entered_.Notify();
    release_.WaitForNotification();
    call_returned_ = true;
  };
}

void HeldListener::ExpectDetachWaits(OrderStore& store) {
  std::atomic<bool> detached{false};
  bool returned_first = false;
  std::thread detacher([&] {
    store.SetListener(nullptr);
    returned_first = call_returned_.load();
    detached = true;
  });
  // Real time: what is checked is that the detach does not return while
  // the call is held (a store that does not wait returns well within this).
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(detached.load()) << "SetListener(nullptr) returned during a listener call";
  release_.Notify();
  detacher.join();
  EXPECT_TRUE(returned_first) << "the call was still running when SetListener returned";
}

namespace {

TEST_P(OrderStoreConformanceTest, DetachingTheListenerWaitsForACallInProgress) {
  HeldListener held;
  store_->SetListener(held.listener());
  std::thread writer([&] { EXPECT_TRUE(store_->CreateOrder(DraftOrder("held")).ok()); });
  if (!held.AwaitHeldCall()) {
    writer.join();
    FAIL() << "the store never called its listener";
  }
  held.ExpectDetachWaits(*store_);
  writer.join();
  EXPECT_EQ(held.calls(), 1);
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
