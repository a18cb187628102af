// The order-state rules, in one place: the legal transitions, which states
// are final, which ones each part of the service works on, and which
// instances are still alive. The workflow, the driver, the poller and its
// sync, the orphan sweeper, the policies, the arrears guard, the stores'
// change recording and the CLI all ask here instead of listing states.
//
//   state         set by                         next                 Describe / Watch / metrics
//   ACCEPTED      Purchase (stored)              CHECKING, CANCELLED, in provisioner_orders; the
//                                                FAILED               order holds instance_count
//   CHECKING      the driver (pre-flight)        SUBMITTED, CANCELLED,  "
//                                                FAILED
//   SUBMITTED     the driver (cloud call sent)   PROVISIONING, FAILED   "  (Terminate: UNAVAILABLE,
//                                                                     retry)
//   PROVISIONING  the cloud named the instances  ACTIVE, FAILED,      instances, polled
//                 (or an adopted orphan)         TERMINATING
//   ACTIVE        every instance RUNNING (+IP)   TERMINATING          polled
//   FAILED        a check, the cloud, a launch   TERMINATING          failure cause; final
//   CANCELLED     Terminate before the cloud     -                    final, no instances
//   TERMINATING   Terminate                      TERMINATED           polled until released
//   TERMINATED    every instance released        -                    final
//
// A Watch CHANGE event is sent for every transition (with ORDER_FINAL when the
// new state is final); provisioner_orders{state} counts orders per state.
//
// Contract: pure functions, thread-safe.
#ifndef CVM_PROVISIONER_COMMON_ORDER_STATES_H_
#define CVM_PROVISIONER_COMMON_ORDER_STATES_H_

#include <vector>

#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

using OrderState = provisioning::v1::Order::State;

// FAILED, CANCELLED, TERMINATED: nothing more happens to the order unless it
// is terminated (FAILED -> TERMINATING releases what a failed launch left).
bool IsFinal(OrderState state);

// ACCEPTED, CHECKING, SUBMITTED: the cloud has not named instances yet; the
// order may still buy instance_count of them. The driver's work (and a
// recovery's after a restart).
bool IsBeforeCloud(OrderState state);

// ACTIVE or final: where a client waiting for its purchase stops.
bool IsSettled(OrderState state);

// Whether an order in `from` may move to `to` (the table above). Staying in
// the same state is always legal.
bool IsLegalTransition(OrderState from, OrderState to);

// States of the orders whose instances the poller follows: PROVISIONING,
// ACTIVE, TERMINATING.
const std::vector<OrderState>& PolledStates();

// States of the orders that hold instances or may still buy some (budgets,
// the arrears forecast): every state but CANCELLED and TERMINATED.
const std::vector<OrderState>& HoldingStates();

// The before-the-cloud states (IsBeforeCloud), as a list for store queries.
const std::vector<OrderState>& BeforeCloudStates();

// Every state an order can be in.
const std::vector<OrderState>& AllStates();

// An instance the cloud may still hold: neither TERMINATED nor LAUNCH_FAILED.
bool IsLive(const provisioning::v1::Instance& instance);

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_ORDER_STATES_H_
