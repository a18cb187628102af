// The fake's power control (backends/backend.h rule 9): a stop takes effect
// at once (STOPPED); a start makes the instance PENDING for
// pending_duration, then RUNNING. A pay-as-you-go instance stopped with
// stop_charging is not billed until it starts again (fake_backend_billing.cc).
#include "absl/strings/str_cat.h"
#include "backends/fake/fake_backend.h"
#include "common/status_details.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;

absl::Status StateRefused(const std::string& id, Instance::State state, bool start) {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "instance ", id, " is ", Instance::State_Name(state), ": only a ",
                        start ? "STOPPED" : "RUNNING", " instance can be ",
                        start ? "started" : "stopped")),
                    "INSTANCE_STATE");
}

}  // namespace

absl::Status FakeBackend::Stop(const std::string& /*region*/,
                               absl::Span<const std::string> instance_ids, bool stop_charging,
                               absl::Time /*deadline*/) {
  return ChangePower(instance_ids, /*start=*/false, stop_charging);
}

absl::Status FakeBackend::Start(const std::string& /*region*/,
                                absl::Span<const std::string> instance_ids,
                                absl::Time /*deadline*/) {
  return ChangePower(instance_ids, /*start=*/true, /*stop_charging=*/false);
}

absl::Status FakeBackend::ChangePower(absl::Span<const std::string> instance_ids, bool start,
                                      bool stop_charging) {
  if (instance_ids.size() > kMaxDescribeBatch) {
    return InvalidFields({{"instance_ids", absl::StrCat("at most ", kMaxDescribeBatch)}});
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  // All or none, as the cloud: every instance is checked before any changes.
  std::vector<FakeInstance*> act;
  for (const std::string& id : instance_ids) {
    auto it = instances_.find(id);
    if (it == instances_.end()) {
      return WithReason(absl::NotFoundError(absl::StrCat("instance ", id, " is not found")),
                        "INSTANCE_NOT_FOUND");
    }
    if (stop_charging && !it->second.pay_as_you_go) {
      return WithReason(
          absl::FailedPreconditionError(absl::StrCat(
              "instance ", id, " is not pay-as-you-go: only those stop without charging")),
          "STOP_CHARGING_UNSUPPORTED");
    }
    const Instance::State state = StatusOfLocked(id).state;
    // Already where the action takes it (or on its way): nothing to do.
    if (start ? (state == Instance::RUNNING || state == Instance::PENDING)
              : state == Instance::STOPPED) {
      continue;
    }
    if (state != (start ? Instance::STOPPED : Instance::RUNNING)) {
      return StateRefused(id, state, start);
    }
    act.push_back(&it->second);
  }
  for (FakeInstance* instance : act) {
    instance->stopped = !start;
    if (start) {
      instance->started_at = now;
      if (instance->charge_off_since < now) instance->uncharged += now - instance->charge_off_since;
      instance->charge_off_since = absl::InfiniteFuture();
    } else if (stop_charging) {
      instance->charge_off_since = now;
    }
  }
  return absl::OkStatus();
}

}  // namespace cvm
