// End-to-end tests of node groups: the real provisioner on an in-process
// CVM emulator (tests/emulator_fixture.h) with its NodeGroups service, one
// group "workers" at a time, polled every 20 ms by AwaitGroup.
#ifndef CVM_PROVISIONER_TESTS_NODE_GROUPS_FIXTURE_H_
#define CVM_PROVISIONER_TESTS_NODE_GROUPS_FIXTURE_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "provisioning/v1/node_groups.grpc.pb.h"
#include "tests/emulator_fixture.h"
#include "tests/test_client.h"

namespace cvm::testing {

// The provisioner's slow polling interval (--poll_slow_interval).
inline constexpr absl::Duration kPollInterval = absl::Milliseconds(300);

class NodeGroupsE2eTest : public EmulatorE2eTest {
 protected:
  using NodeGroup = provisioning::v1::NodeGroup;

  // Start() with the reconciler every 200 ms and a 1 s first back-off.
  void StartGroups(const tencentcloud::EmulatorConfig& world, const std::string& config = "") {
    Start(world, {"--node_group_interval=200ms", "--node_group_backoff=1s"}, config);
    if (HasFatalFailure()) return;
    groups_ = provisioning::v1::NodeGroups::NewStub(
        grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials()));
  }

  // Creates "workers": `target` (at most `max`) pay-as-you-go instances of
  // PurchaseOf()'s spec in `zone`, or spot ones at up to 0.10.
  NodeGroup Create(const std::string& zone, int target, int max, bool spot) {
    provisioning::v1::CreateNodeGroupRequest request;
    NodeGroup* group = request.mutable_node_group();
    group->set_group_id("workers");
    *group->mutable_spec() = PurchaseOf("unused", 1).spec();
    group->mutable_spec()->set_zone(zone);
    if (spot) group->mutable_spec()->mutable_spot()->set_max_price_per_hour("0.10");
    group->set_max_size(max);
    group->set_target_size(target);
    NodeGroup created;
    grpc::Status status = groups_->CreateNodeGroup(ContextWithDeadline(10).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  NodeGroup Get() {
    provisioning::v1::GetNodeGroupRequest request;
    request.set_group_id("workers");
    NodeGroup group;
    grpc::Status status = groups_->GetNodeGroup(ContextWithDeadline(10).get(), request, &group);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return group;
  }

  // Reads the group every 20 ms until `done`; the time it took, or -1 s.
  // Every sample must hold at most `max` instances (running + creating).
  absl::Duration AwaitGroup(const std::function<bool(const NodeGroup&)>& done, int max,
                            absl::Duration timeout, NodeGroup* last = nullptr) {
    const absl::Time start = absl::Now();
    while (absl::Now() - start < timeout) {
      const NodeGroup group = Get();
      EXPECT_LE(group.status().running() + group.status().creating(), max);
      max_seen_ = std::max(max_seen_, group.status().running() + group.status().creating());
      if (last != nullptr) *last = group;
      if (done(group)) return absl::Now() - start;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return absl::Seconds(-1);
  }

  std::unique_ptr<provisioning::v1::NodeGroups::Stub> groups_;
  int max_seen_ = 0;
};

// Running exactly its target, nothing creating or deleting.
inline bool AtTarget(const provisioning::v1::NodeGroup& group) {
  return group.status().running() == group.target_size() && group.status().creating() == 0 &&
         group.status().deleting() == 0;
}

}  // namespace cvm::testing

#endif  // CVM_PROVISIONER_TESTS_NODE_GROUPS_FIXTURE_H_
