#include "cli/command_line.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<FlagSpec> kGlobal = {
    {"server", FlagKind::kString, "HOST:PORT", ""},
    {"timeout", FlagKind::kDuration, "DURATION", ""},
};
const std::vector<FlagSpec> kRun = {
    {"count", FlagKind::kInt, "N", ""},
    {"watch", FlagKind::kBool, "", ""},
    {"tag", FlagKind::kList, "K=V", ""},
};

const std::vector<FlagSpec> kJob = {};
const std::vector<FlagSpec> kJobStop = {{"force", FlagKind::kBool, "", ""}};

absl::StatusOr<CommandLine> Parse(const std::vector<std::string>& args) {
  return ParseCommandLine(args, kGlobal,
                          [](absl::string_view name) -> const std::vector<FlagSpec>* {
                            if (name == "run") return &kRun;
                            if (name == "job") return &kJob;
                            return name == "job stop" ? &kJobStop : nullptr;
                          });
}

TEST(CommandLineTest, CommandPositionalsAndBothFlagSpellings) {
  auto line = Parse(
      {"--server", "h:1", "run", "a", "--count=3", "b", "--tag", "x=1", "--tag=y=2", "--watch"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->command, "run");
  EXPECT_THAT(line->positional, ElementsAre("a", "b"));
  EXPECT_EQ(line->flags.String("server"), "h:1");
  EXPECT_EQ(line->flags.Int("count"), 3);
  EXPECT_TRUE(line->flags.Bool("watch"));
  EXPECT_THAT(line->flags.List("tag"), ElementsAre("x=1", "y=2"));
  EXPECT_FALSE(line->help);
}

TEST(CommandLineTest, AbsentFlagsFallBackAndHasTellsThemApart) {
  auto line = Parse({"run"});
  ASSERT_TRUE(line.ok());
  EXPECT_FALSE(line->flags.Has("count"));
  EXPECT_EQ(line->flags.Int("count", 1), 1);
  EXPECT_FALSE(line->flags.Bool("watch"));
  EXPECT_EQ(line->flags.String("server", "d"), "d");
  EXPECT_EQ(line->flags.Duration("timeout", absl::Seconds(30)), absl::Seconds(30));
  EXPECT_THAT(line->flags.List("tag"), IsEmpty());
}

TEST(CommandLineTest, GlobalFlagsGoAnywhereAndTheLastValueWins) {
  auto line = Parse({"run", "--timeout=1m30s", "--server=a", "--server=b"});
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->flags.Duration("timeout", absl::ZeroDuration()), absl::Seconds(90));
  EXPECT_EQ(line->flags.String("server"), "b");
}

TEST(CommandLineTest, BoolsTakeExplicitValues) {
  auto line = Parse({"run", "--watch=false"});
  ASSERT_TRUE(line.ok());
  EXPECT_TRUE(line->flags.Has("watch"));
  EXPECT_FALSE(line->flags.Bool("watch"));
  EXPECT_FALSE(Parse({"run", "--watch=maybe"}).ok());
}

TEST(CommandLineTest, DoubleDashEndsFlags) {
  auto line = Parse({"run", "--", "--count=3"});
  ASSERT_TRUE(line.ok());
  EXPECT_THAT(line->positional, ElementsAre("--count=3"));
  EXPECT_FALSE(line->flags.Has("count"));
}

TEST(CommandLineTest, MalformedValuesAreUsageErrorsNamingTheFlag) {
  auto count = Parse({"run", "--count=three"});
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(count.status().message()), HasSubstr("--count=three"));
  auto timeout = Parse({"--timeout=soon", "run"});
  ASSERT_FALSE(timeout.ok());
  EXPECT_THAT(std::string(timeout.status().message()), HasSubstr("--timeout"));
  auto missing = Parse({"run", "--count"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("--count needs a value"));
}

TEST(CommandLineTest, UnknownFlagsAndCommandsAreRejected) {
  auto flag = Parse({"run", "--colour=red"});
  ASSERT_FALSE(flag.ok());
  EXPECT_THAT(std::string(flag.status().message()), HasSubstr("unknown flag --colour for run"));
  // A command's flag before the command is not known yet.
  auto early = Parse({"--count=2", "run"});
  ASSERT_FALSE(early.ok());
  EXPECT_THAT(std::string(early.status().message()), HasSubstr("after the command"));
  auto command = Parse({"fly"});
  ASSERT_FALSE(command.ok());
  EXPECT_THAT(std::string(command.status().message()), HasSubstr("unknown command \"fly\""));
  EXPECT_FALSE(Parse({"run", "-x"}).ok());
}

TEST(CommandLineTest, ACommandOfTwoWordsTakesItsOwnFlags) {
  auto line = Parse({"--server=h:1", "job", "stop", "j-1", "--force"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->command, "job stop");
  EXPECT_THAT(line->positional, ElementsAre("j-1"));
  EXPECT_TRUE(line->flags.Bool("force"));
  // A second word that is no command is an argument of the first.
  auto other = Parse({"job", "start"});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->command, "job");
  EXPECT_THAT(other->positional, ElementsAre("start"));
  // Only the first argument: "run job stop" is run with two arguments.
  auto run = Parse({"run", "job", "stop"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->command, "run");
  EXPECT_THAT(run->positional, ElementsAre("job", "stop"));
  // The subcommand's flags are its own.
  auto wrong = Parse({"job", "stop", "--count=1"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(std::string(wrong.status().message()),
              HasSubstr("unknown flag --count for job stop"));
  auto help = Parse({"help", "job", "stop"});
  ASSERT_TRUE(help.ok());
  EXPECT_TRUE(help->help);
  EXPECT_EQ(help->command, "job stop");
}

TEST(CommandLineTest, HelpInAnyForm) {
  auto flag = Parse({"run", "--help"});
  ASSERT_TRUE(flag.ok());
  EXPECT_TRUE(flag->help);
  EXPECT_EQ(flag->command, "run");
  auto word = Parse({"help", "run"});
  ASSERT_TRUE(word.ok());
  EXPECT_TRUE(word->help);
  EXPECT_EQ(word->command, "run");
  auto bare = Parse({"-h"});
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->help);
  EXPECT_EQ(bare->command, "");
  // Help is still shown for a command or flag that does not exist.
  EXPECT_TRUE(Parse({"fly", "--help"}).ok());
  EXPECT_TRUE(Parse({"run", "--colour", "-h"}).ok());
}

TEST(CommandLineTest, Durations) {
  EXPECT_EQ(ParseFlagDuration("30").value(), absl::Seconds(30));
  EXPECT_EQ(ParseFlagDuration("1.5").value(), absl::Milliseconds(1500));
  EXPECT_EQ(ParseFlagDuration("250ms").value(), absl::Milliseconds(250));
  EXPECT_EQ(ParseFlagDuration("2m").value(), absl::Minutes(2));
  EXPECT_FALSE(ParseFlagDuration("-1s").ok());
  EXPECT_FALSE(ParseFlagDuration("abc").ok());
}

}  // namespace
}  // namespace cvm::cli
