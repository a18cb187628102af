// Node groups through the real binary's NodeGroups API and the CVM emulator
// (its clock 20x fast): a group of 5 spot instances loses one to a reclaim,
// one to isolation and one to a release by another tool, and is back to 5
// within a poll interval plus the launch time, never above its max; a group
// whose only cell is sold out backs off (the cloud calls stay bounded) and
// fills once stock returns.
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"
#include "tests/node_groups_fixture.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroupEvent;
using provisioning::v1::NodeGroupInstance;
using tencentcloud::Json;

TEST_F(NodeGroupsE2eTest, AGroupOfFiveIsBackToFiveAfterReclaimIsolationAndOutsideRelease) {
  // The reclaim shuts the instance down at once (no two-minute notice), so
  // all three losses show at the next poll.
  tencentcloud::EmulatorConfig world = tencentcloud::TestWorld();
  world.mutable_spot_reclaim_notice()->set_seconds(0);
  StartGroups(world);
  FastClock fast(emulator_.get());
  Create("ap-guangzhou-3", 5, 6, /*spot=*/true);
  const absl::Duration first_fill = AwaitGroup(AtTarget, 6, absl::Seconds(60));
  ASSERT_GE(first_fill, absl::ZeroDuration()) << Get().DebugString();

  const NodeGroup full = Get();
  ASSERT_EQ(full.status().instances_size(), 5);
  const std::string reclaimed = full.status().instances(0).instance_id();
  const std::string isolated = full.status().instances(1).instance_id();
  const std::string released = full.status().instances(2).instance_id();
  tencentcloud::CvmEmulator& cloud = emulator_->emulator();
  ASSERT_TRUE(cloud.Reclaim({reclaimed}).ok());
  ASSERT_TRUE(cloud.Isolate({isolated}).ok());
  const Json outside = cloud.Handle(tencentcloud::kTestSecretId, "cvm", "TerminateInstances",
                                    "ap-guangzhou", {{"InstanceIds", {released}}});
  ASSERT_FALSE(outside.contains("Error")) << outside.dump();

  const std::set<std::string> lost = {reclaimed, isolated, released};
  NodeGroup recovered;
  const absl::Duration recovery = AwaitGroup(
      [&](const NodeGroup& group) {
        if (!AtTarget(group)) return false;
        for (const NodeGroupInstance& instance : group.status().instances()) {
          if (lost.count(instance.instance_id()) > 0) return false;
        }
        return true;
      },
      6, absl::Seconds(60), &recovered);
  ASSERT_GE(recovery, absl::ZeroDuration()) << recovered.DebugString();
  bool said_lost = false;
  for (const NodeGroupEvent& event : recovered.status().events()) {
    said_lost |= event.kind() == NodeGroupEvent::INSTANCES_LOST;
  }
  EXPECT_TRUE(said_lost);
  // Within one poll interval plus the launch time (what the first fill
  // took), with the reconciler's own interval and slack for a loaded machine.
  const absl::Duration bound = kPollInterval + absl::Milliseconds(200) + first_fill + absl::Seconds(2);
  EXPECT_LE(recovery, bound);
  const Json books = emulator_->Books();
  std::printf(
      "node group of 5 (max 6): filled in %.2f s; after a reclaim, an isolation and an outside "
      "release, back to 5 in %.2f s (bound %.2f s = poll %.1f s + reconcile 0.2 s + launch "
      "%.2f s + 2 s slack); most instances held at once %d; emulator created %d\n",
      absl::ToDoubleSeconds(first_fill), absl::ToDoubleSeconds(recovery),
      absl::ToDoubleSeconds(bound), absl::ToDoubleSeconds(kPollInterval),
      absl::ToDoubleSeconds(first_fill), max_seen_,
      books[tencentcloud::kTestSecretId]["Created"].get<int>());
  EXPECT_EQ(books[tencentcloud::kTestSecretId]["Created"].get<int>(), 8) << [&] {
    std::string orders;
    for (const auto& order : AllOrders(*stub_)) absl::StrAppend(&orders, order.DebugString());
    return orders;
  }();
}

TEST_F(NodeGroupsE2eTest, ASoldOutGroupBacksOffThenFillsWhenStockReturns) {
  // ap-guangzhou-1 has no S5.MEDIUM2 left; the sold-out memory forgets in 2 s.
  StartGroups(tencentcloud::TestWorld(), "capacity_memory { verdict_ttl { seconds: 2 } }");
  FastClock fast(emulator_.get());
  Create("ap-guangzhou-1", 2, 3, /*spot=*/false);
  NodeGroup stuck;
  ASSERT_GE(AwaitGroup([](const NodeGroup& g) { return g.status().has_unsatisfiable(); }, 3,
                       absl::Seconds(30), &stuck),
            absl::ZeroDuration());
  EXPECT_TRUE(stuck.status().unsatisfiable().out_of_resources());
  EXPECT_EQ(stuck.status().unsatisfiable().reason(), "ZONE_SOLD_OUT");

  // 8 s of back-off (1 s, 2 s, 4 s ...): a handful of tries, not a hot loop.
  const size_t calls_before = emulator_->Books().value("CellCalls", Json::array()).size();
  absl::SleepFor(absl::Seconds(8));
  const NodeGroup waited = Get();
  const size_t calls = emulator_->Books().value("CellCalls", Json::array()).size() - calls_before;
  const int64_t orders = waited.status().orders_placed();
  EXPECT_LE(orders, 6);
  EXPECT_LE(calls, 6u);
  EXPECT_EQ(waited.status().running(), 0);

  ASSERT_TRUE(emulator_->emulator().SetStock("ap-guangzhou-1", "S5.MEDIUM2", -1).ok());
  NodeGroup filled;
  const absl::Duration fill = AwaitGroup(AtTarget, 3, absl::Seconds(90), &filled);
  ASSERT_GE(fill, absl::ZeroDuration()) << filled.DebugString();
  EXPECT_FALSE(filled.status().has_unsatisfiable());
  std::printf(
      "sold-out node group: unsatisfiable (%s, out of resources), %lld orders and %zu calls "
      "into single cells in 8 s of back-off (failures %d, next try after %s); stock back: "
      "filled to %d in %.1f s\n",
      stuck.status().unsatisfiable().reason().c_str(), static_cast<long long>(orders), calls,
      waited.status().unsatisfiable().failures(),
      absl::FormatTime(TimeOf(waited.status().unsatisfiable().retry_time())).c_str(),
      filled.status().running(), absl::ToDoubleSeconds(fill));
}

}  // namespace
}  // namespace cvm::testing
