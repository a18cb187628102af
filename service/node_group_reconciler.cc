#include "service/node_group_reconciler.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/candidate_cells.h"
#include "common/order_states.h"
#include "common/proto_time.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "service/order_changes.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroupEvent;
using provisioning::v1::NodeGroupInstance;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;

constexpr int kMaxEvents = 20;
constexpr int kMaxInstancesPerOrder = 100;

// n of a group order's request_id "ng-<group>-<n>"; 0 when it is not one.
int64_t PlacedNumber(const Order& order) {
  const std::string& id = order.request_id();
  int64_t n = 0;
  const size_t dash = id.rfind('-');
  if (dash == std::string::npos || !absl::SimpleAtoi(id.substr(dash + 1), &n)) return 0;
  return n;
}

// Reasons of a failed order that mean no capacity or quota anywhere the
// group may land (Cluster Autoscaler's out-of-resources).
bool OutOfResources(const std::string& reason) {
  static const std::set<std::string>* const reasons = new std::set<std::string>{
      "NO_CANDIDATE_CELL", "ZONE_SOLD_OUT", "INSUFFICIENT_STOCK", "SPOT_PRICE_TOO_LOW",
      "QUOTA_EXCEEDED"};
  return reasons->count(reason) > 0;
}

// An instance the group no longer counts: gone, or taken away.
bool Lost(const Order& order, const Instance& instance) {
  return instance.state() == Instance::SHUTDOWN || instance.state() == Instance::TERMINATED ||
         instance.state() == Instance::LAUNCH_FAILED ||
         instance.restriction() == Instance::SPOT_RECLAIMED ||
         instance.restriction() == Instance::RELEASED_OUTSIDE || IsIsolated(instance) ||
         order.state() == Order::TERMINATING || order.state() == Order::TERMINATED;
}

NodeGroupInstance Described(const Order& order, const Instance& instance,
                            NodeGroupInstance::Phase phase) {
  const provisioning::v1::InstanceSpec landed = LandedSpec(order, instance);
  NodeGroupInstance out;
  out.set_instance_id(instance.instance_id());
  out.set_order_id(order.order_id());
  out.set_phase(phase);
  out.set_zone(landed.zone());
  out.set_instance_type(landed.instance_type());
  if (landed.has_spot()) {
    *out.mutable_billing()->mutable_spot() = landed.spot();
  } else {
    out.mutable_billing()->mutable_pay_as_you_go();
  }
  out.set_unit_price_per_hour(instance.unit_price_per_hour());
  *out.mutable_create_time() =
      instance.has_create_time() ? instance.create_time() : order.create_time();
  return out;
}

// The order in which a scale-in takes instances: not running yet first, then
// by the group's preference, newest first among equals.
bool ReleasedBefore(NodeGroup::ScaleIn preference, const NodeGroupInstance& a,
                    const NodeGroupInstance& b) {
  if ((a.phase() == NodeGroupInstance::CREATING) != (b.phase() == NodeGroupInstance::CREATING)) {
    return a.phase() == NodeGroupInstance::CREATING;
  }
  const absl::Time at = TimeOf(a.create_time()), bt = TimeOf(b.create_time());
  switch (preference) {
    case NodeGroup::OLDEST_FIRST:
      if (at != bt) return at < bt;
      break;
    case NodeGroup::SPOT_FIRST:
      if (a.billing().has_spot() != b.billing().has_spot()) return a.billing().has_spot();
      break;
    case NodeGroup::MOST_EXPENSIVE_FIRST: {
      const double ap = std::atof(a.unit_price_per_hour().c_str());
      const double bp = std::atof(b.unit_price_per_hour().c_str());
      if (ap != bp) return ap > bp;
      break;
    }
    default:
      break;
  }
  if (at != bt) return at > bt;
  return a.instance_id() > b.instance_id();
}

}  // namespace

std::string GroupOrderRequestId(const std::string& group_id, int64_t n) {
  return absl::StrCat("ng-", group_id, "-", n);
}

