#include "service/node_group_manager.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "service/request_validation.h"

namespace cvm {
namespace {

using provisioning::v1::DeleteNodeGroupInstancesRequest;
using provisioning::v1::DeleteNodeGroupRequest;
using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroupEvent;
using provisioning::v1::NodeGroupInstance;
using provisioning::v1::UpdateNodeGroupRequest;

constexpr int kMaxGroupSize = 1000;
constexpr int kMaxInstancesPerDelete = 100;

bool ValidGroupId(const std::string& id) {
  if (id.empty() || id.size() > 40 || !absl::ascii_islower(id[0])) return false;
  for (char c : id) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') return false;
  }
  return true;
}

// Kubernetes label syntax, loosely: [prefix/]name, name and value at most
// 63 characters of [A-Za-z0-9._-].
bool ValidLabelPart(const std::string& part, bool allow_empty) {
  if (part.empty()) return allow_empty;
  if (part.size() > 63) return false;
  for (char c : part) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

void CheckSizes(std::vector<FieldViolation>& bad, const std::string& prefix, int min, int target,
                int max) {
  if (max < 1 || max > kMaxGroupSize) {
    bad.push_back({prefix + "max_size", absl::StrCat("must be between 1 and ", kMaxGroupSize)});
  }
  if (min < 0 || min > max) {
    bad.push_back({prefix + "min_size", "must be between 0 and max_size"});
  }
  if (target < min || target > max) {
    bad.push_back({prefix + "target_size",
                   absl::StrCat("must be between min_size (", min, ") and max_size (", max, ")")});
  }
}

absl::Status GroupNotActive(const NodeGroup& group) {
  return absl::FailedPreconditionError(absl::StrCat(
      "node group ", group.group_id(), " is ", NodeGroup::State_Name(group.state())));
}

}  // namespace

absl::Status ValidateNodeGroup(const NodeGroup& group, const std::string& prefix) {
  std::vector<FieldViolation> bad;
  if (!ValidGroupId(group.group_id())) {
    bad.push_back({prefix + "group_id",
                   "1-40 characters of [a-z0-9-], starting with a letter"});
  }
  // The spec and candidates as a purchase of one instance would carry them.
  provisioning::v1::PurchaseRequest purchase;
  purchase.set_request_id("ng-check-1");
  purchase.set_instance_count(1);
  *purchase.mutable_spec() = group.spec();
  if (group.has_candidates()) *purchase.mutable_candidates() = group.candidates();
  if (!group.has_spec()) bad.push_back({prefix + "spec", "is required"});
  if (absl::Status purchase_ok = ValidatePurchaseRequest(purchase); !purchase_ok.ok()) {
    if (auto request = GetDetail<google::rpc::BadRequest>(purchase_ok)) {
      for (const auto& violation : request->field_violations()) {
        if (!group.has_spec() && absl::StartsWith(violation.field(), "spec")) continue;
        bad.push_back({prefix + violation.field(), violation.description()});
      }
    } else {
      return purchase_ok;
    }
  }
  CheckSizes(bad, prefix, group.min_size(), group.target_size(), group.max_size());
  if (!NodeGroup::ScaleIn_IsValid(group.scale_in())) {
    bad.push_back({prefix + "scale_in", "unknown preference"});
  }
  for (const auto& [key, value] : group.labels()) {
    const size_t slash = key.find('/');
    const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
    const bool prefix_ok = slash == std::string::npos || (slash > 0 && slash <= 253);
    if (!prefix_ok || !ValidLabelPart(name, false) || !ValidLabelPart(value, true)) {
      bad.push_back({absl::StrCat(prefix, "labels[", key, "]"),
                     "keys are [prefix/]name and values at most 63 characters of [A-Za-z0-9._-]"});
    }
  }
  return bad.empty() ? absl::OkStatus() : InvalidFields(bad);
}

void NodeGroupManager::Wake() {
  if (reconciler_ != nullptr) reconciler_->Wake();
}

absl::StatusOr<NodeGroup> NodeGroupManager::Create(const std::string& tenant, NodeGroup group) {
  RETURN_IF_ERROR(ValidateNodeGroup(group, "node_group."));
  NodeGroup stored;
  *stored.mutable_spec() = group.spec();
  if (group.has_candidates()) *stored.mutable_candidates() = group.candidates();
  stored.set_group_id(group.group_id());
  stored.set_min_size(group.min_size());
  stored.set_max_size(group.max_size());
  stored.set_target_size(group.target_size());
  stored.set_scale_in(group.scale_in());
  *stored.mutable_labels() = group.labels();
  stored.set_tenant(tenant);
  stored.set_state(NodeGroup::ACTIVE);
  ASSIGN_OR_RETURN(NodeGroup created, groups_->Create(std::move(stored)));
  Wake();
  return created;
}

absl::StatusOr<NodeGroup> NodeGroupManager::Update(const std::string& tenant,
                                                   const UpdateNodeGroupRequest& request) {
  if (request.has_target_size() && request.target_delta() != 0) {
    return InvalidFields({{"target_delta", "cannot be combined with target_size"}});
  }
  if (!NodeGroup::ScaleIn_IsValid(request.scale_in())) {
    return InvalidFields({{"scale_in", "unknown preference"}});
  }
  ASSIGN_OR_RETURN(NodeGroup updated, groups_->Update(tenant, request.group_id(),
                                                      [&](NodeGroup& g) -> absl::Status {
    if (g.state() != NodeGroup::ACTIVE) return GroupNotActive(g);
    if (request.revision() != 0 && request.revision() != g.revision()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "node group ", g.group_id(), " is at revision ", g.revision(), ", not ",
          request.revision()));
    }
    if (request.has_min_size()) g.set_min_size(request.min_size());
    if (request.has_max_size()) g.set_max_size(request.max_size());
    if (request.has_target_size()) g.set_target_size(request.target_size());
    g.set_target_size(g.target_size() + request.target_delta());
    if (request.scale_in() != NodeGroup::SCALE_IN_UNSPECIFIED) g.set_scale_in(request.scale_in());
    if (request.replace_labels()) *g.mutable_labels() = request.labels();
    std::vector<FieldViolation> bad;
    CheckSizes(bad, "", g.min_size(), g.target_size(), g.max_size());
    if (!bad.empty()) return InvalidFields(bad);
    return absl::OkStatus();
  }));
  Wake();
  return updated;
}

