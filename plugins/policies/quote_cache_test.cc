// QuoteCache: quotes kept per (backend, spec, count) for their TTL on the
// injected clock, errors never kept, a bounded number of entries.
#include "plugins/policies/quote_cache.h"

#include "backends/fake/fake_backend.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "plugins/policies/policy_test_support.h"

namespace cvm {
namespace {

using provisioning::v1::InstanceSpec;
using testing::Purchase;
using testing::QuoteCounter;

class QuoteCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fake = FakeBackend::Create(provisioning::fake::v1::FakeBackendConfig(), &clock_);
    ASSERT_TRUE(fake.ok()) << fake.status();
    backend_ = std::make_unique<QuoteCounter>(*std::move(fake));
    backend_->type_prices["S5.LARGE8"] = "1.00";
  }

  InstanceSpec Spec(const std::string& type = "S5.MEDIUM2") {
    InstanceSpec spec = Purchase(1).spec();
    spec.set_instance_type(type);
    return spec;
  }

  FakeClock clock_;
  std::unique_ptr<QuoteCounter> backend_;
};

TEST_F(QuoteCacheTest, KeepsAQuoteForItsTtlOnTheClock) {
  QuoteCache cache(&clock_, absl::Minutes(5), 100);
  auto first = cache.Get("fake", *backend_, Spec("S5.LARGE8"), 2);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->total_price_per_hour(), "2.00");
  clock_.Advance(absl::Minutes(5) - absl::Seconds(1));
  auto kept = cache.Get("fake", *backend_, Spec("S5.LARGE8"), 2);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->total_price_per_hour(), "2.00");
  EXPECT_EQ(backend_->quotes, 1);
  clock_.Advance(absl::Seconds(1));  // 5 minutes old: asked again
  ASSERT_TRUE(cache.Get("fake", *backend_, Spec("S5.LARGE8"), 2).ok());
  EXPECT_EQ(backend_->quotes, 2);
}

TEST_F(QuoteCacheTest, TheKeyIsBackendSpecAndCountButNotUserData) {
  QuoteCache cache(&clock_, absl::Minutes(5), 100);
  ASSERT_TRUE(cache.Get("fake", *backend_, Spec(), 1).ok());
  ASSERT_TRUE(cache.Get("other", *backend_, Spec(), 1).ok());
  ASSERT_TRUE(cache.Get("fake", *backend_, Spec(), 2).ok());
  ASSERT_TRUE(cache.Get("fake", *backend_, Spec("S5.LARGE8"), 1).ok());
  InstanceSpec spot = Spec();
  spot.mutable_spot()->set_max_price_per_hour("0.10");
  ASSERT_TRUE(cache.Get("fake", *backend_, spot, 1).ok());
  EXPECT_EQ(backend_->quotes, 5);
  EXPECT_EQ(cache.size(), 5u);
  InstanceSpec with_data = Spec();
  with_data.set_user_data("IyEvYmluL3NoCg==");
  ASSERT_TRUE(cache.Get("fake", *backend_, with_data, 1).ok());
  EXPECT_EQ(backend_->quotes, 5);
}

TEST_F(QuoteCacheTest, KeepsNoError) {
  QuoteCache cache(&clock_, absl::Minutes(5), 100);
  backend_->quote_error = absl::UnavailableError("cloud down");
  EXPECT_EQ(cache.Get("fake", *backend_, Spec(), 1).status().code(),
            absl::StatusCode::kUnavailable);
  backend_->quote_error = absl::OkStatus();
  EXPECT_TRUE(cache.Get("fake", *backend_, Spec(), 1).ok());
  EXPECT_EQ(backend_->quotes, 2);
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(QuoteCacheTest, AFullCacheDropsExpiredQuotesThenTheOldest) {
  QuoteCache cache(&clock_, absl::Minutes(5), 3);
  for (int count = 1; count <= 3; ++count) {
    ASSERT_TRUE(cache.Get("fake", *backend_, Spec(), count).ok());
    clock_.Advance(absl::Minutes(2));
  }
  // Now count 1 is 6 minutes old (expired), 2 is 4 and 3 is 2.
  ASSERT_TRUE(cache.Get("fake", *backend_, Spec(), 4).ok());
  EXPECT_EQ(cache.size(), 3u);
  ASSERT_TRUE(cache.Get("fake", *backend_, Spec(), 5).ok());  // drops count 2, the oldest
  EXPECT_EQ(cache.size(), 3u);
  const int before = backend_->quotes;
  for (int count : {3, 4, 5}) ASSERT_TRUE(cache.Get("fake", *backend_, Spec(), count).ok());
  EXPECT_EQ(backend_->quotes, before);
  ASSERT_TRUE(cache.Get("fake", *backend_, Spec(), 2).ok());
  EXPECT_EQ(backend_->quotes, before + 1);
}

}  // namespace
}  // namespace cvm
