// NodeGroupWatches behind a real in-process gRPC server, on groups read from
// a map the test changes: the group now then each new revision, the end after
// DELETED, one read per group per poll however many streams watch it, read
// errors, Close(), and a cancelled stream leaving without waiting for a poll.
#include "service/node_group_watches.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "provisioning/v1/node_groups.grpc.pb.h"

namespace cvm {
namespace {

using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroups;
using provisioning::v1::WatchNodeGroupRequest;

// The groups the watches read ("tenant/group" -> group), counting reads.
class Groups {
 public:
  void Put(const std::string& tenant, const std::string& id, int64_t revision,
           NodeGroup::State state = NodeGroup::ACTIVE) {
    NodeGroup group;
    group.set_group_id(id);
    group.set_revision(revision);
    group.set_state(state);
    absl::MutexLock lock(&mu_);
    groups_[tenant + "/" + id] = group;
  }
  // From now on every read bumps the group's revision first.
  void BumpOnRead() {
    absl::MutexLock lock(&mu_);
    bump_ = true;
  }
  // `poll`: the polls the watches had completed when they read.
  absl::StatusOr<NodeGroup> Read(const std::string& tenant, const std::string& id, int64_t poll) {
    absl::MutexLock lock(&mu_);
    ++reads_per_poll_[poll];
    auto it = groups_.find(tenant + "/" + id);
    if (it == groups_.end()) return absl::NotFoundError("node group " + id + " not found");
    if (bump_) it->second.set_revision(it->second.revision() + 1);
    return it->second;
  }
  std::map<int64_t, int> ReadsPerPoll() {
    absl::MutexLock lock(&mu_);
    return reads_per_poll_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, NodeGroup> groups_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, int> reads_per_poll_ ABSL_GUARDED_BY(mu_);
  bool bump_ ABSL_GUARDED_BY(mu_) = false;
};

class Service : public NodeGroups::CallbackService {
 public:
  explicit Service(NodeGroupWatches* watches) : watches_(watches) {}
  grpc::ServerWriteReactor<NodeGroup>* WatchNodeGroup(
      grpc::CallbackServerContext* context, const WatchNodeGroupRequest* request) override {
    auto tenant = context->client_metadata().find("tenant");
    if (tenant == context->client_metadata().end()) {
      return NodeGroupWatches::Refuse(absl::UnauthenticatedError("no tenant"));
    }
    return watches_->Open(std::string(tenant->second.data(), tenant->second.size()), *request);
  }

 private:
  NodeGroupWatches* const watches_;
};

// One WatchNodeGroup stream read on a thread of its own.
class Watch {
 public:
  Watch(NodeGroups::Stub* stub, const std::string& tenant, const std::string& group_id) {
    context_.AddMetadata("tenant", tenant);
    WatchNodeGroupRequest request;
    request.set_group_id(group_id);
    reader_ = stub->WatchNodeGroup(&context_, request);
    thread_ = std::thread([this] {
      NodeGroup group;
      while (reader_->Read(&group)) {
        absl::MutexLock lock(&mu_);
        revisions_.push_back(group.revision());
      }
      grpc::Status status = reader_->Finish();
      absl::MutexLock lock(&mu_);
      status_ = status;
      done_ = true;
    });
  }
  ~Watch() {
    context_.TryCancel();
    thread_.join();
  }
  void Cancel() { context_.TryCancel(); }
  // The revisions received once the last one is `revision` (20 s at most).
  std::vector<int64_t> AwaitRevision(int64_t revision) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, revision]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return done_ || (!revisions_.empty() && revisions_.back() >= revision);
    };
    mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(20));
    return revisions_;
  }
  grpc::StatusCode AwaitEnd() {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(20))) {
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    }
    return status_.error_code();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<NodeGroup>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<int64_t> revisions_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

