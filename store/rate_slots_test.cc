// LocalRateSlots: the RateSlots cases (store/rate_slots_conformance.h).
#include "store/rate_slots.h"

#include "gtest/gtest.h"
#include "store/rate_slots_conformance.h"

namespace cvm {
namespace {

TEST(LocalRateSlotsTest, SlotsInOrderWithinTheBound) {
  LocalRateSlots slots;
  EXPECT_FALSE(slots.shared());
  ExpectSlotsInOrderWithinTheBound(slots, "acct/RunInstances");
}

TEST(LocalRateSlotsTest, NoSlotHandedOutTwice) {
  LocalRateSlots slots;
  ExpectNoSlotHandedOutTwice({&slots}, "acct/DescribeInstances", 4, 500);
}

}  // namespace
}  // namespace cvm
