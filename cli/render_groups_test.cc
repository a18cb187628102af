#include "cli/render_groups.h"

#include "cli/test_groups.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using provisioning::v1::ListNodeGroupsResponse;
using provisioning::v1::NodeGroup;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TestGroup;

TEST(RenderGroupsTest, AtTargetOnlyWhenRunningEqualsTargetWithNothingMoving) {
  EXPECT_FALSE(AtTarget(TestGroup(testing::kGroupCreated)));
  EXPECT_FALSE(AtTarget(TestGroup(testing::kGroupCreating)));
  NodeGroup group = TestGroup(testing::kGroupAtTarget);
  EXPECT_TRUE(AtTarget(group));
  group.mutable_status()->set_deleting(1);
  EXPECT_FALSE(AtTarget(group));
  group.mutable_status()->set_deleting(0);
  group.set_state(NodeGroup::DELETING);
  EXPECT_FALSE(AtTarget(group));
  NodeGroup empty = TestGroup(testing::kGroupCreated);
  empty.set_target_size(0);
  EXPECT_TRUE(AtTarget(empty));
}

TEST(RenderGroupsTest, CountsSummaryAndInstanceRows) {
  const NodeGroup group = TestGroup(testing::kGroupCreating);
  EXPECT_EQ(GroupCounts(group), "target 3 (min 1, max 5): 0 running, 3 creating, 0 deleting");
  EXPECT_EQ(GroupSummary(group), "3 x S5.MEDIUM2 in ap-guangzhou-3, image img-1, pay-as-you-go");
  EXPECT_THAT(GroupInstanceRow(group.status().instances(0)),
              ElementsAre("ins-1", "CREATING", "ap-guangzhou-3", "S5.MEDIUM2", "payg", "0.16"));
  EXPECT_EQ(GroupInstanceHeader().size(), GroupInstanceRow(group.status().instances(0)).size());
  // Candidates: every cell the group may land in.
  EXPECT_EQ(GroupSummary(TestGroup(testing::kGroupUnsatisfiable)),
            "3 x S5.MEDIUM2 in ap-guangzhou-3 or ap-guangzhou-4, image img-1, spot (max 0.10/h) "
            "then pay-as-you-go");
}

TEST(RenderGroupsTest, UnsatisfiableAndEventsSayWhy) {
  const NodeGroup group = TestGroup(testing::kGroupUnsatisfiable);
  EXPECT_EQ(UnsatisfiableText(group.status().unsatisfiable()),
            "NO_CANDIDATE_CELL (out of resources, 2 failures, order ord-2)");
  EXPECT_EQ(GroupEventText(group.status().events(0)),
            "UNSATISFIABLE: NO_CANDIDATE_CELL: no candidate cell has stock");
  provisioning::v1::NodeGroupEvent bare;
  bare.set_kind(provisioning::v1::NodeGroupEvent::INSTANCES_LOST);
  bare.set_count(2);
  EXPECT_EQ(GroupEventText(bare), "INSTANCES_LOST: 2");
  bare.set_kind(static_cast<provisioning::v1::NodeGroupEvent::Kind>(42));
  EXPECT_EQ(GroupEventText(bare), "42: 2");  // a newer server's kind
}

TEST(RenderGroupsTest, OneGroupInFull) {
  EXPECT_EQ(RenderNodeGroup(TestGroup(testing::kGroupAtTarget)),
            "Group workers  ACTIVE\n"
            "  spec      3 x S5.MEDIUM2 in ap-guangzhou-3, image img-1, pay-as-you-go\n"
            "  status    target 3 (min 1, max 5): 3 running, 0 creating, 0 deleting\n"
            "  scale-in  newest first\n"
            "  labels    pool=workers,team=infra\n"
            "  orders    1 placed\n"
            "  created   2024-05-01T10:00:00Z\n"
            "  updated   2024-05-01T10:00:02Z\n"
            "  revision  6\n"
            "\n"
            "  INSTANCE  PHASE    ZONE            TYPE        BILLING  PRICE/H\n"
            "  ins-1     RUNNING  ap-guangzhou-3  S5.MEDIUM2  payg     0.16\n"
            "  ins-2     RUNNING  ap-guangzhou-3  S5.MEDIUM2  payg     0.16\n"
            "  ins-3     RUNNING  ap-guangzhou-3  S5.MEDIUM2  payg     0.16\n"
            "\n"
            "  TIME                  EVENT\n"
            "  2024-05-01T10:00:00Z  SCALING_UP: ordering 3 instance(s)\n"
            "  2024-05-01T10:00:02Z  AT_TARGET: 3 running, at target\n");
}

TEST(RenderGroupsTest, AStuckGroupShowsItsCandidatesWhyAndTheNextTry) {
  const std::string text = RenderNodeGroup(TestGroup(testing::kGroupUnsatisfiable));
  EXPECT_THAT(text, HasSubstr("  candidates     zones ap-guangzhou-3,ap-guangzhou-4; types the "
                              "spec's; try spot<=0.10,payg; cheapest first\n"));
  EXPECT_THAT(text, HasSubstr("  unsatisfiable  NO_CANDIDATE_CELL (out of resources, 2 failures, "
                              "order ord-2)\n"
                              "  because        no candidate cell has stock\n"
                              "  next try       2024-05-01T10:00:23Z\n"));
  EXPECT_THAT(text, Not(HasSubstr("INSTANCE")));  // none yet
  NodeGroup deleting = TestGroup(testing::kGroupAtTarget);
  deleting.set_state(NodeGroup::DELETING);
  deleting.set_release_on_delete(true);
  deleting.set_scale_in(NodeGroup::MOST_EXPENSIVE_FIRST);
  EXPECT_THAT(RenderNodeGroup(deleting), HasSubstr("  on delete  releasing instances\n"));
  EXPECT_THAT(RenderNodeGroup(deleting), HasSubstr("  scale-in   most expensive first\n"));
}

TEST(RenderGroupsTest, AListRowPerGroup) {
  ListNodeGroupsResponse response;
  EXPECT_EQ(RenderNodeGroupList(response), "No node groups.\n");
  *response.add_node_groups() = TestGroup(testing::kGroupAtTarget);
  NodeGroup other = TestGroup(testing::kGroupUnsatisfiable);
  other.set_group_id("batch");
  *response.add_node_groups() = other;
  EXPECT_EQ(RenderNodeGroupList(response),
            "GROUP    STATE   TARGET  MIN  MAX  RUNNING  CREATING  DELETING  TYPE        ZONE"
            "                           UPDATED\n"
            "workers  ACTIVE  3       1    5    3        0         0         S5.MEDIUM2  "
            "ap-guangzhou-3                 2024-05-01T10:00:02Z\n"
            "batch    ACTIVE  3       1    5    0        0         0         S5.MEDIUM2  "
            "ap-guangzhou-3,ap-guangzhou-4  2024-05-01T10:00:03Z\n");
}

}  // namespace
}  // namespace cvm::cli
