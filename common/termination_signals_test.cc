#include "common/termination_signals.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace cvm {
namespace {

TEST(TerminationSignalsTest, BlockedSigtermIsReturnedByTheWait) {
  BlockTerminationSignals();
  ASSERT_EQ(raise(SIGTERM), 0);  // blocked: stays pending instead of killing us
  EXPECT_EQ(WaitForTerminationSignal(), SIGTERM);
}

TEST(TerminationSignalsTest, SigintIsATerminationSignalToo) {
  BlockTerminationSignals();
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_EQ(WaitForTerminationSignal(), SIGINT);
}

}  // namespace
}  // namespace cvm
