#include "store/capacity_verdicts.h"

#include "gtest/gtest.h"
#include "store/capacity_verdicts_conformance.h"

namespace cvm {
namespace {

TEST(LocalCapacityVerdictsTest, VerdictsStandUntilTheirTime) {
  LocalCapacityVerdicts verdicts;
  ExpectVerdictsStandUntilTheirTime(verdicts, verdicts);
}

}  // namespace
}  // namespace cvm
