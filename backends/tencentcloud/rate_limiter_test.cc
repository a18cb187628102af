#include "backends/tencentcloud/rate_limiter.h"

#include <vector>

#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiter Make(std::map<std::string, double> limits) {
    return RateLimiter(&clock_, std::move(limits), 20, [this](absl::Duration d) {
      clock_.Advance(d);
    });
  }
  // Start times of `n` requests made back to back.
  std::vector<absl::Time> Starts(RateLimiter& limiter, const std::string& action, int n) {
    std::vector<absl::Time> starts;
    for (int i = 0; i < n; ++i) {
      EXPECT_TRUE(limiter.Acquire(action, "ap-guangzhou", absl::Minutes(1)).ok());
      starts.push_back(clock_.Now());
    }
    return starts;
  }
  FakeClock clock_;
};

TEST_F(RateLimiterTest, NoOneSecondWindowExceedsTheLimit) {
  RateLimiter limiter = Make(DefaultRateLimits());
  std::vector<absl::Time> starts = Starts(limiter, "RunInstances", 95);
  for (size_t i = 0; i < starts.size(); ++i) {
    int in_window = 0;
    for (size_t j = i; j < starts.size() && starts[j] < starts[i] + absl::Seconds(1); ++j) {
      ++in_window;
    }
    // Paced at 90 % of 10/s: never more than Tencent's 10 in any second.
    EXPECT_LE(in_window, 10) << "window starting at request " << i;
  }
  // And it is not slower than it must be: 95 requests at 9/s take 94/9 s.
  EXPECT_LT(starts.back() - starts.front(), absl::Milliseconds(10450));
}

TEST_F(RateLimiterTest, ActionsAndRegionsHaveTheirOwnSchedules) {
  RateLimiter limiter = Make(DefaultRateLimits());
  Starts(limiter, "RunInstances", 10);
  const absl::Time before = clock_.Now();
  ASSERT_TRUE(limiter.Acquire("DescribeInstances", "ap-guangzhou", absl::Seconds(1)).ok());
  ASSERT_TRUE(limiter.Acquire("RunInstances", "ap-shanghai", absl::Seconds(1)).ok());
  EXPECT_EQ(clock_.Now(), before);  // neither waited
}

TEST_F(RateLimiterTest, UnknownActionsUseTheDefaultRate) {
  RateLimiter limiter = Make({});
  std::vector<absl::Time> starts = Starts(limiter, "DescribeAccountQuota", 3);
  EXPECT_EQ(starts[1] - starts[0], absl::Seconds(1) / 20);
}

TEST_F(RateLimiterTest, TooLongAWaitIsRefusedWithoutReservingASlot) {
  RateLimiter limiter(&clock_, {{"RunInstances", 1}}, 20);  // real sleep never needed
  ASSERT_TRUE(limiter.Acquire("RunInstances", "r", absl::Seconds(5)).ok());
  absl::Status refused = limiter.Acquire("RunInstances", "r", absl::Milliseconds(100)).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  clock_.Advance(absl::Seconds(1));
  // The refused call took no slot: the next one goes right away.
  EXPECT_TRUE(limiter.Acquire("RunInstances", "r", absl::ZeroDuration()).ok());
}

}  // namespace
}  // namespace cvm::tencentcloud
