// SIGKILL while RunInstances is in flight: the cloud buys the order after
// the service died. Restarted on the same SQLite store, the service adopts
// the instances it finds under the order's tag: the order completes and
// nothing is bought twice.
#include <signal.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::tencentcloud::emulator::v1::Fault;
using provisioning::v1::Order;

TEST(CrashRecoveryTest, KilledDuringRunInstancesAdoptsWhatTheCloudBoughtAfterRestart) {
  auto emulator = tencentcloud::EmulatorServer::Start(tencentcloud::TestWorld(), "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  Fault slow;  // RunInstances answers after 2 s: the crash lands inside it
  slow.set_action("RunInstances");
  slow.set_kind(Fault::LATENCY);
  slow.set_probability(1);
  slow.mutable_delay()->set_seconds(2);
  (*emulator)->SetFaults({slow});
  const std::string config = WriteEmulatorConfig(
      "crash.textproto", (*emulator)->port(), tencentcloud::kTestSecretId,
      tencentcloud::kTestSecretKey, "request_timeout { seconds: 10 }");
  const std::string store =
      absl::StrCat("--store=sqlite:", std::getenv("TEST_TMPDIR"), "/crash.db");
  auto first = ServerProcess::Start(config, {store});
  ASSERT_TRUE(first.ok()) << first.status();
  auto stub = NewStub((*first)->target());

  absl::Notification submitted;
  std::thread watcher([&] {
    auto context = ContextWithDeadline(30);
    auto reader = stub->Watch(context.get(), provisioning::v1::WatchRequest());
    provisioning::v1::WatchEvent event;
    while (reader->Read(&event)) {
      for (const Order& order : event.orders()) {
        if (order.state() == Order::SUBMITTED && !submitted.HasBeenNotified()) {
          submitted.Notify();
        }
      }
    }
    reader->Finish().IgnoreError();
  });
  std::thread buyer([&] {
    Order ignored;  // the process dies before answering
    stub->Purchase(ContextWithDeadline(30).get(), PurchaseOf("crash-1", 2), &ignored)
        .error_code();
  });
  ASSERT_TRUE(submitted.WaitForNotificationWithTimeout(absl::Seconds(20)));
  // Kill once the emulator has RunInstances in hand (it answers 2 s later).
  const absl::Time received_by = absl::Now() + absl::Seconds(10);
  while ((*emulator)->Books()["RateLimits"]["BusiestSecond"].value("RunInstances", 0) == 0 &&
         absl::Now() < received_by) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  (*first)->Signal(SIGKILL);
  EXPECT_EQ((*first)->Wait(absl::Seconds(10)).value_or(0), -SIGKILL);
  buyer.join();
  watcher.join();

  // The cloud finishes the purchase nobody is waiting for any more.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((*emulator)->Books()[tencentcloud::kTestSecretId]["Created"].get<int>() < 2 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ((*emulator)->Books()[tencentcloud::kTestSecretId]["Created"].get<int>(), 2);
  (*emulator)->SetFaults({});

  auto second = ServerProcess::Start(config, {store});
  ASSERT_TRUE(second.ok()) << second.status();
  auto after = NewStub((*second)->target());
  Order order;
  const absl::Time activate_by = absl::Now() + absl::Seconds(60);
  while (absl::Now() < activate_by) {
    (*emulator)->clock().Advance(absl::Minutes(10));
    // A client retry with the same request_id gets the same, recovered order.
    grpc::Status status =
        after->Purchase(ContextWithDeadline(30).get(), PurchaseOf("crash-1", 2), &order);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (order.state() == Order::ACTIVE) break;
    absl::SleepFor(absl::Milliseconds(300));
  }
  EXPECT_EQ(order.state(), Order::ACTIVE);
  EXPECT_EQ(order.instances_size(), 2);
  EXPECT_EQ((*emulator)->Books()[tencentcloud::kTestSecretId]["Created"].get<int>(), 2);
  EXPECT_EQ((*second)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
