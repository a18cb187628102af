#include "common/money.h"

#include "gtest/gtest.h"

namespace cvm {
namespace {

TEST(MoneyTest, ParsesDecimalsExactly) {
  EXPECT_EQ(*ParseMoneyMicros("0"), 0);
  EXPECT_EQ(*ParseMoneyMicros("12"), 12000000);
  EXPECT_EQ(*ParseMoneyMicros("0.35"), 350000);
  EXPECT_EQ(*ParseMoneyMicros("0.000001"), 1);
  EXPECT_EQ(*ParseMoneyMicros("999999999999.999999"), 999999999999999999);
}

TEST(MoneyTest, RejectsWhatIsNotAPlainDecimal) {
  for (const char* bad : {"", "-1", "+1", "1e3", ".5", "5.", "1.1234567", " 1", "1 ",
                          "1,5", "1..2", "abc", "1000000000000", "0x10"}) {
    EXPECT_EQ(ParseMoneyMicros(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << "\"" << bad << "\"";
  }
}

TEST(MoneyTest, FormatsWithTwoToSixFractionalDigits) {
  EXPECT_EQ(FormatMoneyMicros(0), "0.00");
  EXPECT_EQ(FormatMoneyMicros(350000), "0.35");
  EXPECT_EQ(FormatMoneyMicros(1), "0.000001");
  EXPECT_EQ(FormatMoneyMicros(12000000), "12.00");
  EXPECT_EQ(FormatMoneyMicros(1234567), "1.234567");
}

TEST(MoneyTest, RoundTrips) {
  for (int64_t micros : {0LL, 1LL, 10LL, 350000LL, 120000LL, 987654321LL}) {
    EXPECT_EQ(*ParseMoneyMicros(FormatMoneyMicros(micros)), micros);
  }
}

}  // namespace
}  // namespace cvm
