// An OrderStore decorator that writes Order.last_changes on every revision.
//
// Whoever updates an order (Purchase, Terminate, the poller), the revision
// the store writes carries ChangesBetween(before, after) (service/
// order_changes.h), so a Watch CHANGE event always says what that revision
// changed and never repeats an older revision's changes.
//
// Contract: the wrapped store's contract (store/order_store.h), unchanged;
// thread-safe when it is. UpdateOrder() writes nothing when the mutation
// changed nothing but last_changes. CreateOrder() stores an empty list.
// Owns the wrapped store.
#ifndef CVM_PROVISIONER_SERVICE_CHANGE_RECORDING_STORE_H_
#define CVM_PROVISIONER_SERVICE_CHANGE_RECORDING_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "store/order_store.h"

namespace cvm {

class ChangeRecordingStore : public OrderStore {
 public:
  explicit ChangeRecordingStore(std::unique_ptr<OrderStore> store);

  absl::StatusOr<CreateOrderResult> CreateOrder(Order order) override;
  absl::StatusOr<Order> UpdateOrder(const std::string& order_id, const Mutation& mutate) override;
  absl::StatusOr<Order> GetOrder(const std::string& order_id) override {
    return store_->GetOrder(order_id);
  }
  absl::StatusOr<Order> FindByRequestId(const std::string& tenant,
                                        const std::string& request_id) override {
    return store_->FindByRequestId(tenant, request_id);
  }
  absl::StatusOr<Order> GetOrderByInstanceId(const std::string& instance_id) override {
    return store_->GetOrderByInstanceId(instance_id);
  }
  absl::StatusOr<OrderPage> ListOrders(const ListQuery& query) override {
    return store_->ListOrders(query);
  }
  absl::StatusOr<OrderSnapshot> Snapshot(const std::string& order_id) override {
    return store_->Snapshot(order_id);
  }
  absl::StatusOr<OrderSnapshot> SnapshotOfTenant(const std::string& tenant) override {
    return store_->SnapshotOfTenant(tenant);
  }
  absl::StatusOr<std::vector<OrderEvent>> EventsAfter(int64_t revision,
                                                      const std::string& order_id) override {
    return store_->EventsAfter(revision, order_id);
  }
  absl::StatusOr<std::vector<OrderEvent>> EventsOfTenantAfter(const std::string& tenant,
                                                              int64_t revision) override {
    return store_->EventsOfTenantAfter(tenant, revision);
  }
  absl::StatusOr<std::vector<Order>> OrdersInStates(
      const std::vector<Order::State>& states) override {
    return store_->OrdersInStates(states);
  }
  void SetListener(Listener listener) override { store_->SetListener(std::move(listener)); }
  absl::Status CheckHealth() override { return store_->CheckHealth(); }

 private:
  const std::unique_ptr<OrderStore> store_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_CHANGE_RECORDING_STORE_H_
