#include "service/change_recording_store.h"

#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::OrderChange;
using ::testing::SizeIs;

class ChangeRecordingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.SetListener([this](const OrderEvent& event) {
      absl::MutexLock lock(&mu_);
      events_.push_back(event);
    });
    Order draft;
    draft.set_request_id("r1");
    draft.set_state(Order::ACCEPTED);
    draft.add_last_changes()->set_kind(OrderChange::ORDER_FINAL);  // output-only: dropped
    auto created = store_.CreateOrder(draft);
    ASSERT_TRUE(created.ok()) << created.status();
    id_ = created->order.order_id();
    EXPECT_THAT(created->order.last_changes(), SizeIs(0));
  }

  std::vector<OrderEvent> Events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

  FakeClock clock_;
  ChangeRecordingStore store_{std::make_unique<MemoryOrderStore>(&clock_)};
  std::string id_;
  absl::Mutex mu_;
  std::vector<OrderEvent> events_;
};

TEST_F(ChangeRecordingStoreTest, EveryRevisionCarriesItsOwnChanges) {
  for (Order::State step : {Order::CHECKING, Order::SUBMITTED}) {
    ASSERT_TRUE(store_
                    .UpdateOrder(id_,
                                 [step](Order& o) {
                                   o.set_state(step);
                                   return absl::OkStatus();
                                 })
                    .ok());
  }
  auto provisioning = store_.UpdateOrder(id_, [](Order& o) {
    o.set_state(Order::PROVISIONING);
    Instance* instance = o.add_instances();
    instance->set_instance_id("i1");
    instance->set_state(Instance::PENDING);
    return absl::OkStatus();
  });
  ASSERT_TRUE(provisioning.ok()) << provisioning.status();
  ASSERT_THAT(provisioning->last_changes(), SizeIs(1));
  EXPECT_EQ(provisioning->last_changes(0).kind(), OrderChange::STATE_CHANGED);
  EXPECT_EQ(provisioning->last_changes(0).to_state(), Instance::PENDING);

  // A step that changes no instance clears the previous revision's list.
  auto terminating = store_.UpdateOrder(id_, [](Order& o) {
    o.set_state(Order::TERMINATING);
    return absl::OkStatus();
  });
  ASSERT_TRUE(terminating.ok());
  EXPECT_THAT(terminating->last_changes(), SizeIs(0));

  auto terminated = store_.UpdateOrder(id_, [](Order& o) {
    o.set_state(Order::TERMINATED);
    o.mutable_instances(0)->set_state(Instance::TERMINATED);
    return absl::OkStatus();
  });
  ASSERT_TRUE(terminated.ok());
  std::vector<OrderChange::Kind> kinds;
  for (const OrderChange& c : terminated->last_changes()) kinds.push_back(c.kind());
  EXPECT_THAT(kinds, ::testing::ElementsAre(OrderChange::STATE_CHANGED, OrderChange::RELEASED,
                                            OrderChange::ORDER_FINAL));

  // What listeners (Watch) see is what was stored.
  const std::vector<OrderEvent> events = Events();
  ASSERT_THAT(events, SizeIs(6));  // create + 2 steps to SUBMITTED + 3 updates
  EXPECT_THAT(events[3].order.last_changes(), SizeIs(1));
  EXPECT_THAT(events[4].order.last_changes(), SizeIs(0));
  EXPECT_THAT(events[5].order.last_changes(), SizeIs(3));
  EXPECT_THAT(store_.GetOrder(id_)->last_changes(), SizeIs(3));
}

TEST_F(ChangeRecordingStoreTest, AnUnchangedOrderWritesNothingAndKeepsItsChanges) {
  ASSERT_TRUE(store_
                  .UpdateOrder(id_,
                               [](Order& o) {
                                 o.set_state(Order::CANCELLED);
                                 return absl::OkStatus();
                               })
                  .ok());
  const int64_t revision = store_.GetOrder(id_)->revision();
  auto same = store_.UpdateOrder(id_, [](Order& o) {
    o.clear_last_changes();  // only the list would change: still nothing to write
    return absl::OkStatus();
  });
  ASSERT_TRUE(same.ok());
  Order now = *store_.GetOrder(id_);
  EXPECT_EQ(now.revision(), revision);
  ASSERT_THAT(now.last_changes(), SizeIs(1));
  EXPECT_EQ(now.last_changes(0).kind(), OrderChange::ORDER_FINAL);
  EXPECT_THAT(Events(), SizeIs(2));
}

TEST_F(ChangeRecordingStoreTest, AMutationErrorIsReturnedAndNothingWritten) {
  auto failed = store_.UpdateOrder(id_, [](Order& o) {
    o.set_state(Order::FAILED);
    return absl::AbortedError("changed my mind");
  });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_.GetOrder(id_)->state(), Order::ACCEPTED);
  EXPECT_EQ(
      store_.UpdateOrder("ord-unknown", [](Order&) { return absl::OkStatus(); }).status().code(),
      absl::StatusCode::kNotFound);
}

TEST_F(ChangeRecordingStoreTest, AnIllegalTransitionIsRefusedAndNothingWritten) {
  const size_t before = Events().size();
  auto skipped = store_.UpdateOrder(id_, [](Order& o) {
    o.set_state(Order::ACTIVE);  // skips the cloud call
    return absl::OkStatus();
  });
  EXPECT_EQ(skipped.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReason(skipped.status()), "ILLEGAL_ORDER_TRANSITION");
  EXPECT_EQ(store_.GetOrder(id_)->state(), Order::ACCEPTED);
  EXPECT_THAT(Events(), SizeIs(before));
}

}  // namespace
}  // namespace cvm
