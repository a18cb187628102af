#include "bench/watch_floor.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/impl/codegen/proto_utils.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address to serve on");
ABSL_FLAG(bool, reflection, false,
          "also serve gRPC reflection and health checks, as the provisioner does");
ABSL_FLAG(absl::Duration, single_after, absl::Seconds(2),
          "delay of a purchase's fifth change after its burst of four (the provisioner's "
          "first poll, --poll_fast_interval)");

namespace cvm::bench {

using provisioning::v1::Order;
using provisioning::v1::WatchEvent;

namespace {

FloorMessage Serialize(const WatchEvent& event) {
  auto bytes = std::make_shared<grpc::ByteBuffer>();
  bool own = false;
  grpc::SerializationTraits<WatchEvent>::Serialize(event, bytes.get(), &own).IgnoreError();
  return bytes;
}

}  // namespace

absl::Duration SingleAfter() { return absl::GetFlag(FLAGS_single_after); }

void FloorSink::Send(FloorMessage message) {
  std::unique_lock<std::mutex> lock(mu_);
  if (over_) return;
  if (in_flight_ != nullptr) {
    queue_.push_back(std::move(message));
    return;
  }
  in_flight_ = std::move(message);
  lock.unlock();
  StartWriteOf(*in_flight_);
}

bool FloorSink::WriteNext(std::unique_lock<std::mutex>& lock) {
  in_flight_.reset();
  if (over_ || queue_.empty()) return false;
  in_flight_ = std::move(queue_.front());
  queue_.pop_front();
  lock.unlock();
  StartWriteOf(*in_flight_);
  return true;
}

FloorFanOut::FloorFanOut(absl::Duration single_after)
    : single_after_(single_after), fan_out_([this] { Run(); }) {
  fan_out_.detach();
}

void FloorFanOut::Add(std::shared_ptr<FloorSink> sink) {
  std::lock_guard<std::mutex> lock(mu_);
  WatchEvent snapshot;
  snapshot.set_type(WatchEvent::SNAPSHOT);
  snapshot.set_revision(revision_);
  const uint64_t id = ++streams_opened_;
  sink->floor_id = id;
  sink->Send(Serialize(snapshot));
  streams_.emplace(id, std::move(sink));
}

void FloorFanOut::Remove(uint64_t id) {
  std::shared_ptr<FloorSink> last;  // destroyed after the lock is released
  std::lock_guard<std::mutex> lock(mu_);
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  last = std::move(it->second);
  streams_.erase(it);
}

int64_t FloorFanOut::revision() {
  std::lock_guard<std::mutex> lock(mu_);
  return revision_;
}

Order FloorFanOut::Purchase(const provisioning::v1::PurchaseRequest& request) {
  Order order;
  {
    std::lock_guard<std::mutex> lock(mu_);
    order.set_order_id(absl::StrCat("ord-", ++orders_));
    order.set_name(absl::StrCat("orders/", order.order_id()));
    // One instance as the service records it, so messages are the same size.
    order.add_instances()->set_instance_id(
        absl::StrCat("ins-", absl::Hex(orders_, absl::kZeroPad8)));
  }
  order.set_request_id(request.request_id());
  *order.mutable_spec() = request.spec();
  order.set_instance_count(request.instance_count());
  order.set_backend("fake");
  order.set_tenant("default");
  auto* instance = order.mutable_instances(0);
  instance->set_state(provisioning::v1::Instance::PENDING);
  instance->set_zone(request.spec().zone());
  instance->set_instance_type(request.spec().instance_type());
  instance->add_private_ips("10.0.0.1");
  instance->set_unit_price_per_hour("0.12");
  for (Order::State state :
       {Order::ACCEPTED, Order::CHECKING, Order::SUBMITTED, Order::PROVISIONING}) {
    Change(order, state, absl::ZeroDuration());
  }
  Change(order, Order::PROVISIONING, single_after_);
  return order;
}

void FloorFanOut::Change(Order order, Order::State state, absl::Duration delay) {
  auto* change = order.add_last_changes();
  change->set_kind(provisioning::v1::OrderChange::STATE_CHANGED);
  change->set_to_order_state(state);
  order.set_state(state);
  std::lock_guard<std::mutex> lock(mu_);
  pending_.push_back({absl::Now() + delay, std::move(order)});
  wake_.notify_one();
}

void FloorFanOut::Run() {
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
    std::vector<std::shared_ptr<FloorSink>> streams;
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
    const FloorMessage message = Serialize(event);
    // A stream that ended meanwhile is kept alive by the copy and ignores it.
    for (const auto& stream : streams) stream->Send(message);
    streams.clear();
    lock.lock();
  }
}

int ServeFloor(const char* name, grpc::Service* service,
               const std::function<void(grpc::ServerBuilder&)>& before_start,
               const std::function<void()>& after_start) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as the provisioner
  signal(SIGPIPE, SIG_IGN);
  if (absl::GetFlag(FLAGS_reflection)) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service);
  before_start(builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return 2;
  after_start();
  std::printf("%s: serving gRPC on port %d, metrics on port 0\n", name, port);
  std::fflush(stdout);
  server->Wait();
  return 0;
}

}  // namespace cvm::bench
