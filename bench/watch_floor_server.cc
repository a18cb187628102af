// The floor of Watch fan-out: what gRPC itself costs on this machine to
// deliver one change to N streams, with nothing of the service around it.
//
// A bare gRPC server on the callback API, the same method and message type
// as the provisioner (provisioning.v1.Provisioning/Watch, registered raw as
// the service registers it, each change serialized once and shared by every
// stream), and no store, authentication, metrics interceptor, hub or
// coalescing: one gRPC message per change per stream. A Purchase makes the
// changes the real service makes for the benchmark's purchases: a burst of
// four (ACCEPTED, CHECKING, SUBMITTED, PROVISIONING) at once and a fifth
// --single_after later, each a CHANGE with one Order (the request's spec, a
// state change, timestamps) at the next revision. Describe answers the
// latest revision. It prints the provisioner's "serving gRPC on port N,
// metrics on port 0" line so tests/server_process.h can start it.
//
// One fan-out thread writes each change to every stream in turn (a stream
// whose write is still in flight queues it), from a copy of the stream list:
// no lock is held while gRPC starts writes, so streams open and end meanwhile.
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <map>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "provisioning/v1/provisioning.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address to serve on");
ABSL_FLAG(bool, reflection, false,
          "also serve gRPC reflection and health checks, as the provisioner does");
ABSL_FLAG(absl::Duration, single_after, absl::Seconds(2),
          "delay of a purchase's fifth change after its burst of four (the provisioner's "
          "first poll, --poll_fast_interval)");

namespace cvm::bench {
namespace {

using provisioning::v1::Order;
using provisioning::v1::WatchEvent;
using Message = std::shared_ptr<const grpc::ByteBuffer>;

Message Serialize(const WatchEvent& event) {
  auto bytes = std::make_shared<grpc::ByteBuffer>();
  bool own = false;
  grpc::SerializationTraits<WatchEvent>::Serialize(event, bytes.get(), &own).IgnoreError();
  return bytes;
}

class Floor;

// One stream: writes its messages one at a time, in order.
class FloorStream : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  FloorStream(Floor* floor, uint64_t id, Message snapshot);
  uint64_t id() const { return id_; }
  void Send(Message message) {
    std::unique_lock<std::mutex> lock(mu_);
    if (done_) return;
    if (in_flight_ != nullptr) {
      queue_.push_back(std::move(message));
      return;
    }
    in_flight_ = std::move(message);
    lock.unlock();
    StartWrite(in_flight_.get());
  }
  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    in_flight_.reset();
    if (!ok || done_) {
      done_ = true;
      lock.unlock();
      Finish(grpc::Status::CANCELLED);
      return;
    }
    if (queue_.empty()) return;
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    StartWrite(in_flight_.get());
  }
  void OnCancel() override {
    std::unique_lock<std::mutex> lock(mu_);
    done_ = true;
    if (in_flight_ == nullptr) {
      lock.unlock();
      Finish(grpc::Status::CANCELLED);
    }  // else OnWriteDone(false) finishes
  }
  void OnDone() override;

 private:
  Floor* const floor_;
  const uint64_t id_;
  std::mutex mu_;
  bool done_ = false;
  Message in_flight_;
  std::deque<Message> queue_;
};

