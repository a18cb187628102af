#include "service/watch_message.h"

#include <utility>

#include "grpcpp/impl/codegen/proto_utils.h"
#include "service/user_data_redaction.h"

namespace cvm {

using provisioning::v1::WatchEvent;

namespace {

// MakeWatchMessage(), still open to setting its tenants.
std::shared_ptr<WatchMessage> Build(WatchEvent event) {
  RedactUserData(&event);
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
  message->bytes.Dump(&message->slices).IgnoreError();  // a serialized buffer dumps
  return message;
}

}  // namespace

WatchMessagePtr MakeWatchMessage(WatchEvent event) { return Build(std::move(event)); }

WatchMessagePtr ChangeMessage(const OrderEvent& event) {
  WatchEvent change;
  change.set_revision(event.revision);
  change.set_type(WatchEvent::CHANGE);
  *change.add_orders() = event.order;
  change.add_revisions(event.revision);
  return MakeWatchMessage(std::move(change));
}

WatchMessagePtr ProgressMessage(int64_t revision) {
  WatchEvent progress;
  progress.set_revision(revision);
  progress.set_type(WatchEvent::PROGRESS);
  return MakeWatchMessage(std::move(progress));
}

WatchMessagePtr AccountMessage(const provisioning::v1::AccountForecast& forecast, int64_t revision,
                               std::vector<std::string> tenants) {
  WatchEvent account;
  account.set_revision(revision);
  account.set_type(WatchEvent::ACCOUNT);
  *account.mutable_account() = forecast;
  std::shared_ptr<WatchMessage> message = Build(std::move(account));
  message->tenants = std::move(tenants);
  return message;
}

WatchMessagePtr AtRevision(const WatchMessagePtr& message, int64_t revision) {
  WatchEvent event;
  if (!ParseWatchMessage(message->bytes, &event)) return message;  // ours: cannot happen
  event.set_revision(revision);
  std::shared_ptr<WatchMessage> copy = Build(std::move(event));
  copy->tenants = message->tenants;
  return copy;
}

grpc::ByteBuffer Coalesce(const std::vector<WatchMessagePtr>& changes) {
  std::vector<grpc::Slice> slices;
  for (const WatchMessagePtr& change : changes) {
    slices.insert(slices.end(), change->slices.begin(), change->slices.end());
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

bool ParseWatchMessage(const grpc::ByteBuffer& bytes, WatchEvent* event) {
  grpc::ByteBuffer copy(bytes);  // Deserialize consumes its buffer
  return grpc::SerializationTraits<WatchEvent>::Deserialize(&copy, event).ok();
}

}  // namespace cvm
