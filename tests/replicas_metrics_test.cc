// Cluster-wide gauges with three replicas on one PostgreSQL: every replica
// follows the one event log, so each knows every order, but only the replica
// holding the "metrics/cluster" claim exports provisioner_orders and the
// account gauges (service/cluster_metrics.h). A dashboard's sum() over the
// replicas' /metrics is then the number of orders, not three times it. When
// the exporter is SIGKILLed another replica exports within the replica check
// interval (500 ms here), and the sum is still right; a restarted replica
// does not become a second exporter.
#include <signal.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/replica_cluster.h"

namespace cvm::testing {
namespace {

// What the replicas' /metrics say together.
struct ClusterView {
  int exporters = 0;        // replicas with provisioner_cluster_metrics_exporter 1
  int exporting = -1;       // the index of the last of them
  double active_sum = 0;    // sum over replicas of provisioner_orders{state="ACTIVE"}
  int active_series = 0;    // replicas exporting that series
};

// The value of an unlabelled sample `name`, or -1.
double UnlabelledValue(const std::string& scrape, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(scrape, '\n')) {
    if (!absl::ConsumePrefix(&line, name + " ")) continue;
    double value = -1;
    if (absl::SimpleAtod(line, &value)) return value;
  }
  return -1;
}

class ReplicasMetricsTest : public ReplicaCluster {
 protected:
  ClusterView View(const std::vector<std::unique_ptr<ServerProcess>>& replicas) {
    ClusterView view;
    for (size_t r = 0; r < replicas.size(); ++r) {
      if (replicas[r] == nullptr) continue;
      absl::StatusOr<std::string> scrape = HttpGet(replicas[r]->metrics_port(), "/metrics");
      if (!scrape.ok()) continue;
      if (UnlabelledValue(*scrape, "provisioner_cluster_metrics_exporter") == 1) {
        ++view.exporters;
        view.exporting = static_cast<int>(r);
      }
      const double active = MetricValue(*scrape, "provisioner_orders", {"state=\"ACTIVE\""});
      if (active >= 0) {
        view.active_sum += active;
        ++view.active_series;
      }
    }
    return view;
  }

  // The view once it has one exporter and `active` ACTIVE orders in the sum,
  // and when; the last view after 20 s.
  std::pair<ClusterView, absl::Time> AwaitView(
      const std::vector<std::unique_ptr<ServerProcess>>& replicas, int active) {
    ClusterView view;
    for (const absl::Time deadline = absl::Now() + absl::Seconds(20); absl::Now() < deadline;
         absl::SleepFor(absl::Milliseconds(50))) {
      view = View(replicas);
      if (view.exporters == 1 && view.active_series == 1 && view.active_sum == active) break;
    }
    return {view, absl::Now()};
  }
};

TEST_F(ReplicasMetricsTest, OneReplicaExportsTheClusterSoSumsAreRightAcrossAKill) {
  constexpr int kReplicas = 3, kOrders = 30;
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  ASSERT_NO_FATAL_FAILURE(StartReplicas(kReplicas, replicas));
  std::vector<std::unique_ptr<provisioning::v1::Provisioning::Stub>> stubs;
  for (auto& replica : replicas) stubs.push_back(NewStub(replica->target()));

  FastClock fast(emulator_.get());
  std::set<std::string> ids;
  for (int i = 0; i < kOrders; ++i) {
    std::optional<provisioning::v1::Order> order = PurchaseUntilAccepted(
        stubs[i % kReplicas], absl::StrCat("gauge-", i),
        [](const grpc::Status& status) { ADD_FAILURE() << status.error_message(); });
    ASSERT_TRUE(order.has_value());
    ids.insert(order->order_id());
  }
  ASSERT_TRUE(AwaitActive(*stubs[0], ids, absl::Seconds(60)).has_value());

  auto [before, seen] = AwaitView(replicas, kOrders);
  EXPECT_EQ(before.exporters, 1);
  EXPECT_EQ(before.active_series, 1);  // not one per replica
  EXPECT_EQ(before.active_sum, kOrders);
  ASSERT_GE(before.exporting, 0);

  // The exporter dies: its claim goes with its database session.
  const int killed = before.exporting;
  const absl::Time kill_time = absl::Now();
  replicas[killed]->Signal(SIGKILL);
  ASSERT_EQ(replicas[killed]->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);
  replicas[killed].reset();
  auto [after, taken_over] = AwaitView(replicas, kOrders);
  EXPECT_EQ(after.exporters, 1);
  EXPECT_NE(after.exporting, killed);
  EXPECT_EQ(after.active_series, 1);
  EXPECT_EQ(after.active_sum, kOrders);
  const absl::Duration takeover = taken_over - kill_time;
  EXPECT_LT(takeover, absl::Seconds(5));  // check interval 500 ms, with slack for the machine

  // The killed replica comes back: still one exporter.
  auto restarted = StartReplica();
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  replicas[killed] = *std::move(restarted);
  absl::SleepFor(absl::Seconds(2));  // four check intervals
  const ClusterView rejoined = View(replicas);
  EXPECT_EQ(rejoined.exporters, 1);
  EXPECT_EQ(rejoined.active_series, 1);
  EXPECT_EQ(rejoined.active_sum, kOrders);

  std::printf(
      "cluster gauges: %d replicas, %d orders ACTIVE; before the kill: exporters %d, "
      "provisioner_orders{state=ACTIVE} series %d, sum %.0f; exporter (replica %d) SIGKILLed, "
      "replica %d exporting after %s, sum %.0f; restarted replica: exporters %d, sum %.0f\n",
      kReplicas, kOrders, before.exporters, before.active_series, before.active_sum, killed,
      after.exporting, absl::FormatDuration(takeover).c_str(), after.active_sum,
      rejoined.exporters, rejoined.active_sum);
  for (auto& replica : replicas) {
    if (replica != nullptr) EXPECT_EQ(replica->Stop(absl::Seconds(30)).value_or(-1), 0);
  }
}

}  // namespace
}  // namespace cvm::testing
