#include "common/order_states.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

std::set<OrderState> Successors(OrderState from) {
  std::set<OrderState> next;
  for (OrderState to : AllStates()) {
    if (to != from && IsLegalTransition(from, to)) next.insert(to);
  }
  return next;
}

TEST(OrderStatesTest, TheTransitionTable) {
  EXPECT_THAT(Successors(Order::ACCEPTED),
              UnorderedElementsAre(Order::CHECKING, Order::CANCELLED, Order::FAILED));
  EXPECT_THAT(Successors(Order::CHECKING),
              UnorderedElementsAre(Order::SUBMITTED, Order::CANCELLED, Order::FAILED));
  EXPECT_THAT(Successors(Order::SUBMITTED),
              UnorderedElementsAre(Order::PROVISIONING, Order::FAILED, Order::TERMINATING));
  EXPECT_THAT(Successors(Order::PROVISIONING),
              UnorderedElementsAre(Order::ACTIVE, Order::FAILED, Order::TERMINATING));
  EXPECT_THAT(Successors(Order::ACTIVE), ElementsAre(Order::TERMINATING));
  EXPECT_THAT(Successors(Order::FAILED), ElementsAre(Order::TERMINATING));
  EXPECT_THAT(Successors(Order::TERMINATING), ElementsAre(Order::TERMINATED));
  EXPECT_THAT(Successors(Order::CANCELLED), ElementsAre());
  EXPECT_THAT(Successors(Order::TERMINATED), ElementsAre());
  // A cancelled order never fails later, a released one never comes back.
  EXPECT_FALSE(IsLegalTransition(Order::CANCELLED, Order::FAILED));
  EXPECT_FALSE(IsLegalTransition(Order::TERMINATED, Order::TERMINATING));
  EXPECT_TRUE(IsLegalTransition(Order::TERMINATED, Order::TERMINATED));
}

TEST(OrderStatesTest, FinalStatesLeadOnlyToAReleaseOfWhatIsLeft) {
  for (OrderState state : AllStates()) {
    if (!IsFinal(state)) continue;
    for (OrderState next : Successors(state)) {
      EXPECT_EQ(state, Order::FAILED) << Order::State_Name(state);
      EXPECT_EQ(next, Order::TERMINATING);
    }
  }
  EXPECT_THAT(AllStates(), ::testing::SizeIs(Order::State_descriptor()->value_count() - 1));
}

TEST(OrderStatesTest, TheListsAgreeWithThePredicates) {
  std::set<OrderState> before, holding, polled;
  for (OrderState state : AllStates()) {
    if (IsBeforeCloud(state)) before.insert(state);
    if (state != Order::CANCELLED && state != Order::TERMINATED) holding.insert(state);
    if (!IsBeforeCloud(state) && !IsFinal(state)) polled.insert(state);
  }
  EXPECT_EQ(std::set<OrderState>(BeforeCloudStates().begin(), BeforeCloudStates().end()), before);
  EXPECT_EQ(std::set<OrderState>(HoldingStates().begin(), HoldingStates().end()), holding);
  EXPECT_EQ(std::set<OrderState>(PolledStates().begin(), PolledStates().end()), polled);
  EXPECT_TRUE(IsSettled(Order::ACTIVE));
  EXPECT_TRUE(IsSettled(Order::CANCELLED));
  EXPECT_FALSE(IsSettled(Order::TERMINATING));
}

TEST(OrderStatesTest, LiveInstances) {
  Instance instance;
  for (auto [state, live] : {std::pair{Instance::PENDING, true}, {Instance::RUNNING, true},
                             {Instance::SHUTDOWN, true}, {Instance::TERMINATED, false},
                             {Instance::LAUNCH_FAILED, false}}) {
    instance.set_state(state);
    EXPECT_EQ(IsLive(instance), live) << Instance::State_Name(state);
  }
}

}  // namespace
}  // namespace cvm
