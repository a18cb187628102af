#include "cli/usage.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using ::testing::HasSubstr;

TEST(UsageTest, MainHelpListsCommandsGlobalFlagsAndEveryExitCode) {
  const std::string help = MainHelp();
  for (const char* command : {"purchase", "quote", "describe", "watch", "terminate", "group"}) {
    EXPECT_THAT(help, HasSubstr(std::string("  ") + command)) << command;
  }
  for (const char* flag : {"--server=HOST:PORT", "--output=table|json", "--timeout=DURATION"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  for (const char* code : {"  0  success", "  1  usage error", "  2  invalid argument",
                           "  3  failed precondition or quota", "  4  not found",
                           "  5  unavailable or deadline exceeded", "  6  the watched order",
                           "  7  any other error"}) {
    EXPECT_THAT(help, HasSubstr(code));
  }
}

TEST(UsageTest, CommandHelpShowsItsFlagsAndTheGlobalOnes) {
  const CommandSpec* purchase = FindCommand("purchase");
  ASSERT_NE(purchase, nullptr);
  const std::string help = CommandHelp(*purchase);
  EXPECT_THAT(help, HasSubstr("Usage: provisionctl purchase [FLAGS]"));
  for (const char* flag :
       {"--region=REGION", "--spot_max_price=PRICE", "--period_months=N", "--auto_renew",
        "--request_id=ID", "--dry_run", "--spec_file=PATH", "--watch", "--tag=KEY=VALUE",
        "--data_disk=[TYPE:]GB", "--server=HOST:PORT", "--zones=ZONE", "--types=TYPE",
        "--try=spot:PRICE|payg", "--strategy=cheapest|prioritized"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  EXPECT_THAT(CommandHelp(*FindCommand("describe")),
              HasSubstr("Usage: provisionctl describe [ORDER_ID...] [FLAGS]"));
}

TEST(UsageTest, EveryCommandParsesItsOwnFlagsOnly) {
  auto line = ParseProvisionctlArgs({"describe", "ord-1", "--state=ACTIVE", "--output=json"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->command, "describe");
  EXPECT_EQ(line->flags.String("output"), "json");
  auto wrong = ParseProvisionctlArgs({"describe", "--count=2"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(std::string(wrong.status().message()),
              HasSubstr("unknown flag --count for describe"));
  EXPECT_TRUE(ParseProvisionctlArgs({"quote", "--count=2", "--region=r"}).ok());
  EXPECT_FALSE(ParseProvisionctlArgs({"quote", "--watch"}).ok());
}

TEST(UsageTest, FlagNamesAreUniqueWithinACommand) {
  for (const CommandSpec& command : Commands()) {
    std::set<std::string> names;
    for (const FlagSpec& flag : command.flags) {
      EXPECT_TRUE(names.insert(flag.name).second) << command.name << " --" << flag.name;
    }
    for (const FlagSpec& flag : GlobalFlags()) {
      EXPECT_EQ(names.count(flag.name), 0u) << command.name << " shadows --" << flag.name;
    }
  }
}

}  // namespace
}  // namespace cvm::cli