std::optional<std::string> GroupIdOfRequestId(const std::string& request_id) {
  absl::string_view id = request_id;
  const size_t dash = id.rfind('-');
  int64_t n = 0;
  if (!absl::ConsumePrefix(&id, "ng-") || dash == absl::string_view::npos || dash < 4 ||
      !absl::SimpleAtoi(request_id.substr(dash + 1), &n) || n <= 0) {
    return std::nullopt;
  }
  return request_id.substr(3, dash - 3);
}

void AddGroupEvent(NodeGroup& group, NodeGroupEvent::Kind kind, int count,
                   const std::string& message, absl::Time now) {
  auto* events = group.mutable_status()->mutable_events();
  NodeGroupEvent* event = events->Add();
  event->set_kind(kind);
  event->set_count(count);
  event->set_message(message);
  *event->mutable_time() = ProtoOf(now);
  if (events->size() > kMaxEvents) events->DeleteSubrange(0, events->size() - kMaxEvents);
}

struct NodeGroupReconciler::Observed {
  std::map<std::string, Order> orders;  // the group's, by id
  std::vector<std::string> kept_order_ids;
  std::vector<NodeGroupInstance> creating, running, deleting;
  int placeholders = 0;  // ordered, not bought yet
  bool in_flight = false;
  std::vector<std::string> lost_up;     // lost, still up: to release
  std::set<std::string> lost;           // every lost instance
  std::vector<std::string> failed_up;   // failed orders still holding instances
  std::vector<std::string> unasked;     // releasing, not yet asked of the order
  std::string newest;                   // the last order placed
  std::map<std::string, std::string> order_of;  // instance -> order
  int held() const { return static_cast<int>(creating.size() + running.size()) + placeholders; }
};

NodeGroupReconciler::NodeGroupReconciler(NodeGroupStore* groups, OrderStore* orders,
                                         OrderWorkflow* workflow, Submit submit, Options options)
    : groups_(groups),
      orders_(orders),
      workflow_(workflow),
      submit_(std::move(submit)),
      options_(options) {}

NodeGroupReconciler::~NodeGroupReconciler() { Stop(); }

void NodeGroupReconciler::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void NodeGroupReconciler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void NodeGroupReconciler::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void NodeGroupReconciler::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || woken_; };
      mu_.AwaitWithTimeout(absl::Condition(&ready), options_.interval);
      if (stopping_) return;
      woken_ = false;
    }
    // Errors are retried next pass; each is logged where it is known.
    if (absl::Status s = ReconcileAll(); !s.ok()) {
      std::fprintf(stderr, "provisioner: node groups: %s\n", s.ToString().c_str());
    }
  }
}

absl::Status NodeGroupReconciler::ReconcileAll() {
  ASSIGN_OR_RETURN(std::vector<NodeGroup> all, groups_->List());
  absl::Status first;
  for (const NodeGroup& group : all) {
    if (group.state() == NodeGroup::DELETED) continue;
    const std::string claim = absl::StrCat("node-group/", group.tenant(), "/", group.group_id());
    if (options_.leases != nullptr) {
      absl::StatusOr<bool> held = options_.leases->TryAcquire(claim);
      if (!held.ok()) {
        if (first.ok()) first = held.status();
        continue;
      }
      if (!*held) continue;  // another replica's
    }
    absl::Status status = Reconcile(group.tenant(), group.group_id());
    if (!status.ok() && first.ok()) {
      first = absl::Status(status.code(),
                           absl::StrCat("node group ", group.group_id(), ": ", status.message()));
    }
  }
  return first;
}

