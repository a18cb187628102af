// provisionctl's group commands end to end against a scripted NodeGroups
// service on a real socket: requests sent, output, exit codes.
#include "cli/group_commands.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command_test_support.h"
#include "cli/exit_codes.h"
#include "cli/fake_node_groups.h"
#include "cli/test_groups.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using provisioning::v1::NodeGroup;
using testing::BadFieldStatus;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using testing::FakeNodeGroupsService;
using testing::GroupWatchScript;
using ::testing::HasSubstr;
using testing::InProcessServer;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using testing::TestGroup;

// Plays `versions` one after the other, then ends with `end` (or holds the
// stream open when `end` is OK, as a live group's watch does).
GroupWatchScript Script(const std::vector<const char*>& versions,
                        grpc::Status end = grpc::Status::OK, bool hold_open = false) {
  GroupWatchScript script;
  for (const char* version : versions) {
    script.steps.push_back({absl::Milliseconds(10), TestGroup(version)});
  }
  script.end = end;
  script.hold_open = hold_open;
  return script;
}

class GroupCommandsTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args) { return cli_.Run(std::move(args)); }
  std::string out() const { return cli_.out(); }
  std::string err() const { return cli_.err(); }

  FakeNodeGroupsService service_;
  InProcessServer server_{&service_};
  testing::ProvisionctlRunner cli_{server_.target()};
};

TEST_F(GroupCommandsTest, CreateSendsTheGroupAndShowsIt) {
  service_.create.Set(grpc::Status::OK, TestGroup(testing::kGroupCreated));
  EXPECT_EQ(Run({"group", "create", "--group=workers", "--target=3", "--max=5",
                 "--region=ap-guangzhou", "--zone=ap-guangzhou-3", "--instance_type=S5.MEDIUM2",
                 "--image=img-1", "--label=pool=workers"}),
            kExitOk)
      << err();
  ASSERT_EQ(service_.create.requests().size(), 1u);
  const NodeGroup sent = service_.create.requests()[0].node_group();
  EXPECT_EQ(sent.group_id(), "workers");
  EXPECT_EQ(sent.target_size(), 3);
  EXPECT_EQ(sent.max_size(), 5);
  EXPECT_EQ(sent.spec().image_id(), "img-1");
  EXPECT_EQ(sent.labels().at("pool"), "workers");
  EXPECT_THAT(out(), StartsWith("Group workers  ACTIVE\n  spec      3 x S5.MEDIUM2"));
  EXPECT_EQ(err(), "");  // no request id to tell: groups name their own orders
  EXPECT_THAT(service_.watch.requests(), IsEmpty());
}

TEST_F(GroupCommandsTest, CreateWatchFollowsUntilTheTargetRuns) {
  service_.create.Set(grpc::Status::OK, TestGroup(testing::kGroupCreated));
  // The stream stays open after the target is reached: the client ends it.
  service_.watch.Add(Script({testing::kGroupCreating, testing::kGroupAtTarget}, grpc::Status::OK,
                            /*hold_open=*/true));
  EXPECT_EQ(Run({"group", "create", "--group=workers", "--target=3", "--watch"}), kExitOk) << err();
  ASSERT_EQ(service_.watch.requests().size(), 1u);
  EXPECT_EQ(service_.watch.requests()[0].group_id(), "workers");
  EXPECT_EQ(service_.watch.requests()[0].start_revision(), 1);  // after the Create response
  EXPECT_THAT(out(), StartsWith("+0.0s    group workers ACTIVE: target 3 (min 1, max 5): "
                                "0 running, 0 creating, 0 deleting\n"));
  EXPECT_THAT(out(), HasSubstr("+0.5s    ins-1  CREATING  ap-guangzhou-3"));
  EXPECT_THAT(out(), HasSubstr("+2.0s    ins-3  RUNNING   ap-guangzhou-3"));
  EXPECT_THAT(out(), EndsWith("+2.0s    group workers ACTIVE: target 3 (min 1, max 5): 3 "
                              "running, 0 creating, 0 deleting\n"));
  EXPECT_THAT(out(), Not(HasSubstr("\x1b")));  // not a terminal: plain lines
}

TEST_F(GroupCommandsTest, WatchAsJsonIsOneGroupPerLine) {
  service_.update.Set(grpc::Status::OK, TestGroup(testing::kGroupCreating));
  service_.watch.Add(Script({testing::kGroupAtTarget}, grpc::Status::OK, /*hold_open=*/true));
  EXPECT_EQ(Run({"group", "resize", "--group=workers", "--delta=1", "--watch", "--output=json"}),
            kExitOk);
  EXPECT_EQ(service_.update.requests()[0].target_delta(), 1);
  std::vector<std::string> lines = absl::StrSplit(out(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << out();
  NodeGroup first, last;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &first).ok());
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[1], &last).ok());
  EXPECT_EQ(first.revision(), 3);
  EXPECT_EQ(last.status().running(), 3);
}

