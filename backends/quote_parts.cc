#include "backends/quote_parts.h"

#include <limits>

#include "absl/numeric/int128.h"
#include "common/money.h"
#include "common/status_details.h"
#include "common/status_macros.h"

namespace cvm {
namespace {

constexpr int64_t kHoursPerMonth = 730;

absl::Status TooLarge() {
  return InvalidFields({{"instance_count", "the order's price is too large to quote"}});
}

// `value` as an int64, or nullopt when it does not fit or is negative.
std::optional<int64_t> Fit(absl::int128 value) {
  if (value < 0 || value > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return static_cast<int64_t>(value);
}

}  // namespace

absl::StatusOr<provisioning::v1::Quote> QuoteOf(const PriceParts& parts, int count,
                                                const std::string& currency) {
  if (count < 0) return InvalidFields({{"instance_count", "must not be negative"}});
  provisioning::v1::Quote quote;
  quote.set_currency(currency);
  bool fits = true;
  // Writes `micros` x `times` into `field` when the part exists.
  auto put = [&fits](std::optional<int64_t> micros, int64_t times, std::string* field) {
    if (!micros.has_value()) return;
    const std::optional<int64_t> amount =
        *micros < 0 ? std::nullopt : Fit(absl::int128(*micros) * times);
    fits = fits && amount.has_value();
    if (amount.has_value()) *field = FormatMoneyMicros(*amount);
  };
  put(parts.instance_hourly, count, quote.mutable_instance_price_per_hour());
  put(parts.bandwidth_hourly, count, quote.mutable_bandwidth_price_per_hour());
  put(parts.traffic_per_gb, 1, quote.mutable_traffic_price_per_gb());
  put(parts.instance_prepaid, 1, quote.mutable_instance_price_prepaid());
  put(parts.bandwidth_prepaid, 1, quote.mutable_bandwidth_price_prepaid());
  if (parts.instance_hourly.has_value() || parts.bandwidth_hourly.has_value()) {
    const absl::int128 unit = absl::int128(parts.instance_hourly.value_or(0)) +
                              parts.bandwidth_hourly.value_or(0);
    put(Fit(unit), 1, quote.mutable_unit_price_per_hour());
    put(Fit(unit), count, quote.mutable_total_price_per_hour());
    fits = fits && Fit(unit).has_value();
  }
  if (parts.instance_prepaid.has_value() || parts.bandwidth_prepaid.has_value()) {
    const std::optional<int64_t> prepaid = Fit(absl::int128(parts.instance_prepaid.value_or(0)) +
                                               parts.bandwidth_prepaid.value_or(0));
    put(prepaid, 1, quote.mutable_total_price_prepaid());
    fits = fits && prepaid.has_value();
  }
  if (!fits) return TooLarge();
  return quote;
}

absl::StatusOr<int64_t> SpendPerHourMicros(const provisioning::v1::Quote& quote,
                                           int period_months) {
  if (quote.total_price_per_hour().empty() && quote.total_price_prepaid().empty()) {
    return absl::InvalidArgumentError("the quote has no price");
  }
  int64_t micros = 0;
  if (!quote.total_price_per_hour().empty()) {
    ASSIGN_OR_RETURN(micros, ParseMoneyMicros(quote.total_price_per_hour()));
  }
  if (!quote.total_price_prepaid().empty()) {
    if (period_months <= 0) {
      return absl::InvalidArgumentError("a prepaid price needs a period");
    }
    ASSIGN_OR_RETURN(const int64_t prepaid, ParseMoneyMicros(quote.total_price_prepaid()));
    micros += prepaid / (kHoursPerMonth * period_months);
  }
  return micros;
}

}  // namespace cvm
