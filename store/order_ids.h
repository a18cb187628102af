// Order ids: "ord-" + 12 hex digits of creation milliseconds + 4 hex digits
// of a per-store sequence, so ids sort by creation time. When the sequence
// wraps within one millisecond the minter skips ids already taken, so an id
// is never issued twice.
#ifndef CVM_PROVISIONER_STORE_ORDER_IDS_H_
#define CVM_PROVISIONER_STORE_ORDER_IDS_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cvm {

// Returns the first id at `now` whose sequence (from `sequence`, advanced
// past it) is not `taken`; `taken`'s error is returned as is. Not thread-safe:
// the caller holds the lock that guards `sequence`.
absl::StatusOr<std::string> MintOrderId(
    absl::Time now, uint32_t& sequence,
    absl::FunctionRef<absl::StatusOr<bool>(const std::string&)> taken);

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_ORDER_IDS_H_
