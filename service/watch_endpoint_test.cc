// WatchEndpoint on a real in-process gRPC server: refused calls, many
// streams over several completion queues, cancellation and shutdown free
// every call (the hub ends with no subscriber).
#include "service/watch_endpoint.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "service/watch_test_support.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::v1::WatchEvent;
using provisioning::v1::WatchRequest;

class WatchEndpointTest : public ::testing::Test {
 protected:
  void StartServer(WatchTestServer::Options options) {
    server_ = std::make_unique<WatchTestServer>(options, &clock_);
  }
  std::string Create(const std::string& request_id) {
    Order order;
    order.set_request_id(request_id);
    order.set_state(Order::ACCEPTED);
    return server_->store().CreateOrder(order).value().order.order_id();
  }
  // Whether the hub has `n` subscribers within 20 s.
  bool AwaitSubscribers(size_t n) {
    for (int i = 0; i < 1000; ++i) {
      if (server_->hub().subscriber_count() == n) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }
  int64_t Handled(grpc::StatusCode code) {
    return static_cast<int64_t>(server_->metrics().handled[code]->Value());
  }

  FakeClock clock_;
  std::unique_ptr<WatchTestServer> server_;
};

TEST_F(WatchEndpointTest, ARefusedCallEndsWithTheTenantErrorAndIsCounted) {
  WatchTestServer::Options options;
  options.tenant_of = [](const grpc::ServerContextBase&) -> absl::StatusOr<std::string> {
    return absl::UnauthenticatedError("no identity");
  };
  StartServer(options);
  WatchTestReader refused(&server_->stub(), WatchRequest());
  const grpc::Status status = refused.AwaitEnd();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "no identity");
  EXPECT_TRUE(refused.events().empty());
  EXPECT_EQ(server_->metrics().started->Value(), 1);
  EXPECT_EQ(Handled(grpc::StatusCode::UNAUTHENTICATED), 1);
  EXPECT_EQ(server_->hub().subscriber_count(), 0u);  // never subscribed
}

TEST_F(WatchEndpointTest, StreamsSpreadOverSeveralQueuesEachGetEveryChangeInOrder) {
  WatchTestServer::Options options;
  options.completion_queues = 3;
  StartServer(options);
  constexpr int kConnections = 9;
  constexpr int kStreams = 90;
  constexpr int kChanges = 20;
  std::vector<std::unique_ptr<provisioning::v1::Provisioning::Stub>> stubs;
  for (int i = 0; i < kConnections; ++i) stubs.push_back(server_->NewConnection(i));
  std::vector<std::unique_ptr<WatchTestReader>> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(
        std::make_unique<WatchTestReader>(stubs[i % kConnections].get(), WatchRequest()));
  }
  for (auto& stream : streams) ASSERT_EQ(stream->Await(1).size(), 1u);  // the snapshot
  const std::vector<int64_t> per_queue = server_->endpoint().CallsPerQueue();
  ASSERT_EQ(per_queue.size(), 3u);
  int64_t calls = 0;
  int queues_used = 0;
  for (int64_t n : per_queue) {
    calls += n;
    queues_used += n > 0 ? 1 : 0;
    std::printf("calls on a queue: %lld\n", static_cast<long long>(n));
  }
  EXPECT_EQ(calls, kStreams);
  EXPECT_GE(queues_used, 2);
  for (int i = 0; i < kChanges; ++i) Create("r" + std::to_string(i));
  for (auto& stream : streams) {
    const std::vector<WatchEvent> events = stream->Await(kChanges + 1);
    ASSERT_EQ(events.size(), kChanges + 1u);
    EXPECT_EQ(events[0].type(), WatchEvent::SNAPSHOT);
    for (int i = 1; i <= kChanges; ++i) {
      EXPECT_EQ(events[i].type(), WatchEvent::CHANGE);
      EXPECT_EQ(events[i].revision(), events[0].revision() + i);
    }
  }
}

TEST_F(WatchEndpointTest, CancelledCallsAreFreedAndUnsubscribed) {
  StartServer(WatchTestServer::Options());
  {
    std::vector<std::unique_ptr<WatchTestReader>> streams;
    for (int i = 0; i < 20; ++i) {
      streams.push_back(std::make_unique<WatchTestReader>(&server_->stub(), WatchRequest()));
    }
    for (auto& stream : streams) ASSERT_EQ(stream->Await(1).size(), 1u);
    ASSERT_TRUE(AwaitSubscribers(20));
  }  // each cancelled
  EXPECT_TRUE(AwaitSubscribers(0));
  EXPECT_EQ(Handled(grpc::StatusCode::CANCELLED), 20);
  // The endpoint still takes calls.
  WatchTestReader later(&server_->stub(), WatchRequest());
  EXPECT_EQ(later.Await(1).size(), 1u);
}

TEST_F(WatchEndpointTest, ServerShutdownEndsTheStreamsStillOpenAndStopFreesThem) {
  StartServer(WatchTestServer::Options());
  std::vector<std::unique_ptr<WatchTestReader>> streams;
  for (int i = 0; i < 10; ++i) {
    streams.push_back(std::make_unique<WatchTestReader>(&server_->stub(), WatchRequest()));
  }
  for (auto& stream : streams) ASSERT_EQ(stream->Await(1).size(), 1u);
  ASSERT_EQ(server_->hub().subscriber_count(), 10u);
  // The hub stays open: only the server's shutdown ends these calls.
  server_->StopServing(absl::Milliseconds(100));
  EXPECT_EQ(server_->hub().subscriber_count(), 0u);
  for (auto& stream : streams) {
    const grpc::StatusCode code = stream->AwaitEnd().error_code();
    EXPECT_TRUE(code == grpc::StatusCode::CANCELLED || code == grpc::StatusCode::UNAVAILABLE)
        << code;
  }
  EXPECT_EQ(server_->metrics().started->Value(), 10);
}

TEST_F(WatchEndpointTest, StopWaitsForACallWhoseWriteIsStuckAtShutdown) {
  StartServer(WatchTestServer::Options());
  WatchTestReader stuck(&server_->stub(), WatchRequest());
  ASSERT_EQ(stuck.Await(1).size(), 1u);
  stuck.Pause();
  // 40 changes of 1 MiB: the flow-control window and the socket buffers
  // fill, so a write stays in flight while the client reads nothing.
  constexpr int kChanges = 40;
  for (int i = 0; i < kChanges; ++i) {
    Order order;
    order.set_request_id("big" + std::to_string(i));
    order.mutable_spec()->set_instance_name(std::string(1 << 20, 'x'));
    ASSERT_TRUE(server_->store().CreateOrder(order).ok());
  }
  absl::SleepFor(absl::Milliseconds(200));
  // Not every change was handed to gRPC: a write is stuck in flight.
  ASSERT_LT(server_->metrics().sent->Value(), 1 + kChanges);
  // The writes cannot complete, so only the cancellation at shutdown ends
  // the call: Stop() returns once it is freed (and the test ends).
  server_->StopServing(absl::Milliseconds(100));
  EXPECT_EQ(server_->hub().subscriber_count(), 0u);
  EXPECT_EQ(server_->metrics().handled[grpc::StatusCode::CANCELLED]->Value(), 1);
  stuck.Resume();
  EXPECT_NE(stuck.AwaitEnd().error_code(), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace cvm