TEST_F(GroupCommandsTest, AWatchThatRunsOutOfTimeSaysWhereTheGroupIs) {
  service_.update.Set(grpc::Status::OK, TestGroup(testing::kGroupCreated));
  service_.watch.Add(Script({testing::kGroupUnsatisfiable}, grpc::Status::OK, /*hold_open=*/true));
  EXPECT_EQ(
      Run({"group", "resize", "--group=workers", "--target=3", "--watch", "--watch_timeout=300ms"}),
      kExitUnavailable);
  EXPECT_THAT(out(), HasSubstr("unsatisfiable: NO_CANDIDATE_CELL"));
  EXPECT_EQ(err(),
            "provisionctl: stopped watching after 300ms; group workers is ACTIVE, target 3 (min "
            "1, max 5): 0 running, 0 creating, 0 deleting\n");
}

TEST_F(GroupCommandsTest, DeleteWithReleaseWatchesUntilDeleted) {
  NodeGroup deleting = TestGroup(testing::kGroupAtTarget);
  deleting.set_state(NodeGroup::DELETING);
  deleting.set_release_on_delete(true);
  service_.remove.Set(grpc::Status::OK, deleting);
  // The service ends the stream after the DELETED group.
  service_.watch.Add(Script({testing::kGroupDeleted}));
  EXPECT_EQ(Run({"group", "delete", "--group=workers", "--release", "--watch"}), kExitOk) << err();
  EXPECT_TRUE(service_.remove.requests()[0].release_instances());
  EXPECT_THAT(out(), HasSubstr("ins-2  gone\n"));
  EXPECT_THAT(out(), EndsWith("group workers DELETED: target 3 (min 1, max 5): 0 running, 0 "
                              "creating, 0 deleting\n"));
}

TEST_F(GroupCommandsTest, DeleteKeepingInstancesIsDoneAtOnce) {
  service_.remove.Set(grpc::Status::OK, TestGroup(testing::kGroupDeleted));
  EXPECT_EQ(Run({"group", "delete", "--group=workers", "--watch"}), kExitOk);
  EXPECT_FALSE(service_.remove.requests()[0].release_instances());
  EXPECT_THAT(service_.watch.requests(), IsEmpty());  // already DELETED: nothing to follow
  EXPECT_THAT(out(), HasSubstr("group workers DELETED"));
}

TEST_F(GroupCommandsTest, AGroupDeletedBeforeItsTargetEndsTheWatchWithExitSeven) {
  service_.create.Set(grpc::Status::OK, TestGroup(testing::kGroupCreated));
  service_.watch.Add(Script({testing::kGroupCreating, testing::kGroupDeleted}));
  EXPECT_EQ(Run({"group", "create", "--group=workers", "--target=3", "--watch"}), kExitOther);
  EXPECT_EQ(err(), "provisionctl: group workers was deleted before it reached its target\n");
}

TEST_F(GroupCommandsTest, GroupWatchFollowsUntilTheStreamEnds) {
  service_.watch.Add(Script({testing::kGroupAtTarget, testing::kGroupDeleted}));
  EXPECT_EQ(Run({"group", "watch", "--group=workers"}), kExitOk) << err();
  EXPECT_EQ(service_.watch.requests()[0].start_revision(), 0);  // the group now first
  EXPECT_THAT(out(), HasSubstr("group workers ACTIVE: target 3 (min 1, max 5): 3 running"));
  EXPECT_THAT(out(), HasSubstr("group workers DELETED"));

  // A group that does not exist: the stream's error, as every command prints it.
  service_.watch.Add(Script({}, grpc::Status(grpc::StatusCode::NOT_FOUND, "no group nope")));
  EXPECT_EQ(Run({"group", "watch", "--group=nope"}), kExitNotFound);
  EXPECT_EQ(err(), "provisionctl: group watch failed: NOT_FOUND: no group nope\n");

  // --watch_timeout is the end asked for: exit 0.
  service_.watch.Add(Script({testing::kGroupAtTarget}, grpc::Status::OK, /*hold_open=*/true));
  EXPECT_EQ(Run({"group", "watch", "--group=workers", "--watch_timeout=200ms"}), kExitOk);
}

