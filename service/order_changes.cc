#include "service/order_changes.h"

#include <map>
#include <string>
#include <tuple>

#include "common/order_states.h"
#include "google/protobuf/util/message_differencer.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;
using provisioning::v1::OrderChange;

OrderChange InstanceChange(OrderChange::Kind kind, const Instance& before, const Instance& after) {
  OrderChange change;
  change.set_kind(kind);
  change.set_instance_id(after.instance_id());
  change.set_from_state(before.state());
  change.set_to_state(after.state());
  return change;
}

// The isolated source, or the one the restriction implies when the backend
// did not say.
Instance::IsolatedSource SourceOf(const Instance& instance) {
  switch (instance.isolated_source()) {
    case Instance::ISOLATED_BY_ARREARS:
    case Instance::ISOLATED_BY_EXPIRY:
    case Instance::ISOLATED_MANUALLY:
      return instance.isolated_source();
    default:
      break;
  }
  if (instance.restriction() == Instance::ISOLATED_ARREARS) {
    return Instance::ISOLATED_BY_ARREARS;
  }
  if (instance.restriction() == Instance::EXPIRED) return Instance::ISOLATED_BY_EXPIRY;
  return instance.isolated_source();
}

bool SameIps(const Instance& a, const Instance& b) {
  if (a.public_ips_size() != b.public_ips_size()) return false;
  for (int i = 0; i < a.public_ips_size(); ++i) {
    if (a.public_ips(i) != b.public_ips(i)) return false;
  }
  return true;
}

void AppendInstanceChanges(const Instance& before, const Instance& after,
                           std::vector<OrderChange>& changes) {
  if (before.state() != after.state()) {
    changes.push_back(InstanceChange(OrderChange::STATE_CHANGED, before, after));
    if (after.state() == Instance::LAUNCH_FAILED) {
      changes.push_back(InstanceChange(OrderChange::LAUNCH_FAILED, before, after));
    }
    if (after.state() == Instance::TERMINATED) {
      changes.push_back(InstanceChange(OrderChange::RELEASED, before, after));
    }
  }
  if (!SameIps(before, after) && after.public_ips_size() > 0) {
    OrderChange change = InstanceChange(OrderChange::PUBLIC_IP_ASSIGNED, before, after);
    *change.mutable_public_ips() = after.public_ips();
    changes.push_back(std::move(change));
  }
  // Marks that say who took the instance away, each once.
  for (auto [restriction, kind] :
       {std::pair{Instance::SPOT_RECLAIMED, OrderChange::SPOT_RECLAIMED},
        std::pair{Instance::RELEASED_OUTSIDE, OrderChange::RELEASED_OUTSIDE}}) {
    if (after.restriction() == restriction && before.restriction() != restriction) {
      OrderChange change = InstanceChange(kind, before, after);
      change.set_restriction(after.restriction());
      changes.push_back(std::move(change));
    }
  }
  if (IsIsolated(after) && (!IsIsolated(before) || before.restriction() != after.restriction() ||
                            SourceOf(before) != SourceOf(after))) {
    OrderChange change = InstanceChange(OrderChange::ISOLATED, before, after);
    change.set_restriction(after.restriction());
    change.set_isolated_source(SourceOf(after));
    changes.push_back(std::move(change));
  }
}

// The cell's place in the candidates as the client listed them: billing,
// then zone, then type (a list left empty counts as one entry).
std::tuple<int, int, int> ListedAt(const provisioning::v1::Candidates& c,
                                   const provisioning::v1::QuoteCell& cell) {
  auto index = [](const auto& list, auto&& same) {
    for (int i = 0; i < list.size(); ++i) {
      if (same(list.Get(i))) return i;
    }
    return 0;
  };
  return {index(c.billing(),
                [&cell](const provisioning::v1::Billing& b) {
                  return google::protobuf::util::MessageDifferencer::Equals(b, cell.billing());
                }),
          index(c.zones(), [&cell](const std::string& z) { return z == cell.zone(); }),
          index(c.instance_types(),
                [&cell](const std::string& t) { return t == cell.instance_type(); })};
}

// Whether the order passed over a cell the client listed before `cell`.
bool PassedOverEarlier(const Order& order, const provisioning::v1::QuoteCell& cell) {
  const auto at = ListedAt(order.candidates(), cell);
  for (const provisioning::v1::QuoteCell& skipped : order.skipped()) {
    if (ListedAt(order.candidates(), skipped) < at) return true;
  }
  return false;
}

}  // namespace

bool IsIsolated(const Instance& instance) {
  switch (instance.restriction()) {
    case Instance::EXPIRED:
    case Instance::ISOLATED_ARREARS:
      return true;
    default:
      break;
  }
  switch (instance.isolated_source()) {
    case Instance::ISOLATED_BY_ARREARS:
    case Instance::ISOLATED_BY_EXPIRY:
    case Instance::ISOLATED_MANUALLY:
      return true;
    default:
      return false;
  }
}

std::vector<OrderChange> ChangesBetween(const Order& before, const Order& after) {
  std::map<std::string, const Instance*> previous;
  for (const Instance& instance : before.instances()) {
    previous[instance.instance_id()] = &instance;
  }
  std::vector<OrderChange> changes;
  const Instance absent;  // a new instance changes from nothing
  for (const Instance& instance : after.instances()) {
    auto it = previous.find(instance.instance_id());
    AppendInstanceChanges(it == previous.end() ? absent : *it->second, instance, changes);
  }
  // A new attempt of a candidates order in a cell other than its first
  // choice: after an earlier attempt, or after cells ranked before it.
  for (int i = before.attempts_size(); i < after.attempts_size(); ++i) {
    const provisioning::v1::CandidateAttempt& attempt = after.attempts(i);
    if (attempt.outcome() != provisioning::v1::CandidateAttempt::IN_FLIGHT) continue;
    if (i == 0 && !PassedOverEarlier(after, attempt.cell())) continue;
    OrderChange change;
    change.set_kind(OrderChange::FELL_BACK);
    *change.mutable_attempt() = attempt;
    changes.push_back(std::move(change));
  }
  if (IsFinal(after.state()) && after.state() != before.state()) {
    OrderChange change;
    change.set_kind(OrderChange::ORDER_FINAL);
    change.set_from_order_state(before.state());
    change.set_to_order_state(after.state());
    changes.push_back(std::move(change));
  }
  return changes;
}

}  // namespace cvm