absl::StatusOr<NodeGroup> NodeGroupManager::Delete(const std::string& tenant,
                                                   const DeleteNodeGroupRequest& request) {
  ASSIGN_OR_RETURN(NodeGroup deleted, groups_->Update(tenant, request.group_id(), [&](NodeGroup& g) {
    if (g.state() != NodeGroup::ACTIVE) return absl::OkStatus();  // idempotent
    // Kept instances stay in their orders; released ones go with the group.
    g.set_state(request.release_instances() ? NodeGroup::DELETING : NodeGroup::DELETED);
    g.set_release_on_delete(request.release_instances());
    return absl::OkStatus();
  }));
  Wake();
  return deleted;
}

absl::StatusOr<NodeGroup> NodeGroupManager::Get(const std::string& tenant,
                                                const std::string& group_id) {
  return groups_->Get(tenant, group_id);
}

absl::StatusOr<std::vector<NodeGroup>> NodeGroupManager::List(const std::string& tenant) {
  ASSIGN_OR_RETURN(std::vector<NodeGroup> mine, groups_->ListOfTenant(tenant));
  mine.erase(std::remove_if(mine.begin(), mine.end(),
                            [](const NodeGroup& g) { return g.state() == NodeGroup::DELETED; }),
             mine.end());
  return mine;
}

