// The one retry policy of a cloud call: how often and how long apart a
// backend repeats a call that may succeed if repeated.
//
// A call is made at most max_attempts times. Before attempt a (a >= 2) the
// caller waits Backoff(a): first_backoff x 2^(a-2), capped at max_backoff,
// of which a random share (`jitter`) is taken off, so callers that failed
// together do not retry together. The wait is on the caller's injected
// clock/sleep and never runs past the call's deadline: a retry that could
// not start before it is not made.
//
// Only the layer that sends the call retries (for Tencent Cloud:
// backends/tencentcloud/api_client.h); the order workflow above does not
// repeat a backend call within one step, so one step of an order costs at
// most max_attempts requests per cloud call it makes. What is retried is the
// backend's decision (a call that cannot buy twice, an error that executed
// nothing or may pass); every attempt is paced by the account's rate limiter.
//
// Contract: a value type; Backoff() is thread-safe (a thread-local generator).
#ifndef CVM_PROVISIONER_BACKENDS_RETRY_POLICY_H_
#define CVM_PROVISIONER_BACKENDS_RETRY_POLICY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cvm {

struct RetryPolicy {
  // Attempts of one call, the first included (>= 1).
  int max_attempts = 4;
  absl::Duration first_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  // Share of each backoff that is random, in [0, 1].
  double jitter = 0.5;

  // The wait before attempt `attempt` (2 ... max_attempts).
  absl::Duration Backoff(int attempt) const;

  // INVALID_ARGUMENT naming the field (prefixed with `field_prefix`, e.g.
  // "retry.") for max_attempts < 1, a negative backoff, first_backoff >
  // max_backoff or jitter outside [0, 1].
  absl::Status Validate(const std::string& field_prefix) const;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_BACKENDS_RETRY_POLICY_H_
