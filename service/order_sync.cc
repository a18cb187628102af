#include "service/order_sync.h"

#include "service/order_changes.h"
#include "common/order_states.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"

namespace cvm {
namespace {

using provisioning::v1::FailureCause;
using provisioning::v1::Instance;
using provisioning::v1::Order;

bool WantsPublicIp(const Order& order) { return order.spec().internet().public_ip(); }

// `spot`: the order buys spot instances; `releasing`: the order is
// TERMINATING (this service asked for the release).
void Apply(const InstanceStatus& status, bool spot, bool releasing, Instance& instance) {
  const bool was_up = instance.state() == Instance::PENDING ||
                      instance.state() == Instance::RUNNING || instance.state() == Instance::STOPPED;
  const bool is_down = status.state == Instance::SHUTDOWN || status.state == Instance::TERMINATED;
  // Down without the order asking: the cloud's evidence says by whom.
  const bool down_unasked = !releasing && was_up && is_down;
  const bool outside = instance.restriction() == Instance::RELEASED_OUTSIDE ||
                       (down_unasked && status.release_requested);
  // A reclaim is seen as a shutdown nobody asked for; a spot instance gone
  // between two polls without that evidence is only TERMINATED.
  const bool reclaimed =
      instance.restriction() == Instance::SPOT_RECLAIMED ||
      (spot && down_unasked && !status.release_requested && status.state == Instance::SHUTDOWN);
  // A released instance the cloud no longer lists says nothing of its
  // isolation: it keeps the restriction and source it was released with.
  const bool released_isolated = status.state == Instance::TERMINATED &&
                                 (instance.restriction() == Instance::ISOLATED_ARREARS ||
                                  instance.restriction() == Instance::EXPIRED ||
                                  instance.isolated_source() == Instance::ISOLATED_MANUALLY);
  if (status.restriction != Instance::NORMAL) {
    instance.set_restriction(status.restriction);
    instance.set_isolated_source(status.isolated_source);
  } else if (reclaimed) {
    instance.set_restriction(Instance::SPOT_RECLAIMED);
    instance.set_isolated_source(status.isolated_source);
  } else if (outside) {
    instance.set_restriction(Instance::RELEASED_OUTSIDE);
    instance.set_isolated_source(status.isolated_source);
  } else if (!released_isolated) {
    instance.set_restriction(status.restriction);
    instance.set_isolated_source(status.isolated_source);
  }
  instance.set_state(status.state);
  if (status.state == Instance::RUNNING) instance.set_ran(true);
  instance.mutable_public_ips()->Assign(status.public_ips.begin(), status.public_ips.end());
  instance.mutable_private_ips()->Assign(status.private_ips.begin(), status.private_ips.end());
  if (!status.zone.empty()) instance.set_zone(status.zone);
  if (status.expire_time.has_value()) {
    *instance.mutable_expire_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
        absl::ToUnixNanos(*status.expire_time));
  }
  if (status.create_time != absl::Time()) {
    *instance.mutable_create_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
        absl::ToUnixNanos(status.create_time));
  }
}

}  // namespace

std::vector<std::string> LiveInstanceIds(const Order& order) {
  std::vector<std::string> ids;
  for (const Instance& instance : order.instances()) {
    if (IsLive(instance)) ids.push_back(instance.instance_id());
  }
  return ids;
}

std::vector<std::string> IdsToRelease(const Order& order) {
  std::vector<std::string> ids;
  for (const Instance& instance : order.instances()) {
    if (IsLive(instance) && !IsReturned(instance)) ids.push_back(instance.instance_id());
  }
  return ids;
}

void ApplyObserved(const std::map<std::string, InstanceStatus>& seen, Order& order) {
  const bool releasing = order.state() == Order::TERMINATING;
  for (Instance& instance : *order.mutable_instances()) {
    // A candidates order's instances each have their own billing.
    const bool spot =
        instance.has_billing() ? instance.billing().has_spot() : order.spec().has_spot();
    auto it = seen.find(instance.instance_id());
    if (it != seen.end()) {
      Apply(it->second, spot, releasing || instance.release_requested(), instance);
    }
  }
}

void Settle(Order& order) {
  int pending = 0, running_ready = 0, failed = 0, terminated = 0, total = 0;
  const bool releasing = order.state() == Order::TERMINATING;
  const bool wants_ip = WantsPublicIp(order);
  int taken = 0;
  for (const Instance& instance : order.instances()) {
    // Released on request, one by one: no longer the order's to settle.
    if (instance.release_requested() && !releasing) continue;
    // Taken away after launch (reclaimed, isolated, released by someone
    // else): not a launch failure; the order is settled without it.
    if (!releasing && (instance.restriction() == Instance::SPOT_RECLAIMED ||
                       instance.restriction() == Instance::RELEASED_OUTSIDE ||
                       IsIsolated(instance) ||
                       (instance.ran() && instance.state() != Instance::RUNNING &&
                        instance.state() != Instance::STOPPED &&
                        instance.state() != Instance::PENDING))) {
      ++taken;
      continue;
    }
    ++total;
    switch (instance.state()) {
      case Instance::PENDING:
        ++pending;
        break;
      case Instance::RUNNING:
        if (!wants_ip || instance.public_ips_size() > 0) ++running_ready;
        break;
      case Instance::LAUNCH_FAILED:
        ++failed;
        break;
      case Instance::TERMINATED:
        ++terminated;
        break;
      default:
        break;
    }
  }
  // LAUNCH_FAILED instances never ran: nothing of them is left to release.
  if (releasing && terminated + failed == total) {
    order.set_state(Order::TERMINATED);
  } else if (order.state() == Order::PROVISIONING && pending == 0) {
    if (total == 0 && taken > 0) {
      order.set_state(Order::FAILED);
      FailureCause* cause = order.mutable_failure();
      cause->set_reason("INSTANCES_TAKEN_AWAY");
      cause->set_message(absl::StrFormat(
          "all %d instances were reclaimed, isolated or released outside the service before "
          "the order was ACTIVE",
          taken));
      cause->set_grpc_code(static_cast<int>(absl::StatusCode::kAborted));
    } else if (failed + terminated > 0) {
      order.set_state(Order::FAILED);
      FailureCause* cause = order.mutable_failure();
      cause->set_reason("LAUNCH_FAILED");
      cause->set_message(
          absl::StrFormat("%d of %d instances failed to launch", failed + terminated, total));
      cause->set_grpc_code(static_cast<int>(absl::StatusCode::kAborted));
    } else if (running_ready == total) {
      order.set_state(Order::ACTIVE);
    }
  }
}

bool NeedsFastPolling(const Order& order) {
  if (order.state() == Order::TERMINATING) {
    // Slow once every live instance is in the cloud's recycle bin.
    return LiveInstanceIds(order).empty() || !IdsToRelease(order).empty();
  }
  if (order.state() != Order::PROVISIONING && order.state() != Order::ACTIVE) {
    return false;
  }
  if (order.state() == Order::PROVISIONING && order.instances_size() == 0) return true;
  const bool wants_ip = WantsPublicIp(order);
  for (const Instance& instance : order.instances()) {
    if (instance.state() == Instance::PENDING) return true;
    // Released on its own (TerminateInstance, a group's scale-in): until gone.
    if (instance.release_requested() && IsLive(instance) && !IsReturned(instance)) return true;
    if (instance.state() == Instance::RUNNING && wants_ip && instance.public_ips_size() == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace cvm
