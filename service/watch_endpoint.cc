#include "service/watch_endpoint.h"

#include <cstdint>
#include <utility>

namespace cvm {
namespace {

// Requests posted per queue up front: calls arriving together are matched
// without waiting for the queue's thread to post the next request.
constexpr int kRequestsPerQueue = 4;

}  // namespace

// One Watch call, from the posted request to the last completion. Its tags
// are its address with the operation in the low two bits.
class WatchEndpoint::WatchCall final : public WatchStream::Call {
 public:
  // Posts a request for the next call on queue `index`.
  WatchCall(WatchEndpoint* endpoint, size_t index)
      : endpoint_(endpoint), index_(index), writer_(&context_) {
    context_.AsyncNotifyWhenDone(Tag(kDone));
    grpc::ServerCompletionQueue* queue = endpoint_->queues_[index].get();
    endpoint_->options_.request(&context_, &request_, &writer_, queue, Tag(kArrived));
  }

  // Handles the completion that `tag` names.
  static void Complete(void* tag, bool ok) {
    static_assert(alignof(WatchCall) >= 4, "a tag keeps the operation in its low 2 bits");
    const auto bits = reinterpret_cast<uintptr_t>(tag);
    reinterpret_cast<WatchCall*>(bits & ~uintptr_t{3})->Proceed(static_cast<Op>(bits & 3), ok);
  }

  void StartWrite(const grpc::ByteBuffer* bytes) override { writer_.Write(*bytes, Tag(kWritten)); }
  void StartFinish(const grpc::Status& status) override { writer_.Finish(status, Tag(kFinished)); }

 private:
  enum Op : uintptr_t { kArrived = 0, kWritten = 1, kFinished = 2, kDone = 3 };

  void* Tag(Op op) { return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(this) | op); }

  void Proceed(Op op, bool ok) {
    switch (op) {
      case kArrived:
        // Not ok: the server shut down before a call matched; gRPC sends
        // no done notification for a request never matched.
        if (!ok) {
          Free();
          return;
        }
        endpoint_->PostRequest(index_, /*arrived=*/true);
        stream_ = WatchStream::Start(request_, endpoint_->options_.tenant_of(context_),
                                     endpoint_->options_.streams, this);
        return;
      case kWritten:
        stream_->WriteDone(ok);
        return;
      case kFinished:
        finished_ = true;
        break;
      case kDone:
        done_ = true;
        if (context_.IsCancelled()) stream_->Cancelled();
        break;
    }
    if (finished_ && done_) Free();
  }

  void Free() {
    WatchEndpoint* const endpoint = endpoint_;
    delete this;  // the stream unsubscribes first
    endpoint->Freed();
  }

  WatchEndpoint* const endpoint_;
  const size_t index_;
  grpc::ServerContext context_;
  grpc::ByteBuffer request_;
  grpc::ServerAsyncWriter<grpc::ByteBuffer> writer_;
  std::unique_ptr<WatchStream> stream_;
  bool finished_ = false;
  bool done_ = false;
};

WatchEndpoint::WatchEndpoint(Options options) : options_(std::move(options)) {}

WatchEndpoint::~WatchEndpoint() { Stop(); }

void WatchEndpoint::AddTo(grpc::ServerBuilder& builder) {
  for (int i = 0; i < options_.completion_queues; ++i) {
    queues_.push_back(builder.AddCompletionQueue());
  }
  absl::MutexLock lock(&mu_);
  arrivals_.assign(queues_.size(), 0);
}

void WatchEndpoint::Start() {
  for (size_t i = 0; i < queues_.size(); ++i) {
    for (int k = 0; k < kRequestsPerQueue; ++k) PostRequest(i, /*arrived=*/false);
    threads_.emplace_back([queue = queues_[i].get()] { Drain(queue); });
  }
}

void WatchEndpoint::PostRequest(size_t index, bool arrived) {
  absl::MutexLock lock(&mu_);
  if (arrived) ++arrivals_[index];
  if (stopping_) return;
  ++live_calls_;
  new WatchCall(this, index);  // owns itself
}

void WatchEndpoint::Freed() {
  absl::MutexLock lock(&mu_);
  --live_calls_;
}

std::vector<int64_t> WatchEndpoint::CallsPerQueue() const {
  absl::MutexLock lock(&mu_);
  return arrivals_;
}

void WatchEndpoint::Drain(grpc::ServerCompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) WatchCall::Complete(tag, ok);
}

void WatchEndpoint::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    // After the server's Shutdown() every request still posted fails and
    // every call is cancelled: each call's last events free it.
    auto all_freed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return live_calls_ == 0; };
    mu_.Await(absl::Condition(&all_freed));
    for (auto& queue : queues_) queue->Shutdown();
  }
  for (std::thread& thread : threads_) thread.join();
  if (threads_.empty()) {
    for (auto& queue : queues_) Drain(queue.get());  // never started
  }
}

}  // namespace cvm
