#include "cli/group_view.h"

#include <regex>

#include "absl/strings/str_split.h"
#include "cli/test_groups.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using provisioning::v1::NodeGroup;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::TestGroup;

const absl::Time kStart = absl::FromUnixSeconds(1714557600);

// A frame without its escape codes, to compare with plain text.
std::string Plain(const std::string& frame) {
  return std::regex_replace(frame, std::regex("\x1b\\[[0-9]*[FJK]"), "");
}

TEST(GroupViewLinesTest, OneLinePerChangeDatedByTheServer) {
  GroupView view(GroupView::Mode::kLines);
  const absl::Time far_later = kStart + absl::Hours(5);  // the client's clock is ignored
  view.Update(TestGroup(testing::kGroupCreated), far_later);
  EXPECT_EQ(view.Render(far_later),
            "+0.0s    group workers ACTIVE: target 3 (min 1, max 5): 0 running, 0 creating, 0 "
            "deleting\n");
  EXPECT_EQ(view.Render(far_later), "");  // nothing new
  view.Update(TestGroup(testing::kGroupCreating), far_later);
  EXPECT_EQ(view.Render(far_later),
            "+0.2s    SCALING_UP: ordering 3 instance(s)\n"
            "+0.5s    ins-1  CREATING  ap-guangzhou-3  S5.MEDIUM2  payg  0.16\n"
            "+0.5s    ins-2  CREATING  ap-guangzhou-3  S5.MEDIUM2  payg  0.16\n"
            "+0.5s    group workers ACTIVE: target 3 (min 1, max 5): 0 running, 3 creating, 0 "
            "deleting\n");
  // The same revision again (a resumed stream) prints nothing.
  view.Update(TestGroup(testing::kGroupCreating), far_later);
  EXPECT_EQ(view.Render(far_later), "");
  view.Update(TestGroup(testing::kGroupAtTarget), far_later);
  EXPECT_EQ(view.Render(far_later),
            "+2.0s    AT_TARGET: 3 running, at target\n"
            "+2.0s    ins-1  RUNNING   ap-guangzhou-3  S5.MEDIUM2  payg  0.16\n"
            "+2.0s    ins-2  RUNNING   ap-guangzhou-3  S5.MEDIUM2  payg  0.16\n"
            "+2.0s    ins-3  RUNNING   ap-guangzhou-3  S5.MEDIUM2  payg  0.16\n"
            "+2.0s    group workers ACTIVE: target 3 (min 1, max 5): 3 running, 0 creating, 0 "
            "deleting\n");
  view.Update(TestGroup(testing::kGroupDeleted), far_later);
  EXPECT_EQ(view.Render(far_later),
            "+5.0s    ins-1  gone\n"
            "+5.0s    ins-2  gone\n"
            "+5.0s    ins-3  gone\n"
            "+5.0s    group workers DELETED: target 3 (min 1, max 5): 0 running, 0 creating, 0 "
            "deleting\n");
  EXPECT_EQ(view.group().state(), NodeGroup::DELETED);
}

TEST(GroupViewLinesTest, TheFirstVersionsEventsAreHistory) {
  GroupView view(GroupView::Mode::kLines);
  // A resize of a group at target: times count from the resize.
  NodeGroup resized = TestGroup(testing::kGroupAtTarget);
  resized.set_target_size(1);
  resized.mutable_update_time()->set_seconds(1714557660);
  view.Update(resized, kStart);
  const std::string first = view.Render(kStart);
  EXPECT_THAT(first, Not(HasSubstr("SCALING_UP")));
  EXPECT_THAT(first, Not(HasSubstr("AT_TARGET")));
  EXPECT_THAT(first, HasSubstr("+0.0s    ins-1  RUNNING"));
  EXPECT_THAT(first,
              HasSubstr("+0.0s    group workers ACTIVE: target 1 (min 1, max 5): 3 running"));

  NodeGroup shrinking = resized;
  shrinking.mutable_update_time()->set_seconds(1714557661);
  shrinking.mutable_status()->set_running(1);
  shrinking.mutable_status()->set_deleting(2);
  shrinking.mutable_status()->mutable_instances(1)->set_phase(
      provisioning::v1::NodeGroupInstance::DELETING);
  shrinking.mutable_status()->mutable_instances(2)->set_phase(
      provisioning::v1::NodeGroupInstance::DELETING);
  auto* event = shrinking.mutable_status()->add_events();
  event->set_kind(provisioning::v1::NodeGroupEvent::SCALING_DOWN);
  event->set_message("releasing 2 instance(s): scale-in");
  event->mutable_time()->set_seconds(1714557661);
  view.Update(shrinking, kStart);
  EXPECT_EQ(view.Render(kStart),
            "+1.0s    SCALING_DOWN: releasing 2 instance(s): scale-in\n"
            "+1.0s    ins-2  DELETING  ap-guangzhou-3  S5.MEDIUM2  payg  0.16\n"
            "+1.0s    ins-3  DELETING  ap-guangzhou-3  S5.MEDIUM2  payg  0.16\n"
            "+1.0s    group workers ACTIVE: target 1 (min 1, max 5): 1 running, 0 creating, 2 "
            "deleting\n");
}

