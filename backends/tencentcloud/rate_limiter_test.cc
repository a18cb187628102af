// RateLimiter on a fake clock: the calls of each second, the reserve, one
// schedule shared by several limiters (replicas), the horizon, late wake-ups
// and the deadline.
#include "backends/tencentcloud/rate_limiter.h"

#include <map>
#include <vector>

#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

// Records every Take() (when, and the slot's answer) on top of a schedule.
class RecordingSlots : public RateSlots {
 public:
  explicit RecordingSlots(Clock* clock) : clock_(clock) {}
  absl::StatusOr<SlotTake> Take(const std::string& key, int64_t first, int64_t last) override {
    absl::StatusOr<SlotTake> take = inner_.Take(key, first, last);
    if (take.ok() && take->taken) taken_at.push_back(clock_->Now());
    return take;
  }
  bool shared() const override { return false; }
  std::vector<absl::Time> taken_at;
  LocalRateSlots inner_;

 private:
  Clock* clock_;
};

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiter Make(RateLimiter::Options options = {}) {
    return RateLimiter(&slots_, &clock_, std::move(options),
                       [this](absl::Duration d) { clock_.Advance(d + oversleep_); });
  }
  // Calls per whole second when `n` calls of `action` are made back to back
  // by the limiters in turn.
  std::map<int64_t, int> PerSecond(std::vector<RateLimiter*> limiters, const std::string& action,
                                   int n) {
    std::map<int64_t, int> seconds;
    for (int i = 0; i < n; ++i) {
      absl::StatusOr<RateLimiter::Grant> grant = limiters[i % limiters.size()]->Acquire(action);
      EXPECT_TRUE(grant.ok()) << grant.status();
      // Sent now, before the end of its second less the guard.
      if (grant.ok()) EXPECT_LT(clock_.Now(), grant->send_by);
      ++seconds[absl::ToUnixSeconds(clock_.Now())];
    }
    return seconds;
  }
  // Takes the slots of the next `seconds` seconds of a schedule of
  // `per_second`, as others would.
  void TakeAhead(const std::string& key, int per_second, int seconds) {
    const int64_t first = (absl::ToUnixSeconds(clock_.Now()) + 1) * per_second;
    for (int i = 0; i < per_second * seconds; ++i) {
      ASSERT_TRUE(slots_.inner_.Take(key, first, first + (1 << 20)).ok());
    }
  }
  static int Busiest(const std::map<int64_t, int>& seconds) {
    int busiest = 0;
    for (const auto& [second, calls] : seconds) busiest = std::max(busiest, calls);
    return busiest;
  }

  FakeClock clock_{absl::FromUnixMillis(1700000000'300)};
  RecordingSlots slots_{&clock_};
  absl::Duration oversleep_;
};

TEST_F(RateLimiterTest, NoSecondHoldsMoreThanTheLimitLessTheReserve) {
  RateLimiter limiter = Make();
  EXPECT_EQ(limiter.PerSecond("RunInstances"), 8);  // 10 x (1 - 20 %)
  EXPECT_EQ(limiter.PerSecond("DescribeInstances"), 32);
  EXPECT_EQ(limiter.PerSecond("DescribeAccountQuota"), 16);  // unnamed: 20
  const absl::Time start = clock_.Now();
  std::map<int64_t, int> seconds = PerSecond({&limiter}, "RunInstances", 100);
  EXPECT_EQ(Busiest(seconds), 8);
  // Not slower than it must be: 100 calls at 8 per second.
  EXPECT_LE(clock_.Now() - start, absl::Seconds(13));
}

TEST_F(RateLimiterTest, TheReserveAndTheLimitsAreConfigurable) {
  RateLimiter::Options options;
  options.reserve = 0;
  options.limits = {{"RunInstances", 5}, {"DescribeInstances", 0}};
  options.default_limit = 3;
  RateLimiter limiter = Make(options);
  EXPECT_EQ(limiter.PerSecond("RunInstances"), 5);
  EXPECT_EQ(limiter.PerSecond("DescribeAccountBalance"), 3);
  EXPECT_EQ(limiter.PerSecond("DescribeInstances"), 0);
  EXPECT_EQ(Busiest(PerSecond({&limiter}, "RunInstances", 30)), 5);
  const absl::Time before = clock_.Now();
  PerSecond({&limiter}, "DescribeInstances", 100);  // unpaced
  EXPECT_EQ(clock_.Now(), before);
}

TEST_F(RateLimiterTest, LimitersSharingASchedulePaceAsOne) {
  RateLimiter a = Make(), b = Make(), c = Make();
  std::map<int64_t, int> seconds = PerSecond({&a, &b, &c}, "RunInstances", 90);
  EXPECT_EQ(Busiest(seconds), 8);
  // Each limiter alone would have allowed 8 of its own each second.
  EXPECT_GE(seconds.size(), 11u);
}

TEST_F(RateLimiterTest, ASlotIsNeverTakenFurtherAheadThanTheHorizon) {
  RateLimiter limiter = Make();
  // Others (a replica that then died) took the next 5 seconds of slots.
  TakeAhead("default/RunInstances", 8, 5);
  const absl::Time start = clock_.Now();
  ASSERT_TRUE(limiter.Acquire("RunInstances").ok());
  ASSERT_EQ(slots_.taken_at.size(), 1u);
  // It took its slot no earlier than a horizon before it, and got the first
  // one after the dead replica's.
  EXPECT_GE(slots_.taken_at[0], clock_.Now() - absl::Seconds(1));
  EXPECT_GT(clock_.Now() - start, absl::Seconds(4));
  EXPECT_LT(clock_.Now() - start, absl::Seconds(6));
}

TEST_F(RateLimiterTest, ACallThatWakesTooLateForItsSecondTakesAnotherSlot) {
  RateLimiter limiter = Make();
  oversleep_ = absl::Milliseconds(700);  // every sleep overshoots
  std::map<int64_t, int> seconds = PerSecond({&limiter}, "RunInstances", 20);
  EXPECT_LE(Busiest(seconds), 8);
  EXPECT_GT(limiter.late_slots(), 0);
  // Every call went out in its slot's second, before the guard.
  const absl::Time now = clock_.Now();
  EXPECT_LT(now - absl::FromUnixSeconds(absl::ToUnixSeconds(now)), absl::Milliseconds(750));
}

TEST_F(RateLimiterTest, TheDeadlineAndTheLongestWaitStopTheWait) {
  RateLimiter::Options options;
  options.limits = {{"RunInstances", 1}};
  options.reserve = 0;
  options.max_wait = absl::Seconds(30);
  RateLimiter limiter = Make(options);
  ASSERT_TRUE(limiter.Acquire("RunInstances").ok());
  const absl::Time before = clock_.Now();
  absl::Status late = limiter.Acquire("RunInstances", before + absl::Milliseconds(200)).status();
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded) << late;
  EXPECT_EQ(clock_.Now(), before);  // it did not wait for nothing
  // Others hold the next minute: longer than max_wait.
  TakeAhead("default/RunInstances", 1, 60);
  absl::Status refused = limiter.Acquire("RunInstances").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_NE(refused.message().find("shared by every replica"), std::string::npos) << refused;
}

}  // namespace
}  // namespace cvm::tencentcloud
