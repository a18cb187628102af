// Exact money amounts. Prices cross the API as decimal strings ("0.35") and
// are held internally as integer micro-units (0.35 -> 350000), never floats.
#ifndef CVM_PROVISIONER_COMMON_MONEY_H_
#define CVM_PROVISIONER_COMMON_MONEY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cvm {

// Parses a non-negative decimal with at most 6 fractional digits and at most
// 12 integer digits ("12", "0.5", "0.000001"). INVALID_ARGUMENT otherwise
// (signs, exponents, spaces, empty, too many digits).
absl::StatusOr<int64_t> ParseMoneyMicros(absl::string_view text);

// Formats micro-units as a decimal with at least two fractional digits and no
// trailing zeros beyond them: 350000 -> "0.35", 1 -> "0.000001".
std::string FormatMoneyMicros(int64_t micros);

// True for an ISO 4217 alphabetic code: exactly three capital ASCII letters
// ("CNY", "USD"). Whether the code is assigned is not checked.
bool IsCurrencyCode(absl::string_view code);

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_MONEY_H_
