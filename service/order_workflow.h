// The order state machine: purchase and terminate. What happens to the
// instances afterwards is polled by service/poller.h.
//
//   ACCEPTED -> CHECKING -> SUBMITTED -> PROVISIONING -> ACTIVE
//   ACCEPTED, CHECKING       -> CANCELLED   (Terminate before the cloud call)
//   CHECKING, SUBMITTED      -> FAILED      (pre-flight or cloud error)
//   PROVISIONING             -> FAILED      (an instance failed to launch; poller)
//   PROVISIONING, ACTIVE, FAILED -> TERMINATING -> TERMINATED (poller)
//
// Every transition is one store update (so one event); a step re-reads the
// order and proceeds only from the state it expects, so a concurrent
// Terminate or a duplicate request never makes a second cloud call. The
// ClientToken sent to the backend derives from the order id, so resubmitting
// an order can never buy twice.
//
// Contract: thread-safe; methods block on backend calls, so call them from
// worker threads, not gRPC threads. Requests must be validated first
// (service/request_validation.h).
#ifndef CVM_PROVISIONER_SERVICE_ORDER_WORKFLOW_H_
#define CVM_PROVISIONER_SERVICE_ORDER_WORKFLOW_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "plugins/backend_set.h"
#include "plugins/policy_set.h"
#include "service/candidate_quote.h"
#include "service/capacity_memory.h"
#include "provisioning/v1/provisioning.pb.h"
#include "store/order_store.h"

namespace cvm {

// The client token of an order: stable for the order's whole life.
std::string ClientTokenFor(const std::string& order_id);
// The client token of attempt `attempt` of a candidates order
// (CandidateAttempt): "<ClientTokenFor(order_id)>-a<attempt>".
std::string ClientTokenFor(const std::string& order_id, int attempt);

// The error a failed order answers with (code, message, ErrorInfo).
absl::Status StatusOfFailure(const provisioning::v1::FailureCause& failure);

class OrderWorkflow {
 public:
  // `policies` may be null (no policies); all must outlive the workflow.
  OrderWorkflow(OrderStore* store, const BackendSet* backends, PolicySet* policies = nullptr);

  // Stores the order (state ACCEPTED) and returns it with created = true;
  // the caller then has it submitted (Submit(), on the OrderDriver). A known
  // request_id returns its order with created = false, or the failure of a
  // FAILED one; ALREADY_EXISTS when the request_id is taken by a different
  // request; routing errors. Before storing, the policies that apply to
  // `tenant` check the purchase (a policy's denial, plugins/policy.h), with
  // the tenant's admission held until the order is stored; a known
  // request_id is not checked again. dry_run: policies and pre-flight only,
  // nothing stored. `tenant` owns the order (its request_id is unique within
  // the tenant) and selects the route (plugins/backend_set.h).
  // `deadline`: the client's, bounding a dry run's pre-flight.
  absl::StatusOr<CreateOrderResult> Accept(const provisioning::v1::PurchaseRequest& request,
                                           const std::string& tenant = kDefaultTenant,
                                           absl::Time deadline = absl::InfiniteFuture());

  // Drives a stored order from ACCEPTED / CHECKING / SUBMITTED until the
  // cloud accepted it (PROVISIONING) or it FAILED. A candidates order stays
  // SUBMITTED from its first attempt until it holds instance_count instances
  // (PROVISIONING) or no cell is left for the rest (FAILED, NO_CANDIDATE_CELL,
  // keeping what it bought): one attempt at a time, each recorded before its
  // cloud call (service/order_workflow_candidates.cc). `recovering`: look for
  // instances under the order's tag before (re)submitting. Errors that may
  // pass (UNAVAILABLE, DEADLINE_EXCEEDED from the cloud or the store) leave
  // the order unfinished, to be submitted again; any other error FAILS it.
  absl::StatusOr<provisioning::v1::Order> Submit(const std::string& order_id,
                                                 bool recovering);