class Floor final : public provisioning::v1::Provisioning::WithRawCallbackMethod_Watch<
                        provisioning::v1::Provisioning::CallbackService> {
 public:
  Floor() : fan_out_([this] { Run(); }) {}

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(grpc::CallbackServerContext*,
                                                    const grpc::ByteBuffer*) override {
    std::lock_guard<std::mutex> lock(mu_);
    WatchEvent snapshot;
    snapshot.set_type(WatchEvent::SNAPSHOT);
    snapshot.set_revision(revision_);
    auto stream = std::make_shared<FloorStream>(this, ++streams_opened_, Serialize(snapshot));
    streams_.emplace(stream->id(), stream);
    return stream.get();
  }

  grpc::ServerUnaryReactor* Purchase(grpc::CallbackServerContext* context,
                                     const provisioning::v1::PurchaseRequest* request,
                                     Order* response) override {
    Order order;
    order.set_order_id(absl::StrCat("ord-", ++orders_));
    order.set_name(absl::StrCat("orders/", order.order_id()));
    order.set_request_id(request->request_id());
    *order.mutable_spec() = request->spec();
    order.set_instance_count(request->instance_count());
    order.set_backend("fake");
    order.set_tenant("default");
    // One instance as the service records it, so messages are the same size.
    auto* instance = order.add_instances();
    instance->set_instance_id(absl::StrCat("ins-", absl::Hex(orders_, absl::kZeroPad8)));
    instance->set_state(provisioning::v1::Instance::PENDING);
    instance->set_zone(request->spec().zone());
    instance->set_instance_type(request->spec().instance_type());
    instance->add_private_ips("10.0.0.1");
    instance->set_unit_price_per_hour("0.12");
    *response = order;
    for (Order::State state : {Order::ACCEPTED, Order::CHECKING, Order::SUBMITTED,
                               Order::PROVISIONING}) {
      Change(order, state, absl::ZeroDuration());
    }
    Change(order, Order::PROVISIONING, absl::GetFlag(FLAGS_single_after));
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext* context,
                                     const provisioning::v1::DescribeRequest*,
                                     provisioning::v1::DescribeResponse* response) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      response->add_orders()->set_revision(revision_);
    }
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  void Remove(uint64_t id) {
    std::shared_ptr<FloorStream> last;  // destroyed after the lock is released
    std::lock_guard<std::mutex> lock(mu_);
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    last = std::move(it->second);
    streams_.erase(it);
  }

 private:
  struct Pending {
    absl::Time due;
    Order order;  // state set; revision and times at fan-out
  };

  // Queues a change of `order` to `state`, fanned out `delay` from now.
  void Change(Order order, Order::State state, absl::Duration delay) {
    auto* change = order.add_last_changes();
    change->set_kind(provisioning::v1::OrderChange::STATE_CHANGED);
    change->set_to_order_state(state);
    order.set_state(state);
    std::lock_guard<std::mutex> lock(mu_);
    pending_.push_back({absl::Now() + delay, std::move(order)});
    wake_.notify_one();
  }

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      auto due = std::min_element(pending_.begin(), pending_.end(),
                                  [](const Pending& a, const Pending& b) { return a.due < b.due; });
      if (due == pending_.end()) {
        wake_.wait(lock);
        continue;
      }
      if (due->due > absl::Now()) {
        wake_.wait_until(lock, absl::ToChronoTime(due->due));
        continue;
      }
      Order order = std::move(due->order);
      const absl::Time due_time = due->due;
      pending_.erase(due);
      order.set_revision(++revision_);
      std::vector<std::shared_ptr<FloorStream>> streams;
      streams.reserve(streams_.size());
      for (const auto& entry : streams_) streams.push_back(entry.second);
      lock.unlock();
      // Committed when due (as the service stamps a change when it commits),
      // however long earlier changes take to fan out.
      const int64_t nanos = absl::ToUnixNanos(due_time);
      order.mutable_update_time()->set_seconds(nanos / 1000000000);
      order.mutable_update_time()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
      *order.mutable_create_time() = order.update_time();
      WatchEvent event;
      event.set_type(WatchEvent::CHANGE);
      event.set_revision(order.revision());
      *event.add_orders() = std::move(order);
      const Message message = Serialize(event);
      // A stream that ended meanwhile is kept alive by the copy and ignores it.
      for (const auto& stream : streams) stream->Send(message);
      streams.clear();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  int64_t revision_ = 0;
  int64_t orders_ = 0;
  std::deque<Pending> pending_;
  // Each stream owns itself through its entry until OnDone. In the order
  // they opened, so consecutive writes mostly share a connection (gRPC then
  // batches them into one transport write), as the service's hub does.
  uint64_t streams_opened_ = 0;
  std::map<uint64_t, std::shared_ptr<FloorStream>> streams_;
  std::thread fan_out_;
};

FloorStream::FloorStream(Floor* floor, uint64_t id, Message snapshot) : floor_(floor), id_(id) {
  Send(std::move(snapshot));
}

void FloorStream::OnDone() { floor_->Remove(id_); }  // may delete this

}  // namespace
}  // namespace cvm::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as the provisioner
  signal(SIGPIPE, SIG_IGN);
  cvm::bench::Floor floor;
  int port = 0;
  if (absl::GetFlag(FLAGS_reflection)) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&floor);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return 2;
  std::printf("watch_floor_server: serving gRPC on port %d, metrics on port 0\n", port);
  std::fflush(stdout);
  server->Wait();
  return 0;
}
