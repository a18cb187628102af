#include "plugins/policies/store_order_ledger.h"
#include "common/order_states.h"

#include "common/status_macros.h"
#include "plugins/policies/policy_support.h"

namespace cvm {

absl::StatusOr<std::vector<Order>> StoreOrderLedger::LiveOrders(const std::string& tenant) {
  // FAILED orders may still hold instances (one failed to launch, the others
  // run); CANCELLED and TERMINATED ones hold none.
  ASSIGN_OR_RETURN(std::vector<Order> orders,
                   store_->OrdersInStates(HoldingStates()));
  std::vector<Order> live;
  for (Order& order : orders) {
    if (order.tenant() == tenant && LiveInstances(order) > 0) live.push_back(std::move(order));
  }
  return live;
}

}  // namespace cvm
