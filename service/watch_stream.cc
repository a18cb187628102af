#include "service/watch_stream.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "service/request_validation.h"

namespace cvm {

using provisioning::v1::WatchEvent;
using provisioning::v1::WatchRequest;

namespace {

// The interceptor's series, counted by hand (the Watch method has none).
void CountStart(const ServiceMetrics::PerMethod* metrics) {
  if (metrics == nullptr) return;
  metrics->started->Increment();
  metrics->received->Increment();  // the request
}

void CountFinish(const ServiceMetrics::PerMethod* metrics, const grpc::Status& status,
                 absl::Time started) {
  if (metrics == nullptr) return;
  const int code = static_cast<int>(status.error_code());
  metrics->handled[code >= 0 && code < 17 ? code : 2]->Increment();
  metrics->seconds->Observe(absl::ToDoubleSeconds(absl::Now() - started));
}

// The store's tenant-scoped reads returned another tenant's row: a broken
// store, reported rather than filtered out (order_store.h rule 6), without
// naming the order to this caller.
absl::Status OtherTenants() {
  return absl::InternalError("the order store returned another tenant's order to a Watch");
}

}  // namespace

std::unique_ptr<WatchStream> WatchStream::Start(const grpc::ByteBuffer& request,
                                                const absl::StatusOr<std::string>& tenant,
                                                const Deps& deps, Call* call) {
  WatchRequest parsed;
  absl::Status valid = tenant.status();
  if (valid.ok()) {
    grpc::ByteBuffer copy(request);  // Deserialize consumes its buffer
    valid = grpc::SerializationTraits<WatchRequest>::Deserialize(&copy, &parsed).ok()
                ? ValidateWatchRequest(parsed)
                : absl::InvalidArgumentError("the request is not a provisioning.v1.WatchRequest");
  }
  std::unique_ptr<WatchStream> stream(
      new WatchStream(parsed, tenant.ok() ? *tenant : "", deps, call));
  if (!valid.ok()) {
    absl::MutexLock lock(&stream->mu_);
    stream->FinishLocked(valid);
  } else {
    stream->Begin(deps.store);
  }
  return stream;
}

WatchStream::WatchStream(const WatchRequest& request, const std::string& tenant, const Deps& deps,
                         Call* call)
    : order_id_(request.order_id()),
      tenant_(tenant),
      start_revision_(request.start_revision()),
      batch_changes_(request.batch_changes()),
      hub_(deps.hub),
      max_buffered_(deps.max_buffered),
      metrics_(deps.metrics),
      call_(call),
      started_at_(absl::Now()),
      last_write_(deps.hub->Now()) {
  CountStart(metrics_);
}

WatchStream::~WatchStream() {
  if (subscription_ != 0) hub_->Unsubscribe(subscription_);
}

absl::StatusOr<int64_t> WatchStream::InitialEvents(OrderStore* store,
                                                   std::vector<WatchMessagePtr>& out) {
  // Another tenant's order is NOT_FOUND, exactly as a missing one.
  const absl::Status not_found =
      absl::NotFoundError(absl::StrCat("order ", order_id_, " not found"));
  if (!order_id_.empty()) {
    absl::StatusOr<Order> order = store->GetOrder(order_id_);
    if (!order.ok() && order.status().code() != absl::StatusCode::kNotFound) {
      return order.status();
    }
    if (!order.ok() || order->tenant() != tenant_) return not_found;
  }
  // A resume far behind (a client cut off for falling behind, back after a
  // long pause) would queue more than the stream may hold: the current state
  // serves it better than a replay it could not keep up with.
  const bool too_far_behind = start_revision_ > 0 && hub_->revision() - start_revision_ >
                                                         static_cast<int64_t>(max_buffered_ / 2);
  if (start_revision_ == 0 || too_far_behind) {
    // Only this tenant's rows are read (a one-order stream's was checked above).
    absl::StatusOr<OrderSnapshot> snapshot =
        order_id_.empty() ? store->SnapshotOfTenant(tenant_) : store->Snapshot(order_id_);
    if (!snapshot.ok()) return snapshot.status();
    WatchEvent event;
    event.set_revision(snapshot->revision);
    event.set_type(WatchEvent::SNAPSHOT);
    for (Order& order : snapshot->orders) {
      if (order.tenant() != tenant_) return OtherTenants();
      *event.add_orders() = std::move(order);
    }
    out.push_back(MakeWatchMessage(std::move(event)));
    return snapshot->revision;
  }
  absl::StatusOr<std::vector<OrderEvent>> missed =
      order_id_.empty() ? store->EventsOfTenantAfter(tenant_, start_revision_)
                        : store->EventsAfter(start_revision_, order_id_);
  if (!missed.ok()) return missed.status();
  int64_t covered = start_revision_;
  for (const OrderEvent& event : *missed) {
    if (event.order.tenant() != tenant_) return OtherTenants();
    out.push_back(ChangeMessage(event));
    covered = event.revision;
  }
  return covered;
}

void WatchStream::Begin(OrderStore* store) {
  // Subscribe first so nothing committed after the snapshot is missed;
  // events it already covers are dropped by revision below.
  std::vector<WatchMessagePtr> standing;
  absl::StatusOr<uint64_t> id = hub_->Subscribe(this, &standing);
  if (!id.ok()) {
    absl::MutexLock lock(&mu_);
    FinishLocked(id.status());
    return;
  }
  subscription_ = *id;
  std::vector<WatchMessagePtr> initial;
  absl::StatusOr<int64_t> covered = InitialEvents(store, initial);
  NextWrite next;
  {
    absl::MutexLock lock(&mu_);
    if (!covered.ok()) {
      FinishLocked(covered.status());
      return;
    }
    floor_revision_ = *covered;
    started_ = true;
    for (WatchMessagePtr& message : initial) EnqueueLocked(std::move(message));
    for (const WatchMessagePtr& account : standing) {
      if (WantsAccount(*account)) EnqueueNoticeLocked(account);
    }
    for (WatchMessagePtr& early : early_) {
      if (early->type == WatchEvent::ACCOUNT) {
        EnqueueNoticeLocked(early);
      } else if (early->revision > floor_revision_) {
        EnqueueLocked(std::move(early));
      }
    }
    early_.clear();
    early_.shrink_to_fit();
    next = TakeNextWriteLocked();
  }
  StartNextWrite(next);
}

void WatchStream::OnChanges(const std::vector<WatchMessagePtr>& changes) {
  NextWrite next;
  {
    absl::MutexLock lock(&mu_);
    for (const WatchMessagePtr& change : changes) {
      if (finishing_) return;
      if (!order_id_.empty() && change->order_id != order_id_) continue;
      if (change->tenant != tenant_) continue;
      if (!started_) {
        early_.push_back(change);
      } else if (change->revision > floor_revision_) {
        EnqueueLocked(change);
      }
    }
    next = TakeNextWriteLocked();
  }
  StartNextWrite(next);
}

void WatchStream::OnProgressTick(const WatchMessagePtr& progress, absl::Time idle_cutoff) {
  NextWrite next;
  {
    absl::MutexLock lock(&mu_);
    if (!started_ || finishing_ || writing_ || !queue_.empty() || last_write_ > idle_cutoff) {
      return;
    }
    EnqueueNoticeLocked(progress);
    next = TakeNextWriteLocked();
  }
  StartNextWrite(next);
}

bool WatchStream::WantsAccount(const WatchMessage& account) const {
  if (!order_id_.empty()) return false;  // one-order streams carry that order only
  return account.tenants.empty() || std::find(account.tenants.begin(), account.tenants.end(),
                                              tenant_) != account.tenants.end();
}

void WatchStream::OnAccount(const WatchMessagePtr& account) {
  if (!WantsAccount(*account)) return;
  NextWrite next;
  {
    absl::MutexLock lock(&mu_);
    if (finishing_) return;
    if (!started_) {
      early_.push_back(account);
      return;
    }
    EnqueueNoticeLocked(account);
    next = TakeNextWriteLocked();
  }
  StartNextWrite(next);
}

void WatchStream::EnqueueNoticeLocked(const WatchMessagePtr& notice) {
  // Every change up to the hub's revision has reached this stream, and it
  // has sent everything up to floor_revision_: the larger of the two is
  // safe to resume from and not below anything sent before.
  EnqueueLocked(notice->revision >= floor_revision_ ? notice : AtRevision(notice, floor_revision_));
}

void WatchStream::OnClose(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  FinishLocked(status);
}

void WatchStream::EnqueueLocked(WatchMessagePtr message) {
  if (finishing_) return;
  if (queue_.size() >= max_buffered_) {
    FinishLocked(absl::ResourceExhaustedError(absl::StrCat(
        "the client fell more than ", max_buffered_, " events behind; resume from revision ",
        sent_revision_, " (start_revision), the last one sent")));
    return;
  }
  floor_revision_ = std::max(floor_revision_, message->revision);
  queue_.push_back(std::move(message));
}

WatchStream::NextWrite WatchStream::TakeNextWriteLocked() {
  if (writing_ || finishing_ || queue_.empty()) return {};
  writing_ = true;
  last_write_ = hub_->Now();
  if (metrics_ != nullptr) metrics_->sent->Increment();
  size_t changes = 0;
  size_t bytes = 0;
  if (batch_changes_) {
    while (changes < queue_.size() && changes < kMaxCoalesced &&
           queue_[changes]->type == WatchEvent::CHANGE &&
           (changes == 0 || bytes + queue_[changes]->bytes.Length() <= kMaxCoalescedBytes)) {
      bytes += queue_[changes]->bytes.Length();
      ++changes;
    }
  }
  if (changes < 2) {
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    sent_revision_ = std::max(sent_revision_, in_flight_->revision);
    return {&in_flight_->bytes};
  }
  std::vector<WatchMessagePtr> batch(std::make_move_iterator(queue_.begin()),
                                     std::make_move_iterator(queue_.begin() + changes));
  queue_.erase(queue_.begin(), queue_.begin() + changes);
  sent_revision_ = std::max(sent_revision_, batch.back()->revision);
  coalesced_ = Coalesce(batch);
  return {&coalesced_};
}

void WatchStream::StartNextWrite(const NextWrite& next) {
  if (next.bytes != nullptr) call_->StartWrite(next.bytes);
}

void WatchStream::FinishLocked(const absl::Status& status) {
  if (finishing_) return;
  finishing_ = true;
  finish_status_ = status;
  // Dropped at once: a stuck client holds only the message in flight.
  std::deque<WatchMessagePtr>().swap(queue_);
  std::vector<WatchMessagePtr>().swap(early_);
  if (!writing_) SendFinishLocked();
}

void WatchStream::SendFinishLocked() {
  if (finish_sent_) return;
  finish_sent_ = true;
  const grpc::Status status = ToGrpcStatus(finish_status_);
  CountFinish(metrics_, status, started_at_);
  call_->StartFinish(status);
}

void WatchStream::WriteDone(bool ok) {
  NextWrite next;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    in_flight_.reset();
    coalesced_.Clear();
    if (!ok) FinishLocked(absl::CancelledError("the stream was closed"));
    if (finishing_) {
      SendFinishLocked();
      return;
    }
    next = TakeNextWriteLocked();
  }
  StartNextWrite(next);
}

void WatchStream::Cancelled() {
  absl::MutexLock lock(&mu_);
  FinishLocked(absl::CancelledError("the client cancelled the watch"));
}

}  // namespace cvm
