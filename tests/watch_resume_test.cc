// A watcher that disconnects and resumes from its last revision sees every
// transition exactly once, across a crash and restart of the service: the
// event log lives in the SQLite store, and the cloud (the emulator) outlives
// the service.
#include <signal.h>

#include <map>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;
using provisioning::v1::WatchEvent;

struct Seen {
  int64_t revision;
  Order order;
};

// Reads the order's stream from `start_revision` until `stop(order)` holds;
// calls `on_event` after each event (to move the emulator's clock).
std::vector<WatchEvent> Read(provisioning::v1::Provisioning::Stub& stub,
                             const std::string& order_id, int64_t start_revision,
                             const std::function<bool(const Order&)>& stop,
                             const std::function<void()>& on_event) {
  provisioning::v1::WatchRequest request;
  request.set_order_id(order_id);
  request.set_start_revision(start_revision);
  auto context = ContextWithDeadline(60);
  auto reader = stub.Watch(context.get(), request);
  std::vector<WatchEvent> events;
  WatchEvent event;
  while (reader->Read(&event)) {
    events.push_back(event);
    if (event.orders_size() == 1 && stop(event.orders(0))) break;
    on_event();
  }
  context->TryCancel();
  reader->Finish().IgnoreError();
  return events;
}

TEST(WatchResumeTest, ResumingAfterARestartSeesEveryTransitionExactlyOnce) {
  auto emulator = tencentcloud::EmulatorServer::Start(tencentcloud::TestWorld(), "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  const std::string config =
      WriteEmulatorConfig("resume.textproto", (*emulator)->port(), tencentcloud::kTestSecretId,
                          tencentcloud::kTestSecretKey);
  const std::string store =
      absl::StrCat("--store=sqlite:", std::getenv("TEST_TMPDIR"), "/resume.db");
  auto first = ServerProcess::Start(config, {store});
  ASSERT_TRUE(first.ok()) << first.status();
  auto stub = NewStub((*first)->target());
  Order order;
  ASSERT_TRUE(stub->Purchase(ContextWithDeadline(30).get(), PurchaseOf("resume-1", 2), &order)
                  .ok());

  // Watch until the cloud named the instances, then drop the stream.
  std::vector<WatchEvent> before = Read(
      *stub, order.order_id(), 0,
      [](const Order& o) { return o.state() == Order::PROVISIONING; }, [] {});
  ASSERT_FALSE(before.empty());
  ASSERT_EQ(before.front().type(), WatchEvent::SNAPSHOT);
  ASSERT_EQ(before.back().orders(0).state(), Order::PROVISIONING);
  const int64_t snapshot_revision = before.front().revision();
  const int64_t last_seen = before.back().revision();

  // The service crashes and comes back on the same store; meanwhile the
  // instances start running.
  (*first)->Signal(SIGKILL);
  ASSERT_EQ((*first)->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);
  (*emulator)->clock().Advance(absl::Minutes(10));
  auto second = ServerProcess::Start(config, {store});
  ASSERT_TRUE(second.ok()) << second.status();
  auto resumed_stub = NewStub((*second)->target());
  std::vector<WatchEvent> after = Read(
      *resumed_stub, order.order_id(), last_seen,
      [](const Order& o) { return o.state() == Order::ACTIVE; },
      [&] { (*emulator)->clock().Advance(absl::Minutes(10)); });
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after.back().orders(0).state(), Order::ACTIVE);

  // No duplicate: revisions strictly increase across the two streams.
  std::vector<WatchEvent> seen(before.begin() + 1, before.end());
  seen.insert(seen.end(), after.begin(), after.end());
  int64_t previous = snapshot_revision;
  for (const WatchEvent& event : seen) {
    EXPECT_EQ(event.type(), WatchEvent::CHANGE);
    EXPECT_GT(event.revision(), previous);
    previous = event.revision();
  }
  // No gap: the store's whole log after the snapshot is exactly what was seen.
  std::vector<WatchEvent> log = Read(
      *resumed_stub, order.order_id(), snapshot_revision,
      [&](const Order& o) { return o.revision() == seen.back().revision(); }, [] {});
  ASSERT_EQ(log.size(), seen.size());
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].revision(), seen[i].revision()) << i;
    EXPECT_EQ(log[i].orders(0).SerializeAsString(), seen[i].orders(0).SerializeAsString()) << i;
  }
  // Every transition exactly once: each order state once, and each
  // instance turns RUNNING and gets its public IP in exactly one event.
  std::map<Order::State, int> states;
  std::map<std::string, int> running, addressed;
  Order last = before.front().orders(0);
  for (const WatchEvent& event : seen) {
    const Order& now = event.orders(0);
    if (now.state() != last.state()) ++states[now.state()];
    for (const Instance& instance : now.instances()) {
      const Instance* was = nullptr;
      for (const Instance& old : last.instances()) {
        if (old.instance_id() == instance.instance_id()) was = &old;
      }
      const bool was_running = was != nullptr && was->state() == Instance::RUNNING;
      const bool had_ip = was != nullptr && was->public_ips_size() > 0;
      if (instance.state() == Instance::RUNNING && !was_running) ++running[instance.instance_id()];
      if (instance.public_ips_size() > 0 && !had_ip) ++addressed[instance.instance_id()];
    }
    last = now;
  }
  EXPECT_EQ(states[Order::PROVISIONING], 1);
  EXPECT_EQ(states[Order::ACTIVE], 1);
  ASSERT_EQ(running.size(), 2u);
  ASSERT_EQ(addressed.size(), 2u);
  for (const auto& [id, n] : running) EXPECT_EQ(n, 1) << id;
  for (const auto& [id, n] : addressed) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ((*second)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
