#include "service/capacity_memory.h"

#include <cstdio>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "common/money.h"
#include "common/status_details.h"
#include "google/rpc/error_details.pb.h"

namespace cvm {
namespace {

using provisioning::v1::InstanceSpec;

// The reasons remembered, each with the ErrorInfo metadata key of the figure
// it depends on ("" for none).
const std::map<std::string, std::string>& CapacityReasons() {
  static const auto* const reasons = new std::map<std::string, std::string>{
      {"ZONE_SOLD_OUT", ""},
      {"INSUFFICIENT_STOCK", kStockLeftKey},
      {"SPOT_PRICE_TOO_LOW", kMarketPriceKey}};
  return *reasons;
}

// Whether `verdict` refuses a purchase of `count` instances of `spec`.
bool Applies(const CapacityVerdict& verdict, const InstanceSpec& spec, int count) {
  if (verdict.reason == "INSUFFICIENT_STOCK") {
    int left = 0;
    return absl::SimpleAtoi(verdict.bound, &left) && count > left;
  }
  if (verdict.reason == "SPOT_PRICE_TOO_LOW") {
    const absl::StatusOr<int64_t> market = ParseMoneyMicros(verdict.bound);
    const absl::StatusOr<int64_t> max = ParseMoneyMicros(spec.spot().max_price_per_hour());
    return spec.has_spot() && market.ok() && max.ok() && *max < *market;
  }
  return true;
}

std::string BillingOf(const InstanceSpec& spec) {
  if (spec.has_spot()) return "SPOT";
  if (spec.has_prepaid()) return "PREPAID";
  return "PAY_AS_YOU_GO";
}

}  // namespace

CapacityMemory::CapacityMemory(CapacityVerdicts* verdicts, Options options)
    : verdicts_(verdicts), options_(std::move(options)) {
  if (options_.registry == nullptr) return;
  recorded_ = &prometheus::BuildCounter()
                   .Name("provisioner_capacity_verdicts_total")
                   .Help("Cells (zone, instance type, billing) found without capacity and "
                         "remembered, by reason")
                   .Register(*options_.registry);
  skipped_ = &prometheus::BuildCounter()
                  .Name("provisioner_capacity_skips_total")
                  .Help("Purchases failed from the sold-out memory without a cloud call, by "
                        "reason")
                  .Register(*options_.registry);
  errors_ = &prometheus::BuildCounter()
                 .Name("provisioner_capacity_memory_errors_total")
                 .Help("Sold-out memory reads or writes that failed (the purchase asked the "
                       "cloud)")
                 .Register(*options_.registry)
                 .Add({});
}

CapacityCell CapacityMemory::CellOf(const std::string& backend, const InstanceSpec& spec) {
  return CapacityCell{backend, spec.region(), spec.zone(), spec.instance_type(), BillingOf(spec)};
}

bool CapacityMemory::IsCapacityVerdict(const absl::Status& status) {
  return !status.ok() && CapacityReasons().count(ErrorReason(status)) > 0;
}

absl::Status CapacityMemory::Check(const std::string& backend, const InstanceSpec& spec,
                                   int count) {
  return Lookup(backend, spec, count, /*count_skip=*/true);
}

absl::Status CapacityMemory::Peek(const std::string& backend, const InstanceSpec& spec,
                                  int count) {
  return Lookup(backend, spec, count, /*count_skip=*/false);
}

absl::Status CapacityMemory::Lookup(const std::string& backend, const InstanceSpec& spec,
                                    int count, bool count_skip) {
  if (spec.instance_type().empty()) return absl::OkStatus();  // a template's order
  const CapacityCell cell = CellOf(backend, spec);
  absl::StatusOr<std::optional<CapacityVerdict>> found =
      verdicts_->Find(cell, options_.clock->Now());
  if (!found.ok()) {
    CountError(found.status(), "reading");
    return absl::OkStatus();
  }
  if (!found->has_value() || !Applies(**found, spec, count)) return absl::OkStatus();
  const CapacityVerdict& verdict = **found;
  if (skipped_ != nullptr && count_skip) skipped_->Add({{"reason", verdict.reason}}).Increment();
  const std::string description =
      absl::StrCat(verdict.message, " (remembered for ", cell.Key(), " until ",
                   absl::FormatTime(verdict.until, absl::UTCTimeZone()), "; the cloud was not asked)");
  return PreconditionFailed(verdict.reason, cell.Key(), description);
}

void CapacityMemory::Learn(const std::string& backend, const InstanceSpec& spec,
                           const absl::Status& status) {
  if (!IsCapacityVerdict(status) || spec.instance_type().empty()) return;
  const std::string reason = ErrorReason(status);
  std::string bound;
  const std::string& key = CapacityReasons().at(reason);
  if (!key.empty()) {
    const auto info = GetDetail<google::rpc::ErrorInfo>(status);
    auto it = info->metadata().find(key);
    if (it == info->metadata().end()) return;  // without its figure it cannot judge others
    bound = it->second;
  }
  const absl::Status recorded = verdicts_->Record(
      CellOf(backend, spec),
      {reason, std::string(status.message()), options_.clock->Now() + options_.ttl, bound});
  if (!recorded.ok()) {
    CountError(recorded, "recording");
    return;
  }
  if (recorded_ != nullptr) recorded_->Add({{"reason", reason}}).Increment();
}

void CapacityMemory::CountError(const absl::Status& status, const char* doing) {
  std::fprintf(stderr, "provisioner: sold-out memory: %s a verdict: %s\n", doing,
               status.ToString().c_str());
  if (errors_ != nullptr) errors_->Increment();
}

}  // namespace cvm
