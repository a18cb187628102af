// A server stream of revisions read on its own thread, so the caller can
// wait for the next message with a timeout (to redraw a clock) and cancel at
// any time: EventStream for Provisioning.Watch (WatchEvent) and GroupStream
// for NodeGroups.WatchNodeGroup (NodeGroup), one template for both.
//
// When the stream breaks with UNAVAILABLE (the server drains, the connection
// drops) or RESOURCE_EXHAUSTED (the client fell behind) after it delivered
// messages, it is reopened with start_revision = the last revision seen, so
// the service replays exactly the missed changes. At most `max_resumes`
// reopenings in a row that deliver nothing; a stream that never delivered
// anything is not reopened (the server is not there: fail fast). A stream
// the service ends OK is over when `ends_ok` (WatchNodeGroup ends after a
// DELETED group) and a lost stream otherwise (Watch never ends on its own).
//
// Thread-safety: Wait(), Cancel() and the accessors may be called from one
// thread other than the reader. The destructor cancels and joins.
#ifndef CVM_PROVISIONER_CLI_EVENT_STREAM_H_
#define CVM_PROVISIONER_CLI_EVENT_STREAM_H_

#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/node_groups.grpc.pb.h"
#include "provisioning/v1/provisioning.grpc.pb.h"

namespace cvm::cli {

struct StreamOptions {
  // The whole watch ends with DEADLINE_EXCEEDED at this time.
  absl::Time deadline = absl::InfiniteFuture();
  int max_resumes = 5;
  // Waits before the n-th reopening in a row: n * resume_delay.
  absl::Duration resume_delay = absl::Milliseconds(500);
  // Called on the reader thread before each reopening: why the stream
  // broke and the revision it resumes after.
  std::function<void(const grpc::Status&, int64_t)> on_resume;
  // When the request's start_revision is older than the service's event
  // log holds (OUT_OF_RANGE before any event), start over with a snapshot
  // instead of failing.
  bool snapshot_if_trimmed = false;
  // The service ends the stream OK when it has nothing more to say.
  bool ends_ok = false;
};

// `Request` has start_revision(); `Message` has revision().
template <typename Request, typename Message>
class ResumableStream {
 public:
  using Options = StreamOptions;
  // Opens one call of the stream.
  using Open = std::function<std::unique_ptr<grpc::ClientReaderInterface<Message>>(
      grpc::ClientContext*, const Request&)>;

  enum class Next { kEvent, kTimeout, kEnded };

  // Starts reading.
  ResumableStream(Open open, Request request, Options options);
  ~ResumableStream();
  ResumableStream(const ResumableStream&) = delete;
  ResumableStream& operator=(const ResumableStream&) = delete;

  // The next message into *message (kEvent); kTimeout when none came within
  // `wait`; kEnded once the stream is over and every message was taken (then
  // status() says why).
  Next Wait(absl::Duration wait, Message* message);

  // Ends the stream; status() becomes CANCELLED unless it had ended already.
  void Cancel();

  grpc::Status status() const;
  int resumes() const;  // reopenings so far

 private:
  void Run();
  // Reads one stream until it ends; returns its status and how many messages it gave.
  grpc::Status ReadOnce(const Request& request, int* delivered);

  const Open open_;
  const Request request_;
  const Options options_;

  mutable absl::Mutex mu_;
  std::deque<Message> queue_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  int64_t last_revision_ ABSL_GUARDED_BY(mu_) = 0;
  int resumes_ ABSL_GUARDED_BY(mu_) = 0;

  std::thread reader_;  // last: starts once everything above is initialized
};

// Provisioning.Watch. `stub` must outlive the stream.
class EventStream
    : public ResumableStream<provisioning::v1::WatchRequest, provisioning::v1::WatchEvent> {
 public:
  EventStream(provisioning::v1::Provisioning::StubInterface* stub,
              provisioning::v1::WatchRequest request, Options options);
};

// NodeGroups.WatchNodeGroup (ends_ok is set: the stream ends after a DELETED
// group). `stub` must outlive the stream.
class GroupStream
    : public ResumableStream<provisioning::v1::WatchNodeGroupRequest, provisioning::v1::NodeGroup> {
 public:
  GroupStream(provisioning::v1::NodeGroups::StubInterface* stub,
              provisioning::v1::WatchNodeGroupRequest request, Options options);
};

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_EVENT_STREAM_H_
