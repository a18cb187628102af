#include "common/thread_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

TEST(ThreadPoolTest, RunsEveryScheduledTask) {
  std::atomic<int> count{0};
  ThreadPool pool(4);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(pool.Schedule([&count] { count.fetch_add(1); }));
  }
  EXPECT_TRUE(pool.WaitIdle(absl::Seconds(30)));
  EXPECT_EQ(count.load(), 1000);
}

TEST(ThreadPoolTest, StopFinishesQueuedTasksThenRefusesNewOnes) {
  std::atomic<int> count{0};
  ThreadPool pool(1);
  absl::Notification release;
  pool.Schedule([&] { release.WaitForNotification(); count.fetch_add(1); });
  pool.Schedule([&] { count.fetch_add(1); });
  release.Notify();
  pool.Stop();
  EXPECT_EQ(count.load(), 2);
  EXPECT_FALSE(pool.Schedule([&] { count.fetch_add(1); }));
  EXPECT_EQ(count.load(), 2);
}

TEST(ThreadPoolTest, WaitIdleTimesOutWhileATaskRuns) {
  ThreadPool pool(1);
  absl::Notification release;
  pool.Schedule([&] { release.WaitForNotification(); });
  EXPECT_FALSE(pool.WaitIdle(absl::Milliseconds(20)));
  release.Notify();
  EXPECT_TRUE(pool.WaitIdle(absl::Seconds(30)));
}

}  // namespace
}  // namespace cvm
