// WorkLeases for tests: claims as other replicas would hold some, and a
// database that fails a number of calls first.
#ifndef CVM_PROVISIONER_STORE_FAKE_WORK_LEASES_H_
#define CVM_PROVISIONER_STORE_FAKE_WORK_LEASES_H_

#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "store/work_leases.h"

namespace cvm {

class FakeWorkLeases : public WorkLeases {
 public:
  // The next `failures` calls are UNAVAILABLE; then keys in `others` are
  // refused (another replica holds them) and the rest granted.
  absl::StatusOr<bool> TryAcquire(const std::string& key) override {
    absl::MutexLock lock(&mu);
    if (failures > 0) {
      --failures;
      return absl::UnavailableError("postgres: connection lost");
    }
    if (others.count(key) > 0) return false;
    held.insert(key);
    return true;
  }
  void Release(const std::string& key) override {
    absl::MutexLock lock(&mu);
    held.erase(key);
    released.push_back(key);
  }
  bool shared() const override { return true; }

  absl::Mutex mu;
  int failures ABSL_GUARDED_BY(mu) = 0;
  std::set<std::string> others ABSL_GUARDED_BY(mu);
  std::set<std::string> held ABSL_GUARDED_BY(mu);
  std::vector<std::string> released ABSL_GUARDED_BY(mu);  // in order
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_FAKE_WORK_LEASES_H_
