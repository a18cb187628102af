#include "cli/group_requests.h"

#include "cli/request_builder.h"
#include "cli/test_flags.h"
#include "cli/usage.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using provisioning::v1::NodeGroup;
using ::testing::ElementsAre;
using testing::FlagsOf;
using ::testing::HasSubstr;

std::string MessageOf(const absl::Status& status) { return std::string(status.message()); }

TEST(GroupRequestsTest, CreateTakesPurchasesSpecAndCandidatesAndTheGroupFlags) {
  const std::vector<std::string> spec = {"--region=ap-guangzhou",      "--zone=ap-guangzhou-3",
                                         "--instance_type=S5.MEDIUM2", "--image=img-1",
                                         "--bandwidth_mbps=10",        "--tag=team=infra",
                                         "--spot_max_price=0.10",      "--zones=ap-guangzhou-4",
                                         "--try=spot:0.10,payg",       "--strategy=prioritized"};
  std::vector<std::string> args = {
      "group",    "create",          "--group=workers",      "--target=3",   "--min=1",
      "--max=10", "--scale_in=spot", "--label=pool=workers", "--label=tier="};
  args.insert(args.end(), spec.begin(), spec.end());
  auto request = BuildCreateGroupRequest(FlagsOf(args));
  ASSERT_TRUE(request.ok()) << request.status();
  const NodeGroup& group = request->node_group();
  EXPECT_EQ(group.group_id(), "workers");
  EXPECT_EQ(group.target_size(), 3);
  EXPECT_EQ(group.min_size(), 1);
  EXPECT_EQ(group.max_size(), 10);
  EXPECT_EQ(group.scale_in(), NodeGroup::SPOT_FIRST);
  EXPECT_EQ(group.labels().at("pool"), "workers");
  EXPECT_EQ(group.labels().at("tier"), "");

  // Exactly what a purchase with the same flags would buy, and where.
  std::vector<std::string> purchase_args = {"purchase"};
  purchase_args.insert(purchase_args.end(), spec.begin(), spec.end());
  auto purchase = BuildPurchaseRequest(FlagsOf(purchase_args), [] { return "id"; });
  ASSERT_TRUE(purchase.ok()) << purchase.status();
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(group.spec(), purchase->request.spec()));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(group.candidates(),
                                                                 purchase->request.candidates()));
  EXPECT_EQ(group.spec().spot().max_price_per_hour(), "0.10");
  EXPECT_EQ(group.spec().internet().max_bandwidth_out_mbps(), 10);
  EXPECT_THAT(group.candidates().zones(), ElementsAre("ap-guangzhou-4"));
  EXPECT_EQ(group.candidates().billing_size(), 2);
}

TEST(GroupRequestsTest, CreateDefaultsMaxToTheTargetAndHasNoCandidatesUnlessAsked) {
  auto request = BuildCreateGroupRequest(
      FlagsOf({"group", "create", "--group=g", "--target=4", "--instance_type=S5.MEDIUM2"}));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->node_group().max_size(), 4);
  EXPECT_EQ(request->node_group().min_size(), 0);
  EXPECT_EQ(request->node_group().scale_in(), NodeGroup::SCALE_IN_UNSPECIFIED);
  EXPECT_FALSE(request->node_group().has_candidates());
  EXPECT_TRUE(request->node_group().spec().has_pay_as_you_go());
  auto empty = BuildCreateGroupRequest(FlagsOf({"group", "create", "--group=g"}));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->node_group().target_size(), 0);
  EXPECT_EQ(empty->node_group().max_size(), 1);  // the service wants 1 at least
}

