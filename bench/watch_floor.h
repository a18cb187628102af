// The floor of Watch fan-out, shared by its two gRPC bindings
// (bench/watch_floor_server.cc on the callback API, bench/watch_floor_async.cc
// on the async API): what gRPC itself costs on this machine to deliver one
// change to N streams, with nothing of the service around it.
//
// The same method and message type as the provisioner
// (provisioning.v1.Provisioning/Watch, registered raw as the service registers
// it, each change serialized once and shared by every stream), and no store,
// authentication, metrics interceptor, hub or coalescing: one gRPC message per
// change per stream. A Purchase makes the changes the real service makes for
// the benchmark's purchases: a burst of four (ACCEPTED, CHECKING, SUBMITTED,
// PROVISIONING) at once and a fifth --single_after later, each a CHANGE with
// one Order (the request's spec, a state change, timestamps) at the next
// revision. Describe answers the latest revision.
//
// One fan-out thread writes each change to every stream in turn (a stream
// whose write is still in flight queues it), from a copy of the stream list:
// no lock is held while gRPC starts writes, so streams open and end meanwhile.
//
// Contract: FloorFanOut is thread-safe. A FloorSink's Send() only queues or
// starts a write; the binding calls Remove() once its stream is over.
#ifndef CVM_PROVISIONER_BENCH_WATCH_FLOOR_H_
#define CVM_PROVISIONER_BENCH_WATCH_FLOOR_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/provisioning.grpc.pb.h"

namespace cvm::bench {

using FloorMessage = std::shared_ptr<const grpc::ByteBuffer>;

// One stream of a binding: writes its messages one at a time, in order.
class FloorSink {
 public:
  virtual ~FloorSink() = default;
  // Writes `message` after the ones sent before (a no-op once over_).
  void Send(FloorMessage message);
  uint64_t floor_id = 0;  // set by FloorFanOut::Add

 protected:
  // Starts writing `bytes`, which stay valid until the write completes.
  virtual void StartWriteOf(const grpc::ByteBuffer& bytes) = 0;
  // On a write's completion, with mu_ held by `lock`: starts the next queued
  // message unless over_, and then returns true with the lock released;
  // else false with it held.
  bool WriteNext(std::unique_lock<std::mutex>& lock);

  std::mutex mu_;
  bool over_ = false;       // no more writes
  FloorMessage in_flight_;  // nullptr: no write in flight

 private:
  std::deque<FloorMessage> queue_;
};

class FloorFanOut {
 public:
  explicit FloorFanOut(absl::Duration single_after);
  // Registers `sink` (owned until Remove(sink->floor_id)) and sends it a
  // SNAPSHOT, before any change.
  void Add(std::shared_ptr<FloorSink> sink);
  void Remove(uint64_t id);
  // Queues the order's five changes; the order as answered.
  provisioning::v1::Order Purchase(const provisioning::v1::PurchaseRequest& request);
  int64_t revision();

 private:
  struct Pending {
    absl::Time due;
    provisioning::v1::Order order;  // state set; revision and times at fan-out
  };
  // Queues a change of `order` to `state`, fanned out `delay` from now.
  void Change(provisioning::v1::Order order, provisioning::v1::Order::State state,
              absl::Duration delay);
  void Run();

  const absl::Duration single_after_;
  std::mutex mu_;
  std::condition_variable wake_;
  int64_t revision_ = 0;
  int64_t orders_ = 0;
  std::deque<Pending> pending_;
  // In the order they opened, so consecutive writes mostly share a
  // connection (gRPC then batches them into one transport write), as the
  // service's hub does.
  uint64_t streams_opened_ = 0;
  std::map<uint64_t, std::shared_ptr<FloorSink>> streams_;
  std::thread fan_out_;  // runs forever: the process ends with main()
};

// Purchase and Describe on the callback API over a FloorFanOut; `Base` is the
// generated service with its methods marked (Watch bound by the binding).
template <class Base>
class FloorService : public Base {
 public:
  explicit FloorService(FloorFanOut* fan_out) : fan_out_(fan_out) {}

  grpc::ServerUnaryReactor* Purchase(grpc::CallbackServerContext* context,
                                     const provisioning::v1::PurchaseRequest* request,
                                     provisioning::v1::Order* response) override {
    *response = fan_out_->Purchase(*request);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext* context,
                                     const provisioning::v1::DescribeRequest*,
                                     provisioning::v1::DescribeResponse* response) override {
    response->add_orders()->set_revision(fan_out_->revision());
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 protected:
  FloorFanOut* const fan_out_;
};

// After absl::ParseCommandLine: serves `service` on --listen (with reflection and health
// checks under --reflection), `before_start` adding to the builder and
// `after_start` running once it serves; prints the provisioner's "serving
// gRPC on port N, metrics on port 0" line (tests/server_process.h reads it)
// and serves until killed. Returns 2 when it cannot serve.
int ServeFloor(const char* name, grpc::Service* service,
               const std::function<void(grpc::ServerBuilder&)>& before_start,
               const std::function<void()>& after_start);

// --single_after.
absl::Duration SingleAfter();

}  // namespace cvm::bench

#endif  // CVM_PROVISIONER_BENCH_WATCH_FLOOR_H_
