#include "common/money.h"

#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using ::testing::HasSubstr;

TEST(MoneyTest, ParsesDecimalsExactly) {
  EXPECT_EQ(*ParseMoneyMicros("0"), 0);
  EXPECT_EQ(*ParseMoneyMicros("7"), 7000000);
  EXPECT_EQ(*ParseMoneyMicros("12"), 12000000);
  EXPECT_EQ(*ParseMoneyMicros("0.35"), 350000);
  EXPECT_EQ(*ParseMoneyMicros("0.5"), 500000);
  EXPECT_EQ(*ParseMoneyMicros("1.10"), 1100000);
  EXPECT_EQ(*ParseMoneyMicros("0.000001"), 1);
  EXPECT_EQ(*ParseMoneyMicros("3.141592"), 3141592);
  EXPECT_EQ(*ParseMoneyMicros("0.000000"), 0);
}

TEST(MoneyTest, ParsesTheLargestAmounts) {
  // 12 integer digits and 6 fractional digits fit an int64 exactly.
  EXPECT_EQ(*ParseMoneyMicros("999999999999"), 999999999999000000);
  EXPECT_EQ(*ParseMoneyMicros("999999999999.999999"), 999999999999999999);
  EXPECT_EQ(*ParseMoneyMicros("100000000000.000001"), 100000000000000001);
}

TEST(MoneyTest, RejectsWhatIsNotAPlainDecimal) {
  for (const char* bad :
       {"", "-1", "+1", "1e3", "1E3", ".5", "5.", ".", "1.1234567", " 1", "1 ",
        " ", "1. 5", "1,5", "1..2", "1.2.3", "abc", "0x10", "1000000000000",
        "1000000000000.5", "nan", "inf", "1\n"}) {
    absl::StatusOr<int64_t> parsed = ParseMoneyMicros(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << "\"" << bad << "\" parsed as " << (parsed.ok() ? *parsed : -1);
  }
}

TEST(MoneyTest, RejectionNamesTheInput) {
  absl::Status status = ParseMoneyMicros("1.1234567").status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"1.1234567\""));
  EXPECT_THAT(std::string(status.message()), HasSubstr("6 fractional digits"));
  status = ParseMoneyMicros("1234567890123").status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("12 integer digits"));
}

TEST(MoneyTest, EmbeddedNulIsRejected) {
  const std::string with_nul("1\0" "5", 3);
  EXPECT_EQ(ParseMoneyMicros(with_nul).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MoneyTest, FormatsWithTwoToSixFractionalDigits) {
  EXPECT_EQ(FormatMoneyMicros(0), "0.00");
  EXPECT_EQ(FormatMoneyMicros(350000), "0.35");
  EXPECT_EQ(FormatMoneyMicros(300000), "0.30");
  EXPECT_EQ(FormatMoneyMicros(1), "0.000001");
  EXPECT_EQ(FormatMoneyMicros(10), "0.00001");
  EXPECT_EQ(FormatMoneyMicros(12000000), "12.00");
  EXPECT_EQ(FormatMoneyMicros(1234567), "1.234567");
  EXPECT_EQ(FormatMoneyMicros(1230000), "1.23");
  EXPECT_EQ(FormatMoneyMicros(1234000), "1.234");
  EXPECT_EQ(FormatMoneyMicros(999999999999999999), "999999999999.999999");
}

TEST(MoneyTest, FormatsDebtsWithTheSignInFront) {
  // A Tencent balance in arrears is negative.
  EXPECT_EQ(FormatMoneyMicros(-1), "-0.000001");
  EXPECT_EQ(FormatMoneyMicros(-12500000), "-12.50");
  EXPECT_EQ(FormatMoneyMicros(std::numeric_limits<int64_t>::min()), "-9223372036854.775808");
}

TEST(MoneyTest, FormatThenParseRoundTrips) {
  for (int64_t micros : {int64_t{0}, int64_t{1}, int64_t{10}, int64_t{100000},
                         int64_t{350000}, int64_t{120000}, int64_t{987654321},
                         int64_t{292000000}, int64_t{999999999999999999}}) {
    absl::StatusOr<int64_t> parsed = ParseMoneyMicros(FormatMoneyMicros(micros));
    ASSERT_TRUE(parsed.ok()) << micros << ": " << parsed.status();
    EXPECT_EQ(*parsed, micros);
  }
}

TEST(MoneyTest, CanonicalTextRoundTripsUnchanged) {
  for (const char* text : {"0.00", "0.35", "0.000001", "12.00", "1.234567",
                           "292.00", "999999999999.999999"}) {
    absl::StatusOr<int64_t> parsed = ParseMoneyMicros(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(FormatMoneyMicros(*parsed), text);
  }
  // Non-canonical input parses to the same amount as its canonical form.
  EXPECT_EQ(FormatMoneyMicros(*ParseMoneyMicros("0.3")), "0.30");
  EXPECT_EQ(FormatMoneyMicros(*ParseMoneyMicros("5")), "5.00");
  EXPECT_EQ(FormatMoneyMicros(*ParseMoneyMicros("0.100000")), "0.10");
}

TEST(MoneyTest, CurrencyCodesAreThreeCapitalLetters) {
  EXPECT_TRUE(IsCurrencyCode("CNY"));
  EXPECT_TRUE(IsCurrencyCode("USD"));
  for (const char* bad : {"", "cny", "US", "USDT", "C1Y", "¥"}) {
    EXPECT_FALSE(IsCurrencyCode(bad)) << bad;
  }
}

}  // namespace
}  // namespace cvm
