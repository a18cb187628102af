#include "backends/retry_policy.h"

#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/status_details.h"

namespace cvm {

absl::Duration RetryPolicy::Backoff(int attempt) const {
  absl::Duration backoff = first_backoff;
  for (int a = 2; a < attempt && backoff < max_backoff; ++a) backoff *= 2;
  backoff = std::min(backoff, max_backoff);
  if (jitter <= 0) return backoff;
  thread_local absl::BitGen random;
  return backoff * (1 - jitter * absl::Uniform(random, 0.0, 1.0));
}

absl::Status RetryPolicy::Validate(const std::string& field_prefix) const {
  std::vector<FieldViolation> bad;
  if (max_attempts < 1) bad.push_back({field_prefix + "max_attempts", "must be at least 1"});
  if (first_backoff < absl::ZeroDuration()) {
    bad.push_back({field_prefix + "first_backoff", "must not be negative"});
  }
  if (max_backoff < first_backoff) {
    bad.push_back({field_prefix + "max_backoff", "must be at least first_backoff"});
  }
  if (!(jitter >= 0 && jitter <= 1)) bad.push_back({field_prefix + "jitter", "must be in [0, 1]"});
  if (bad.empty()) return absl::OkStatus();
  return InvalidFields(bad);
}

}  // namespace cvm
