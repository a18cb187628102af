#include "common/money.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cvm {

absl::StatusOr<int64_t> ParseMoneyMicros(absl::string_view text) {
  const absl::string_view original = text;
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", original, "\" is not a price: ", why));
  };
  if (text.empty()) return bad("empty");
  size_t dot = text.find('.');
  absl::string_view whole = text.substr(0, dot);
  absl::string_view frac =
      dot == absl::string_view::npos ? absl::string_view() : text.substr(dot + 1);
  if (whole.empty()) return bad("needs digits before the decimal point");
  if (dot != absl::string_view::npos && frac.empty()) {
    return bad("needs digits after the decimal point");
  }
  if (whole.size() > 12) return bad("more than 12 integer digits");
  if (frac.size() > 6) return bad("more than 6 fractional digits");
  int64_t micros = 0;
  for (char c : whole) {
    if (!absl::ascii_isdigit(c)) return bad("only digits and one '.' allowed");
    micros = micros * 10 + (c - '0');
  }
  for (size_t i = 0; i < 6; ++i) {
    int digit = 0;
    if (i < frac.size()) {
      if (!absl::ascii_isdigit(frac[i])) return bad("only digits and one '.' allowed");
      digit = frac[i] - '0';
    }
    micros = micros * 10 + digit;
  }
  return micros;
}

std::string FormatMoneyMicros(int64_t micros) {
  // A debt (a negative balance) keeps its sign in front; the magnitude is
  // unsigned so that even INT64_MIN formats.
  const bool negative = micros < 0;
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  std::string frac = absl::StrFormat("%06d", magnitude % 1000000);
  while (frac.size() > 2 && frac.back() == '0') frac.pop_back();
  return absl::StrCat(negative ? "-" : "", magnitude / 1000000, ".", frac);
}

bool IsCurrencyCode(absl::string_view code) {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), absl::ascii_isupper);
}

}  // namespace cvm
