// The emulator's money: per-second accrual, hourly settlement, arrears and
// their isolation, top-ups, prepaid charges, renewals, returns and expiry
// (see cvm_emulator.h).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "backends/tencentcloud/emulator/cvm_emulator.h"

namespace cvm::tencentcloud {
namespace {

// AccountBooks::unsettled counts price micros per hour x seconds; a cent is
// 10,000 micros for 3,600 seconds.
constexpr int64_t kUnitsPerCent = int64_t{10000} * 3600;

// Tencent's "five-day unconditional refund": a prepaid instance returned
// within this long of its purchase gets back everything it paid.
constexpr absl::Duration kFullRefundWithin = absl::Hours(5 * 24);

// The calendar month `months` after `t` (UTC); CivilSecond normalizes, so
// Jan 31 + 1 month is Mar 2 or 3.
absl::Time AddMonths(absl::Time t, int months) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilSecond start = absl::ToCivilSecond(t, utc);
  return absl::FromCivil(absl::CivilSecond(start.year(), start.month() + months, start.day(),
                                           start.hour(), start.minute(), start.second()),
                         utc);
}

}  // namespace

int64_t CvmEmulator::PrepaidOriginalMicros(int64_t hourly_micros, int count, int months) {
  return hourly_micros * 730 * months * count;
}

int64_t CvmEmulator::PrepaidMicros(int64_t hourly_micros, int count, int months) {
  return PrepaidOriginalMicros(hourly_micros, count, months) * 8 / 10;
}

int64_t CvmEmulator::PostpaidMicros(const Instance& instance) {
  // A prepaid instance has paid for itself; its bandwidth may be hourly.
  if (instance.charge_type == "PREPAID") return instance.bandwidth_micros;
  return (instance.charge_type == "SPOTPAID" ? spot_micros_[instance.offer_key]
                                             : instance.hourly_micros) +
         instance.bandwidth_micros;
}

void CvmEmulator::Accrue(AccountBooks& books, Instance& instance, absl::Time until) {
  {
    const absl::Time from = std::max(instance.accrued_until, instance.created);
    const absl::Time to = std::min({until, instance.shutdown, instance.terminated});
    if (to > from) {
      // Whole seconds of the clock crossed: additive however the time is cut.
      const int64_t seconds = absl::ToUnixSeconds(to) - absl::ToUnixSeconds(from);
      books.unsettled += PostpaidMicros(instance) * seconds -
                         instance.hourly_micros * UnchargedSeconds(instance, from, to);
    }
  }
  instance.accrued_until = std::max(instance.accrued_until, until);
}

void CvmEmulator::CatchUp(AccountBooks& books, absl::Time now) {
  for (;;) {
    // Renewals and settlements in the order of their moments.
    const absl::Time renewal = NextRenewal(books, std::min(now, books.next_settlement));
    if (renewal != absl::InfiniteFuture()) {
      RenewDue(books, renewal);
      continue;
    }
    if (books.next_settlement > now) return;
    const absl::Time hour = books.next_settlement;
    for (auto& [id, instance] : books.instances) Accrue(books, instance, hour);
    const int64_t cents = books.unsettled / kUnitsPerCent;
    books.unsettled %= kUnitsPerCent;
    books.balance_cents -= cents;
    books.charged_cents += cents;
    if (books.balance_cents < 0 && books.arrears_since == absl::InfiniteFuture()) {
      StartArrears(books, hour);
    }
    books.next_settlement = hour + absl::Hours(1);
    SettleSteadyHours(books, now);
  }
}

void CvmEmulator::SettleSteadyHours(AccountBooks& books, absl::Time now) {
  const absl::Time last = books.next_settlement - absl::Hours(1);
  absl::Time change = now;  // the first moment anything changes, or `now`
  __int128 units_per_hour = 0;
  for (const auto& [id, instance] : books.instances) {
    if (instance.accrued_until > last) return;  // billed ahead: hour by hour
    const absl::Time down = std::min(instance.shutdown, instance.terminated);
    for (absl::Time t : {instance.created, down, instance.charge_off}) {
      if (t > last) change = std::min(change, t);
    }
    if (instance.created > last || down <= last) continue;
    // Stopped without charging from before `last` on: only its bandwidth
    // accrues.
    const bool uncharged = instance.charge_off <= last;
    units_per_hour +=
        __int128{PostpaidMicros(instance) - (uncharged ? instance.hourly_micros : 0)} * 3600;
  }
  absl::Duration part_hour;
  int64_t hours = absl::IDivDuration(change - last, absl::Hours(1), &part_hour);
  if (hours <= 0) return;
  const __int128 unsettled = books.unsettled;
  if (units_per_hour > 0 && books.arrears_since == absl::InfiniteFuture()) {
    // Stop before the settlement that would leave the balance negative: the
    // loop settles that one on its own and starts the arrears.
    const __int128 headroom = (__int128{books.balance_cents} + 1) * kUnitsPerCent - unsettled;
    if (headroom <= 0) return;
    const __int128 safe_hours = (headroom + units_per_hour - 1) / units_per_hour - 1;
    if (safe_hours < hours) hours = static_cast<int64_t>(safe_hours);
    if (hours <= 0) return;
  }
  const __int128 total = unsettled + units_per_hour * hours;
  const int64_t cents = static_cast<int64_t>(total / kUnitsPerCent);
  books.unsettled = static_cast<int64_t>(total % kUnitsPerCent);
  books.balance_cents -= cents;
  books.charged_cents += cents;
  const absl::Time end = last + absl::Hours(1) * hours;
  for (auto& [id, instance] : books.instances) {
    instance.accrued_until = std::max(instance.accrued_until, end);
  }
  books.next_settlement = end + absl::Hours(1);
}

