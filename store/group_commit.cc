#include "store/group_commit.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "store/order_ids.h"

namespace cvm {
namespace {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;

// Sets the write's order and event from a successful row write.
absl::Status Written(absl::StatusOr<OrderEvent> event, PendingWrite& write) {
  if (!event.ok()) return event.status();
  write.order = event->order;
  write.event = *std::move(event);
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteQueue::Write(PendingWrite& write, absl::Mutex& store_mu, const Commit& commit) {
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(&write);
  }
  // Whoever holds store_mu next commits everything queued by then; a write
  // already committed by an earlier holder just returns.
  absl::MutexLock store_lock(&store_mu);
  std::vector<PendingWrite*> batch;
  {
    absl::MutexLock lock(&mu_);
    if (write.done) return write.status;
    batch.swap(queue_);
  }
  commit(batch);
  return write.status;
}

void WriteQueue::Finish(const std::vector<PendingWrite*>& batch, const absl::Status& io,
                        const std::function<void(const OrderEvent&)>& deliver) {
  absl::MutexLock lock(&mu_);
  for (PendingWrite* write : batch) {
    if (!io.ok()) {
      write->status = io;
      write->event.reset();
    } else if (write->event.has_value()) {
      deliver(*write->event);
    }
    write->done = true;
  }
}

std::function<absl::Status(PendingWrite&)> CreateOrderStep(Order& order, Clock* clock,
                                                           uint32_t& sequence, OrderRows rows) {
  return [&order, clock, &sequence, rows = std::move(rows)](PendingWrite& self) -> absl::Status {
    absl::StatusOr<Order> existing =
        rows.by_request_key(RequestKey(order.tenant(), order.request_id()), "");
    if (existing.ok()) {
      self.order = *std::move(existing);
      return absl::OkStatus();
    }
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    const absl::Time now = clock->Now();
    absl::StatusOr<std::string> id =
        MintOrderId(now, sequence, [&](const std::string& id) -> absl::StatusOr<bool> {
          absl::StatusOr<Order> taken = rows.by_order_id(id, "");
          if (taken.ok()) return true;
          if (taken.status().code() == absl::StatusCode::kNotFound) return false;
          return taken.status();
        });
    if (!id.ok()) {
      if (id.status().code() != absl::StatusCode::kResourceExhausted) return id.status();
      self.status = id.status();  // the write's own error; the batch goes on
      return absl::OkStatus();
    }
    order.set_order_id(*id);
    order.set_name(absl::StrCat("orders/", *id));
    *order.mutable_create_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
    return Written(rows.write(order, Order::STATE_UNSPECIFIED, true), self);
  };
}

std::function<absl::Status(PendingWrite&)> UpdateOrderStep(const std::string& order_id,
                                                           const OrderStore::Mutation& mutate,
                                                           OrderRows rows) {
  return [&order_id, &mutate, rows = std::move(rows)](PendingWrite& self) -> absl::Status {
    absl::StatusOr<Order> current = rows.by_order_id(order_id, absl::StrCat("order ", order_id));
    if (!current.ok()) {
      // NOT_FOUND is this write's answer; anything else aborts the batch.
      if (current.status().code() != absl::StatusCode::kNotFound) return current.status();
      self.status = current.status();
      return absl::OkStatus();
    }
    self.order = *current;
    self.status = mutate(self.order);
    if (self.status.ok()) self.status = CheckMutation(*current, self.order);
    if (!self.status.ok() || MessageDifferencer::Equals(self.order, *current)) {
      return absl::OkStatus();  // the mutation's own error, or no change
    }
    return Written(rows.write(self.order, current->state(), false), self);
  };
}

}  // namespace cvm
