#include "cli/event_stream.h"

#include <vector>

#include "cli/fake_node_groups.h"
#include "cli/fake_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using provisioning::v1::WatchEvent;
using provisioning::v1::WatchRequest;
using ::testing::ElementsAre;
using testing::FakeProvisioningService;
using testing::InProcessServer;
using testing::WatchScript;

WatchEvent EventAt(int64_t revision) {
  WatchEvent event;
  event.set_revision(revision);
  event.set_type(revision == 1 ? WatchEvent::SNAPSHOT : WatchEvent::CHANGE);
  event.add_orders()->set_order_id("ord-1");
  return event;
}

WatchScript Script(std::vector<int64_t> revisions, grpc::Status end, bool hold_open = false) {
  WatchScript script;
  for (int64_t r : revisions) script.steps.push_back({absl::Milliseconds(5), EventAt(r)});
  script.end = std::move(end);
  script.hold_open = hold_open;
  return script;
}

WatchRequest ForOrder(const std::string& id) {
  WatchRequest request;
  request.set_order_id(id);
  return request;
}

// Every revision until the stream ends.
std::vector<int64_t> Drain(EventStream& stream) {
  std::vector<int64_t> revisions;
  WatchEvent event;
  while (stream.Wait(absl::Seconds(10), &event) == EventStream::Next::kEvent) {
    revisions.push_back(event.revision());
  }
  return revisions;
}

class EventStreamTest : public ::testing::Test {
 protected:
  FakeProvisioningService service_;
  InProcessServer server_{&service_};
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_ = server_.NewStub();
};

TEST_F(EventStreamTest, DeliversEventsInOrderThenTheEndingStatus) {
  service_.AddWatch(Script({1, 2, 3}, grpc::Status(grpc::StatusCode::NOT_FOUND, "gone")));
  EventStream stream(stub_.get(), ForOrder("ord-1"), {});
  EXPECT_THAT(Drain(stream), ElementsAre(1, 2, 3));
  EXPECT_EQ(stream.status().error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stream.resumes(), 0);
  ASSERT_EQ(service_.watches().size(), 1u);
  EXPECT_EQ(service_.watches()[0].order_id(), "ord-1");
}

TEST_F(EventStreamTest, ResumesAfterTheLastRevisionWhenTheStreamBreaks) {
  service_.AddWatch(Script({1, 2}, grpc::Status(grpc::StatusCode::UNAVAILABLE, "draining")));
  service_.AddWatch(
      Script({3}, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "client too slow")));
  service_.AddWatch(Script({4}, grpc::Status(grpc::StatusCode::NOT_FOUND, "end")));
  std::vector<std::pair<grpc::StatusCode, int64_t>> resumed;
  EventStream::Options options;
  options.resume_delay = absl::Milliseconds(1);
  options.on_resume = [&resumed](const grpc::Status& why, int64_t after) {
    resumed.emplace_back(why.error_code(), after);
  };
  EventStream stream(stub_.get(), ForOrder("ord-1"), options);
  EXPECT_THAT(Drain(stream), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(stream.status().error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stream.resumes(), 2);
  EXPECT_THAT(resumed, ElementsAre(std::make_pair(grpc::StatusCode::UNAVAILABLE, 2),
                                   std::make_pair(grpc::StatusCode::RESOURCE_EXHAUSTED, 3)));
  const auto watches = service_.watches();
  ASSERT_EQ(watches.size(), 3u);
  EXPECT_EQ(watches[0].start_revision(), 0);
  EXPECT_EQ(watches[1].start_revision(), 2);
  EXPECT_EQ(watches[2].start_revision(), 3);
  EXPECT_EQ(watches[2].order_id(), "ord-1");
}

