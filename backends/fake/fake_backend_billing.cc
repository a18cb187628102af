// The fake's money, when FakeBackendConfig.balance is set: pay-as-you-go and
// spot instances cost their hourly price (Quote) for every second they live
// on the clock, prepaid orders their whole price when bought (see
// fake_backend.h). Without a balance nothing is charged.
#include <algorithm>
#include <limits>

#include "absl/numeric/int128.h"
#include "backends/fake/fake_backend.h"
#include "common/money.h"
#include "common/status_macros.h"

namespace cvm {

absl::StatusOr<FakeBackend::Charge> FakeBackend::ChargeOf(const CreateRequest& request) {
  {
    absl::MutexLock lock(&mu_);
    if (!balance_micros_.has_value()) return Charge();
  }
  Charge charge;
  if (request.spec.has_prepaid()) {
    ASSIGN_OR_RETURN(provisioning::v1::Quote quote, Quote(request.spec, request.count));
    ASSIGN_OR_RETURN(charge.upfront_micros, ParseMoneyMicros(quote.total_price_prepaid()));
  } else {
    ASSIGN_OR_RETURN(provisioning::v1::Quote quote, Quote(request.spec, 1));
    ASSIGN_OR_RETURN(charge.hourly_micros, ParseMoneyMicros(quote.total_price_per_hour()));
  }
  return charge;
}

absl::StatusOr<AccountBalance> FakeBackend::Balance() {
  RETURN_IF_ERROR(InjectedFailure(provisioning::fake::v1::Failure::BALANCE, ""));
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  if (!balance_micros_.has_value()) {
    return absl::UnimplementedError("the fake backend has no balance configured");
  }
  // Price micros x seconds, in 128 bits: a cost / 3600 is micros.
  absl::int128 spent = 0;
  for (const auto& [id, instance] : instances_) {
    if (instance.launch_failed) continue;  // never ran, never billed
    spent += absl::int128(instance.hourly_micros) *
             absl::ToInt64Seconds(BilledFor(instance, now));
  }
  const absl::int128 balance = absl::int128(*balance_micros_) - spent / 3600;
  AccountBalance result;
  result.micros = balance < std::numeric_limits<int64_t>::min()
                      ? std::numeric_limits<int64_t>::min()
                      : static_cast<int64_t>(balance);
  result.currency = config_.currency().empty() ? "CNY" : config_.currency();
  return result;
}

absl::Duration FakeBackend::BilledFor(const FakeInstance& instance, absl::Time now) {
  const absl::Time end = std::min(now, instance.terminated_at);
  if (end <= instance.create_time) return absl::ZeroDuration();
  absl::Duration uncharged = instance.uncharged;
  if (instance.charge_off_since < end) uncharged += end - instance.charge_off_since;
  return std::max(absl::ZeroDuration(), end - instance.create_time - uncharged);
}

void FakeBackend::TopUp(int64_t micros) {
  absl::MutexLock lock(&mu_);
  if (balance_micros_.has_value()) *balance_micros_ += micros;
}

}  // namespace cvm
