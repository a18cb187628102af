// WatchNodeGroup streams, fed by one polling thread for all of them (no
// thread per stream).
//
// Every `interval`, and at once when a stream opens, the thread reads each
// watched group once (one `read` per tenant and group id, however many
// streams watch it; the store is where every replica's changes meet) and
// hands the result to each of its streams. A stream with no write in flight
// whose last sent revision is older starts writing the group (a stream still
// writing gets the latest state on a later poll: it skips revisions, never
// goes back). A DELETED group is the stream's last message: the stream ends
// OK once it is written. A read error (NOT_FOUND for a missing group or
// another tenant's) ends the group's streams with it. Close() ends every
// stream with its status, after the write in flight, and refuses new ones.
//
// A stream's end (OnDone) waits at most for the poller's call on that one
// stream, never for a read or a whole poll. The reads of a poll are serial:
// a slow store read (a PostgreSQL failover) delays every stream's next
// message, and a stream opening during a poll gets its first message from
// the next one, which follows at once.
//
// Contract: thread-safe. Destroy only once no stream is open (after the
// gRPC server's Shutdown()); the destructor joins the thread.
#ifndef CVM_PROVISIONER_SERVICE_NODE_GROUP_WATCHES_H_
#define CVM_PROVISIONER_SERVICE_NODE_GROUP_WATCHES_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_callback.h"
#include "provisioning/v1/node_groups.pb.h"

namespace cvm {

class NodeGroupWatches {
 public:
  // The group now (DELETED ones too), as NodeGroupManager::Get reads it.
  using ReadFn = std::function<absl::StatusOr<provisioning::v1::NodeGroup>(
      const std::string& tenant, const std::string& group_id)>;

  NodeGroupWatches(ReadFn read, absl::Duration interval);
  ~NodeGroupWatches();
  NodeGroupWatches(const NodeGroupWatches&) = delete;
  NodeGroupWatches& operator=(const NodeGroupWatches&) = delete;

  // The stream of `tenant`'s group `request.group_id()`, revisions after
  // `request.start_revision()`; refused with the Close() status once closed.
  grpc::ServerWriteReactor<provisioning::v1::NodeGroup>* Open(
      const std::string& tenant, const provisioning::v1::WatchNodeGroupRequest& request);
  // A stream that ends at once with `status`.
  static grpc::ServerWriteReactor<provisioning::v1::NodeGroup>* Refuse(const absl::Status& status);
  void Close(const absl::Status& status);

  // For tests: streams open, and polls done so far.
  size_t open_streams() const;
  int64_t polls() const;

 private:
  class Stream;
  // One stream's place in the poll; the poller calls the stream holding mu.
  struct Entry {
    std::string tenant;
    std::string group_id;
    absl::Mutex mu;
    Stream* stream ABSL_GUARDED_BY(mu) = nullptr;  // nullptr once the stream is done
  };
  // Takes `entry` out of the poll; returns once the poller no longer calls it.
  void Remove(uint64_t id, Entry& entry);
  void Run();

  const ReadFn read_;
  const absl::Duration interval_;
  mutable absl::Mutex mu_;
  std::map<uint64_t, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool kicked_ ABSL_GUARDED_BY(mu_) = false;  // a stream opened: poll now
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status close_status_ ABSL_GUARDED_BY(mu_);
  int64_t polls_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // last: starts once the members exist
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_NODE_GROUP_WATCHES_H_