absl::StatusOr<NodeGroupReconciler::Observed> NodeGroupReconciler::Observe(const NodeGroup& group) {
  Observed seen;
  const std::set<std::string> releasing(group.status().releasing().begin(),
                                        group.status().releasing().end());
  if (!group.status().order_ids().empty()) seen.newest = *group.status().order_ids().rbegin();
  for (const std::string& order_id : group.status().order_ids()) {
    ASSIGN_OR_RETURN(Order order, orders_->GetOrder(order_id));
    bool up = false;
    if (IsBeforeCloud(order.state())) {
      seen.in_flight = true;
      seen.placeholders += std::max(0, order.instance_count() - order.instances_size());
    }
    for (const Instance& instance : order.instances()) {
      seen.order_of[instance.instance_id()] = order_id;
      const bool live = IsLive(instance) && !IsReturned(instance);
      up |= live;
      if (releasing.count(instance.instance_id()) > 0 || instance.release_requested()) {
        if (!live) continue;
        seen.deleting.push_back(Described(order, instance, NodeGroupInstance::DELETING));
        if (!instance.release_requested()) seen.unasked.push_back(instance.instance_id());
      } else if (Lost(order, instance)) {
        seen.lost.insert(instance.instance_id());
        if (live && order.state() != Order::TERMINATING && !order.spec().has_prepaid()) {
          seen.lost_up.push_back(instance.instance_id());
        }
      } else if (order.state() == Order::FAILED) {
        seen.lost.insert(instance.instance_id());  // a partial fill: released with its order
      } else if (instance.state() == Instance::PENDING || IsBeforeCloud(order.state())) {
        seen.creating.push_back(Described(order, instance, NodeGroupInstance::CREATING));
      } else {
        seen.running.push_back(Described(order, instance, NodeGroupInstance::RUNNING));
      }
    }
    if (order.state() == Order::FAILED && up) seen.failed_up.push_back(order_id);
    // Orders with nothing left to watch drop out of the group's list.
    if (!IsFinal(order.state()) || up || order_id == seen.newest) {
      seen.kept_order_ids.push_back(order_id);
    }
    seen.orders[order_id] = std::move(order);
  }
  return seen;
}

absl::Status NodeGroupReconciler::Reconcile(const std::string& tenant,
                                            const std::string& group_id) {
  ASSIGN_OR_RETURN(NodeGroup group, groups_->Get(tenant, group_id));
  if (group.state() == NodeGroup::DELETED) return absl::OkStatus();
  if (!group.status().pending_request_id().empty()) {
    ASSIGN_OR_RETURN(group, PlacePending(std::move(group)));
  }
  ASSIGN_OR_RETURN(Observed seen, Observe(group));
  RETURN_IF_ERROR(WriteStatus(group, seen));
  ASSIGN_OR_RETURN(group, groups_->Get(tenant, group_id));

  // Finish what was left: releases recorded but not asked, lost instances
  // still up, failed orders' partial fills. A failure here is retried next
  // pass and does not hold up the rest.
  absl::Status cleanup;
  auto note = [&cleanup](const absl::Status& status) {
    if (cleanup.ok()) cleanup = status;
  };
  if (!seen.unasked.empty()) note(AskRelease(seen, seen.unasked));
  if (!seen.lost_up.empty()) note(AskRelease(seen, seen.lost_up));
  for (const std::string& order_id : seen.failed_up) {
    absl::StatusOr<Order> order = orders_->GetOrder(order_id);
    note(order.ok() ? workflow_->Terminate(*std::move(order)).status() : order.status());
  }
  const absl::Status acted = Act(group, seen);
  return acted.ok() ? cleanup : acted;
}

