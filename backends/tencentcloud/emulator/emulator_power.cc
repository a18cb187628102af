// The emulator's StopInstances and StartInstances, the states they walk an
// instance through, and the seconds a STOP_CHARGING stop leaves unbilled
// (see cvm_emulator.h).
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "backends/tencentcloud/emulator/cvm_emulator.h"

namespace cvm::tencentcloud {
namespace {

// Tencent's refusal of an instance in `state`:
// UnsupportedOperation.InstanceStateStopped for "STOPPED".
Json StateRefused(const std::string& id, const std::string& state, const std::string& action) {
  std::string camel = absl::AsciiStrToLower(state);
  camel[0] = absl::ascii_toupper(camel[0]);
  return ApiError(absl::StrCat("UnsupportedOperation.InstanceState", camel),
                  absl::StrCat("Instance ", id, " is ", state, ": ", action, " is not supported."));
}

// The string parameter `name` (`fallback` when absent) if it is one of
// `allowed`; nullopt otherwise. Throws Json::exception for a non-string.
std::optional<std::string> OneOf(const Json& params, const char* name, const char* fallback,
                                 std::initializer_list<const char*> allowed) {
  const std::string value = params.contains(name) ? params.at(name).get<std::string>() : fallback;
  for (const char* ok : allowed) {
    if (value == ok) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string CvmEmulator::StateOf(const Instance& i, absl::Time now) const {
  if (Released(i, now)) return "TERMINATING";
  if (now >= i.shutdown) return "SHUTDOWN";
  if (now - i.created < pending_) return "PENDING";
  if (i.stopped_at > i.started_at) return now < i.stopped_at + stop_for_ ? "STOPPING" : "STOPPED";
  if (now < i.started_at + start_for_) return "STARTING";
  return "RUNNING";
}

int64_t CvmEmulator::UnchargedSeconds(const Instance& instance, absl::Time from, absl::Time to) {
  const absl::Time off = std::max(from, instance.charge_off);
  return to > off ? absl::ToUnixSeconds(to) - absl::ToUnixSeconds(off) : 0;
}

Json CvmEmulator::ChangePower(AccountBooks& books, const Json& params, bool start) {
  const std::string action = start ? "StartInstances" : "StopInstances";
  if (!params.contains("InstanceIds")) {
    return ApiError("MissingParameter", "The parameter `InstanceIds` is missing.");
  }
  const Json& ids = params.at("InstanceIds");
  if (!ids.is_array() || ids.empty() || ids.size() > 100) {
    return ApiError("InvalidParameterValue.LimitExceeded", "Give 1-100 InstanceIds.");
  }
  if (params.contains("ForceStop") && params.contains("StopType")) {
    return ApiError("InvalidParameterCombination",
                    "ForceStop (deprecated) and StopType cannot be used together.");
  }
  if (params.contains("ForceStop")) (void)params.at("ForceStop").get<bool>();
  const std::optional<std::string> stop_type =
      OneOf(params, "StopType", "SOFT", {"SOFT", "HARD", "SOFT_FIRST"});
  const std::optional<std::string> mode =
      OneOf(params, "StoppedMode", "KEEP_CHARGING", {"KEEP_CHARGING", "STOP_CHARGING"});
  if (!stop_type.has_value() || !mode.has_value()) {
    return ApiError("InvalidParameterValue",
                    "StopType must be SOFT, HARD or SOFT_FIRST; StoppedMode KEEP_CHARGING or "
                    "STOP_CHARGING.");
  }
  const absl::Time now = clock_->Now();
  // All or nothing: every instance is checked before any is touched.
  std::vector<Instance*> instances;
  for (const Json& id_json : ids) {
    const std::string id = id_json.get<std::string>();
    if (id.rfind("ins-", 0) != 0) {
      return ApiError("InvalidInstanceId.Malformed", absl::StrCat("Instance ", id,
                                                                  " is not ins-xxxxxxxx."));
    }
    auto it = books.instances.find(id);
    if (it == books.instances.end() || Gone(it->second)) {
      return ApiError("InvalidInstanceId.NotFound", absl::StrCat("Instance ", id, " is not found."));
    }
    Instance& instance = it->second;
    const std::string state = StateOf(instance, now);
    if (state != (start ? "STOPPED" : "RUNNING")) return StateRefused(id, state, action);
    if (!start && *mode == "STOP_CHARGING" && instance.charge_type != "POSTPAID_BY_HOUR") {
      return ApiError("UnsupportedOperation.StoppedModeStopCharging",
                      absl::StrCat("Instance ", id, " is ", instance.charge_type,
                                   ": only pay-as-you-go instances stop without charging."));
    }
    instances.push_back(&instance);
  }
  for (Instance* instance : instances) {
    instance->latest_operation = action;
    if (start) {
      // What the stop left unbilled is counted up to now; billed from here.
      Accrue(books, *instance, now);
      instance->charge_off = absl::InfiniteFuture();
      instance->started_at = now;
    } else {
      instance->stopped_at = now;
      instance->stopped_mode = *mode;
      if (*mode == "STOP_CHARGING") instance->charge_off = now + stop_for_;
    }
  }
  return Json::object();
}

}  // namespace cvm::tencentcloud
