#include "common/order_states.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;

}  // namespace

bool IsFinal(OrderState state) {
  return state == Order::FAILED || state == Order::CANCELLED || state == Order::TERMINATED;
}

bool IsBeforeCloud(OrderState state) {
  return state == Order::ACCEPTED || state == Order::CHECKING || state == Order::SUBMITTED;
}

bool IsSettled(OrderState state) { return state == Order::ACTIVE || IsFinal(state); }

bool IsLegalTransition(OrderState from, OrderState to) {
  if (from == to) return true;
  switch (from) {
    case Order::ACCEPTED:
      return to == Order::CHECKING || to == Order::CANCELLED || to == Order::FAILED;
    case Order::CHECKING:
      return to == Order::SUBMITTED || to == Order::CANCELLED || to == Order::FAILED;
    case Order::SUBMITTED:
      // TERMINATING: a candidates order stopped between two attempts.
      return to == Order::PROVISIONING || to == Order::FAILED || to == Order::TERMINATING;
    case Order::PROVISIONING:
      return to == Order::ACTIVE || to == Order::FAILED || to == Order::TERMINATING;
    case Order::ACTIVE:
    case Order::FAILED:
      return to == Order::TERMINATING;
    case Order::TERMINATING:
      return to == Order::TERMINATED;
    default:  // CANCELLED, TERMINATED, unknown: nothing follows
      return false;
  }
}

const std::vector<OrderState>& PolledStates() {
  static const auto* const states =
      new std::vector<OrderState>{Order::PROVISIONING, Order::ACTIVE, Order::TERMINATING};
  return *states;
}

const std::vector<OrderState>& HoldingStates() {
  static const auto* const states = new std::vector<OrderState>{
      Order::ACCEPTED, Order::CHECKING, Order::SUBMITTED,  Order::PROVISIONING,
      Order::ACTIVE,   Order::FAILED,   Order::TERMINATING};
  return *states;
}

const std::vector<OrderState>& BeforeCloudStates() {
  static const auto* const states =
      new std::vector<OrderState>{Order::ACCEPTED, Order::CHECKING, Order::SUBMITTED};
  return *states;
}

const std::vector<OrderState>& AllStates() {
  static const auto* const states = [] {
    auto* all = new std::vector<OrderState>;
    const auto* descriptor = Order::State_descriptor();
    for (int i = 0; i < descriptor->value_count(); ++i) {
      const int number = descriptor->value(i)->number();
      if (number != 0) all->push_back(static_cast<OrderState>(number));
    }
    return all;
  }();
  return *states;
}

bool IsLive(const Instance& instance) {
  return instance.state() != Instance::TERMINATED && instance.state() != Instance::LAUNCH_FAILED;
}

}  // namespace cvm