TEST(GroupViewLinesTest, UnsatisfiableWithTheNextTryThenCleared) {
  GroupView view(GroupView::Mode::kLines);
  view.Update(TestGroup(testing::kGroupCreated), kStart);
  view.Render(kStart);
  view.Update(TestGroup(testing::kGroupUnsatisfiable), kStart);
  EXPECT_EQ(view.Render(kStart),
            "+3.0s    UNSATISFIABLE: NO_CANDIDATE_CELL: no candidate cell has stock\n"
            "+3.0s    unsatisfiable: NO_CANDIDATE_CELL (out of resources, 2 failures, order "
            "ord-2); next try at +23.0s\n");
  NodeGroup cleared = TestGroup(testing::kGroupCreating);
  cleared.mutable_update_time()->set_seconds(1714557630);
  view.Update(cleared, kStart);
  EXPECT_THAT(view.Render(kStart), HasSubstr("+30.5s   no longer unsatisfiable\n"));
}

TEST(GroupViewTerminalTest, RedrawsInPlaceWithCountdownAndFrozenElapsed) {
  GroupView view(GroupView::Mode::kTerminal);
  view.Update(TestGroup(testing::kGroupCreated), kStart);
  view.Update(TestGroup(testing::kGroupCreating), kStart + absl::Seconds(1));
  const std::string first = view.Render(kStart + absl::Seconds(1));
  EXPECT_THAT(first, Not(HasSubstr("F\x1b[2K")));  // no cursor movement on the first frame
  EXPECT_EQ(Plain(first),
            "Group workers  ACTIVE  revision 3  elapsed 1.0s\n"
            "  3 x S5.MEDIUM2 in ap-guangzhou-3, image img-1, pay-as-you-go\n"
            "  target 3 (min 1, max 5): 0 running, 3 creating, 0 deleting\n"
            "  INSTANCE  PHASE     ZONE            TYPE        BILLING  PRICE/H\n"
            "  ins-1     CREATING  ap-guangzhou-3  S5.MEDIUM2  payg     0.16\n"
            "  ins-2     CREATING  ap-guangzhou-3  S5.MEDIUM2  payg     0.16\n"
            "  last events:\n"
            "    +0.2s    SCALING_UP: ordering 3 instance(s)\n");
  // The clock ticks between versions; the next frame overwrites all 8 lines.
  EXPECT_THAT(view.Render(kStart + absl::Seconds(2)),
              StartsWith("\x1b[8F\x1b[2KGroup workers  ACTIVE  revision 3  elapsed 2.0s\n"));

  view.Update(TestGroup(testing::kGroupUnsatisfiable), kStart + absl::Seconds(3));
  EXPECT_THAT(Plain(view.Render(kStart + absl::Seconds(8))),
              HasSubstr("  unsatisfiable: NO_CANDIDATE_CELL (out of resources, 2 failures, order "
                        "ord-2); next try in 15.0s\n"
                        "    no candidate cell has stock\n"
                        "  (no instances)\n"));
  // At target the elapsed time stops at the version that reached it.
  view.Update(TestGroup(testing::kGroupAtTarget), kStart + absl::Seconds(9));
  EXPECT_THAT(Plain(view.Render(kStart + absl::Seconds(60))),
              StartsWith("Group workers  ACTIVE  revision 6  elapsed 2.0s\n"));
}

TEST(GroupViewTerminalTest, InstancesOrderedButNotNamedYet) {
  GroupView view(GroupView::Mode::kTerminal);
  NodeGroup ordered = TestGroup(testing::kGroupCreated);
  ordered.mutable_status()->set_creating(3);
  view.Update(ordered, kStart);
  EXPECT_THAT(Plain(view.Render(kStart)),
              HasSubstr("\n  (3 ordered: waiting for the cloud to name them)\n"));
}

TEST(GroupViewTerminalTest, ShowsTheLastEventsOnlyAndCutsLinesToTheWidth) {
  GroupView view(GroupView::Mode::kTerminal);
  view.set_width(40);
  NodeGroup group = TestGroup(testing::kGroupAtTarget);
  for (int i = 0; i < 8; ++i) {
    auto* event = group.mutable_status()->add_events();
    event->set_kind(provisioning::v1::NodeGroupEvent::INSTANCES_LOST);
    event->set_count(i);
    event->mutable_time()->set_seconds(1714557610 + i);
  }
  view.Update(group, kStart);
  const std::string frame = view.Render(kStart);
  EXPECT_THAT(frame, Not(HasSubstr("AT_TARGET")));
  EXPECT_THAT(frame, Not(HasSubstr("LOST: 2\n")));
  EXPECT_THAT(frame, HasSubstr("LOST: 3\n"));
  EXPECT_THAT(frame, HasSubstr("LOST: 7\n"));
  for (absl::string_view line : absl::StrSplit(Plain(frame), '\n')) {
    EXPECT_LE(line.size(), 39u) << line;
  }
}

}  // namespace
}  // namespace cvm::cli
