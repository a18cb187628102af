#include "service/change_recording_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/order_states.h"
#include "common/status_details.h"
#include "google/protobuf/util/message_differencer.h"
#include "service/order_changes.h"

namespace cvm {
namespace {

using google::protobuf::util::MessageDifferencer;

// Equal but for last_changes.
bool SameButChanges(const Order& a, const Order& b) {
  MessageDifferencer differencer;
  differencer.IgnoreField(Order::descriptor()->FindFieldByName("last_changes"));
  return differencer.Compare(a, b);
}

}  // namespace

ChangeRecordingStore::ChangeRecordingStore(std::unique_ptr<OrderStore> store)
    : store_(std::move(store)) {}

absl::StatusOr<CreateOrderResult> ChangeRecordingStore::CreateOrder(Order order) {
  order.clear_last_changes();
  return store_->CreateOrder(std::move(order));
}

absl::StatusOr<Order> ChangeRecordingStore::UpdateOrder(const std::string& order_id,
                                                        const Mutation& mutate) {
  return store_->UpdateOrder(order_id, [&mutate](Order& order) -> absl::Status {
    const Order before = order;
    absl::Status status = mutate(order);
    if (!status.ok()) return status;
    if (!IsLegalTransition(before.state(), order.state())) {
      return WithReason(
          absl::InternalError(absl::StrCat("order ", order.order_id(), ": ",
                                           Order::State_Name(before.state()), " -> ",
                                           Order::State_Name(order.state()),
                                           " is not a legal transition (common/order_states.h)")),
          "ILLEGAL_ORDER_TRANSITION");
    }
    if (SameButChanges(before, order)) {
      order = before;  // unchanged: the store writes nothing
      return absl::OkStatus();
    }
    std::vector<provisioning::v1::OrderChange> changes = ChangesBetween(before, order);
    order.mutable_last_changes()->Assign(changes.begin(), changes.end());
    return absl::OkStatus();
  });
}

}  // namespace cvm
