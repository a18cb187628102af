// The floor of Watch fan-out on gRPC's async API (bench/watch_floor.h), as
// the provisioner serves Watch (service/watch_endpoint.h): Watch raw and
// async over --completion_queues server completion queues, one thread each;
// Purchase and Describe on the callback API. The Watch benchmark runs it
// with --floor_api=async, to show how the service compares with gRPC on the
// same API.
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench/watch_floor.h"
#include "grpcpp/support/async_stream.h"

ABSL_FLAG(int, completion_queues, 4, "server completion queues for Watch, one thread each");

namespace cvm::bench {
namespace {

using AsyncBase = provisioning::v1::Provisioning::WithRawMethod_Watch<
    provisioning::v1::Provisioning::WithCallbackMethod_Purchase<
        provisioning::v1::Provisioning::WithCallbackMethod_Describe<
            provisioning::v1::Provisioning::Service>>>;

class AsyncFloor final : public FloorService<AsyncBase> {
 public:
  using FloorService::FloorService;
  FloorFanOut* fan_out() { return fan_out_; }
};

// One async stream; its tags are its address plus the operation.
class AsyncStream : public FloorSink {
 public:
  enum Op : uintptr_t { kArrived = 0, kWritten = 1, kDone = 2 };

  // Posts a request for the next Watch call on `queue`; owns itself until
  // the call arrives, then the fan-out owns it.
  static void Post(AsyncFloor* floor, grpc::ServerCompletionQueue* queue) {
    auto* stream = new AsyncStream(floor, queue);
    stream->self_.reset(stream);
    stream->context_.AsyncNotifyWhenDone(stream->Tag(kDone));
    floor->RequestWatch(&stream->context_, &stream->request_, &stream->writer_, queue, queue,
                        stream->Tag(kArrived));
  }
  static void Complete(void* tag, bool ok) {
    const auto bits = reinterpret_cast<uintptr_t>(tag);
    reinterpret_cast<AsyncStream*>(bits & ~uintptr_t{3})->Proceed(static_cast<Op>(bits & 3), ok);
  }

 private:
  AsyncStream(AsyncFloor* floor, grpc::ServerCompletionQueue* queue)
      : floor_(floor), queue_cq_(queue), writer_(&context_) {}
  void* Tag(Op op) { return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(this) | op); }
  void StartWriteOf(const grpc::ByteBuffer& bytes) override { writer_.Write(bytes, Tag(kWritten)); }

  void Proceed(Op op, bool ok) {
    if (op == kArrived) {
      std::shared_ptr<FloorSink> self = std::move(self_);
      if (!ok) return;  // shutting down: no done notification follows
      Post(floor_, queue_cq_);
      floor_->fan_out()->Add(std::move(self));
      return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (op == kWritten) {
      if (!ok) over_ = true;  // the done notification follows
      if (WriteNext(lock)) return;
    } else {  // kDone: the call is over (the client went away)
      over_ = true;
      call_over_ = true;
    }
    // Over with no write in flight: no tag of it is pending any more.
    if (call_over_ && in_flight_ == nullptr && !removed_) {
      removed_ = true;
      lock.unlock();
      floor_->fan_out()->Remove(floor_id);  // may delete this
    }
  }

  AsyncFloor* const floor_;
  grpc::ServerCompletionQueue* const queue_cq_;
  std::shared_ptr<FloorSink> self_;  // until the call arrives
  grpc::ServerContext context_;
  grpc::ByteBuffer request_;
  grpc::ServerAsyncWriter<grpc::ByteBuffer> writer_;
  bool call_over_ = false;  // the done notification came; guarded by mu_
  bool removed_ = false;    // guarded by mu_
};

}  // namespace
}  // namespace cvm::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  cvm::bench::FloorFanOut fan_out(cvm::bench::SingleAfter());
  cvm::bench::AsyncFloor floor(&fan_out);
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues;
  std::vector<std::thread> threads;
  return cvm::bench::ServeFloor(
      "watch_floor_async", &floor,
      [&](grpc::ServerBuilder& builder) {
        for (int i = 0; i < absl::GetFlag(FLAGS_completion_queues); ++i) {
          queues.push_back(builder.AddCompletionQueue());
        }
      },
      [&] {
        for (auto& queue : queues) {
          for (int i = 0; i < 4; ++i) cvm::bench::AsyncStream::Post(&floor, queue.get());
          threads.emplace_back([queue = queue.get()] {
            void* tag = nullptr;
            bool ok = false;
            while (queue->Next(&tag, &ok)) cvm::bench::AsyncStream::Complete(tag, ok);
          });
        }
      });
}
