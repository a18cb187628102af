// Fans order events out to open Watch streams.
//
// The store's listener calls Publish() for every committed change, in
// revision order; each subscriber gets the events in that order. Close()
// (server drain) ends every subscription with a status and refuses new ones.
//
// Contract: thread-safe. Subscriber callbacks run on the publishing thread
// with the hub's lock held: they must only enqueue, never block or call the
// hub. After Unsubscribe() returns, no callback of that subscriber runs.
#ifndef CVM_PROVISIONER_SERVICE_WATCH_HUB_H_
#define CVM_PROVISIONER_SERVICE_WATCH_HUB_H_

#include <cstdint>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "store/order_store.h"

namespace cvm {

class WatchSubscriber {
 public:
  virtual ~WatchSubscriber() = default;
  virtual void OnEvent(const OrderEvent& event) = 0;
  // The hub is closing; no more events follow.
  virtual void OnClose(const absl::Status& status) = 0;
};

class WatchHub {
 public:
  // A subscription id, or UNAVAILABLE after Close().
  absl::StatusOr<uint64_t> Subscribe(WatchSubscriber* subscriber);
  void Unsubscribe(uint64_t id);
  void Publish(const OrderEvent& event);
  // Calls OnClose(status) on every subscriber and refuses new ones.
  void Close(const absl::Status& status);
  size_t subscriber_count() const;

 private:
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::map<uint64_t, WatchSubscriber*> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_WATCH_HUB_H_