void CvmEmulator::CatchUpAll(absl::Time now) {
  for (auto& [secret_id, books] : books_) CatchUp(books, now);
}

void CvmEmulator::StartArrears(AccountBooks& books, absl::Time since) {
  books.arrears_since = since;
  const absl::Time shutdown = since + arrears_shutdown_delay_;
  for (auto& [id, instance] : books.instances) {
    // Prepaid instances are paid for; others already going down stay so.
    if (instance.charge_type == "PREPAID" || instance.shutdown <= shutdown ||
        Released(instance, shutdown)) {
      continue;
    }
    instance.shutdown = shutdown;
    instance.isolated_source = "ARREAR";
    instance.terminated = std::min(instance.terminated, shutdown + isolated_release_delay_);
  }
}

absl::StatusOr<CvmEmulator::TopUpResult> CvmEmulator::TopUp(const std::string& secret_id,
                                                            int64_t cents) {
  if (cents <= 0) return absl::InvalidArgumentError("Cents must be positive");
  if (AccountOf(secret_id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("no account ", secret_id));
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  AccountBooks& books = books_[secret_id];
  CatchUp(books, now);
  books.balance_cents += cents;
  TopUpResult result;
  result.balance_cents = books.balance_cents;
  if (books.balance_cents < 0 || books.arrears_since == absl::InfiniteFuture()) return result;
  books.arrears_since = absl::InfiniteFuture();
  for (auto& [id, instance] : books.instances) {
    if (instance.isolated_source != "ARREAR" || Released(instance, now)) continue;
    Accrue(books, instance, now);  // billed again from now on
    const bool was_down = now >= instance.shutdown;
    instance.isolated_source.clear();
    // Back to what it was before the arrears: a spot notice still stands.
    instance.shutdown = instance.spot_termination;
    instance.terminated = instance.spot_termination + spot_shutdown_for_;
    if (was_down && now < instance.shutdown) result.restored.push_back(id);
  }
  return result;
}

void CvmEmulator::SchedulePrepaid(Instance& instance, absl::Time start, int months) const {
  instance.period_start = start;
  instance.expired = AddMonths(start, months);
  instance.shutdown = instance.expired;
  instance.isolated_source = "EXPIRE";
  instance.terminated = instance.expired + isolated_release_delay_;
}

absl::Time CvmEmulator::NextRenewal(const AccountBooks& books, absl::Time until) const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [id, instance] : books.instances) {
    // Still headed for its expiry (not returned, not released before).
    if (instance.renews && instance.shutdown == instance.expired &&
        instance.expired < instance.terminated && instance.expired <= until) {
      next = std::min(next, instance.expired);
    }
  }
  return next;
}

void CvmEmulator::RenewDue(AccountBooks& books, absl::Time at) {
  for (auto& [id, instance] : books.instances) {
    if (!instance.renews || instance.expired != at || instance.shutdown != at) continue;
    const int64_t cents = (instance.month_micros + 9999) / 10000;
    if (books.balance_cents < cents) {
      instance.renews = false;  // isolated at `at` (EXPIRE), as scheduled
      continue;
    }
    books.balance_cents -= cents;
    books.charged_cents += cents;
    ++books.renewals;
    instance.period_micros = instance.month_micros;
    SchedulePrepaid(instance, at, 1);
  }
}

void CvmEmulator::ReturnPrepaid(AccountBooks& books, Instance& instance, absl::Time now) const {
  // Everything within five days of the purchase, else the unused share of
  // the period being paid for (a renewal not yet begun: none).
  int64_t refund = instance.period_micros;
  if (now - instance.created >= kFullRefundWithin) {
    const absl::Duration left = instance.expired - std::max(now, instance.period_start);
    refund = static_cast<int64_t>(static_cast<double>(instance.period_micros) *
                                  absl::FDivDuration(left, instance.expired - instance.period_start));
  }
  const int64_t cents = refund / 10000;
  books.balance_cents += cents;
  books.refunded_cents += cents;
  instance.renews = false;
  instance.shutdown = now;
  instance.isolated_source = "MANMADE";
  instance.terminated = now + returned_release_delay_;
}

Json CvmEmulator::DescribeAccountBalance(const AccountBooks& books) const {
  return Json{{"Balance", books.balance_cents},
              {"RealBalance", books.balance_cents},
              {"CashAccountBalance", books.balance_cents},
              {"IncomeIntoAccountBalance", 0},
              {"PresentAccountBalance", 0},
              {"FreezeAmount", 0},
              {"OweAmount", std::max<int64_t>(0, -books.balance_cents)}};
}

}  // namespace cvm::tencentcloud
