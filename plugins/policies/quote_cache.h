// Quotes kept for a short while, keyed by (backend name, spec, count), so a
// policy that prices the same cells again soon (a node group buying the same
// candidates once more, the stored orders of a tenant at every check) does
// not ask the cloud again.
//
// Contract:
//  1. Thread-safe. The backend is asked without the lock held: two misses of
//     one key at once may both reach it (the later answer is kept).
//  2. Get() returns the backend's quote, or one the backend gave for the same
//     key at most `ttl` ago on the injected clock. Errors are never kept: the
//     backend's error is returned as it is (UNAVAILABLE, ...).
//  3. The key is the backend's name, the count and the spec serialized
//     deterministically without its user data (no price depends on a boot
//     script, and it is the one field that can be large: 16 KB).
//  4. Bounded: at most `max_entries` quotes. A full cache drops its expired
//     quotes first, then the one that expires soonest.
#ifndef CVM_PROVISIONER_PLUGINS_POLICIES_QUOTE_CACHE_H_
#define CVM_PROVISIONER_PLUGINS_POLICIES_QUOTE_CACHE_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "common/clock.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

class QuoteCache {
 public:
  QuoteCache(Clock* clock, absl::Duration ttl, size_t max_entries)
      : clock_(clock), ttl_(ttl), max_entries_(max_entries) {}

  // `backend`'s Quote(spec, count), or the one kept for
  // (backend_name, spec, count) (rule 2).
  absl::StatusOr<provisioning::v1::Quote> Get(const std::string& backend_name, Backend& backend,
                                              const provisioning::v1::InstanceSpec& spec,
                                              int count);

  // The quotes kept now, expired ones included until they are dropped.
  size_t size() const;

 private:
  struct Entry {
    provisioning::v1::Quote quote;
    absl::Time expires;
  };

  // Makes room for one more entry (rule 4).
  void EvictLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const absl::Duration ttl_;
  const size_t max_entries_;

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_POLICIES_QUOTE_CACHE_H_