absl::Status NodeGroupReconciler::Act(const NodeGroup& group, const Observed& seen) {
  const std::string& tenant = group.tenant();
  const std::string& group_id = group.group_id();
  const int held = seen.held();
  if (group.state() == NodeGroup::DELETING) {
    if (held > 0 && group.release_on_delete()) {
      std::vector<std::string> all;
      for (const auto* list : {&seen.creating, &seen.running}) {
        for (const NodeGroupInstance& instance : *list) all.push_back(instance.instance_id());
      }
      if (!all.empty()) return Release(group, seen, all, "the group is being deleted");
    }
    if (held == 0 || !group.release_on_delete()) {
      if (seen.in_flight || (!seen.deleting.empty() && group.release_on_delete())) {
        return absl::OkStatus();  // wait for them
      }
      return groups_->Update(tenant, group_id, [](NodeGroup& g) {
                       g.set_state(NodeGroup::DELETED);
                       return absl::OkStatus();
                     })
          .status();
    }
    return absl::OkStatus();
  }
  const int target = std::min(group.target_size(), group.max_size());
  if (held < target) {
    if (seen.in_flight) return absl::OkStatus();  // one order at a time
    const auto& unsatisfiable = group.status().unsatisfiable();
    if (group.status().has_unsatisfiable() &&
        options_.clock->Now() < TimeOf(unsatisfiable.retry_time())) {
      return absl::OkStatus();  // backing off
    }
    // An order holds at most 100 instances (PurchaseRequest.instance_count);
    // a larger gap is ordered in several, one after the other.
    return PlaceOrder(group, std::min(target - held, kMaxInstancesPerOrder));
  }
  if (held > target) {
    std::vector<NodeGroupInstance> candidates;
    for (const auto* list : {&seen.creating, &seen.running}) {
      for (const NodeGroupInstance& instance : *list) {
        if (!seen.orders.at(instance.order_id()).spec().has_prepaid()) {
          candidates.push_back(instance);
        }
      }
    }
    std::sort(candidates.begin(), candidates.end(),
              [&](const NodeGroupInstance& a, const NodeGroupInstance& b) {
                return ReleasedBefore(group.scale_in(), a, b);
              });
    const size_t surplus = std::min<size_t>(held - target, candidates.size());
    std::vector<std::string> ids;
    for (size_t i = 0; i < surplus; ++i) ids.push_back(candidates[i].instance_id());
    if (!ids.empty()) return Release(group, seen, ids, "scale-in");
  }
  return absl::OkStatus();
}

absl::Status NodeGroupReconciler::PlaceOrder(const NodeGroup& group, int count) {
  const int64_t placed = group.status().orders_placed();
  const absl::Time now = options_.clock->Now();
  ASSIGN_OR_RETURN(NodeGroup recorded,
                   groups_->Update(group.tenant(), group.group_id(), [&](NodeGroup& g) -> absl::Status {
                     if (g.status().orders_placed() != placed ||
                         !g.status().pending_request_id().empty()) {
                       return WithReason(absl::AbortedError("another reconciler placed an order"),
                                         "NODE_GROUP_CHANGED");
                     }
                     auto* status = g.mutable_status();
                     status->set_orders_placed(placed + 1);
                     status->set_pending_request_id(GroupOrderRequestId(g.group_id(), placed + 1));
                     status->set_pending_count(count);
                     AddGroupEvent(g, NodeGroupEvent::SCALING_UP, count,
                                   absl::StrCat("ordering ", count, " instance(s)"), now);
                     return absl::OkStatus();
                   }));
  return PlacePending(std::move(recorded)).status();
}