TEST_F(EventStreamTest, GivesUpAfterMaxResumesThatDeliverNothing) {
  service_.AddWatch(Script({1}, grpc::Status(grpc::StatusCode::UNAVAILABLE, "down")));
  // Further calls find no script: UNAVAILABLE at once, like a server that is gone.
  EventStream::Options options;
  options.max_resumes = 3;
  options.resume_delay = absl::Milliseconds(1);
  EventStream stream(stub_.get(), ForOrder("ord-1"), options);
  EXPECT_THAT(Drain(stream), ElementsAre(1));
  EXPECT_EQ(stream.status().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(stream.resumes(), 4);  // one after the break, then three quiet ones
  EXPECT_EQ(service_.watches().size(), 5u);
}

TEST_F(EventStreamTest, NeverResumesAStreamThatDeliveredNothing) {
  EventStream stream(stub_.get(), ForOrder("ord-1"), {});
  EXPECT_TRUE(Drain(stream).empty());
  EXPECT_EQ(stream.status().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(stream.resumes(), 0);
  EXPECT_EQ(service_.watches().size(), 1u);
}

TEST_F(EventStreamTest, ATrimmedStartRevisionStartsOverWithASnapshotWhenAsked) {
  const grpc::Status trimmed(grpc::StatusCode::OUT_OF_RANGE, "revision 3 was trimmed");
  service_.AddWatch(Script({}, trimmed));
  service_.AddWatch(Script({9}, grpc::Status(grpc::StatusCode::NOT_FOUND, "end")));
  WatchRequest request = ForOrder("ord-1");
  request.set_start_revision(3);
  EventStream::Options options;
  options.snapshot_if_trimmed = true;
  EventStream stream(stub_.get(), request, options);
  EXPECT_THAT(Drain(stream), ElementsAre(9));
  const auto watches = service_.watches();
  ASSERT_EQ(watches.size(), 2u);
  EXPECT_EQ(watches[0].start_revision(), 3);
  EXPECT_EQ(watches[1].start_revision(), 0);
  EXPECT_EQ(stream.resumes(), 0);

  // Not asked (e.g. `watch --start_revision=3`): the error ends the watch.
  service_.AddWatch(Script({}, trimmed));
  EventStream strict(stub_.get(), request, {});
  EXPECT_TRUE(Drain(strict).empty());
  EXPECT_EQ(strict.status().error_code(), grpc::StatusCode::OUT_OF_RANGE);
}

TEST_F(EventStreamTest, TimesOutWhileQuietAndEndsOnCancel) {
  service_.AddWatch(Script({1}, grpc::Status::OK, /*hold_open=*/true));
  EventStream stream(stub_.get(), ForOrder(""), {});
  WatchEvent event;
  ASSERT_EQ(stream.Wait(absl::Seconds(10), &event), EventStream::Next::kEvent);
  EXPECT_EQ(event.revision(), 1);
  EXPECT_EQ(stream.Wait(absl::Milliseconds(50), &event), EventStream::Next::kTimeout);
  stream.Cancel();
  EXPECT_EQ(stream.Wait(absl::Seconds(10), &event), EventStream::Next::kEnded);
  EXPECT_EQ(stream.status().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(EventStreamTest, TheDeadlineEndsTheWholeWatch) {
  service_.AddWatch(Script({1}, grpc::Status::OK, /*hold_open=*/true));
  EventStream::Options options;
  options.deadline = absl::Now() + absl::Milliseconds(300);
  EventStream stream(stub_.get(), ForOrder("ord-1"), options);
  EXPECT_THAT(Drain(stream), ElementsAre(1));
  EXPECT_EQ(stream.status().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(stream.resumes(), 0);
}

// The same reader over WatchNodeGroup: it resumes after the last revision
// when the stream breaks, and the service's OK after a DELETED group ends it.
TEST(GroupStreamTest, ResumesAfterABreakAndEndsWhenTheServiceEndsOk) {
  testing::FakeNodeGroupsService service;
  InProcessServer server(&service);
  auto stub = provisioning::v1::NodeGroups::NewStub(
      grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials()));
  auto group_at = [](int64_t revision) {
    provisioning::v1::NodeGroup group;
    group.set_group_id("workers");
    group.set_revision(revision);
    return group;
  };
  testing::GroupWatchScript broken;
  broken.steps = {{absl::Milliseconds(5), group_at(4)}, {absl::Milliseconds(5), group_at(5)}};
  broken.end = grpc::Status(grpc::StatusCode::UNAVAILABLE, "draining");
  service.watch.Add(broken);
  testing::GroupWatchScript deleted;
  deleted.steps = {{absl::Milliseconds(5), group_at(7)}};
  deleted.end = grpc::Status::OK;
  service.watch.Add(deleted);

  provisioning::v1::WatchNodeGroupRequest request;
  request.set_group_id("workers");
  request.set_start_revision(3);
  StreamOptions options;
  options.resume_delay = absl::Milliseconds(1);
  GroupStream stream(stub.get(), request, options);
  std::vector<int64_t> revisions;
  provisioning::v1::NodeGroup group;
  while (stream.Wait(absl::Seconds(10), &group) == GroupStream::Next::kEvent) {
    revisions.push_back(group.revision());
  }
  EXPECT_THAT(revisions, ElementsAre(4, 5, 7));
  EXPECT_TRUE(stream.status().ok()) << stream.status().error_message();
  EXPECT_EQ(stream.resumes(), 1);
  const auto watches = service.watch.requests();
  ASSERT_EQ(watches.size(), 2u);  // not reopened after the OK
  EXPECT_EQ(watches[0].start_revision(), 3);
  EXPECT_EQ(watches[1].start_revision(), 5);
  EXPECT_EQ(watches[1].group_id(), "workers");
}

}  // namespace
}  // namespace cvm::cli
