// Several replicas of the real service on one PostgreSQL 15 (started by this
// test) against the CVM emulator, as the HA overlay runs them:
//  - three replicas take purchases at once; one is SIGKILLed mid-load: the
//    orders it accepted finish on the other two within 10 s, no order is lost
//    or duplicated, the cloud bought each instance once, and a watcher on a
//    surviving replica saw every change in the event log, in order, whichever
//    replica made it;
//  - PostgreSQL is stopped mid-load and started again: the service says
//    NOT_SERVING (the API service: readiness; the process stays live) and
//    refuses purchases with UNAVAILABLE meanwhile, then
//    serves again without a restart, and every accepted order completes.
#include <signal.h>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "store/pg_connection.h"
#include "store/postgres_test_server.h"
#include "tests/replica_cluster.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;
using provisioning::v1::WatchEvent;
using tencentcloud::Json;

// Every event of one all-orders Watch, read on a thread until cancelled.
class Watcher {
 public:
  explicit Watcher(const std::string& target)
      : stub_(NewStub(target)), thread_([this] {
          auto reader = stub_->Watch(&context_, provisioning::v1::WatchRequest());
          WatchEvent event;
          while (reader->Read(&event)) {
            absl::MutexLock lock(&mu_);
            events_.push_back(event);
          }
          status_ = reader->Finish();
        }) {}
  ~Watcher() { Stop(); }
  void Stop() {
    if (!thread_.joinable()) return;
    context_.TryCancel();
    thread_.join();
  }
  std::vector<WatchEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
  grpc::ClientContext context_;
  absl::Mutex mu_;
  std::vector<WatchEvent> events_;
  grpc::Status status_;
  std::thread thread_;
};

class ReplicasTest : public ReplicaCluster {};

