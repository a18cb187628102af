// The floor of Watch fan-out on gRPC's callback API (bench/watch_floor.h):
// the floor the Watch benchmark measures the service against. Watch is
// registered raw on the CallbackService, as the provisioner registered it
// before Watch moved to the async API.
#include <memory>
#include <mutex>

#include "absl/flags/parse.h"
#include "bench/watch_floor.h"

namespace cvm::bench {
namespace {

// One stream: writes its messages one at a time, in order.
class CallbackStream : public grpc::ServerWriteReactor<grpc::ByteBuffer>, public FloorSink {
 public:
  explicit CallbackStream(FloorFanOut* fan_out) : fan_out_(fan_out) {}
  // A stream with its snapshot sent, owned by the fan-out.
  static CallbackStream* Open(FloorFanOut* fan_out) {
    auto stream = std::make_shared<CallbackStream>(fan_out);
    fan_out->Add(stream);
    return stream.get();
  }
  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (!ok) over_ = true;
    if (WriteNext(lock)) return;
    if (over_) FinishOnce(lock);
  }
  void OnCancel() override {
    std::unique_lock<std::mutex> lock(mu_);
    over_ = true;
    if (in_flight_ == nullptr) FinishOnce(lock);  // else OnWriteDone finishes
  }
  void OnDone() override { fan_out_->Remove(floor_id); }  // may delete this

 private:
  void StartWriteOf(const grpc::ByteBuffer& bytes) override { StartWrite(&bytes); }
  // OnWriteDone(false) and OnCancel() may both see the stream over.
  void FinishOnce(std::unique_lock<std::mutex>& lock) {
    if (finished_) return;
    finished_ = true;
    lock.unlock();
    Finish(grpc::Status::CANCELLED);
  }

  FloorFanOut* const fan_out_;
  bool finished_ = false;  // guarded by mu_
};

class CallbackFloor final
    : public FloorService<provisioning::v1::Provisioning::WithRawCallbackMethod_Watch<
          provisioning::v1::Provisioning::CallbackService>> {
 public:
  using FloorService::FloorService;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(grpc::CallbackServerContext*,
                                                    const grpc::ByteBuffer*) override {
    return CallbackStream::Open(fan_out_);
  }
};

}  // namespace
}  // namespace cvm::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  cvm::bench::FloorFanOut fan_out(cvm::bench::SingleAfter());
  cvm::bench::CallbackFloor floor(&fan_out);
  return cvm::bench::ServeFloor(
      "watch_floor_server", &floor, [](grpc::ServerBuilder&) {}, [] {});
}
