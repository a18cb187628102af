// One Watch stream: what it sends, in which order, and when it ends. The
// gRPC call it writes to is behind WatchStream::Call (service/watch_endpoint.h
// binds it to gRPC's async API), so nothing here waits on the network and no
// thread is held per stream.
//
// The stream starts with the current state (a SNAPSHOT of the watched
// orders) or, when the client resumes from a revision, with the CHANGEs it
// missed from the store's event log; then it forwards each new change from the
// WatchHub. Events are strictly ordered by revision with no gap and no
// duplicate. Changes are the hub's shared, pre-serialized messages: a stream
// holds only pointers to them, so its memory does not grow with the order
// size or the number of streams.
//
// With batch_changes, the CHANGEs queued while a write is in flight go out
// as one message (at most kMaxCoalesced of them, at most kMaxCoalescedBytes):
// a burst costs one write per stream, not one per change.
//
// A client that falls more than `max_buffered` events behind is ended with
// RESOURCE_EXHAUSTED naming the revision to resume from (everything up to it
// reaches the client before the status); its queue is dropped at once, so a
// stuck client holds at most the message in flight. A resume more than
// max_buffered / 2 revisions behind the hub starts with a fresh SNAPSHOT
// instead of the replay. A slow client never delays the others, because
// nothing waits for its writes. hub Close() ends the stream with the hub's
// status (UNAVAILABLE on drain). On the hub's progress tick a stream that has
// written nothing for the progress interval sends a PROGRESS at max(hub
// revision, last revision covered): never backwards, never past a change the
// client has not been sent. An all-orders stream of a tenant the hub's ACCOUNT
// message is for sends it at the same kind of revision, and starts (after the
// snapshot or replay) with the WARNINGs still standing; a one-order stream
// never sends one.
//
// Contract: every stream ends by calling Call::StartFinish exactly once,
// after its last write completed, whatever ends it (its status, hub Close,
// a failed write, Cancelled()). Destroying the stream unsubscribes it from the
// hub (no hub callback runs on it afterwards); destroy it only once its finish
// has completed.
#ifndef CVM_PROVISIONER_SERVICE_WATCH_STREAM_H_
#define CVM_PROVISIONER_SERVICE_WATCH_STREAM_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"
#include "provisioning/v1/provisioning.pb.h"
#include "service/metrics.h"
#include "service/watch_hub.h"
#include "service/watch_message.h"
#include "store/order_store.h"

namespace cvm {

class WatchStream : public WatchSubscriber {
 public:
  static constexpr size_t kMaxCoalesced = 256;
  static constexpr size_t kMaxCoalescedBytes = 1 << 20;  // clients accept 4 MiB

  // The gRPC call a stream writes to. Both methods only start an operation
  // (they never block or call back into the stream); the binding reports
  // its completion with WriteDone().
  class Call {
   public:
    virtual ~Call() = default;
    // Starts sending `bytes`, which stay valid until WriteDone(). At most
    // one write is in flight.
    virtual void StartWrite(const grpc::ByteBuffer* bytes) = 0;
    // Starts sending the final status; called once, with no write in flight.
    virtual void StartFinish(const grpc::Status& status) = 0;
  };

  struct Deps {
    OrderStore* store = nullptr;
    WatchHub* hub = nullptr;
    // Queued events after which a client is ended RESOURCE_EXHAUSTED.
    size_t max_buffered = 1024;
    // The Watch method's gRPC series (service/metrics.h), counted here
    // instead of by the per-message interceptor; optional.
    const ServiceMetrics::PerMethod* metrics = nullptr;
  };
  // Starts the stream of `tenant`'s orders on `call` (which must outlive
  // it): parses and validates the request (INVALID_ARGUMENT when it is not a
  // WatchRequest; another tenant's order id is NOT_FOUND), subscribes and
  // sends the first events, or finishes with the error. A `tenant` error
  // (e.g. UNAUTHENTICATED) finishes the call with it at once.
  static std::unique_ptr<WatchStream> Start(const grpc::ByteBuffer& request,
                                            const absl::StatusOr<std::string>& tenant,
                                            const Deps& deps, Call* call);
  ~WatchStream() override;

  // The binding's events: the write started last completed (`ok` false: the
  // call is gone), and the client cancelled the call.
  void WriteDone(bool ok);
  void Cancelled();

  // WatchSubscriber
  void OnChanges(const std::vector<WatchMessagePtr>& changes) override;
  void OnProgressTick(const WatchMessagePtr& progress, absl::Time idle_cutoff) override;
  void OnClose(const absl::Status& status) override;
  void OnAccount(const WatchMessagePtr& account) override;

 private:
  WatchStream(const provisioning::v1::WatchRequest& request, const std::string& tenant,
              const Deps& deps, Call* call);
  // Subscribes, then sends the snapshot or the replay (or an error).
  void Begin(OrderStore* store);
  // Builds the first events; returns the revision already covered by them.
  absl::StatusOr<int64_t> InitialEvents(OrderStore* store, std::vector<WatchMessagePtr>& out);
  // Queues `message` (or ends the stream when the queue is full).
  void EnqueueLocked(WatchMessagePtr message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether this stream sends `account` (all orders, one of its tenants).
  bool WantsAccount(const WatchMessage& account) const;
  // Queues a PROGRESS or ACCOUNT message at max(its revision, the revision
  // covered so far).
  void EnqueueNoticeLocked(const WatchMessagePtr& notice) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes the next queued message the one in flight (with batch_changes,
  // the CHANGEs at the head of the queue coalesced into one); the caller
  // starts its write with StartNextWrite() after releasing mu_ (a send must
  // not hold up OnChanges or WriteDone).
  struct NextWrite {
    const grpc::ByteBuffer* bytes = nullptr;  // nullptr: nothing to write
  };
  NextWrite TakeNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartNextWrite(const NextWrite& next) ABSL_LOCKS_EXCLUDED(mu_);
  void FinishLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends the status (once no write is in flight) and counts it.
  void SendFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string order_id_;
  const std::string tenant_;
  const int64_t start_revision_;
  const bool batch_changes_;
  WatchHub* const hub_;
  const size_t max_buffered_;
  const ServiceMetrics::PerMethod* const metrics_;
  Call* const call_;
  const absl::Time started_at_;  // real time, for the handling-time histogram
  uint64_t subscription_ = 0;    // 0: not subscribed

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_sent_ ABSL_GUARDED_BY(mu_) = false;
  int64_t floor_revision_ ABSL_GUARDED_BY(mu_) = 0;
  // The revision of the last message handed to gRPC: the resume point named
  // to a client ended for falling behind.
  int64_t sent_revision_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_write_ ABSL_GUARDED_BY(mu_);               // hub clock
  std::vector<WatchMessagePtr> early_ ABSL_GUARDED_BY(mu_);  // before started_
  std::deque<WatchMessagePtr> queue_ ABSL_GUARDED_BY(mu_);
  WatchMessagePtr in_flight_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer coalesced_ ABSL_GUARDED_BY(mu_);  // in flight when several
  absl::Status finish_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_WATCH_STREAM_H_
