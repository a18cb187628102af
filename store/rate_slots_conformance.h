// What every RateSlots (store/rate_slots.h) does, for each implementation's
// test: slots in order from `first`, none beyond `last`, and no slot handed
// out twice to concurrent takers, whichever of the given schedules (one per
// process, sharing one store) they take from.
#ifndef CVM_PROVISIONER_STORE_RATE_SLOTS_CONFORMANCE_H_
#define CVM_PROVISIONER_STORE_RATE_SLOTS_CONFORMANCE_H_

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "store/rate_slots.h"

namespace cvm {

// Take() semantics on one schedule; `key` must be new to it.
inline void ExpectSlotsInOrderWithinTheBound(RateSlots& slots, const std::string& key) {
  absl::StatusOr<SlotTake> take = slots.Take(key, 1000, 1001);
  ASSERT_TRUE(take.ok()) << take.status();
  EXPECT_TRUE(take->taken);
  EXPECT_EQ(take->slot, 1000);
  take = slots.Take(key, 990, 1001);  // earlier than the next free: the next free
  ASSERT_TRUE(take.ok()) << take.status();
  EXPECT_TRUE(take->taken);
  EXPECT_EQ(take->slot, 1001);
  take = slots.Take(key, 995, 1001);  // 1002 is free, beyond the bound: not taken
  ASSERT_TRUE(take.ok()) << take.status();
  EXPECT_FALSE(take->taken);
  EXPECT_EQ(take->slot, 1002);
  take = slots.Take(key, 1002, 1002);  // it stayed free
  ASSERT_TRUE(take.ok()) << take.status();
  EXPECT_TRUE(take->taken);
  EXPECT_EQ(take->slot, 1002);
  take = slots.Take(key, 5000, 6000);  // a gap: slots not asked for pass unused
  ASSERT_TRUE(take.ok()) << take.status();
  EXPECT_EQ(take->slot, 5000);
  take = slots.Take(key + "/other", 7, 7);  // schedules are independent
  ASSERT_TRUE(take.ok()) << take.status();
  EXPECT_TRUE(take->taken);
  EXPECT_EQ(take->slot, 7);
}

// `threads` threads per schedule in `schedules` each take `takes` slots of
// `key` (new) as fast as they can: every slot is handed out once and they
// are consecutive.
inline void ExpectNoSlotHandedOutTwice(const std::vector<RateSlots*>& schedules,
                                       const std::string& key, int threads, int takes) {
  absl::Mutex mu;
  std::multiset<int64_t> seen;
  int errors = 0;
  std::vector<std::thread> workers;
  for (RateSlots* slots : schedules) {
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, slots] {
        for (int i = 0; i < takes; ++i) {
          absl::StatusOr<SlotTake> take = slots->Take(key, 0, int64_t{1} << 40);
          absl::MutexLock lock(&mu);
          if (!take.ok() || !take->taken) {
            ++errors;
            continue;
          }
          seen.insert(take->slot);
        }
      });
    }
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_EQ(errors, 0);
  const int64_t total = static_cast<int64_t>(schedules.size()) * threads * takes;
  ASSERT_EQ(static_cast<int64_t>(seen.size()), total);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), seen.size()) << "a slot twice";
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), total - 1);
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_RATE_SLOTS_CONFORMANCE_H_