absl::StatusOr<NodeGroup> NodeGroupReconciler::PlacePending(NodeGroup group) {
  PurchaseRequest request;
  request.set_request_id(group.status().pending_request_id());
  *request.mutable_spec() = group.spec();
  if (group.has_candidates()) *request.mutable_candidates() = group.candidates();
  request.set_instance_count(group.status().pending_count());
  std::string order_id;
  absl::Status refused;
  absl::StatusOr<provisioning::v1::Order> known =
      orders_->FindByRequestId(group.tenant(), request.request_id());
  if (!known.ok() && known.status().code() != absl::StatusCode::kNotFound) {
    return known.status();  // stays pending; placed again next pass
  }
  if (known.ok()) {
    order_id = known->order_id();  // placed before a crash (or a failed one)
  } else if (group.state() != NodeGroup::ACTIVE) {
    refused = absl::FailedPreconditionError("the group is being deleted");
  } else {
    absl::StatusOr<CreateOrderResult> accepted = workflow_->Accept(request, group.tenant());
    if (accepted.ok()) {
      order_id = accepted->order.order_id();
    } else {
      // Stored even so? (A failed order answers with its failure.)
      known = orders_->FindByRequestId(group.tenant(), request.request_id());
      if (known.ok()) {
        order_id = known->order_id();
      } else if (known.status().code() != absl::StatusCode::kNotFound ||
                 accepted.status().code() == absl::StatusCode::kUnavailable ||
                 accepted.status().code() == absl::StatusCode::kDeadlineExceeded) {
        return accepted.status();  // stays pending; placed again next pass
      } else {
        refused = accepted.status();  // refused before anything was stored
      }
    }
  }
  const absl::Time now = options_.clock->Now();
  ASSIGN_OR_RETURN(group, groups_->Update(group.tenant(), group.group_id(), [&](NodeGroup& g) {
    auto* status = g.mutable_status();
    if (status->pending_request_id() != request.request_id()) return absl::OkStatus();
    status->clear_pending_request_id();
    status->clear_pending_count();
    if (!order_id.empty()) {
      if (std::find(status->order_ids().begin(), status->order_ids().end(), order_id) ==
          status->order_ids().end()) {
        status->add_order_ids(order_id);
      }
      return absl::OkStatus();
    }
    if (g.state() != NodeGroup::ACTIVE) return absl::OkStatus();  // nothing to buy now
    const std::string reason = ErrorReason(refused);
    Unsatisfied(g, reason.empty() ? absl::StatusCodeToString(refused.code()) : reason,
                std::string(refused.message()), "", request.instance_count(), now);
    return absl::OkStatus();
  }));
  if (!order_id.empty()) submit_(order_id);
  return group;
}

void NodeGroupReconciler::Unsatisfied(NodeGroup& group, const std::string& reason,
                                      const std::string& message, const std::string& order_id,
                                      int count, absl::Time now) const {
  auto* unsatisfiable = group.mutable_status()->mutable_unsatisfiable();
  const int failures = unsatisfiable->failures() + 1;
  unsatisfiable->set_reason(reason);
  unsatisfiable->set_message(message);
  unsatisfiable->set_out_of_resources(OutOfResources(reason));
  unsatisfiable->set_failures(failures);
  unsatisfiable->set_order_id(order_id);
  unsatisfiable->set_orders_placed(group.status().orders_placed());
  absl::Duration wait = options_.first_backoff;
  for (int i = 1; i < failures && wait < options_.max_backoff; ++i) wait *= 2;
  *unsatisfiable->mutable_retry_time() = ProtoOf(now + std::min(wait, options_.max_backoff));
  AddGroupEvent(group, NodeGroupEvent::UNSATISFIABLE, count,
                absl::StrCat(reason, ": ", message), now);
}

absl::Status NodeGroupReconciler::Release(const NodeGroup& group, const Observed& seen,
                                          const std::vector<std::string>& instance_ids,
                                          const std::string& why) {
  const absl::Time now = options_.clock->Now();
  RETURN_IF_ERROR(groups_
                      ->Update(group.tenant(), group.group_id(),
                               [&](NodeGroup& g) {
                                 for (const std::string& id : instance_ids) {
                                   g.mutable_status()->add_releasing(id);
                                 }
                                 AddGroupEvent(g, NodeGroupEvent::SCALING_DOWN,
                                               static_cast<int>(instance_ids.size()),
                                               absl::StrCat("releasing ", instance_ids.size(),
                                                            " instance(s): ", why),
                                               now);
                                 return absl::OkStatus();
                               })
                      .status());
  return AskRelease(seen, instance_ids);
}

