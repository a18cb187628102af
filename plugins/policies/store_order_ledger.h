// The OrderLedger (plugins/policy.h) read from the order store.
//
// A tenant's live orders are those whose Order.tenant is that tenant (set
// from the authenticated caller when the order was accepted).
//
// Contract: thread-safe (the store is); each call reads that tenant's orders
// in the holding states, scoped in the store's query (ListOrders by tenant
// and state: one query per kPageSize orders), never every tenant's.
#ifndef CVM_PROVISIONER_PLUGINS_POLICIES_STORE_ORDER_LEDGER_H_
#define CVM_PROVISIONER_PLUGINS_POLICIES_STORE_ORDER_LEDGER_H_

#include <string>
#include <vector>

#include "plugins/policy.h"
#include "store/order_store.h"

namespace cvm {

class StoreOrderLedger : public OrderLedger {
 public:
  explicit StoreOrderLedger(OrderStore* store) : store_(store) {}

  static constexpr int kPageSize = 500;

  // Orders holding LiveInstances() > 0, oldest first; the store's error
  // (UNAVAILABLE).
  absl::StatusOr<std::vector<Order>> LiveOrders(const std::string& tenant) override;

 private:
  OrderStore* const store_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_POLICIES_STORE_ORDER_LEDGER_H_
