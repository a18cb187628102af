// The emulator's spot market: reclaim notices, the market price, and the
// termination time a reclaimed instance's metadata reports (see
// cvm_emulator.h).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "backends/tencentcloud/emulator/cvm_emulator.h"
#include "common/money.h"

namespace cvm::tencentcloud {

void CvmEmulator::GiveNotice(Instance& instance, absl::Time now) {
  const absl::Time at = now + spot_notice_;
  if (instance.spot_termination <= at) return;  // an earlier notice stands
  instance.spot_termination = at;
  if (at < instance.shutdown) {
    // Taken back before any scheduled isolation: a reclaim, not an arrears
    // isolation.
    instance.shutdown = at;
    instance.isolated_source.clear();
  }
  instance.terminated = std::min(instance.terminated, at + spot_shutdown_for_);
}

absl::StatusOr<std::vector<CvmEmulator::Instance*>> CvmEmulator::UpInstances(
    absl::Span<const std::string> ids, absl::Time now, bool spot_only) {
  std::vector<Instance*> instances;
  for (const std::string& id : ids) {
    AccountBooks* books = nullptr;
    Instance* instance = FindInstance(id, &books);
    if (instance == nullptr || Released(*instance, now)) {
      return absl::NotFoundError(absl::StrCat("instance ", id, " is not found"));
    }
    if (spot_only && instance->charge_type != "SPOTPAID") {
      return absl::FailedPreconditionError(
          absl::StrCat("instance ", id, " is ", instance->charge_type, ", not SPOTPAID"));
    }
    if (now >= instance->shutdown) {
      return absl::FailedPreconditionError(absl::StrCat("instance ", id, " is shut down"));
    }
    instances.push_back(instance);
  }
  return instances;
}

absl::StatusOr<std::vector<std::string>> CvmEmulator::Reclaim(absl::Span<const std::string> ids) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  CatchUpAll(now);
  absl::StatusOr<std::vector<Instance*>> instances = UpInstances(ids, now, /*spot_only=*/true);
  if (!instances.ok()) return instances.status();
  for (Instance* instance : *instances) GiveNotice(*instance, now);
  return std::vector<std::string>(ids.begin(), ids.end());
}

absl::StatusOr<std::vector<std::string>> CvmEmulator::Isolate(absl::Span<const std::string> ids) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  CatchUpAll(now);
  absl::StatusOr<std::vector<Instance*>> instances = UpInstances(ids, now, /*spot_only=*/false);
  if (!instances.ok()) return instances.status();
  for (Instance* instance : *instances) {
    instance->shutdown = now;
    instance->isolated_source = "ARREAR";
    instance->terminated = std::min(instance->terminated, now + isolated_release_delay_);
  }
  return std::vector<std::string>(ids.begin(), ids.end());
}

absl::Status CvmEmulator::SetStock(const std::string& zone, const std::string& instance_type,
                                   int stock) {
  absl::MutexLock lock(&mu_);
  auto it = stock_.find(zone + "/" + instance_type);
  if (it == stock_.end()) {
    return absl::NotFoundError(absl::StrCat(zone, " does not sell ", instance_type));
  }
  it->second = stock;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> CvmEmulator::SetSpotPrice(const std::string& zone,
                                                                   const std::string& instance_type,
                                                                   const std::string& price) {
  absl::StatusOr<int64_t> micros = ParseMoneyMicros(price);
  if (!micros.ok() || *micros < 0) {
    return absl::InvalidArgumentError(absl::StrCat("bad price \"", price, "\""));
  }
  const std::string key = zone + "/" + instance_type;
  absl::MutexLock lock(&mu_);
  auto market = spot_micros_.find(key);
  if (market == spot_micros_.end()) {
    return absl::NotFoundError(absl::StrCat(instance_type, " is not sold in ", zone));
  }
  const absl::Time now = clock_->Now();
  CatchUpAll(now);
  // Up to now spot instances cost the old price.
  for (auto& [secret_id, books] : books_) {
    for (auto& [id, instance] : books.instances) {
      if (instance.offer_key == key) Accrue(books, instance, now);
    }
  }
  market->second = *micros;
  std::vector<std::string> reclaimed;
  for (auto& [secret_id, books] : books_) {
    for (auto& [id, instance] : books.instances) {
      if (instance.offer_key != key || instance.charge_type != "SPOTPAID" ||
          Released(instance, now) || now >= instance.shutdown ||
          instance.spot_termination != absl::InfiniteFuture() ||
          instance.max_price_micros >= *micros) {
        continue;
      }
      GiveNotice(instance, now);
      reclaimed.push_back(id);
    }
  }
  return reclaimed;
}

absl::StatusOr<absl::Time> CvmEmulator::SpotTerminationTime(const std::string& id) {
  absl::MutexLock lock(&mu_);
  AccountBooks* books = nullptr;
  const Instance* instance = FindInstance(id, &books);
  if (instance == nullptr || instance->charge_type != "SPOTPAID" ||
      instance->spot_termination == absl::InfiniteFuture() || Released(*instance, clock_->Now())) {
    return absl::NotFoundError(absl::StrCat("no spot termination for ", id));
  }
  return instance->spot_termination;
}

}  // namespace cvm::tencentcloud