TEST_F(ReplicasTest, ASigkilledReplicasOrdersFinishOnTheOthersAndEveryWatcherSeesEverything) {
  constexpr int kReplicas = 3, kPerReplica = 12, kKillAfter = 8;
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  ASSERT_NO_FATAL_FAILURE(StartReplicas(kReplicas, replicas));
  FastClock fast(emulator_.get());
  Watcher watcher(replicas[2]->target());  // on a survivor
  absl::SleepFor(absl::Milliseconds(300));  // its snapshot is taken

  // One client per replica; the victim's client moves to a survivor once its
  // replica is gone, retrying the same request ids (as behind a Service).
  absl::Mutex mu;
  std::map<std::string, std::string> accepted;     // request id -> order id
  std::set<std::string> accepted_by_victim;        // order ids
  std::atomic<int> victim_accepted{0};
  bool victim_alive = true;  // guarded by mu
  std::vector<std::thread> clients;
  for (int r = 0; r < kReplicas; ++r) {
    clients.emplace_back([&, r] {
      auto stub = NewStub(replicas[r]->target());
      for (int i = 0; i < kPerReplica; ++i) {
        const std::string request_id = absl::StrCat("replica", r, "-", i);
        std::optional<Order> order =
            PurchaseUntilAccepted(stub, request_id, [&](const grpc::Status&) {
              stub = NewStub(replicas[1]->target());  // the victim is gone
            });
        if (!order.has_value()) continue;
        absl::MutexLock lock(&mu);
        accepted[request_id] = order->order_id();
        if (r == 0 && victim_alive) {
          accepted_by_victim.insert(order->order_id());
          ++victim_accepted;
        }
      }
    });
  }
  while (victim_accepted.load() < kKillAfter) absl::SleepFor(absl::Milliseconds(5));
  {
    absl::MutexLock lock(&mu);  // what it accepted up to the kill
    replicas[0]->Signal(SIGKILL);
    victim_alive = false;
  }
  const absl::Time killed = absl::Now();
  ASSERT_EQ(replicas[0]->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);
  std::set<std::string> orphaned_orders;
  {
    absl::MutexLock lock(&mu);
    orphaned_orders = accepted_by_victim;
  }
  // Where the victim's orders stood when it died.
  int unsubmitted_at_kill = 0, not_active_at_kill = 0;
  {
    pg::Connection connection(db_);
    std::vector<std::string> ids(orphaned_orders.begin(), orphaned_orders.end());
    auto states = connection.Exec("reading states",
                                  "SELECT state FROM orders WHERE order_id = ANY($1::text[])",
                                  {pg::TextArray(ids)});
    ASSERT_TRUE(states.ok()) << states.status();
    for (int row = 0; row < states->rows(); ++row) {
      const int64_t state = states->Int(row, 0);
      if (state == Order::ACCEPTED || state == Order::CHECKING || state == Order::SUBMITTED) {
        ++unsubmitted_at_kill;
      }
      if (state != Order::ACTIVE) ++not_active_at_kill;
    }
  }
  for (std::thread& client : clients) client.join();

  auto survivor = NewStub(replicas[1]->target());
  const std::optional<absl::Time> taken_over =
      AwaitActive(*survivor, orphaned_orders, absl::Seconds(30));
  ASSERT_TRUE(taken_over.has_value()) << "the killed replica's orders did not finish";
  std::set<std::string> all_ids;
  for (const auto& [request_id, order_id] : accepted) all_ids.insert(order_id);
  ASSERT_TRUE(AwaitActive(*survivor, all_ids, absl::Seconds(60)).has_value());

  const Tally tally = Count(*survivor, *emulator_, accepted);
  // The watcher saw every revision of the event log after its snapshot,
  // once, in order, whichever replica wrote it.
  absl::SleepFor(absl::Seconds(1));  // the feed's last round
  watcher.Stop();
  const std::vector<WatchEvent> events = watcher.events();
  ASSERT_FALSE(events.empty());
  ASSERT_EQ(events[0].type(), WatchEvent::SNAPSHOT);
  std::vector<std::pair<int64_t, std::string>> seen;
  for (size_t i = 1; i < events.size(); ++i) {
    if (events[i].type() != WatchEvent::CHANGE) continue;
    seen.emplace_back(events[i].revision(), events[i].orders(0).order_id());
  }
  pg::Connection connection(db_);
  auto log = connection.Exec("reading the log",
                             "SELECT revision, order_id FROM events WHERE revision > $1"
                             " ORDER BY revision",
                             {pg::Int(events[0].revision())});
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<std::pair<int64_t, std::string>> logged;
  for (int row = 0; row < log->rows(); ++row) logged.emplace_back(log->Int(row, 0), log->Bytes(row, 1));
  int missed = 0;
  std::set<std::pair<int64_t, std::string>> seen_set(seen.begin(), seen.end());
  for (const auto& entry : logged) missed += seen_set.count(entry) == 0 ? 1 : 0;

  std::printf(
      "replicas: %d replicas, %zu orders accepted (%zu by the killed replica, %d of them "
      "not yet submitted and %d not yet ACTIVE when it died); its orders ACTIVE on the others "
      "%.2f s after the SIGKILL; lost %d, "
      "duplicate orders %d, not ACTIVE %d, instances created %d for %d ordered, orphans %d; "
      "watcher on a survivor: %zu changes, event log %zu, missed %d\n",
      kReplicas, accepted.size(), orphaned_orders.size(), unsubmitted_at_kill, not_active_at_kill,
      absl::ToDoubleSeconds(*taken_over - killed), tally.lost, tally.duplicate_orders,
      tally.not_active, tally.created, tally.ordered, tally.orphans, seen.size(), logged.size(),
      missed);
  EXPECT_EQ(accepted.size(), static_cast<size_t>(kReplicas * kPerReplica));
  EXPECT_GE(not_active_at_kill, 1);  // there was work to take over
  EXPECT_LE(*taken_over - killed, absl::Seconds(10));
  EXPECT_EQ(tally.lost, 0);
  EXPECT_EQ(tally.duplicate_orders, 0);
  EXPECT_EQ(tally.not_active, 0);
  EXPECT_EQ(tally.created, tally.ordered);
  EXPECT_EQ(tally.ordered, kReplicas * kPerReplica);
  EXPECT_EQ(tally.orphans, 0);
  EXPECT_EQ(seen, logged);  // the same revisions, each once, in order
  EXPECT_EQ(missed, 0);
  for (size_t r = 1; r < replicas.size(); ++r) {
    EXPECT_EQ(replicas[r]->Stop(absl::Seconds(30)).value_or(-1), 0);
  }
}

