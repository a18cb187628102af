// One Watch stream, on gRPC's callback API (no thread per stream).
//
// The stream starts with the current state (a SNAPSHOT of the watched
// orders) or, when the client resumes from a revision, with the CHANGEs it
// missed from the store's event log; then it forwards each new change from the
// WatchHub. Events are strictly ordered by revision with no gap and no
// duplicate. A client that falls more than `max_buffered` events behind is
// ended with RESOURCE_EXHAUSTED (it can resume); hub Close() ends the stream
// with the hub's status (UNAVAILABLE on drain).
//
// Lifecycle: created by the handler, deletes itself in OnDone().
#ifndef CVM_PROVISIONER_SERVICE_WATCH_REACTOR_H_
#define CVM_PROVISIONER_SERVICE_WATCH_REACTOR_H_

#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_callback.h"
#include "provisioning/v1/provisioning.pb.h"
#include "service/watch_hub.h"
#include "store/order_store.h"

namespace cvm {

class WatchReactor : public grpc::ServerWriteReactor<provisioning::v1::WatchEvent>,
                     public WatchSubscriber {
 public:
  // Validates the request and starts the stream (or finishes it with the
  // error). The returned reactor owns itself.
  static grpc::ServerWriteReactor<provisioning::v1::WatchEvent>* Start(
      const provisioning::v1::WatchRequest& request, OrderStore* store,
      WatchHub* hub, size_t max_buffered);

  // WatchSubscriber
  void OnEvent(const OrderEvent& event) override;
  void OnClose(const absl::Status& status) override;

  // grpc::ServerWriteReactor
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  WatchReactor(const provisioning::v1::WatchRequest& request, WatchHub* hub,
               size_t max_buffered);
  // Subscribes, then sends the snapshot or the replay (or an error).
  void Begin(OrderStore* store);
  // Builds the first events; returns the revision already covered by them.
  absl::StatusOr<int64_t> InitialEvents(
      OrderStore* store, std::vector<provisioning::v1::WatchEvent>& out);
  void EnqueueLocked(provisioning::v1::WatchEvent event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string order_id_;
  const int64_t start_revision_;
  WatchHub* const hub_;
  const size_t max_buffered_;
  uint64_t subscription_ = 0;  // 0: not subscribed

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  int64_t floor_revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<OrderEvent> early_ ABSL_GUARDED_BY(mu_);  // before started_
  std::deque<provisioning::v1::WatchEvent> queue_ ABSL_GUARDED_BY(mu_);
  provisioning::v1::WatchEvent in_flight_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_sent_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status finish_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_WATCH_REACTOR_H_
