// The OrderLedger (plugins/policy.h) read from the order store.
//
// Orders do not record a tenant yet: there is one tenant, kDefaultTenant,
// until authentication lands. Until then every stored order is counted for
// every tenant, so a per-tenant limit is exact for the one tenant of today
// and never too lenient for another. When orders carry their tenant, the
// filter in LiveOrders() is the one line to change.
//
// Contract: thread-safe (the store is); each call reads the store's orders in
// the non-final states, so it costs one store query per check.
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

  // Orders holding LiveInstances() > 0; the store's error (UNAVAILABLE).
  absl::StatusOr<std::vector<Order>> LiveOrders(const std::string& tenant) override;

 private:
  OrderStore* const store_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_POLICIES_STORE_ORDER_LEDGER_H_
