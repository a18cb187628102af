// Drives accepted orders to the cloud in the background.
//
// Purchase answers as soon as an order is durably ACCEPTED; the driver then
// runs pre-flight and the cloud call (OrderWorkflow::Submit) on its own
// worker threads, so a burst of purchases is accepted at store speed and
// reaches the cloud at the pace its rate limits allow. An order left
// unfinished by an error that may pass (store or transport: it is still
// ACCEPTED, CHECKING or SUBMITTED) is retried with backoff; a definitive
// answer (FAILED) is final. Orders are recovered after a restart the same way
// (`recovering`: look for instances under the order's tag first).
//
// Replicas: an order is driven only under its claim ("order/<id>",
// store/work_leases.h), won before each attempt. An order another replica
// holds is left to it (dropped here); every replica re-enqueues the unfinished
// orders it finds in the store (Server's takeover scan), so the orders of a
// replica that died are claimed and recovered by the others within a scan.
// Enqueue() of an order already queued or in flight here does nothing.
//
// Contract: thread-safe. Stop() stops taking work, lets submissions in flight
// finish and leaves queued orders unfinished in the store, where the next
// start recovers them: an order is never dropped, only postponed.
#ifndef CVM_PROVISIONER_SERVICE_ORDER_DRIVER_H_
#define CVM_PROVISIONER_SERVICE_ORDER_DRIVER_H_

#include <deque>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/order_workflow.h"
#include "store/work_leases.h"

namespace cvm {

class OrderDriver {
 public:
  struct Options {
    int workers = 8;
    absl::Duration first_retry = absl::Milliseconds(500);
    absl::Duration max_retry = absl::Seconds(30);
    // Claims shared with other replicas; null: this process does all work.
    WorkLeases* leases = nullptr;
  };
  // Called with each submission's final outcome (OK once the cloud accepted
  // the order, else the order's failure).
  using OutcomeCallback = std::function<void(const absl::Status&)>;

  OrderDriver(OrderWorkflow* workflow, Options options, OutcomeCallback on_outcome);
  ~OrderDriver();
  OrderDriver(const OrderDriver&) = delete;
  OrderDriver& operator=(const OrderDriver&) = delete;

  // Queues the order unless it is queued or in flight here already; false
  // once stopping (the order stays in the store).
  bool Enqueue(const std::string& order_id, bool recovering);

  // Waits until nothing is queued or in flight, or `timeout` passes.
  bool WaitIdle(absl::Duration timeout);

  // See the contract above. Idempotent.
  void Stop();

 private:
  struct Item {
    std::string order_id;
    bool recovering = false;
  };
  void Work();
  // Submits until the order is no longer unfinished or the driver stops.
  void Drive(const Item& item);
  // One claimed attempt: OK when the order needs nothing more from here
  // (done, failed, or driven by another replica), else what to retry on.
  // Sets `held` to whether this process holds the claim.
  absl::Status Attempt(const Item& item, const std::string& claim, bool& held);
  // Waits `backoff` unless stopping; true when stopping.
  bool WaitOrStop(absl::Duration backoff);

  OrderWorkflow* const workflow_;
  const Options options_;
  const OutcomeCallback on_outcome_;
  absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> known_ ABSL_GUARDED_BY(mu_);  // queued or in flight
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_ORDER_DRIVER_H_