  absl::StatusOr<provisioning::v1::Order> Get(const std::string& order_id);

  // Bounded by the client's `deadline` (backends/backend.h rule 7).
  absl::StatusOr<provisioning::v1::Quote> Quote(const provisioning::v1::QuoteRequest& request,
                                                const std::string& tenant = "",
                                                absl::Time deadline = absl::InfiniteFuture());

  // A check of every new purchase and dry run, after the policies and before
  // anything is stored or pre-flighted (the arrears guard,
  // service/arrears_guard.h). Its error is the purchase's answer; a
  // request_id already stored passes (it was checked once). Set before
  // serving; the gate must be thread-safe. `deadline` is the client's (a
  // cloud call of the gate's stops there).
  using PurchaseGate = std::function<absl::Status(const RoutedBackend& routed,
                                                  const provisioning::v1::PurchaseRequest& request,
                                                  absl::Time deadline)>;
  void SetPurchaseGate(PurchaseGate gate) { gate_ = std::move(gate); }

  // The sold-out memory (service/capacity_memory.h): an order whose cell is
  // known without capacity fails before its pre-flight, with no cloud call;
  // a pre-flight or RunInstances refusal for lack of capacity is remembered.
  // Null (the default): every order asks the cloud. Set before serving;
  // `memory` must outlive the workflow.
  void SetCapacityMemory(CapacityMemory* memory) { capacity_ = memory; }

  // Orders left ACCEPTED, CHECKING or SUBMITTED. Read at start-up, before
  // serving, so the list holds only what a previous process left.
  absl::StatusOr<std::vector<provisioning::v1::Order>> Unfinished();

  // Releases `instance_ids` of the order alone, the rest staying (a node
  // group's scale-in or replacement). Each must be one of the order's
  // instances (NOT_FOUND names one that is not); ones already gone are
  // skipped. They are marked release_requested first (one store write), then
  // the cloud is asked: for a prepaid order only by the call that marked
  // them (backends/backend.h rule 8), otherwise for every named instance
  // still live (a retry asks again). When no other live instance is left,
  // this is Terminate(). FAILED_PRECONDITION before the cloud bought the
  // order.
  absl::StatusOr<provisioning::v1::Order> ReleaseInstances(
      const std::string& order_id, const std::vector<std::string>& instance_ids,
      absl::Time deadline = absl::InfiniteFuture());

