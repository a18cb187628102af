// What the tests of several replicas on one PostgreSQL share: a fixture
// with a fresh database and a CVM emulator, replicas of the real binary on
// them, a fast emulator clock, purchases retried until accepted, and a tally
// of what the cloud and the store hold at the end.
#ifndef CVM_PROVISIONER_TESTS_REPLICA_CLUSTER_H_
#define CVM_PROVISIONER_TESTS_REPLICA_CLUSTER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "store/postgres_test_server.h"
#include "tests/emulator_fixture.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {

// The health of the API service (readiness), or with `service` "" of the
// server (liveness).
grpc::health::v1::HealthCheckResponse::ServingStatus Health(
    const std::string& target, const std::string& service = "provisioning.v1.Provisioning");

// Buys one instance under `request_id`, retrying the same request every
// 100 ms for up to 90 s; `on_failure` sees each failed attempt (and may
// replace `stub`). The accepted order, or nullopt.
std::optional<provisioning::v1::Order> PurchaseUntilAccepted(
    std::unique_ptr<provisioning::v1::Provisioning::Stub>& stub, const std::string& request_id,
    const std::function<void(const grpc::Status&)>& on_failure);
// The same for any `request`.
std::optional<provisioning::v1::Order> PurchaseUntilAccepted(
    std::unique_ptr<provisioning::v1::Provisioning::Stub>& stub,
    const provisioning::v1::PurchaseRequest& request,
    const std::function<void(const grpc::Status&)>& on_failure);

// Waits until every order in `ids` is ACTIVE (Describe on `stub`); the
// moment it saw that, or nullopt after `timeout`.
std::optional<absl::Time> AwaitActive(provisioning::v1::Provisioning::Stub& stub,
                                      const std::set<std::string>& ids, absl::Duration timeout);

// What the cloud and the store hold at the end, against what was accepted.
struct Tally {
  int lost = 0, duplicate_orders = 0, not_active = 0, orphans = 0, created = 0, ordered = 0;
};

// `accepted`: request id -> order id.
Tally Count(provisioning::v1::Provisioning::Stub& stub, tencentcloud::EmulatorServer& emulator,
            const std::map<std::string, std::string>& accepted);

// A fresh database on the shared PostgreSQL test server, and an emulator.
class ReplicaCluster : public ::testing::Test {
 protected:
  void SetUp() override;
  // The emulator's world: TestWorld() unless a test says otherwise.
  virtual tencentcloud::EmulatorConfig World();

  // A replica of the service on the database and the emulator, with
  // `extra_flags` after the defaults.
  absl::StatusOr<std::unique_ptr<ServerProcess>> StartReplica(
      const std::vector<std::string>& extra_flags = {});
  // `n` replicas with the default flags, appended to `replicas` (a test
  // failure when one does not start).
  void StartReplicas(int n, std::vector<std::unique_ptr<ServerProcess>>& replicas);

  PostgresTestServer* postgres_ = nullptr;
  std::string db_;
  std::unique_ptr<tencentcloud::EmulatorServer> emulator_;
  std::string config_;
};

}  // namespace cvm::testing

#endif  // CVM_PROVISIONER_TESTS_REPLICA_CLUSTER_H_
