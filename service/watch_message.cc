#include "service/watch_message.h"

#include "grpcpp/impl/codegen/proto_utils.h"

namespace cvm {

using provisioning::v1::WatchEvent;

WatchMessagePtr MakeWatchMessage(const WatchEvent& event) {
  auto message = std::make_shared<WatchMessage>();
  message->type = event.type();
  message->revision = event.revision();
  if (event.type() == WatchEvent::CHANGE && event.orders_size() > 0) {
    message->order_id = event.orders(0).order_id();
    message->tenant = event.orders(0).tenant();
  }
  bool own_buffer = false;
  // Serializing a message we built cannot fail short of running out of memory.
  grpc::SerializationTraits<WatchEvent>::Serialize(event, &message->bytes, &own_buffer)
      .IgnoreError();
  return message;
}

WatchMessagePtr ChangeMessage(const OrderEvent& event) {
  WatchEvent change;
  change.set_revision(event.revision);
  change.set_type(WatchEvent::CHANGE);
  *change.add_orders() = event.order;
  return MakeWatchMessage(change);
}

WatchMessagePtr ProgressMessage(int64_t revision) {
  WatchEvent progress;
  progress.set_revision(revision);
  progress.set_type(WatchEvent::PROGRESS);
  return MakeWatchMessage(progress);
}

bool ParseWatchMessage(const grpc::ByteBuffer& bytes, WatchEvent* event) {
  grpc::ByteBuffer copy(bytes);  // Deserialize consumes its buffer
  return grpc::SerializationTraits<WatchEvent>::Deserialize(&copy, event).ok();
}

}  // namespace cvm
