// Opens a store by URI: the orders and everything that lives beside them.
//
//   "memory" or "memory:"  orders and groups in this process (lost on exit)
//   "sqlite:PATH"          durable; "sqlite:PATH?sync=normal" commits survive
//                          a process crash, not a power cut
//   "postgres:CONNINFO"    durable and shared by replicas (a libpq connection
//                          string or URI)
//
// With PostgreSQL the claims on work, the request schedules of cloud accounts
// and the sold-out memory are shared through the database; otherwise they are
// this process's own (no other process can use that store).
//
// Contract: OpenStore is thread-safe (it shares nothing). Errors:
// INVALID_ARGUMENT on "store" for an unknown scheme, an empty path or
// conninfo, or anything after "memory:"; the store's own error when it cannot be opened (UNAVAILABLE,
// INTERNAL for a schema it cannot migrate). Messages never repeat a conninfo
// (it may hold a password).
#ifndef CVM_PROVISIONER_STORE_OPEN_STORE_H_
#define CVM_PROVISIONER_STORE_OPEN_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "store/capacity_verdicts.h"
#include "store/node_group_store.h"
#include "store/order_store.h"
#include "store/rate_slots.h"
#include "store/work_leases.h"

namespace cvm {

struct OpenedStore {
  std::unique_ptr<OrderStore> orders;
  // Claims on units of work (store/work_leases.h).
  std::unique_ptr<WorkLeases> leases;
  // The cloud accounts' request schedules (store/rate_slots.h).
  std::unique_ptr<RateSlots> rate_slots;
  // The sold-out memory (store/capacity_verdicts.h).
  std::unique_ptr<CapacityVerdicts> verdicts;
  // Node groups (store/node_group_store.h), beside the orders.
  std::unique_ptr<NodeGroupStore> node_groups;
};

// The store `uri` names (see above), every member set.
absl::StatusOr<OpenedStore> OpenStore(const std::string& uri, Clock* clock);

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_OPEN_STORE_H_
