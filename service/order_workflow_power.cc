// OrderWorkflow::StopInstance and StartInstance (service/order_workflow.h):
// one instance of a bought order stopped or started through its backend
// (backends/backend.h rule 9), its new state recorded for the poller to
// follow.
#include "absl/strings/str_cat.h"
#include "common/candidate_cells.h"
#include "common/order_states.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "service/order_changes.h"
#include "service/order_workflow.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;

absl::Status StateRefused(const std::string& what) {
  return WithReason(absl::FailedPreconditionError(what), "INSTANCE_STATE");
}

// Why the instance cannot be stopped or started now whatever its power
// state, or OK.
absl::Status CheckHeld(const Order& order, const Instance& instance) {
  if (order.state() != Order::PROVISIONING && order.state() != Order::ACTIVE) {
    return StateRefused(absl::StrCat("order ", order.order_id(), " is ",
                                     Order::State_Name(order.state()),
                                     ": only instances of a PROVISIONING or ACTIVE order are "
                                     "stopped or started"));
  }
  const bool taken = instance.restriction() == Instance::SPOT_RECLAIMED ||
                     instance.restriction() == Instance::RELEASED_OUTSIDE ||
                     IsIsolated(instance);
  if (instance.release_requested() || taken || !IsLive(instance) || IsReturned(instance)) {
    return StateRefused(absl::StrCat(
        "instance ", instance.instance_id(), " is ", Instance::State_Name(instance.state()),
        instance.release_requested() ? ", being released" : "",
        taken ? ", taken away (" + Instance::Restriction_Name(instance.restriction()) + ")" : ""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Order> OrderWorkflow::StopInstance(const std::string& order_id,
                                                  const std::string& instance_id,
                                                  bool stop_charging, absl::Time deadline) {
  return ChangePower(order_id, instance_id, /*start=*/false, stop_charging, deadline);
}

absl::StatusOr<Order> OrderWorkflow::StartInstance(const std::string& order_id,
                                                   const std::string& instance_id,
                                                   absl::Time deadline) {
  return ChangePower(order_id, instance_id, /*start=*/true, /*stop_charging=*/false, deadline);
}

absl::StatusOr<Order> OrderWorkflow::ChangePower(const std::string& order_id,
                                                 const std::string& instance_id, bool start,
                                                 bool stop_charging, absl::Time deadline) {
  ASSIGN_OR_RETURN(Order order, store_->GetOrder(order_id));
  const Instance* instance = nullptr;
  for (const Instance& candidate : order.instances()) {
    if (candidate.instance_id() == instance_id) instance = &candidate;
  }
  if (instance == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("instance ", instance_id, " is not in order ", order_id));
  }
  RETURN_IF_ERROR(CheckHeld(order, *instance));
  // Where the action takes it (STOPPING and STARTING read as STOPPED and
  // PENDING): already there, nothing to ask.
  const Instance::State from = start ? Instance::STOPPED : Instance::RUNNING;
  const Instance::State to = start ? Instance::PENDING : Instance::STOPPED;
  if (instance->state() == to || (start && instance->state() == Instance::RUNNING)) return order;
  if (instance->state() != from) {
    return StateRefused(absl::StrCat("instance ", instance_id, " is ",
                                     Instance::State_Name(instance->state()), ": only a ",
                                     Instance::State_Name(from), " instance is ",
                                     start ? "started" : "stopped"));
  }
  if (stop_charging && !LandedSpec(order, *instance).has_pay_as_you_go()) {
    return PreconditionFailed("STOP_CHARGING_UNSUPPORTED", "stop_charging",
                              absl::StrCat("instance ", instance_id,
                                           " is not pay-as-you-go: only pay-as-you-go instances "
                                           "stop without charging"));
  }
  ASSIGN_OR_RETURN(Backend * backend, backends_->Get(order.backend()));
  const std::vector<std::string> ids = {instance_id};
  RETURN_IF_ERROR(start ? backend->Start(order.spec().region(), ids, deadline)
                        : backend->Stop(order.spec().region(), ids, stop_charging, deadline));
  // What the cloud reports from now on; a poll that read the instance
  // before the call has the last word only until the next one.
  return store_->UpdateOrder(order_id, [&](Order& o) {
    for (Instance& stored : *o.mutable_instances()) {
      if (stored.instance_id() == instance_id && stored.state() == from) stored.set_state(to);
    }
    return absl::OkStatus();
  });
}

}  // namespace cvm