absl::Status NodeGroupReconciler::AskRelease(const Observed& seen,
                                             const std::vector<std::string>& instance_ids) {
  std::map<std::string, std::vector<std::string>> by_order;
  for (const std::string& id : instance_ids) {
    auto it = seen.order_of.find(id);
    if (it != seen.order_of.end()) by_order[it->second].push_back(id);
  }
  absl::Status first;
  for (const auto& [order_id, ids] : by_order) {
    absl::Status status = workflow_->ReleaseInstances(order_id, ids).status();
    if (!status.ok() && first.ok()) first = status;
  }
  return first;
}

absl::Status NodeGroupReconciler::WriteStatus(const NodeGroup& group, const Observed& seen) {
  const absl::Time now = options_.clock->Now();
  const Order* newest = nullptr;
  if (auto it = seen.orders.find(seen.newest); it != seen.orders.end()) newest = &it->second;
  return groups_
      ->Update(group.tenant(), group.group_id(),
               [&](NodeGroup& g) {
                 auto* status = g.mutable_status();
                 // Lost since the last pass: listed then, lost now.
                 int newly_lost = 0;
                 for (const NodeGroupInstance& was : status->instances()) {
                   if (was.phase() != NodeGroupInstance::DELETING &&
                       seen.lost.count(was.instance_id()) > 0) {
                     ++newly_lost;
                   }
                 }
                 if (newly_lost > 0) {
                   AddGroupEvent(g, NodeGroupEvent::INSTANCES_LOST, newly_lost,
                                 absl::StrCat(newly_lost,
                                              " instance(s) lost (reclaimed, isolated, failed or "
                                              "released outside the service); replacing"),
                                 now);
                 }
                 const bool was_at_target = status->running() == g.target_size() &&
                                            status->creating() == 0 && status->deleting() == 0;
                 status->set_running(static_cast<int>(seen.running.size()));
                 status->set_creating(static_cast<int>(seen.creating.size()) + seen.placeholders);
                 status->set_deleting(static_cast<int>(seen.deleting.size()));
                 status->clear_instances();
                 for (const auto* list : {&seen.creating, &seen.running, &seen.deleting}) {
                   for (const NodeGroupInstance& instance : *list) *status->add_instances() = instance;
                 }
                 // Drop only orders seen finished; keep any placed meanwhile.
                 const std::set<std::string> kept(seen.kept_order_ids.begin(),
                                                  seen.kept_order_ids.end());
                 std::vector<std::string> order_ids;
                 for (const std::string& id : status->order_ids()) {
                   if (seen.orders.count(id) == 0 || kept.count(id) > 0) order_ids.push_back(id);
                 }
                 status->mutable_order_ids()->Assign(order_ids.begin(), order_ids.end());
                 // Releasing: only what is still up.
                 std::vector<std::string> releasing;
                 for (const NodeGroupInstance& instance : seen.deleting) {
                   releasing.push_back(instance.instance_id());
                 }
                 status->mutable_releasing()->Assign(releasing.begin(), releasing.end());
                 if (newest != nullptr && newest->state() == Order::FAILED &&
                     newest->failure().reason() != "LAUNCH_FAILED" &&
                     (!status->has_unsatisfiable() ||
                      status->unsatisfiable().orders_placed() < PlacedNumber(*newest))) {
                   Unsatisfied(g, newest->failure().reason(), newest->failure().message(),
                               newest->order_id(), newest->instance_count(), now);
                 } else if (newest != nullptr &&
                            (newest->state() == Order::PROVISIONING ||
                             newest->state() == Order::ACTIVE) &&
                            status->orders_placed() > status->unsatisfiable().orders_placed()) {
                   status->clear_unsatisfiable();
                 }
                 const bool at_target = status->running() == g.target_size() &&
                                        status->creating() == 0 && status->deleting() == 0;
                 if (at_target && !was_at_target && g.state() == NodeGroup::ACTIVE) {
                   AddGroupEvent(g, NodeGroupEvent::AT_TARGET, status->running(),
                                 absl::StrCat(status->running(), " running, at target"), now);
                 }
                 return absl::OkStatus();
               })
      .status();
}

}  // namespace cvm
