// What every CapacityVerdicts (store/capacity_verdicts.h) does, for each
// implementation's test: a verdict stands on its cell until its time, a later
// one replaces it, other cells know nothing; `writer` and `reader` may be
// two processes' views of one store.
#ifndef CVM_PROVISIONER_STORE_CAPACITY_VERDICTS_CONFORMANCE_H_
#define CVM_PROVISIONER_STORE_CAPACITY_VERDICTS_CONFORMANCE_H_

#include "gtest/gtest.h"
#include "store/capacity_verdicts.h"

namespace cvm {

inline void ExpectVerdictsStandUntilTheirTime(CapacityVerdicts& writer,
                                              CapacityVerdicts& reader) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  const CapacityCell cell{"tencent", "ap-guangzhou", "ap-guangzhou-3", "S5.MEDIUM2", "SPOT"};
  CapacityCell other = cell;
  other.billing = "PAY_AS_YOU_GO";
  ASSERT_TRUE(writer.Record(cell, {"ZONE_SOLD_OUT", "sold out", now + absl::Minutes(3)}).ok());

  absl::StatusOr<std::optional<CapacityVerdict>> found = reader.Find(cell, now);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->reason, "ZONE_SOLD_OUT");
  EXPECT_EQ((*found)->message, "sold out");
  EXPECT_EQ((*found)->until, now + absl::Minutes(3));
  found = reader.Find(cell, now + absl::Minutes(3) - absl::Seconds(1));
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->has_value());
  found = reader.Find(cell, now + absl::Minutes(3));  // its time has come
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  found = reader.Find(other, now);  // another billing is another cell
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());

  // A later verdict replaces the earlier one.
  ASSERT_TRUE(writer
                  .Record(cell, {"SPOT_PRICE_TOO_LOW", "above max", now + absl::Minutes(10),
                                 "0.06"})
                  .ok());
  found = reader.Find(cell, now + absl::Minutes(5));
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->reason, "SPOT_PRICE_TOO_LOW");
  EXPECT_EQ((*found)->bound, "0.06");
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_CAPACITY_VERDICTS_CONFORMANCE_H_
