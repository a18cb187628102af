#include "plugins/policies/store_order_ledger.h"

#include <algorithm>

#include "common/order_states.h"
#include "common/status_macros.h"
#include "plugins/policies/policy_support.h"

namespace cvm {

absl::StatusOr<std::vector<Order>> StoreOrderLedger::LiveOrders(const std::string& tenant) {
  // FAILED orders may still hold instances (one failed to launch, the others
  // run); CANCELLED and TERMINATED ones hold none.
  ListQuery query;
  query.tenant = tenant;
  query.states = HoldingStates();
  query.page_size = kPageSize;
  std::vector<Order> live;
  for (;;) {
    ASSIGN_OR_RETURN(OrderPage page, store_->ListOrders(query));
    if (page.orders.empty()) break;
    query.after_order_id = page.orders.back().order_id();
    for (Order& order : page.orders) {
      if (LiveInstances(order) > 0) live.push_back(std::move(order));
    }
    if (!page.more) break;
  }
  std::reverse(live.begin(), live.end());  // pages come newest first
  return live;
}

}  // namespace cvm
