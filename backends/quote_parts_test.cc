// QuoteOf: the parts of a price and the totals they add up to;
// SpendPerHourMicros: what a quote costs per hour.
#include "backends/quote_parts.h"

#include <limits>

#include "gtest/gtest.h"

namespace cvm {
namespace {

TEST(QuoteOfTest, HourlyPartsAreTimesTheCountAndAddUpToTheTotals) {
  PriceParts parts;
  parts.instance_hourly = 160000;   // 0.16 per instance-hour
  parts.bandwidth_hourly = 250000;  // 5 Mbps at 0.05
  absl::StatusOr<provisioning::v1::Quote> quote = QuoteOf(parts, 3, "USD");
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->currency(), "USD");
  EXPECT_EQ(quote->instance_price_per_hour(), "0.48");
  EXPECT_EQ(quote->bandwidth_price_per_hour(), "0.75");
  EXPECT_EQ(quote->unit_price_per_hour(), "0.41");
  EXPECT_EQ(quote->total_price_per_hour(), "1.23");
  EXPECT_EQ(quote->total_price_prepaid(), "");
  EXPECT_EQ(quote->traffic_price_per_gb(), "");
}

TEST(QuoteOfTest, PrepaidPartsAreForTheWholeOrderAndTrafficIsInNoTotal) {
  PriceParts parts;
  parts.instance_prepaid = 186880000;  // 186.88
  parts.bandwidth_prepaid = 5840000;   // 5.84
  parts.traffic_per_gb = 800000;
  absl::StatusOr<provisioning::v1::Quote> quote = QuoteOf(parts, 2, "CNY");
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->instance_price_prepaid(), "186.88");
  EXPECT_EQ(quote->bandwidth_price_prepaid(), "5.84");
  EXPECT_EQ(quote->total_price_prepaid(), "192.72");
  EXPECT_EQ(quote->traffic_price_per_gb(), "0.80");
  EXPECT_EQ(quote->total_price_per_hour(), "");
  EXPECT_EQ(quote->unit_price_per_hour(), "");
}

TEST(QuoteOfTest, APrepaidOrderWithHourlyBandwidthHasBothTotals) {
  PriceParts parts;
  parts.instance_prepaid = 93440000;
  parts.bandwidth_hourly = 100000;
  absl::StatusOr<provisioning::v1::Quote> quote = QuoteOf(parts, 2, "CNY");
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->total_price_prepaid(), "93.44");
  EXPECT_EQ(quote->total_price_per_hour(), "0.20");
  EXPECT_EQ(quote->instance_price_per_hour(), "");
  // 93.44 over a month of 730 hours is 0.128 per hour, plus 0.20.
  EXPECT_EQ(SpendPerHourMicros(*quote, 1).value_or(-1), 328000);
  EXPECT_EQ(SpendPerHourMicros(*quote, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QuoteOfTest, AmountsThatDoNotFitOrAreNegativeAreRefused) {
  PriceParts huge;
  huge.instance_hourly = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_EQ(QuoteOf(huge, 3, "CNY").status().code(), absl::StatusCode::kInvalidArgument);
  PriceParts sum;
  sum.instance_prepaid = std::numeric_limits<int64_t>::max();
  sum.bandwidth_prepaid = 1;
  EXPECT_EQ(QuoteOf(sum, 1, "CNY").status().code(), absl::StatusCode::kInvalidArgument);
  PriceParts negative;
  negative.bandwidth_hourly = -1;
  negative.instance_hourly = 5;
  EXPECT_EQ(QuoteOf(negative, 1, "CNY").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(QuoteOf(PriceParts(), -1, "CNY").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SpendPerHourTest, AQuoteWithoutAPriceIsRefused) {
  EXPECT_EQ(SpendPerHourMicros(provisioning::v1::Quote(), 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  provisioning::v1::Quote quote;
  quote.set_total_price_per_hour("zero");
  EXPECT_FALSE(SpendPerHourMicros(quote, 0).ok());
}

}  // namespace
}  // namespace cvm
