#include "service/watch_hub.h"

namespace cvm {

absl::StatusOr<uint64_t> WatchHub::Subscribe(WatchSubscriber* subscriber) {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("the server is shutting down");
  const uint64_t id = next_id_++;
  subscribers_[id] = subscriber;
  return id;
}

void WatchHub::Unsubscribe(uint64_t id) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(id);
}

void WatchHub::Publish(const OrderEvent& event) {
  absl::MutexLock lock(&mu_);
  for (const auto& entry : subscribers_) entry.second->OnEvent(event);
}

void WatchHub::Close(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (const auto& entry : subscribers_) entry.second->OnClose(status);
  subscribers_.clear();
}

size_t WatchHub::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  return subscribers_.size();
}

}  // namespace cvm
