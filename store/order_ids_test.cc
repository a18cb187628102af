#include "store/order_ids.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

const absl::Time kNow = absl::FromUnixMillis(0x0123456789a);

TEST(MintOrderIdTest, IdsSortByTimeThenSequence) {
  uint32_t sequence = 7;
  auto never = [](const std::string&) -> absl::StatusOr<bool> { return false; };
  EXPECT_EQ(*MintOrderId(kNow, sequence, never), "ord-00123456789a0007");
  EXPECT_EQ(*MintOrderId(kNow, sequence, never), "ord-00123456789a0008");
  EXPECT_EQ(sequence, 9u);
}

TEST(MintOrderIdTest, AWrappedSequenceSkipsTakenIds) {
  std::set<std::string> taken = {"ord-00123456789a0000", "ord-00123456789a0001"};
  uint32_t sequence = 0xffff;
  auto is_taken = [&](const std::string& id) -> absl::StatusOr<bool> {
    return taken.count(id) > 0;
  };
  EXPECT_EQ(*MintOrderId(kNow, sequence, is_taken), "ord-00123456789affff");
  EXPECT_EQ(*MintOrderId(kNow, sequence, is_taken), "ord-00123456789a0002");
}

TEST(MintOrderIdTest, AFullMillisecondIsResourceExhausted) {
  uint32_t sequence = 0;
  auto all = [](const std::string&) -> absl::StatusOr<bool> { return true; };
  EXPECT_EQ(MintOrderId(kNow, sequence, all).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(MintOrderIdTest, TheLookupErrorIsReturned) {
  uint32_t sequence = 0;
  auto broken = [](const std::string&) -> absl::StatusOr<bool> {
    return absl::UnavailableError("disk I/O error");
  };
  EXPECT_EQ(MintOrderId(kNow, sequence, broken).status().message(), "disk I/O error");
}

}  // namespace
}  // namespace cvm