TEST(GroupRequestsTest, BadFlagsAreNamed) {
  auto missing = BuildCreateGroupRequest(FlagsOf({"group", "create", "--target=1"}));
  EXPECT_EQ(MessageOf(missing.status()), "--group=ID is required");
  auto label = BuildCreateGroupRequest(FlagsOf({"group", "create", "--group=g", "--label=x"}));
  EXPECT_EQ(MessageOf(label.status()), "--label=x: expected KEY=VALUE");
  auto scale_in =
      BuildCreateGroupRequest(FlagsOf({"group", "create", "--group=g", "--scale_in=random"}));
  EXPECT_EQ(MessageOf(scale_in.status()),
            "--scale_in=random: expected newest, oldest, spot or expensive");
  // Purchase's own checks, as purchase words them.
  auto billing = BuildCreateGroupRequest(
      FlagsOf({"group", "create", "--group=g", "--billing=payg", "--spot_max_price=1"}));
  EXPECT_EQ(MessageOf(billing.status()), "--spot_max_price goes with --billing=spot");
  auto rung = BuildCreateGroupRequest(FlagsOf({"group", "create", "--group=g", "--try=cheap"}));
  EXPECT_THAT(MessageOf(rung.status()), HasSubstr("--try=cheap"));
  for (const auto& status :
       {missing.status(), label.status(), scale_in.status(), billing.status(), rung.status()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(GroupRequestsTest, ScaleInByWordOrEnumName) {
  EXPECT_EQ(ParseScaleIn("newest").value(), NodeGroup::NEWEST_FIRST);
  EXPECT_EQ(ParseScaleIn("Oldest").value(), NodeGroup::OLDEST_FIRST);
  EXPECT_EQ(ParseScaleIn("expensive").value(), NodeGroup::MOST_EXPENSIVE_FIRST);
  EXPECT_EQ(ParseScaleIn("spot_first").value(), NodeGroup::SPOT_FIRST);
  EXPECT_FALSE(ParseScaleIn("scale_in_unspecified").ok());
}

TEST(GroupRequestsTest, ResizeSetsOnlyWhatIsGiven) {
  auto target = BuildResizeGroupRequest(
      FlagsOf({"group", "resize", "--group=g", "--target=1", "--revision=7"}));
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->group_id(), "g");
  EXPECT_TRUE(target->has_target_size());
  EXPECT_EQ(target->target_size(), 1);
  EXPECT_FALSE(target->has_min_size());
  EXPECT_FALSE(target->has_max_size());
  EXPECT_EQ(target->revision(), 7);

  auto delta = BuildResizeGroupRequest(
      FlagsOf({"group", "resize", "--group=g", "--delta=-2", "--min=0", "--max=8"}));
  ASSERT_TRUE(delta.ok()) << delta.status();
  EXPECT_FALSE(delta->has_target_size());
  EXPECT_EQ(delta->target_delta(), -2);
  EXPECT_EQ(delta->min_size(), 0);
  EXPECT_TRUE(delta->has_min_size());  // 0 is a value, not "unchanged"
  EXPECT_EQ(delta->max_size(), 8);

  EXPECT_EQ(MessageOf(BuildResizeGroupRequest(
                          FlagsOf({"group", "resize", "--group=g", "--target=1", "--delta=1"}))
                          .status()),
            "--target and --delta exclude each other: give one");
  EXPECT_THAT(
      MessageOf(BuildResizeGroupRequest(FlagsOf({"group", "resize", "--group=g"})).status()),
      HasSubstr("nothing to change"));
  EXPECT_EQ(MessageOf(BuildResizeGroupRequest(FlagsOf({"group", "resize", "--target=1"})).status()),
            "--group=ID is required");
}

TEST(GroupRequestsTest, DeleteKeepsInstancesUnlessRelease) {
  auto keep = BuildDeleteGroupRequest(FlagsOf({"group", "delete", "--group=g"}));
  ASSERT_TRUE(keep.ok());
  EXPECT_FALSE(keep->release_instances());
  auto release = BuildDeleteGroupRequest(FlagsOf({"group", "delete", "--group=g", "--release"}));
  ASSERT_TRUE(release.ok());
  EXPECT_TRUE(release->release_instances());
}

TEST(GroupRequestsTest, DeleteInstancesSplitsTheListAndNeedsOne) {
  auto request = BuildDeleteInstancesRequest(
      FlagsOf({"group", "delete-instances", "--group=g", "--instances=ins-a, ins-b",
               "--instances=ins-c", "--keep_target", "--release_prepaid"}));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->instance_ids(), ElementsAre("ins-a", "ins-b", "ins-c"));
  EXPECT_TRUE(request->keep_target());
  EXPECT_TRUE(request->release_prepaid());
  auto none = BuildDeleteInstancesRequest(FlagsOf({"group", "delete-instances", "--group=g"}));
  EXPECT_EQ(MessageOf(none.status()), "--instances=ID[,ID...] is required");
}

TEST(GroupRequestsTest, EachSubcommandTakesItsOwnFlagsOnly) {
  auto create = ParseProvisionctlArgs({"group", "create", "--group=g", "--delta=1"});
  ASSERT_FALSE(create.ok());
  EXPECT_EQ(MessageOf(create.status()), "unknown flag --delta for group create");
  auto count = ParseProvisionctlArgs({"group", "create", "--group=g", "--count=2"});
  EXPECT_EQ(MessageOf(count.status()), "unknown flag --count for group create");
  auto get = ParseProvisionctlArgs({"group", "get", "--group=g", "--watch"});
  EXPECT_EQ(MessageOf(get.status()), "unknown flag --watch for group get");
  auto target = ParseProvisionctlArgs({"group", "resize", "--target=three"});
  EXPECT_EQ(MessageOf(target.status()), "--target=three: expected a whole number");
  EXPECT_TRUE(ParseProvisionctlArgs({"group", "watch", "--group=g", "--watch_timeout=5s"}).ok());
}

}  // namespace
}  // namespace cvm::cli
