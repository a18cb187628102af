// The store contract: orders, their instances, and the revisioned event log.
//
// Every change to an order is one atomic step that bumps the store-wide
// revision by one and appends an OrderEvent (the order as it became) to the
// event log; the listener sees events in revision order. The event log is the
// single source of change for Watch, metrics and (later) other replicas.
//
// Rules:
//  1. Thread safety: all methods may be called concurrently.
//  2. request_id is unique per tenant (Order.tenant): CreateOrder() of a
//     (tenant, request_id) already stored returns the stored order with
//     created = false and changes nothing.
//  3. Errors: NOT_FOUND for an unknown order, instance or request id;
//     OUT_OF_RANGE from EventsAfter() when the log no longer holds the
//     revisions asked for; UNAVAILABLE for storage I/O that may succeed later;
//     a mutation's own error is returned unchanged and nothing is written.
//  4. Listener callbacks run synchronously after the change is durable and
//     before the mutating call returns; they must not call back into the store
//     and must be quick (enqueue, never block). A store shared by several
//     processes also calls the listener with the others' changes, in
//     revision order with its own (store/postgres_order_store.h), from a
//     thread of its own that runs until the store is destroyed.
//  5. Detaching: SetListener(nullptr) (or another listener) returns only once
//     no call of the previous listener is running, and the previous one is
//     never called again, nor kept. So an owner whose listener calls into
//     other objects detaches it before destroying them, even when the store
//     outlives them. Not from inside a callback (it would wait for itself).
//  6. A mutation never changes an order's tenant (nor its id or name): UpdateOrder
//     refuses one that does with INTERNAL naming the field, and commits
//     nothing (CheckMutation below). The tenant-scoped reads
//     (SnapshotOfTenant, EventsOfTenantAfter) select by the tenant an order
//     was created with and read only that tenant's rows (an index on it).
#ifndef CVM_PROVISIONER_STORE_ORDER_STORE_H_
#define CVM_PROVISIONER_STORE_ORDER_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

using provisioning::v1::Order;

// One change: the order after it, and the state it had before.
struct OrderEvent {
  int64_t revision = 0;
  Order::State previous_state = Order::STATE_UNSPECIFIED;  // unset on create
  Order order;
};

struct CreateOrderResult {
  Order order;
  bool created = false;
};

// The key that makes a request id unique: per tenant.
inline std::string RequestKey(const std::string& tenant, const std::string& request_id) {
  return tenant + "\n" + request_id;
}

struct ListQuery {
  std::string tenant;                // only this tenant's orders
  std::vector<Order::State> states;  // empty: all
  std::string region;                // empty: all
  int page_size = 50;
  // Return orders older than this order id (exclusive); empty: from newest.
  std::string after_order_id;
};

struct OrderPage {
  std::vector<Order> orders;  // newest first
  bool more = false;          // another page follows the last order
};

// Every order matching a filter at one revision.
struct OrderSnapshot {
  int64_t revision = 0;
  std::vector<Order> orders;
};

class OrderStore {
 public:
  using Listener = std::function<void(const OrderEvent&)>;
  using Mutation = std::function<absl::Status(Order&)>;

  virtual ~OrderStore() = default;

  // Stores `order` (its request_id set; state ACCEPTED for a purchase, or as
  // given, e.g. an adopted instance's PROVISIONING order) under a new order
  // id; sets name, order_id, create/update time and revision (rule 2).
  virtual absl::StatusOr<CreateOrderResult> CreateOrder(Order order) = 0;

  // Applies `mutate` to the stored order atomically. When the mutation leaves
  // the order unchanged nothing is written and no event is emitted.
  virtual absl::StatusOr<Order> UpdateOrder(const std::string& order_id,
                                            const Mutation& mutate) = 0;

  virtual absl::StatusOr<Order> GetOrder(const std::string& order_id) = 0;
  // The order placed by `tenant` with `request_id` (rule 2).
  virtual absl::StatusOr<Order> FindByRequestId(const std::string& tenant,
                                                const std::string& request_id) = 0;
  virtual absl::StatusOr<Order> GetOrderByInstanceId(
      const std::string& instance_id) = 0;
  virtual absl::StatusOr<OrderPage> ListOrders(const ListQuery& query) = 0;

  // Every order of every tenant (or just `order_id` when not empty) at the
  // current revision (for the metrics' start; a tenant's reader uses
  // SnapshotOfTenant).
  virtual absl::StatusOr<OrderSnapshot> Snapshot(const std::string& order_id) = 0;
  // `tenant`'s orders only, by order id, at the current revision (rule 6).
  virtual absl::StatusOr<OrderSnapshot> SnapshotOfTenant(const std::string& tenant) = 0;

  // Events with revision > `revision`, oldest first, optionally for one order
  // (rule 3: OUT_OF_RANGE when some of them were dropped from the log).
  virtual absl::StatusOr<std::vector<OrderEvent>> EventsAfter(
      int64_t revision, const std::string& order_id) = 0;
  // The events of `tenant`'s orders only with revision > `revision`, oldest
  // first (rule 6); OUT_OF_RANGE as EventsAfter(), whoever's events left the log.
  virtual absl::StatusOr<std::vector<OrderEvent>> EventsOfTenantAfter(const std::string& tenant,
                                                                      int64_t revision) = 0;

  // Orders in any of `states`, every tenant's, oldest first (for the poller,
  // recovery and the orphan sweep).
  virtual absl::StatusOr<std::vector<Order>> OrdersInStates(
      const std::vector<Order::State>& states) = 0;

  // Installs the one listener (rule 4) before any mutation, or detaches it
  // with nullptr (rule 5) at any time outside a listener call.
  virtual void SetListener(Listener listener) = 0;

  // OK when the storage answers now; UNAVAILABLE when it cannot be reached
  // (the service then reports NOT_SERVING). Stores in this process's memory
  // or files are always reachable.
  virtual absl::Status CheckHealth() { return absl::OkStatus(); }
};

// Rule 6, for UpdateOrder implementations: INTERNAL naming the field when
// `mutated` has another tenant, order id or name (orders/<id>) than
// `current`, else OK.
inline absl::Status CheckMutation(const Order& current, const Order& mutated) {
  const char* field = current.tenant() != mutated.tenant()         ? "tenant"
                      : current.order_id() != mutated.order_id() ? "order_id"
                      : current.name() != mutated.name()         ? "name"
                                                                   : nullptr;
  if (field == nullptr) return absl::OkStatus();
  return absl::InternalError(std::string("a mutation of order ") + current.order_id() +
                             " changed its " + field + "; an order's " + field +
                             " never changes (order_store.h rule 6)");
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_ORDER_STORE_H_
