// What an order's price is made of, and the Quote (provisioning.proto) that
// adds the parts up: the one place that computes a Quote's totals, so that
// every backend's totals mean the same.
//
// Contract: pure functions, thread-safe. Amounts are micro-units
// (common/money.h) in the quote's currency.
#ifndef CVM_PROVISIONER_BACKENDS_QUOTE_PARTS_H_
#define CVM_PROVISIONER_BACKENDS_QUOTE_PARTS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

// The parts of a price; nullopt when the order has no such part.
struct PriceParts {
  // Per instance, for one hour.
  std::optional<int64_t> instance_hourly;
  std::optional<int64_t> bandwidth_hourly;
  // Per GB of outbound traffic, from any instance: in no total.
  std::optional<int64_t> traffic_per_gb;
  // The whole order, up front, for the whole period.
  std::optional<int64_t> instance_prepaid;
  std::optional<int64_t> bandwidth_prepaid;
};

// The Quote of `count` (>= 0) instances priced by `parts`, in `currency`:
// hourly parts times `count`, prepaid parts as they are, unit and totals the
// sums (Quote's comments say which). INVALID_ARGUMENT naming instance_count
// when a part is negative or an amount does not fit in micro-units.
absl::StatusOr<provisioning::v1::Quote> QuoteOf(const PriceParts& parts, int count,
                                                const std::string& currency);

// What the priced order costs per hour, in micro-units: its hourly total plus
// its prepaid total spread over the period (a month counted as 730 hours,
// `period_months` from the spec). INVALID_ARGUMENT when the quote has neither,
// or a prepaid total without a period, or an amount that is not money.
absl::StatusOr<int64_t> SpendPerHourMicros(const provisioning::v1::Quote& quote,
                                           int period_months);

}  // namespace cvm

#endif  // CVM_PROVISIONER_BACKENDS_QUOTE_PARTS_H_