TEST_F(GroupCommandsTest, GetListAndDeleteInstances) {
  service_.get.Set(grpc::Status::OK, TestGroup(testing::kGroupAtTarget));
  EXPECT_EQ(Run({"group", "get", "--group=workers"}), kExitOk);
  EXPECT_EQ(service_.get.requests()[0].group_id(), "workers");
  EXPECT_THAT(out(), HasSubstr("  ins-3     RUNNING  ap-guangzhou-3"));

  provisioning::v1::ListNodeGroupsResponse list;
  *list.add_node_groups() = TestGroup(testing::kGroupAtTarget);
  service_.list.Set(grpc::Status::OK, list);
  EXPECT_EQ(Run({"group", "list"}), kExitOk);
  EXPECT_THAT(out(), HasSubstr("\nworkers  ACTIVE  3       1    5    3"));

  service_.delete_instances.Set(grpc::Status::OK, TestGroup(testing::kGroupCreating));
  EXPECT_EQ(Run({"group", "delete-instances", "--group=workers", "--instances=ins-1,ins-2",
                 "--keep_target", "--output=json"}),
            kExitOk);
  const auto request = service_.delete_instances.requests()[0];
  EXPECT_THAT(request.instance_ids(), ElementsAre("ins-1", "ins-2"));
  EXPECT_TRUE(request.keep_target());
  EXPECT_FALSE(request.release_prepaid());
  EXPECT_THAT(out(), HasSubstr("\"groupId\":\"workers\""));
}

TEST_F(GroupCommandsTest, ServiceErrorsArePrintedWithTheirDetailsAndExitCodes) {
  service_.create.Set(BadFieldStatus("node_group.max_size", "must be at least target_size (3)"));
  EXPECT_EQ(Run({"group", "create", "--group=workers", "--target=3", "--max=2"}),
            kExitInvalidArgument);
  EXPECT_EQ(err(),
            "provisionctl: group create failed: INVALID_ARGUMENT: node_group.max_size: must be at "
            "least target_size (3)\n"
            "  field node_group.max_size: must be at least target_size (3)\n"
            "  reason INVALID_ARGUMENT (provisioner.cvm.dev)\n");
  EXPECT_EQ(out(), "");
  service_.update.Set(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "stale revision"));
  EXPECT_EQ(Run({"group", "resize", "--group=workers", "--target=1", "--revision=2"}),
            kExitPrecondition);
  EXPECT_THAT(err(), HasSubstr("group resize failed: FAILED_PRECONDITION: stale revision"));
  EXPECT_THAT(service_.watch.requests(), IsEmpty());
}

TEST_F(GroupCommandsTest, UsageErrorsNameTheFlagAndSendNothing) {
  EXPECT_EQ(Run({"group", "create", "--target=3"}), kExitUsage);
  EXPECT_EQ(err(),
            "provisionctl: --group=ID is required\n"
            "Run `provisionctl group create --help` for usage.\n");
  EXPECT_EQ(Run({"group", "create", "--group=g", "--scale_in=random"}), kExitUsage);
  EXPECT_THAT(err(), HasSubstr("--scale_in=random: expected newest, oldest, spot or"));
  EXPECT_EQ(Run({"group", "resize", "--group=g", "--target=x"}), kExitUsage);
  EXPECT_THAT(err(), HasSubstr("--target=x: expected a whole number\n"
                               "Run `provisionctl group resize --help` for usage."));
  EXPECT_EQ(Run({"group", "get", "workers"}), kExitUsage);
  EXPECT_THAT(err(), HasSubstr("group get takes flags only, not \"workers\""));
  EXPECT_EQ(Run({"group", "scale"}), kExitUsage);
  EXPECT_THAT(err(), HasSubstr("unknown command \"group scale\""));
  EXPECT_EQ(Run({"group"}), kExitUsage);
  EXPECT_THAT(err(), HasSubstr("group needs a subcommand"));
  EXPECT_EQ(Run({"group", "delete", "--group=g", "--colour=red"}), kExitUsage);
  EXPECT_THAT(err(), HasSubstr("unknown flag --colour for group delete\n"
                               "Run `provisionctl group delete --help` for usage."));
  EXPECT_THAT(service_.create.requests(), IsEmpty());
  EXPECT_THAT(service_.update.requests(), IsEmpty());
  EXPECT_THAT(service_.get.requests(), IsEmpty());
  EXPECT_THAT(service_.remove.requests(), IsEmpty());
}

TEST_F(GroupCommandsTest, HelpForTheGroupAndEachSubcommand) {
  EXPECT_EQ(Run({"group", "--help"}), kExitOk);
  EXPECT_THAT(out(), HasSubstr("Usage: provisionctl group SUBCOMMAND [FLAGS]"));
  EXPECT_THAT(out(), HasSubstr("  group delete-instances    Release named instances"));
  EXPECT_EQ(Run({"help", "group", "create"}), kExitOk);
  EXPECT_THAT(out(), HasSubstr("Usage: provisionctl group create [FLAGS]"));
  EXPECT_THAT(out(), HasSubstr("--zones=ZONE"));  // purchase's candidate flags
  EXPECT_THAT(out(), Not(HasSubstr("--count=N")));
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_THAT(out(), HasSubstr("\n  group       Node groups: keep a number of instances"));
  EXPECT_THAT(out(), Not(HasSubstr("group create")));
}

}  // namespace
}  // namespace cvm::cli
