#include "store/order_ids.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace cvm {

absl::StatusOr<std::string> MintOrderId(
    absl::Time now, uint32_t& sequence,
    absl::FunctionRef<absl::StatusOr<bool>(const std::string&)> taken) {
  const int64_t millis = absl::ToUnixMillis(now);
  // 65,536 sequences per millisecond; more would all be taken.
  for (int tries = 0; tries <= 0xffff; ++tries) {
    std::string id = absl::StrFormat("ord-%012x%04x", millis, sequence++ & 0xffff);
    absl::StatusOr<bool> used = taken(id);
    if (!used.ok()) return used.status();
    if (!*used) return id;
  }
  return absl::ResourceExhaustedError(
      "every order id of this millisecond is taken; retry");
}

}  // namespace cvm
