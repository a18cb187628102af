#include "tests/replica_cluster.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace cvm::testing {
namespace {

constexpr char kOrderTag[] = "provisioner:order-id";

}  // namespace

using provisioning::v1::Order;
using tencentcloud::Json;

grpc::health::v1::HealthCheckResponse::ServingStatus Health(const std::string& target,
                                                            const std::string& service) {
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!health->Check(ContextWithDeadline(5).get(), request, &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

std::optional<Order> PurchaseUntilAccepted(
    std::unique_ptr<provisioning::v1::Provisioning::Stub>& stub, const std::string& request_id,
    const std::function<void(const grpc::Status&)>& on_failure) {
  return PurchaseUntilAccepted(stub, PurchaseOf(request_id, 1), on_failure);
}

std::optional<Order> PurchaseUntilAccepted(
    std::unique_ptr<provisioning::v1::Provisioning::Stub>& stub,
    const provisioning::v1::PurchaseRequest& request,
    const std::function<void(const grpc::Status&)>& on_failure) {
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (absl::Now() < deadline) {
    Order order;
    grpc::Status status = stub->Purchase(ContextWithDeadline(10).get(), request, &order);
    if (status.ok()) return order;
    on_failure(status);
    absl::SleepFor(absl::Milliseconds(100));
  }
  return std::nullopt;
}

std::optional<absl::Time> AwaitActive(provisioning::v1::Provisioning::Stub& stub,
                                      const std::set<std::string>& ids, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int active = 0;
    for (const Order& order : AllOrders(stub)) {
      if (ids.count(order.order_id()) > 0 && order.state() == Order::ACTIVE) ++active;
    }
    if (active == static_cast<int>(ids.size())) return absl::Now();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return std::nullopt;
}

Tally Count(provisioning::v1::Provisioning::Stub& stub, tencentcloud::EmulatorServer& emulator,
            const std::map<std::string, std::string>& accepted) {
  Tally tally;
  std::map<std::string, std::vector<Order>> by_request;
  for (Order& order : AllOrders(stub)) by_request[order.request_id()].push_back(order);
  std::map<std::string, std::string> tag_of;  // instance -> order
  for (const auto& [request_id, order_id] : accepted) {
    const auto& found = by_request[request_id];
    if (found.empty()) ++tally.lost;
    if (found.size() > 1) ++tally.duplicate_orders;
    if (found.size() != 1) continue;
    EXPECT_EQ(found[0].order_id(), order_id) << request_id;
    if (found[0].state() != Order::ACTIVE) ++tally.not_active;
    for (const auto& instance : found[0].instances()) {
      tag_of[instance.instance_id()] = found[0].order_id();
      ++tally.ordered;
    }
  }
  for (const Json& instance : emulator.emulator().LiveInstances(tencentcloud::kTestSecretId)) {
    std::string tagged_for;
    for (const Json& tag : instance["Tags"]) {
      if (tag.value("Key", "") == kOrderTag) tagged_for = tag.value("Value", "");
    }
    auto it = tag_of.find(instance["InstanceId"].get<std::string>());
    if (it == tag_of.end() || it->second != tagged_for) ++tally.orphans;
  }
  tally.created = emulator.Books()[tencentcloud::kTestSecretId]["Created"].get<int>();
  return tally;
}

tencentcloud::EmulatorConfig ReplicaCluster::World() { return tencentcloud::TestWorld(); }

void ReplicaCluster::SetUp() {
  auto postgres = PostgresTestServer::Shared();
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  postgres_ = *postgres;
  auto db = postgres_->CreateDatabase();
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = *db;
  auto emulator = tencentcloud::EmulatorServer::Start(World(), "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  emulator_ = *std::move(emulator);
  config_ = WriteEmulatorConfig("replicas.textproto", emulator_->port(),
                                tencentcloud::kTestSecretId, tencentcloud::kTestSecretKey);
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ReplicaCluster::StartReplica(
    const std::vector<std::string>& extra_flags) {
  std::vector<std::string> flags = {absl::StrCat("--store=postgres:", db_),
                                    "--poll_fast_interval=500ms", "--poll_slow_interval=2s",
                                    "--replica_check_interval=500ms"};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  return ServerProcess::Start(config_, flags);
}

void ReplicaCluster::StartReplicas(int n,
                                   std::vector<std::unique_ptr<ServerProcess>>& replicas) {
  for (int r = 0; r < n; ++r) {
    auto replica = StartReplica();
    ASSERT_TRUE(replica.ok()) << replica.status();
    replicas.push_back(*std::move(replica));
  }
}

}  // namespace cvm::testing
