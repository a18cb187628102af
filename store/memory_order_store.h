// An OrderStore held in memory: for tests and for `--store=memory`, where
// orders do not survive a restart. Keeps the newest `max_events` events.
// Listener calls run under the store's mutex, so SetListener() waits for one
// in progress (order_store.h rule 5). A tenant's snapshot reads that tenant's
// orders through an index; its replay scans the log after the revision and
// copies only that tenant's events.
#ifndef CVM_PROVISIONER_STORE_MEMORY_ORDER_STORE_H_
#define CVM_PROVISIONER_STORE_MEMORY_ORDER_STORE_H_

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "store/order_store.h"

namespace cvm {

class MemoryOrderStore : public OrderStore {
 public:
  explicit MemoryOrderStore(Clock* clock, size_t max_events = 100000);

  absl::StatusOr<CreateOrderResult> CreateOrder(Order order) override;
  absl::StatusOr<Order> UpdateOrder(const std::string& order_id,
                                    const Mutation& mutate) override;
  absl::StatusOr<Order> GetOrder(const std::string& order_id) override;
  absl::StatusOr<Order> FindByRequestId(const std::string& tenant,
                                        const std::string& request_id) override;
  absl::StatusOr<Order> GetOrderByInstanceId(const std::string& instance_id) override;
  absl::StatusOr<OrderPage> ListOrders(const ListQuery& query) override;
  absl::StatusOr<OrderSnapshot> Snapshot(const std::string& order_id) override;
  absl::StatusOr<OrderSnapshot> SnapshotOfTenant(const std::string& tenant) override;
  absl::StatusOr<std::vector<OrderEvent>> EventsAfter(
      int64_t revision, const std::string& order_id) override;
  absl::StatusOr<std::vector<OrderEvent>> EventsOfTenantAfter(const std::string& tenant,
                                                              int64_t revision) override;
  absl::StatusOr<std::vector<Order>> OrdersInStates(
      const std::vector<Order::State>& states) override;
  void SetListener(Listener listener) override;

 private:
  // Bumps the revision, stamps `order`, stores it, logs and publishes.
  void CommitLocked(Order order, Order::State previous_state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The logged events after `revision` that `wanted` keeps, oldest first;
  // OUT_OF_RANGE when the log no longer holds them all.
  absl::StatusOr<std::vector<OrderEvent>> EventsLocked(
      int64_t revision, const std::function<bool(const OrderEvent&)>& wanted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const size_t max_events_;
  absl::Mutex mu_;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Order> orders_ ABSL_GUARDED_BY(mu_);  // by order id
  std::map<std::string, std::string> by_request_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> by_instance_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<std::string, std::string>> by_tenant_ ABSL_GUARDED_BY(mu_);  // (tenant, id)
  std::deque<OrderEvent> log_ ABSL_GUARDED_BY(mu_);
  Listener listener_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_MEMORY_ORDER_STORE_H_