class NodeGroupWatchesTest : public ::testing::Test {
 protected:
  void Start(absl::Duration interval) {
    watches_ = std::make_unique<NodeGroupWatches>(
        [this](const std::string& tenant, const std::string& id) {
          return groups_.Read(tenant, id, watches_->polls());
        },
        interval);
    service_ = std::make_unique<Service>(watches_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = NodeGroups::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  }
  // Whether `n` streams are open within 20 s.
  bool AwaitOpen(size_t n) {
    for (int i = 0; i < 1000 && watches_->open_streams() != n; ++i) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    return watches_->open_streams() == n;
  }

  Groups groups_;
  std::unique_ptr<NodeGroupWatches> watches_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<NodeGroups::Stub> stub_;
};

TEST_F(NodeGroupWatchesTest, TheGroupNowThenEachNewRevisionThenTheEndAfterDeleted) {
  groups_.Put("team", "g1", 3);
  Start(absl::Milliseconds(20));
  Watch watch(stub_.get(), "team", "g1");
  EXPECT_EQ(watch.AwaitRevision(3), std::vector<int64_t>({3}));
  groups_.Put("team", "g1", 4);
  EXPECT_EQ(watch.AwaitRevision(4), std::vector<int64_t>({3, 4}));
  groups_.Put("team", "g1", 5, NodeGroup::DELETED);
  EXPECT_EQ(watch.AwaitRevision(5), std::vector<int64_t>({3, 4, 5}));
  EXPECT_EQ(watch.AwaitEnd(), grpc::StatusCode::OK);
  EXPECT_TRUE(AwaitOpen(0));
}

TEST_F(NodeGroupWatchesTest, ManyStreamsOfAGroupCostOneReadOfItPerPoll) {
  groups_.Put("team", "g1", 1);
  groups_.Put("team", "g2", 1);
  Start(absl::Milliseconds(10));
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < 30; ++i) {
    watches.push_back(std::make_unique<Watch>(stub_.get(), "team", i % 3 == 0 ? "g2" : "g1"));
  }
  for (auto& watch : watches) ASSERT_EQ(watch->AwaitRevision(1).size(), 1u);
  ASSERT_TRUE(AwaitOpen(30));
  const int64_t first = watches_->polls() + 1;  // a poll begun after every stream opened
  absl::SleepFor(absl::Milliseconds(300));
  const int64_t last = watches_->polls() - 1;  // polls completed since
  ASSERT_GT(last - first, 3);
  const std::map<int64_t, int> reads = groups_.ReadsPerPoll();
  for (int64_t poll = first; poll <= last; ++poll) {
    EXPECT_EQ(reads.count(poll) ? reads.at(poll) : 0, 2) << "poll " << poll;
  }
  std::printf("30 streams of 2 groups: two reads in each of %lld polls\n",
              static_cast<long long>(last - first + 1));
}

TEST_F(NodeGroupWatchesTest, AStreamSkipsRevisionsButNeverGoesBack) {
  groups_.Put("team", "g1", 1);
  groups_.BumpOnRead();  // each read sees a revision one higher
  Start(absl::Milliseconds(1));
  Watch watch(stub_.get(), "team", "g1");
  const std::vector<int64_t> revisions = watch.AwaitRevision(200);
  ASSERT_GE(revisions.size(), 2u);
  for (size_t i = 1; i < revisions.size(); ++i) {
    EXPECT_GT(revisions[i], revisions[i - 1]) << "message " << i;
  }
}

TEST_F(NodeGroupWatchesTest, AReadErrorEndsThatGroupsStreamsWithIt) {
  groups_.Put("team", "g1", 1);
  Start(absl::Milliseconds(20));
  Watch missing(stub_.get(), "team", "nope");
  Watch other_tenant(stub_.get(), "other", "g1");
  Watch fine(stub_.get(), "team", "g1");
  EXPECT_EQ(missing.AwaitEnd(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(other_tenant.AwaitEnd(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(fine.AwaitRevision(1), std::vector<int64_t>({1}));
  groups_.Put("team", "g1", 2);
  EXPECT_EQ(fine.AwaitRevision(2), std::vector<int64_t>({1, 2}));
}

TEST_F(NodeGroupWatchesTest, CloseEndsEveryStreamWithItsStatusAndRefusesNewOnes) {
  groups_.Put("team", "g1", 1);
  Start(absl::Milliseconds(20));
  Watch a(stub_.get(), "team", "g1");
  Watch b(stub_.get(), "team", "g1");
  ASSERT_EQ(a.AwaitRevision(1).size(), 1u);
  ASSERT_EQ(b.AwaitRevision(1).size(), 1u);
  watches_->Close(absl::UnavailableError("draining"));
  EXPECT_EQ(a.AwaitEnd(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(b.AwaitEnd(), grpc::StatusCode::UNAVAILABLE);
  Watch late(stub_.get(), "team", "g1");
  EXPECT_EQ(late.AwaitEnd(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(AwaitOpen(0));
}

TEST_F(NodeGroupWatchesTest, ACancelledStreamLeavesWithoutWaitingForAPoll) {
  groups_.Put("team", "g1", 1);
  Start(absl::Hours(1));  // only a stream's opening triggers a poll
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < 10; ++i) {
    watches.push_back(std::make_unique<Watch>(stub_.get(), "team", "g1"));
    ASSERT_EQ(watches.back()->AwaitRevision(1).size(), 1u);
  }
  ASSERT_TRUE(AwaitOpen(10));
  for (auto& watch : watches) watch->Cancel();
  for (auto& watch : watches) EXPECT_EQ(watch->AwaitEnd(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(AwaitOpen(0));  // within 20 s, not the hour to the next poll
}

}  // namespace
}  // namespace cvm
