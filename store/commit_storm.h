// For tests: another writer that commits order after order to a store from
// a thread of its own until stopped, as another replica would (on
// PostgreSQL each commit is also a NOTIFY the other stores' feeds read).
//
// A failed commit is reported with ADD_FAILURE and ends the storm.
// Thread-safe: committed() may be read while the storm runs.
#ifndef CVM_PROVISIONER_STORE_COMMIT_STORM_H_
#define CVM_PROVISIONER_STORE_COMMIT_STORM_H_

#include <atomic>
#include <functional>
#include <thread>

#include "gtest/gtest.h"
#include "store/order_store.h"

namespace cvm {

class CommitStorm {
 public:
  // Starts creating `draft(0)`, `draft(1)`, ... in `store`, which must
  // outlive the storm.
  CommitStorm(OrderStore* store, std::function<Order(int)> draft)
      : thread_([this, store, draft = std::move(draft)] {
          for (int i = 0; !stop_.load(); ++i) {
            absl::StatusOr<CreateOrderResult> created = store->CreateOrder(draft(i));
            if (!created.ok()) {
              ADD_FAILURE() << "the storm's commit failed: " << created.status();
              return;
            }
            committed_.fetch_add(1);
          }
        }) {}
  ~CommitStorm() { Stop(); }
  CommitStorm(const CommitStorm&) = delete;
  CommitStorm& operator=(const CommitStorm&) = delete;

  // Ends the storm after the commit under way.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int committed() const { return committed_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> committed_{0};
  std::thread thread_;  // last: starts once the counters exist
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_COMMIT_STORM_H_
