#include "service/watch_reactor.h"

#include "absl/strings/str_cat.h"
#include "service/grpc_status.h"
#include "service/request_validation.h"

namespace cvm {
namespace {

using provisioning::v1::WatchEvent;

WatchEvent ChangeEvent(const OrderEvent& event) {
  WatchEvent out;
  out.set_revision(event.revision);
  out.set_type(WatchEvent::CHANGE);
  *out.add_orders() = event.order;
  return out;
}

}  // namespace

grpc::ServerWriteReactor<WatchEvent>* WatchReactor::Start(
    const provisioning::v1::WatchRequest& request, OrderStore* store,
    WatchHub* hub, size_t max_buffered) {
  auto* reactor = new WatchReactor(request, hub, max_buffered);
  absl::Status valid = ValidateWatchRequest(request);
  if (!valid.ok()) {
    absl::MutexLock lock(&reactor->mu_);
    reactor->FinishLocked(valid);
  } else {
    reactor->Begin(store);
  }
  return reactor;
}

WatchReactor::WatchReactor(const provisioning::v1::WatchRequest& request,
                           WatchHub* hub, size_t max_buffered)
    : order_id_(request.order_id()),
      start_revision_(request.start_revision()),
      hub_(hub),
      max_buffered_(max_buffered) {}

absl::StatusOr<int64_t> WatchReactor::InitialEvents(
    OrderStore* store, std::vector<WatchEvent>& out) {
  if (start_revision_ == 0) {
    absl::StatusOr<OrderSnapshot> snapshot = store->Snapshot(order_id_);
    if (!snapshot.ok()) return snapshot.status();
    WatchEvent event;
    event.set_revision(snapshot->revision);
    event.set_type(WatchEvent::SNAPSHOT);
    for (Order& order : snapshot->orders) *event.add_orders() = std::move(order);
    out.push_back(std::move(event));
    return snapshot->revision;
  }
  if (!order_id_.empty()) {
    absl::Status exists = store->GetOrder(order_id_).status();
    if (!exists.ok()) return exists;
  }
  absl::StatusOr<std::vector<OrderEvent>> missed =
      store->EventsAfter(start_revision_, order_id_);
  if (!missed.ok()) return missed.status();
  int64_t covered = start_revision_;
  for (const OrderEvent& event : *missed) {
    out.push_back(ChangeEvent(event));
    covered = event.revision;
  }
  return covered;
}

void WatchReactor::Begin(OrderStore* store) {
  // Subscribe first so nothing committed after the snapshot is missed;
  // events it already covers are dropped by revision below.
  absl::StatusOr<uint64_t> id = hub_->Subscribe(this);
  if (!id.ok()) {
    absl::MutexLock lock(&mu_);
    FinishLocked(id.status());
    return;
  }
  subscription_ = *id;
  std::vector<WatchEvent> initial;
  absl::StatusOr<int64_t> covered = InitialEvents(store, initial);
  absl::MutexLock lock(&mu_);
  if (!covered.ok()) {
    FinishLocked(covered.status());
    return;
  }
  floor_revision_ = *covered;
  started_ = true;
  for (WatchEvent& event : initial) EnqueueLocked(std::move(event));
  for (const OrderEvent& event : early_) {
    if (event.revision > floor_revision_) EnqueueLocked(ChangeEvent(event));
  }
  early_.clear();
}

void WatchReactor::OnEvent(const OrderEvent& event) {
  if (!order_id_.empty() && event.order.order_id() != order_id_) return;
  absl::MutexLock lock(&mu_);
  if (finishing_) return;
  if (!started_) {
    early_.push_back(event);
  } else if (event.revision > floor_revision_) {
    EnqueueLocked(ChangeEvent(event));
  }
}

void WatchReactor::OnClose(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  FinishLocked(status);
}

void WatchReactor::EnqueueLocked(WatchEvent event) {
  if (finishing_) return;
  if (queue_.size() >= max_buffered_) {
    FinishLocked(absl::ResourceExhaustedError(absl::StrCat(
        "the client fell more than ", max_buffered_,
        " events behind; resume from the last revision received")));
    return;
  }
  floor_revision_ = std::max(floor_revision_, event.revision());
  queue_.push_back(std::move(event));
  if (!writing_) WriteNextLocked();
}

void WatchReactor::WriteNextLocked() {
  if (queue_.empty()) return;
  in_flight_ = std::move(queue_.front());
  queue_.pop_front();
  writing_ = true;
  StartWrite(&in_flight_);
}

void WatchReactor::FinishLocked(const absl::Status& status) {
  if (finishing_) return;
  finishing_ = true;
  finish_status_ = status;
  queue_.clear();
  if (!writing_) {
    finish_sent_ = true;
    Finish(ToGrpcStatus(status));
  }
}

void WatchReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  if (!ok) FinishLocked(absl::CancelledError("the stream was closed"));
  if (finishing_) {
    if (!finish_sent_) {
      finish_sent_ = true;
      Finish(ToGrpcStatus(finish_status_));
    }
    return;
  }
  WriteNextLocked();
}

void WatchReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  FinishLocked(absl::CancelledError("the client cancelled the watch"));
}

void WatchReactor::OnDone() {
  if (subscription_ != 0) hub_->Unsubscribe(subscription_);
  delete this;
}

}  // namespace cvm
