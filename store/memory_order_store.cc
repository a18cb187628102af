#include "store/memory_order_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "common/status_macros.h"
#include "store/order_ids.h"

namespace cvm {
namespace {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

bool Matches(const Order& order, const ListQuery& query) {
  if (order.tenant() != query.tenant) return false;
  if (!query.region.empty() && order.spec().region() != query.region) return false;
  if (query.states.empty()) return true;
  return std::find(query.states.begin(), query.states.end(), order.state()) !=
         query.states.end();
}

}  // namespace

MemoryOrderStore::MemoryOrderStore(Clock* clock, size_t max_events)
    : clock_(clock), max_events_(std::max<size_t>(max_events, 1)) {}

void MemoryOrderStore::SetListener(Listener listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

void MemoryOrderStore::CommitLocked(Order order, Order::State previous_state) {
  order.set_revision(++revision_);
  *order.mutable_update_time() = ToProto(clock_->Now());
  for (const auto& instance : order.instances()) {
    by_instance_[instance.instance_id()] = order.order_id();
  }
  OrderEvent event{revision_, previous_state, order};
  orders_[order.order_id()] = std::move(order);
  log_.push_back(event);
  while (log_.size() > max_events_) log_.pop_front();
  if (listener_) listener_(event);
}

absl::StatusOr<CreateOrderResult> MemoryOrderStore::CreateOrder(Order order) {
  absl::MutexLock lock(&mu_);
  const std::string key = RequestKey(order.tenant(), order.request_id());
  auto existing = by_request_.find(key);
  if (existing != by_request_.end()) {
    return CreateOrderResult{orders_.at(existing->second), false};
  }
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(const std::string id,
                   MintOrderId(now, sequence_, [&](const std::string& id) -> absl::StatusOr<bool> {
                     return orders_.count(id) > 0;
                   }));
  order.set_order_id(id);
  order.set_name(absl::StrCat("orders/", id));
  *order.mutable_create_time() = ToProto(now);
  by_request_[key] = id;
  by_tenant_.emplace(order.tenant(), id);
  CommitLocked(order, Order::STATE_UNSPECIFIED);
  return CreateOrderResult{orders_.at(id), true};
}

absl::StatusOr<Order> MemoryOrderStore::UpdateOrder(const std::string& order_id,
                                                    const Mutation& mutate) {
  absl::MutexLock lock(&mu_);
  auto it = orders_.find(order_id);
  if (it == orders_.end()) {
    return absl::NotFoundError(absl::StrCat("order ", order_id, " not found"));
  }
  Order updated = it->second;
  absl::Status status = mutate(updated);
  if (status.ok()) status = CheckMutation(it->second, updated);
  if (!status.ok()) return status;
  if (MessageDifferencer::Equals(updated, it->second)) return updated;
  const Order::State previous = it->second.state();
  CommitLocked(std::move(updated), previous);
  return orders_.at(order_id);
}

absl::StatusOr<Order> MemoryOrderStore::GetOrder(const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  auto it = orders_.find(order_id);
  if (it == orders_.end()) {
    return absl::NotFoundError(absl::StrCat("order ", order_id, " not found"));
  }
  return it->second;
}

absl::StatusOr<Order> MemoryOrderStore::FindByRequestId(const std::string& tenant,
                                                        const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  auto it = by_request_.find(RequestKey(tenant, request_id));
  if (it == by_request_.end()) {
    return absl::NotFoundError(absl::StrCat("no order has request_id ", request_id));
  }
  return orders_.at(it->second);
}

absl::StatusOr<Order> MemoryOrderStore::GetOrderByInstanceId(
    const std::string& instance_id) {
  absl::MutexLock lock(&mu_);
  auto it = by_instance_.find(instance_id);
  if (it == by_instance_.end()) {
    return absl::NotFoundError(absl::StrCat("instance ", instance_id, " not found"));
  }
  return orders_.at(it->second);
}

absl::StatusOr<OrderPage> MemoryOrderStore::ListOrders(const ListQuery& query) {
  absl::MutexLock lock(&mu_);
  OrderPage page;
  auto it = query.after_order_id.empty()
                ? orders_.end()
                : orders_.lower_bound(query.after_order_id);
  while (it != orders_.begin()) {
    --it;
    if (!Matches(it->second, query)) continue;
    if (static_cast<int>(page.orders.size()) == query.page_size) {
      page.more = true;
      break;
    }
    page.orders.push_back(it->second);
  }
  return page;
}

absl::StatusOr<OrderSnapshot> MemoryOrderStore::Snapshot(const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  OrderSnapshot snapshot;
  snapshot.revision = revision_;
  if (!order_id.empty()) {
    auto it = orders_.find(order_id);
    if (it == orders_.end()) {
      return absl::NotFoundError(absl::StrCat("order ", order_id, " not found"));
    }
    snapshot.orders.push_back(it->second);
    return snapshot;
  }
  for (const auto& entry : orders_) snapshot.orders.push_back(entry.second);
  return snapshot;
}

absl::StatusOr<OrderSnapshot> MemoryOrderStore::SnapshotOfTenant(const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  OrderSnapshot snapshot;
  snapshot.revision = revision_;
  for (auto it = by_tenant_.lower_bound({tenant, ""});
       it != by_tenant_.end() && it->first == tenant; ++it) {
    snapshot.orders.push_back(orders_.at(it->second));
  }
  return snapshot;
}

absl::StatusOr<std::vector<OrderEvent>> MemoryOrderStore::EventsAfter(
    int64_t revision, const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  return EventsLocked(revision, [&order_id](const OrderEvent& event) {
    return order_id.empty() || event.order.order_id() == order_id;
  });
}

absl::StatusOr<std::vector<OrderEvent>> MemoryOrderStore::EventsOfTenantAfter(
    const std::string& tenant, int64_t revision) {
  absl::MutexLock lock(&mu_);
  return EventsLocked(
      revision, [&tenant](const OrderEvent& event) { return event.order.tenant() == tenant; });
}

absl::StatusOr<std::vector<OrderEvent>> MemoryOrderStore::EventsLocked(
    int64_t revision, const std::function<bool(const OrderEvent&)>& wanted) {
  const int64_t oldest = log_.empty() ? revision_ + 1 : log_.front().revision;
  if (revision > revision_ || revision < oldest - 1) {
    return absl::OutOfRangeError(absl::StrFormat(
        "revision %d is not available: the event log holds %d to %d", revision,
        oldest - 1, revision_));
  }
  std::vector<OrderEvent> events;
  for (auto it = log_.rbegin(); it != log_.rend() && it->revision > revision; ++it) {
    if (wanted(*it)) events.push_back(*it);
  }
  std::reverse(events.begin(), events.end());
  return events;
}

absl::StatusOr<std::vector<Order>> MemoryOrderStore::OrdersInStates(
    const std::vector<Order::State>& states) {
  absl::MutexLock lock(&mu_);
  std::vector<Order> result;  // every tenant's
  for (const auto& entry : orders_) {
    if (std::find(states.begin(), states.end(), entry.second.state()) != states.end()) {
      result.push_back(entry.second);
    }
  }
  return result;
}

}  // namespace cvm
