#include "backends/retry_policy.h"

#include "gtest/gtest.h"

namespace cvm {
namespace {

TEST(RetryPolicyTest, BackoffDoublesUpToTheCap) {
  RetryPolicy policy;
  policy.jitter = 0;
  policy.first_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Milliseconds(350);
  EXPECT_EQ(policy.Backoff(2), absl::Milliseconds(100));
  EXPECT_EQ(policy.Backoff(3), absl::Milliseconds(200));
  EXPECT_EQ(policy.Backoff(4), absl::Milliseconds(350));
  EXPECT_EQ(policy.Backoff(40), absl::Milliseconds(350));
}

TEST(RetryPolicyTest, JitterTakesARandomShareOff) {
  RetryPolicy policy;
  policy.jitter = 0.5;
  policy.first_backoff = absl::Milliseconds(100);
  absl::Duration low = absl::InfiniteDuration(), high = absl::ZeroDuration();
  for (int i = 0; i < 200; ++i) {
    const absl::Duration d = policy.Backoff(2);
    EXPECT_GT(d, absl::Milliseconds(50));
    EXPECT_LE(d, absl::Milliseconds(100));
    low = std::min(low, d);
    high = std::max(high, d);
  }
  EXPECT_LT(low + absl::Milliseconds(10), high);  // not one fixed value
}

TEST(RetryPolicyTest, ValidateNamesTheField) {
  RetryPolicy policy;
  EXPECT_TRUE(policy.Validate("retry.").ok());
  policy.max_attempts = 0;
  policy.jitter = 2;
  absl::Status bad = policy.Validate("retry.");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("retry.max_attempts"), std::string::npos) << bad;
  EXPECT_NE(bad.message().find("retry.jitter"), std::string::npos) << bad;
}

}  // namespace
}  // namespace cvm
