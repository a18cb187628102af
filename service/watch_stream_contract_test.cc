// WatchStream's contract with its Call, on a fake Call that completes writes
// only when the test says so: one write in flight at a time, nothing written
// after the finish, exactly one finish, and the finish only once the write
// in flight completed, however the stream ends (hub Close, cancellation, a
// failed write).
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "gtest/gtest.h"
#include "service/watch_hub.h"
#include "service/watch_stream.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::v1::WatchRequest;

// Records what the stream starts and checks the Call rules as it goes.
class FakeCall : public WatchStream::Call {
 public:
  void StartWrite(const grpc::ByteBuffer* bytes) override {
    EXPECT_FALSE(in_flight_) << "a second write while one is in flight";
    EXPECT_EQ(finishes_, 0) << "a write after the finish";
    EXPECT_NE(bytes, nullptr);
    in_flight_ = true;
    ++writes_;
  }
  void StartFinish(const grpc::Status& status) override {
    EXPECT_FALSE(in_flight_) << "the finish while a write is in flight";
    ++finishes_;
    status_ = status;
  }
  // Completes the write in flight.
  void Complete(WatchStream& stream, bool ok) {
    ASSERT_TRUE(in_flight_);
    in_flight_ = false;
    stream.WriteDone(ok);
  }
  bool in_flight() const { return in_flight_; }
  int writes() const { return writes_; }
  int finishes() const { return finishes_; }
  grpc::StatusCode code() const { return status_.error_code(); }

 private:
  bool in_flight_ = false;
  int writes_ = 0;
  int finishes_ = 0;
  grpc::Status status_;
};

class WatchStreamContractTest : public ::testing::Test {
 protected:
  WatchStreamContractTest() : store_(&clock_), hub_(HubOptions(&clock_)) {
    store_.SetListener([this](const OrderEvent& event) { hub_.Publish(event); });
  }
  ~WatchStreamContractTest() override {
    hub_.Close(absl::UnavailableError("test over"));
    stream_.reset();
    store_.SetListener(nullptr);
  }
  static WatchHub::Options HubOptions(Clock* clock) {
    WatchHub::Options options;
    options.clock = clock;
    return options;
  }

  // Starts a stream of all orders; its SNAPSHOT is then in flight.
  void Open(bool batch_changes = false) {
    WatchRequest request;
    request.set_batch_changes(batch_changes);
    grpc::ByteBuffer bytes;
    bool own = false;
    ASSERT_TRUE(grpc::SerializationTraits<WatchRequest>::Serialize(request, &bytes, &own).ok());
    stream_ =
        WatchStream::Start(bytes, std::string("team"), {&store_, &hub_, 1024, nullptr}, &call_);
    ASSERT_EQ(call_.writes(), 1);
    ASSERT_TRUE(call_.in_flight());
  }
  // Commits `n` new orders of the stream's tenant and waits for the hub.
  void Commit(int n) {
    for (int i = 0; i < n; ++i) {
      Order order;
      order.set_tenant("team");
      order.set_request_id("r" + std::to_string(committed_++));
      ASSERT_TRUE(store_.CreateOrder(order).ok());
    }
    hub_.Flush();
  }

  FakeClock clock_;
  MemoryOrderStore store_;
  WatchHub hub_;
  FakeCall call_;
  std::unique_ptr<WatchStream> stream_;
  int committed_ = 0;
};

TEST_F(WatchStreamContractTest, ChangesQueuedBehindAWriteGoOutOneAtATime) {
  Open();
  Commit(3);
  EXPECT_EQ(call_.writes(), 1);  // the snapshot still in flight
  for (int expected = 2; expected <= 4; ++expected) {
    call_.Complete(*stream_, true);
    EXPECT_EQ(call_.writes(), expected);
  }
  call_.Complete(*stream_, true);
  EXPECT_FALSE(call_.in_flight());  // nothing queued
  EXPECT_EQ(call_.finishes(), 0);
}

TEST_F(WatchStreamContractTest, HubCloseWithAWriteInFlightFinishesAfterItCompletes) {
  Open();
  Commit(2);
  hub_.Close(absl::UnavailableError("draining"));
  EXPECT_EQ(call_.finishes(), 0);  // the snapshot is still in flight
  call_.Complete(*stream_, true);
  EXPECT_EQ(call_.finishes(), 1);
  EXPECT_EQ(call_.code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(call_.writes(), 1);  // the queued changes are dropped, not written
}

TEST_F(WatchStreamContractTest, CancellationWithAWriteInFlightFinishesOnceItFails) {
  Open();
  stream_->Cancelled();
  EXPECT_EQ(call_.finishes(), 0);
  call_.Complete(*stream_, false);
  EXPECT_EQ(call_.finishes(), 1);
  EXPECT_EQ(call_.code(), grpc::StatusCode::CANCELLED);
  Commit(1);  // nothing more is written
  stream_->Cancelled();
  EXPECT_EQ(call_.writes(), 1);
  EXPECT_EQ(call_.finishes(), 1);
}

TEST_F(WatchStreamContractTest, AFailedWriteFinishesOnceAndWritesNothingQueued) {
  Open(/*batch_changes=*/true);
  Commit(2);
  call_.Complete(*stream_, false);
  EXPECT_EQ(call_.finishes(), 1);
  EXPECT_EQ(call_.code(), grpc::StatusCode::CANCELLED);
  stream_->Cancelled();  // gRPC's done notification after the failed write
  hub_.Close(absl::UnavailableError("draining"));
  EXPECT_EQ(call_.writes(), 1);
  EXPECT_EQ(call_.finishes(), 1);
}

TEST_F(WatchStreamContractTest, DestroyingAFinishedStreamUnsubscribesIt) {
  Open();
  EXPECT_EQ(hub_.subscriber_count(), 1u);
  stream_->Cancelled();
  call_.Complete(*stream_, false);
  ASSERT_EQ(call_.finishes(), 1);
  stream_.reset();
  EXPECT_EQ(hub_.subscriber_count(), 0u);
  Commit(1);  // the hub calls nothing on the freed stream
}

}  // namespace
}  // namespace cvm