absl::StatusOr<NodeGroup> NodeGroupManager::GroupOfInstance(const std::string& tenant,
                                                            const std::string& instance_id) {
  const absl::Status in_none =
      absl::NotFoundError(absl::StrCat("instance ", instance_id, " is in no node group"));
  // Two keyed reads (Cluster Autoscaler asks once per node): the instance's
  // order, then the group its request_id names, which must still hold it.
  absl::StatusOr<provisioning::v1::Order> order = orders_->GetOrderByInstanceId(instance_id);
  if (absl::IsNotFound(order.status())) return in_none;
  if (!order.ok()) return order.status();
  const std::optional<std::string> group_id = GroupIdOfRequestId(order->request_id());
  if (order->tenant() != tenant || !group_id.has_value()) return in_none;
  absl::StatusOr<NodeGroup> group = groups_->Get(tenant, *group_id);
  if (absl::IsNotFound(group.status())) return in_none;
  if (!group.ok()) return group.status();
  if (group->state() == NodeGroup::DELETED) return in_none;
  for (const NodeGroupInstance& instance : group->status().instances()) {
    if (instance.instance_id() == instance_id) return group;
  }
  return in_none;
}

absl::StatusOr<NodeGroup> NodeGroupManager::DeleteInstances(
    const std::string& tenant, const DeleteNodeGroupInstancesRequest& request) {
  if (request.instance_ids().empty() || request.instance_ids_size() > kMaxInstancesPerDelete) {
    return InvalidFields(
        {{"instance_ids", absl::StrCat("name 1 to ", kMaxInstancesPerDelete, " instances")}});
  }
  ASSIGN_OR_RETURN(NodeGroup group, groups_->Get(tenant, request.group_id()));
  if (group.state() != NodeGroup::ACTIVE) return GroupNotActive(group);
  std::map<std::string, const NodeGroupInstance*> held;
  for (const NodeGroupInstance& instance : group.status().instances()) {
    if (instance.phase() != NodeGroupInstance::DELETING) held[instance.instance_id()] = &instance;
  }
  std::map<std::string, std::vector<std::string>> by_order;
  const std::set<std::string> named(request.instance_ids().begin(), request.instance_ids().end());
  for (int i = 0; i < request.instance_ids_size(); ++i) {
    const std::string& id = request.instance_ids(i);
    auto it = held.find(id);
    if (it == held.end()) {
      return WithReason(absl::NotFoundError(absl::StrCat("instance ", id, " is not in node group ",
                                                         group.group_id())),
                        "INSTANCE_NOT_IN_GROUP", {{"field", absl::StrCat("instance_ids[", i, "]")}});
    }
    ASSIGN_OR_RETURN(provisioning::v1::Order order, orders_->GetOrder(it->second->order_id()));
    if (order.spec().has_prepaid() && !request.release_prepaid()) {
      return PreconditionFailed("PREPAID_INSTANCE", id,
                                "a prepaid instance is released only with release_prepaid");
    }
    by_order[order.order_id()].push_back(id);
  }
  const int count = static_cast<int>(named.size());
  ASSIGN_OR_RETURN(group, groups_->Update(tenant, request.group_id(), [&](NodeGroup& g) -> absl::Status {
    if (g.state() != NodeGroup::ACTIVE) return GroupNotActive(g);
    if (!request.keep_target()) {
      if (g.target_size() - count < g.min_size()) {
        return PreconditionFailed("MIN_SIZE", "min_size",
                                  absl::StrCat("deleting ", count, " would take the target ",
                                               g.target_size(), " below min_size ",
                                               g.min_size()));
      }
      g.set_target_size(g.target_size() - count);
    }
    for (const std::string& id : named) g.mutable_status()->add_releasing(id);
    AddGroupEvent(g, NodeGroupEvent::SCALING_DOWN, count,
                  absl::StrCat("releasing ", count, " named instance(s)",
                               request.keep_target() ? " (replaced)" : ""),
                  clock_->Now());
    return absl::OkStatus();
  }));
  // Recorded first: what fails here the reconciler asks again.
  for (const auto& [order_id, ids] : by_order) {
    RETURN_IF_ERROR(workflow_->ReleaseInstances(order_id, ids).status());
  }
  Wake();
  return group;
}

}  // namespace cvm
