// A Watch stream message, serialized once and shared read-only by every
// stream that sends it: fanning a change out to N streams copies a pointer N
// times, never the order, and gRPC sends the same bytes (its byte buffers
// share the underlying slice by reference count).
//
// Contract: a WatchMessage is immutable once built, so any number of threads
// may read it (and start gRPC writes of `bytes`) at once.
#ifndef CVM_PROVISIONER_SERVICE_WATCH_MESSAGE_H_
#define CVM_PROVISIONER_SERVICE_WATCH_MESSAGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/support/byte_buffer.h"
#include "provisioning/v1/provisioning.pb.h"
#include "store/order_store.h"

namespace cvm {

struct WatchMessage {
  provisioning::v1::WatchEvent::Type type = provisioning::v1::WatchEvent::TYPE_UNSPECIFIED;
  int64_t revision = 0;
  // CHANGE: the id and tenant of the order that changed; empty otherwise.
  std::string order_id;
  std::string tenant;
  // ACCOUNT: the tenants whose streams get it; empty: every tenant's.
  std::vector<std::string> tenants;
  // The serialized provisioning.v1.WatchEvent.
  grpc::ByteBuffer bytes;
  // The same bytes as slices (shared, by reference count): CHANGE messages
  // concatenated are one valid WatchEvent carrying all their orders and
  // revisions (Coalesce()).
  std::vector<grpc::Slice> slices;
};

using WatchMessagePtr = std::shared_ptr<const WatchMessage>;

// `event` serialized; type, revision and (for a CHANGE) order_id copied.
// Its orders go out without their user data (service/user_data_redaction.h):
// every Watch message is built here.
WatchMessagePtr MakeWatchMessage(provisioning::v1::WatchEvent event);

// The CHANGE message of one store event: `revision` and `revisions` are its
// revision, `orders` its order.
WatchMessagePtr ChangeMessage(const OrderEvent& event);

// A PROGRESS message at `revision`.
WatchMessagePtr ProgressMessage(int64_t revision);

// An ACCOUNT message carrying `forecast` at `revision`, for `tenants`' streams
// (empty: every tenant's).
WatchMessagePtr AccountMessage(const provisioning::v1::AccountForecast& forecast, int64_t revision,
                               std::vector<std::string> tenants);

// `message` (a PROGRESS or ACCOUNT one) at `revision` instead.
WatchMessagePtr AtRevision(const WatchMessagePtr& message, int64_t revision);

// CHANGE messages `changes` (oldest first) as one WatchEvent: the protobuf
// encoding of a concatenation merges them (revision: the last one's, type
// CHANGE, orders and revisions appended in order). No bytes are copied; the
// buffer shares the messages' slices.
grpc::ByteBuffer Coalesce(const std::vector<WatchMessagePtr>& changes);

// Parses `bytes` back into a WatchEvent (false when they are not one).
bool ParseWatchMessage(const grpc::ByteBuffer& bytes, provisioning::v1::WatchEvent* event);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_WATCH_MESSAGE_H_
