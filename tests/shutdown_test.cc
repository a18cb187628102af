// SIGTERM drains the server: health goes NOT_SERVING, new calls are refused
// with UNAVAILABLE, open Watch streams end with UNAVAILABLE, an in-flight
// Purchase completes (never half-written), and the process exits 0.
#include <signal.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;
using provisioning::v1::WatchEvent;

// The ErrorInfo reason carried in a gRPC error's details, or "".
std::string ReasonOf(const grpc::Status& status) {
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) return "";
  for (const auto& any : rich.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

TEST(ShutdownTest, SigtermDuringWatchAndPurchaseDrainsCleanly) {
  const std::string store =
      absl::StrCat("--store=sqlite:", std::getenv("TEST_TMPDIR"), "/drain.db");
  auto server = ServerProcess::Start(RunfilePath("tests/testdata/slow_create.textproto"), {store});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = NewStub((*server)->target());

  // A Watch on every order, read on its own thread until the stream ends.
  absl::Notification purchase_in_flight;
  grpc::Status watch_status;
  auto watch_context = ContextWithDeadline(60);
  std::thread watcher([&] {
    auto reader = stub->Watch(watch_context.get(), provisioning::v1::WatchRequest());
    WatchEvent event;
    while (reader->Read(&event)) {
      for (const Order& order : event.orders()) {
        // SUBMITTED: the cloud call (3 s in this config) has started.
        if (order.state() == Order::SUBMITTED && !purchase_in_flight.HasBeenNotified()) {
          purchase_in_flight.Notify();
        }
      }
    }
    watch_status = reader->Finish();
  });

  Order bought;
  grpc::Status purchase_status;
  std::thread buyer([&] {
    purchase_status = stub->Purchase(ContextWithDeadline(60).get(),
                                     PurchaseOf("drain-inflight", 2), &bought);
  });
  ASSERT_TRUE(purchase_in_flight.WaitForNotificationWithTimeout(absl::Seconds(30)));

  (*server)->Signal(SIGTERM);

  // While the in-flight purchase finishes, the server is draining.
  watcher.join();
  EXPECT_EQ(watch_status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << watch_status.error_message();
  EXPECT_EQ(ReasonOf(watch_status), "SERVER_DRAINING");

  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel((*server)->target(), grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckRequest health_request;
  grpc::health::v1::HealthCheckResponse health_response;
  grpc::Status health_status =
      health->Check(ContextWithDeadline(10).get(), health_request, &health_response);
  ASSERT_TRUE(health_status.ok()) << health_status.error_message();
  EXPECT_EQ(health_response.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);

  Order refused;
  grpc::Status late = stub->Purchase(ContextWithDeadline(10).get(),
                                     PurchaseOf("drain-late", 1), &refused);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::UNAVAILABLE) << late.error_message();
  EXPECT_EQ(ReasonOf(late), "SERVER_DRAINING");

  // The purchase was answered once durably accepted; its cloud call was in
  // flight at SIGTERM and the drain let it finish.
  buyer.join();
  ASSERT_TRUE(purchase_status.ok()) << purchase_status.error_message();
  EXPECT_EQ(bought.state(), Order::ACCEPTED);

  auto code = (*server)->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);

  // Restarted on the same store: the in-flight order is there and complete,
  // the refused one is absent, nothing is half-written.
  auto restarted =
      ServerProcess::Start(RunfilePath("tests/testdata/slow_create.textproto"), {store});
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  auto after = NewStub((*restarted)->target());
  provisioning::v1::DescribeResponse all;
  ASSERT_TRUE(after->Describe(ContextWithDeadline(10).get(), provisioning::v1::DescribeRequest(),
                              &all)
                  .ok());
  ASSERT_EQ(all.orders_size(), 1);
  EXPECT_EQ(all.orders(0).request_id(), "drain-inflight");
  EXPECT_EQ(all.orders(0).order_id(), bought.order_id());
  EXPECT_EQ(all.orders(0).instances_size(), 2);
  EXPECT_NE(all.orders(0).state(), Order::SUBMITTED);
  EXPECT_NE(all.orders(0).state(), Order::CHECKING);
  EXPECT_EQ((*restarted)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

TEST(ShutdownTest, IdleServerExitsZeroOnSigterm) {
  auto server = ServerProcess::Start(RunfilePath("tests/testdata/slow_create.textproto"));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
