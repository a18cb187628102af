// Serves the Watch method on gRPC's async API, over several server completion
// queues, each drained by one thread of its own.
//
// Why not the callback API that serves every other method: it puts the
// pending operations of every stream on one completion queue, and the
// Debian build of libgrpc (without NDEBUG) checks each completion against
// every tag outstanding on its queue. With 10,000 streams that scan was about
// a fifth of the fan-out's CPU (docs/watch.md). Here each call lives on one of
// `completion_queues` queues, so a completion scans a fraction of the tags.
//
// Each accepted call gets a WatchStream (service/watch_stream.h) for the
// tenant `tenant_of` names (its error, e.g. UNAUTHENTICATED, ends the call),
// and a fresh request is posted on the same queue. A call is freed once both
// its finish and gRPC's done notification have completed; all of a call's
// events arrive on its queue's one thread, so they never run concurrently.
// The stream's first events (the snapshot or the replay, read from the store)
// are built on that thread too, as the callback API built them on its own:
// a slow store read delays the other calls of that queue meanwhile.
//
// Lifecycle (not thread-safe): construct, AddTo(builder) before
// BuildAndStart(), Start() after it, and Stop() after the grpc::Server's
// Shutdown() returned (which cancels the calls still open). Stop() waits
// until every call is freed (their last events may still be queued when
// Shutdown() returns, and handling them starts operations, which a queue
// refuses once shut down), then shuts the queues down, drains them and
// joins their threads. The destructor calls Stop().
#ifndef CVM_PROVISIONER_SERVICE_WATCH_ENDPOINT_H_
#define CVM_PROVISIONER_SERVICE_WATCH_ENDPOINT_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/async_stream.h"
#include "service/watch_stream.h"

namespace cvm {

class WatchEndpoint {
 public:
  // Posts a request for the next Watch call (the generated
  // WithRawMethod_Watch<...>::RequestWatch, with `queue` as both queues).
  using RequestFn = std::function<void(grpc::ServerContext* context, grpc::ByteBuffer* request,
                                       grpc::ServerAsyncWriter<grpc::ByteBuffer>* writer,
                                       grpc::ServerCompletionQueue* queue, void* tag)>;
  // The caller's tenant, or the error that refuses the call.
  using TenantFn = std::function<absl::StatusOr<std::string>(const grpc::ServerContextBase&)>;

  struct Options {
    RequestFn request;
    TenantFn tenant_of;
    WatchStream::Deps streams;
    int completion_queues = 4;
  };
  explicit WatchEndpoint(Options options);
  ~WatchEndpoint();
  WatchEndpoint(const WatchEndpoint&) = delete;
  WatchEndpoint& operator=(const WatchEndpoint&) = delete;

  void AddTo(grpc::ServerBuilder& builder);
  void Start();
  void Stop();

  // How many calls arrived on each queue, in AddTo() order.
  std::vector<int64_t> CallsPerQueue() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  class WatchCall;
  // A new WatchCall waiting on queue `index`, unless the endpoint is
  // stopping; `arrived` counts the call that just arrived there.
  void PostRequest(size_t index, bool arrived) ABSL_LOCKS_EXCLUDED(mu_);
  void Freed() ABSL_LOCKS_EXCLUDED(mu_);  // a WatchCall was deleted
  static void Drain(grpc::ServerCompletionQueue* queue);

  const Options options_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t live_calls_ ABSL_GUARDED_BY(mu_) = 0;         // posted and not yet freed
  std::vector<int64_t> arrivals_ ABSL_GUARDED_BY(mu_);  // per queue
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_WATCH_ENDPOINT_H_