TEST_F(ReplicasTest, PostgresStoppedAndRestartedMidLoadLosesNothingAndServesAgain) {
  auto replica = StartReplica();
  ASSERT_TRUE(replica.ok()) << replica.status();
  const std::string target = (*replica)->target();
  FastClock fast(emulator_.get());
  ASSERT_EQ(Health(target), grpc::health::v1::HealthCheckResponse::SERVING);

  // A client buying steadily, each request retried with its id until it is
  // accepted.
  constexpr int kPurchases = 30;
  absl::Mutex mu;
  std::map<std::string, std::string> accepted;
  std::atomic<int> unavailable{0}, other_errors{0};
  std::thread client([&] {
    auto stub = NewStub(target);
    for (int i = 0; i < kPurchases; ++i) {
      const std::string request_id = absl::StrCat("steady-", i);
      std::optional<Order> order =
          PurchaseUntilAccepted(stub, request_id, [&](const grpc::Status& status) {
            ++(status.error_code() == grpc::StatusCode::UNAVAILABLE ? unavailable : other_errors);
          });
      if (order.has_value()) {
        absl::MutexLock lock(&mu);
        accepted[request_id] = order->order_id();
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  auto accepted_count = [&] {
    absl::MutexLock lock(&mu);
    return accepted.size();
  };
  while (accepted_count() < 10) absl::SleepFor(absl::Milliseconds(10));

  ASSERT_TRUE(postgres_->Stop().ok());
  const absl::Time stopped = absl::Now();
  auto health_is = [&](auto wanted, absl::Duration timeout) -> std::optional<absl::Time> {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (Health(target) == wanted) return absl::Now();
      absl::SleepFor(absl::Milliseconds(50));
    }
    return std::nullopt;
  };
  const auto not_serving = health_is(grpc::health::v1::HealthCheckResponse::NOT_SERVING,
                                     absl::Seconds(10));
  ASSERT_TRUE(not_serving.has_value()) << "still SERVING without its database";
  // Not ready, but alive: a liveness probe does not restart it for this.
  EXPECT_EQ(Health(target, ""), grpc::health::v1::HealthCheckResponse::SERVING);
  Order refused;
  grpc::Status while_down = NewStub(target)->Purchase(ContextWithDeadline(10).get(),
                                                      PurchaseOf("while-down", 1), &refused);
  EXPECT_EQ(while_down.error_code(), grpc::StatusCode::UNAVAILABLE) << while_down.error_message();
  absl::SleepFor(absl::Seconds(2));
  const size_t accepted_while_down = accepted_count();

  ASSERT_TRUE(postgres_->Restart().ok());
  const absl::Time restarted = absl::Now();
  const auto serving =
      health_is(grpc::health::v1::HealthCheckResponse::SERVING, absl::Seconds(20));
  ASSERT_TRUE(serving.has_value()) << "did not recover without a restart";
  client.join();
  std::set<std::string> all_ids;
  for (const auto& [request_id, order_id] : accepted) all_ids.insert(order_id);
  ASSERT_TRUE(AwaitActive(*NewStub(target), all_ids, absl::Seconds(60)).has_value());
  const Tally tally = Count(*NewStub(target), *emulator_, accepted);
  std::printf(
      "postgres outage: NOT_SERVING %.2f s after the stop, SERVING %.2f s after the restart "
      "(same process); %d purchases refused UNAVAILABLE while down, %d other errors; %zu "
      "accepted, lost %d, duplicate orders %d, not ACTIVE %d, instances created %d for %d "
      "ordered, orphans %d\n",
      absl::ToDoubleSeconds(*not_serving - stopped), absl::ToDoubleSeconds(*serving - restarted),
      unavailable.load(), other_errors.load(), accepted.size(), tally.lost,
      tally.duplicate_orders, tally.not_active, tally.created, tally.ordered, tally.orphans);
  EXPECT_GE(unavailable.load(), 1);
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_LT(accepted_while_down, static_cast<size_t>(kPurchases));  // the outage was mid-load
  EXPECT_EQ(accepted.size(), static_cast<size_t>(kPurchases));
  EXPECT_EQ(tally.lost, 0);
  EXPECT_EQ(tally.duplicate_orders, 0);
  EXPECT_EQ(tally.not_active, 0);
  EXPECT_EQ(tally.created, kPurchases);
  EXPECT_EQ(tally.ordered, kPurchases);
  EXPECT_EQ(tally.orphans, 0);
  EXPECT_GT((*replica)->pid(), 0);  // never restarted
  EXPECT_EQ((*replica)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