  // Stops (stop_charging: its compute unbilled while stopped, pay-as-you-go
  // only) or starts one instance of a PROVISIONING or ACTIVE order, then
  // records the state the cloud will report (STOPPED; PENDING while it
  // starts) and the poller follows it from there
  // (service/order_workflow_power.cc). Idempotent: a STOPPED instance is
  // not stopped again, a RUNNING or PENDING one not started, without a
  // cloud call. NOT_FOUND for an instance not in the order;
  // FAILED_PRECONDITION, reason INSTANCE_STATE, for an order or instance in
  // another state (released or being released, taken away, launching), or
  // STOP_CHARGING_UNSUPPORTED for a spot or prepaid instance; the backend's
  // errors (backends/backend.h rule 9), bounded by `deadline`.
  absl::StatusOr<provisioning::v1::Order> StopInstance(
      const std::string& order_id, const std::string& instance_id, bool stop_charging,
      absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<provisioning::v1::Order> StartInstance(
      const std::string& order_id, const std::string& instance_id,
      absl::Time deadline = absl::InfiniteFuture());

  // Cancels an order not yet sent to the cloud, or releases its instances
  // (TERMINATING; the poller finishes it). Instances already returned to the
  // cloud's recycle bin are never asked for again (backends/backend.h rule
  // 8): for a prepaid order only the call that records TERMINATING asks the
  // cloud, after asking it which instances are still to release; later calls
  // leave an unfinished release to the poller (prepaid_release_grace).
  // Idempotent. UNAVAILABLE while the cloud call is in flight.
  // `order` is as the caller just read it from the store (its state decides
  // the way; the writes re-check the stored state).
  // The cloud call is bounded by the client's `deadline`; when it passes the
  // order stays TERMINATING and the poller finishes the release.
  absl::StatusOr<provisioning::v1::Order> Terminate(
      provisioning::v1::Order order, absl::Time deadline = absl::InfiniteFuture());

 private:
  // Moves a stored order from ACCEPTED / CHECKING / SUBMITTED to PROVISIONING
  // (or FAILED); `recovering` looks for instances under the order's tag first.
  absl::StatusOr<provisioning::v1::Order> Advance(const provisioning::v1::Order& order,
                                                  bool recovering);
  // Stores `cause` on the order (state FAILED), with `also` applied first in
  // the same write, and returns `cause`. Only an order not yet bought fails
  // here (ACCEPTED, CHECKING, SUBMITTED); one that moved on (cancelled, or
  // bought by another actor) is left as it is. An error of `also` (the
  // order is not as the caller saw it) aborts the write and is returned.
  absl::Status Fail(const std::string& order_id, const absl::Status& cause,
                    const OrderStore::Mutation& also = nullptr);
  // A step that moves the order from `from` to `to`, or ABORTED when another
  // actor (Terminate, a duplicate request) moved it first.
  static OrderStore::Mutation Step(provisioning::v1::Order::State from,
                                   provisioning::v1::Order::State to);
  // An error after which the same call may succeed.
  static bool MayPass(const absl::Status& status);

  // StopInstance (start false) and StartInstance.
  absl::StatusOr<provisioning::v1::Order> ChangePower(const std::string& order_id,
                                                      const std::string& instance_id, bool start,
                                                      bool stop_charging, absl::Time deadline);

  // Candidates orders (service/order_workflow_candidates.cc).
  absl::StatusOr<provisioning::v1::Order> AdvanceCandidates(Backend& backend,
                                                            provisioning::v1::Order order,
                                                            bool recovering);
  // Runs the order's unanswered attempt (after a crash: adopts what carries
  // the order's tag and it does not hold) and records its outcome.
  absl::StatusOr<provisioning::v1::Order> RunAttempt(Backend& backend,
                                                     const provisioning::v1::Order& order,
                                                     bool recovering);
  // The ranked cells of the order's candidates (one cloud listing).
  absl::StatusOr<RankedCells> RankFor(Backend& backend, const provisioning::v1::Order& order,
                                      absl::Time deadline);
  // The next cell for the instances the order lacks: the first of `ranked`
  // not tried by the order that passes its pre-flight (a capacity or quota
  // refusal passes on to the next cell), and how many it takes; cell null
  // when none is left. Errors: a pre-flight's other errors.
  struct Pick {
    const RankedCell* cell = nullptr;
    int count = 0;
    std::vector<provisioning::v1::QuoteCell> skipped;  // passed over, verdicts
  };
  absl::StatusOr<Pick> PickCell(Backend& backend, const provisioning::v1::Order& order,
                                const RankedCells& ranked, absl::Time deadline);
  // A dry run of a candidates purchase: the cell it would take (PLANNED).
  absl::StatusOr<CreateOrderResult> PreviewCandidates(Backend& backend,
                                                      provisioning::v1::Order draft,
                                                      absl::Time deadline);
  // The policies' verdict on a purchase by `tenant`; call holding its
  // admission. A stored request_id passes: it was admitted once.
  absl::Status CheckPolicies(const provisioning::v1::PurchaseRequest& request,
                             const std::string& tenant, const RoutedBackend& routed);

  // The gate's verdict on a purchase by `tenant` (SetPurchaseGate()).
  absl::Status CheckGate(const provisioning::v1::PurchaseRequest& request,
                         const std::string& tenant, const RoutedBackend& routed,
                         absl::Time deadline);

  OrderStore* const store_;
  const BackendSet* const backends_;
  PolicySet* const policies_;
  PurchaseGate gate_;
  CapacityMemory* capacity_ = nullptr;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_ORDER_WORKFLOW_H_
