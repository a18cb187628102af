// Three replicas on one PostgreSQL race 50 purchases (spread over them, at
// once) for a budget that fits exactly 10: the instance_limit policy admits
// 10 instances for the tenant. Admissions of one tenant hold a claim shared
// by every replica (plugins/policy_set.h), so each check counts every order
// stored before it, whichever replica stored it: exactly 10 are admitted,
// and the other 40 are FAILED_PRECONDITION with a QuotaFailure naming the
// budget and the numbers.
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/replica_cluster.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;

class ReplicasBudgetTest : public ReplicaCluster {};

TEST_F(ReplicasBudgetTest, ThreeReplicasRacingForTheLastUnitsAdmitExactlyTheBudget) {
  constexpr int kReplicas = 3, kPurchases = 50, kBudget = 10;
  std::ofstream(config_, std::ios::app)
      << "policies { name: \"ten-instances\" plugin: \"instance_limit\" config {\n"
      << "[type.googleapis.com/provisioning.policies.v1.InstanceLimitConfig] { max_instances: "
      << kBudget << " } } }\n";
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  ASSERT_NO_FATAL_FAILURE(StartReplicas(kReplicas, replicas));
  std::vector<std::unique_ptr<provisioning::v1::Provisioning::Stub>> stubs;
  for (auto& replica : replicas) stubs.push_back(NewStub(replica->target()));

  absl::Mutex mu;
  int admitted = 0, refused_with_quota = 0;
  std::vector<std::string> other_errors;
  std::string quota_example;
  std::atomic<bool> go{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < kPurchases; ++i) {
    clients.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      Order order;
      const grpc::Status status = stubs[i % kReplicas]->Purchase(
          ContextWithDeadline(30).get(), PurchaseOf(absl::StrCat("race-", i), 1), &order);
      absl::MutexLock lock(&mu);
      if (status.ok()) {
        ++admitted;
        return;
      }
      const auto quota = DetailOf<google::rpc::QuotaFailure>(status);
      if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
          quota.violations_size() == 1) {
        ++refused_with_quota;
        quota_example = absl::StrCat(quota.violations(0).subject(), ": ",
                                     quota.violations(0).description());
      } else {
        other_errors.push_back(absl::StrCat(status.error_code(), " ", status.error_message()));
      }
    });
  }
  go = true;
  for (std::thread& client : clients) client.join();
  const int stored = static_cast<int>(AllOrders(*stubs[0]).size());
  std::printf(
      "budget race: %d replicas, %d purchases at once for a budget of %d instances: admitted "
      "%d, refused FAILED_PRECONDITION with a QuotaFailure %d (e.g. \"%s\"), other errors %zu; "
      "orders stored %d\n",
      kReplicas, kPurchases, kBudget, admitted, refused_with_quota, quota_example.c_str(),
      other_errors.size(), stored);
  for (const std::string& error : other_errors) ADD_FAILURE() << error;
  EXPECT_EQ(admitted, kBudget);
  EXPECT_EQ(refused_with_quota, kPurchases - kBudget);
  EXPECT_EQ(stored, kBudget);
  EXPECT_NE(quota_example.find("ten-instances"), std::string::npos) << quota_example;
  for (auto& replica : replicas) EXPECT_EQ(replica->Stop(absl::Seconds(30)).value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
