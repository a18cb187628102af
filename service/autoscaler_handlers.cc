#include "service/autoscaler_handlers.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/money.h"
#include "common/proto_time.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "service/template_node.h"

namespace cvm {
namespace {

using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroupInstance;

constexpr absl::string_view kProviderPrefix = "qcloud:///";
constexpr absl::string_view kPlaceholderPrefix = "placeholder-";
constexpr int kOutOfResourcesClass = 1;
constexpr int kOtherErrorClass = 99;
// Attempts of a target change checked against the group's instances.
constexpr int kDecreaseAttempts = 5;

// Instances with an id that are creating or running: what a decrease keeps.
int Existing(const NodeGroup& group) {
  int existing = 0;
  for (const NodeGroupInstance& instance : group.status().instances()) {
    if (instance.phase() == NodeGroupInstance::CREATING ||
        instance.phase() == NodeGroupInstance::RUNNING) {
      ++existing;
    }
  }
  return existing;
}

// The placeholder number n of "placeholder-<group>-<n>" for `group`, or 0.
int PlaceholderNumber(const std::string& instance_id, const std::string& group_id) {
  const std::string prefix = absl::StrCat(kPlaceholderPrefix, group_id, "-");
  int n = 0;
  if (!absl::StartsWith(instance_id, prefix) ||
      !absl::SimpleAtoi(absl::string_view(instance_id).substr(prefix.size()), &n) || n <= 0) {
    return 0;
  }
  return n;
}

// The group's missing instances while it cannot reach its target.
int Missing(const NodeGroup& group) {
  if (!group.status().has_unsatisfiable()) return 0;
  return std::max(0, group.target_size() - Existing(group));
}

absl::Status NotActive(const NodeGroup& group) {
  return absl::NotFoundError(
      absl::StrCat("node group ", group.group_id(), " is ", NodeGroup::State_Name(group.state())));
}

}  // namespace

std::string ProviderIdOf(const std::map<std::string, std::string>& zone_ids,
                         const std::string& zone, const std::string& instance_id) {
  auto it = zone_ids.find(zone);
  return absl::StrCat(kProviderPrefix, it == zone_ids.end() ? zone : it->second, "/", instance_id);
}

std::string InstanceIdOf(absl::string_view provider_id) {
  if (absl::ConsumePrefix(&provider_id, kProviderPrefix)) {
    std::vector<absl::string_view> parts = absl::StrSplit(provider_id, '/');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) return "";
    return std::string(parts[1]);
  }
  if (absl::StartsWith(provider_id, "ins-") && !absl::StrContains(provider_id, '/')) {
    return std::string(provider_id);
  }
  return "";
}

absl::StatusOr<NodeGroup> AutoscalerHandlers::ActiveGroup(const std::string& tenant,
                                                          const std::string& id) {
  if (id.empty()) return InvalidFields({{"id", "is required"}});
  ASSIGN_OR_RETURN(NodeGroup group, deps_.manager->Get(tenant, id));
  if (group.state() != NodeGroup::ACTIVE) return NotActive(group);
  return group;
}

ca::NodeGroup AutoscalerHandlers::Describe(const NodeGroup& group) const {
  ca::NodeGroup out;
  out.set_id(group.group_id());
  out.set_minsize(group.min_size());
  out.set_maxsize(group.max_size());
  const auto& status = group.status();
  std::string debug =
      absl::StrCat(group.group_id(), ": ", group.spec().instance_type(), " in ",
                   group.spec().zone(), ", target ", group.target_size(), " (", status.running(),
                   " running, ", status.creating(), " creating, ", status.deleting(), " deleting)");
  if (status.has_unsatisfiable()) {
    absl::StrAppend(&debug, ", unsatisfiable: ", status.unsatisfiable().reason());
  }
  out.set_debug(std::move(debug));
  return out;
}

absl::Status AutoscalerHandlers::NodeGroups(const std::string& tenant, const ca::NodeGroupsRequest&,
                                            ca::NodeGroupsResponse* response) {
  ASSIGN_OR_RETURN(std::vector<NodeGroup> groups, deps_.manager->List(tenant));
  for (const NodeGroup& group : groups) {
    if (group.state() == NodeGroup::ACTIVE) *response->add_nodegroups() = Describe(group);
  }
  return absl::OkStatus();
}

absl::Status AutoscalerHandlers::NodeGroupForNode(const std::string& tenant,
                                                  const ca::NodeGroupForNodeRequest& request,
                                                  ca::NodeGroupForNodeResponse* response) {
  response->mutable_nodegroup();  // id "": no group
  const std::string instance_id = InstanceIdOf(request.node().providerid());
  if (instance_id.empty()) return absl::OkStatus();
  absl::StatusOr<NodeGroup> group = deps_.manager->GroupOfInstance(tenant, instance_id);
  if (absl::IsNotFound(group.status())) return absl::OkStatus();
  RETURN_IF_ERROR(group.status());
  if (group->state() == NodeGroup::ACTIVE) *response->mutable_nodegroup() = Describe(*group);
  return absl::OkStatus();
}

absl::Status AutoscalerHandlers::NodeGroupTargetSize(const std::string& tenant,
                                                     const ca::NodeGroupTargetSizeRequest& request,
                                                     ca::NodeGroupTargetSizeResponse* response) {
  ASSIGN_OR_RETURN(NodeGroup group, ActiveGroup(tenant, request.id()));
  response->set_targetsize(group.target_size());
  return absl::OkStatus();
}

absl::Status AutoscalerHandlers::NodeGroupIncreaseSize(
    const std::string& tenant, const ca::NodeGroupIncreaseSizeRequest& request,
    ca::NodeGroupIncreaseSizeResponse*) {
  if (request.delta() <= 0) return InvalidFields({{"delta", "must be positive"}});
  ASSIGN_OR_RETURN(NodeGroup group, ActiveGroup(tenant, request.id()));
  if (group.target_size() + request.delta() > group.max_size()) {
    return InvalidFields({{"delta", absl::StrCat("would take the target ", group.target_size(),
                                                 " above max_size ", group.max_size())}});
  }
  // The manager checks the sizes again in the same write.
  provisioning::v1::UpdateNodeGroupRequest update;
  update.set_group_id(request.id());
  update.set_target_delta(request.delta());
  return deps_.manager->Update(tenant, update).status();
}

absl::Status AutoscalerHandlers::NodeGroupDeleteNodes(
    const std::string& tenant, const ca::NodeGroupDeleteNodesRequest& request,
    ca::NodeGroupDeleteNodesResponse*) {
  if (request.nodes().empty()) return InvalidFields({{"nodes", "name at least one node"}});
  ASSIGN_OR_RETURN(NodeGroup group, ActiveGroup(tenant, request.id()));
  std::set<std::string> deleting(group.status().releasing().begin(),
                                 group.status().releasing().end());
  std::set<std::string> held;
  for (const NodeGroupInstance& instance : group.status().instances()) {
    (instance.phase() == NodeGroupInstance::DELETING ? deleting : held)
        .insert(instance.instance_id());
  }
  provisioning::v1::DeleteNodeGroupInstancesRequest release;
  release.set_group_id(request.id());
  std::set<int> placeholders;
  for (int i = 0; i < request.nodes_size(); ++i) {
    const std::string id = InstanceIdOf(request.nodes(i).providerid());
    if (id.empty()) {
      return InvalidFields(
          {{absl::StrCat("nodes[", i, "].providerID"), "is not qcloud:///<zone>/<instance id>"}});
    }
    if (const int n = PlaceholderNumber(id, group.group_id()); n > 0) {
      placeholders.insert(n);
    } else if (held.count(id) > 0 && deleting.count(id) == 0) {
      release.add_instance_ids(id);
    } else if (deleting.count(id) == 0) {
      return WithReason(absl::NotFoundError(absl::StrCat("instance ", id, " is not in node group ",
                                                         group.group_id())),
                        "INSTANCE_NOT_IN_GROUP",
                        {{"field", absl::StrCat("nodes[", i, "].providerID")}});
    }
  }
  if (!release.instance_ids().empty()) {
    ASSIGN_OR_RETURN(group, deps_.manager->DeleteInstances(tenant, release));
  }
  // Placeholders stand for instances never made: drop them from the target,
  // as many as are still missing.
  const int drop = std::min<int>(placeholders.size(), Missing(group));
  if (drop == 0) return absl::OkStatus();
  ca::NodeGroupDecreaseTargetSizeRequest decrease;
  decrease.set_id(request.id());
  decrease.set_delta(-drop);
  return NodeGroupDecreaseTargetSize(tenant, decrease, nullptr);
}

absl::Status AutoscalerHandlers::NodeGroupDecreaseTargetSize(
    const std::string& tenant, const ca::NodeGroupDecreaseTargetSizeRequest& request,
    ca::NodeGroupDecreaseTargetSizeResponse*) {
  if (request.delta() >= 0) return InvalidFields({{"delta", "must be negative"}});
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(NodeGroup group, ActiveGroup(tenant, request.id()));
    const int existing = Existing(group);
    if (group.target_size() + request.delta() < existing) {
      return PreconditionFailed("EXISTING_NODES", "delta",
                                absl::StrCat("the target ", group.target_size(), " less ",
                                             -request.delta(), " is below the group's ", existing,
                                             " existing instances; delete nodes by name instead"));
    }
    // Applied only at the revision checked, so no instance came meanwhile.
    provisioning::v1::UpdateNodeGroupRequest update;
    update.set_group_id(request.id());
    update.set_target_delta(request.delta());
    update.set_revision(group.revision());
    absl::StatusOr<NodeGroup> updated = deps_.manager->Update(tenant, update);
    if (updated.ok() || !absl::IsFailedPrecondition(updated.status()) ||
        attempt == kDecreaseAttempts) {
      return updated.status();
    }
    ASSIGN_OR_RETURN(NodeGroup now, deps_.manager->Get(tenant, request.id()));
    if (now.revision() == group.revision()) return updated.status();  // not a stale revision
  }
}

absl::Status AutoscalerHandlers::NodeGroupNodes(const std::string& tenant,
                                                const ca::NodeGroupNodesRequest& request,
                                                ca::NodeGroupNodesResponse* response) {
  ASSIGN_OR_RETURN(NodeGroup group, ActiveGroup(tenant, request.id()));
  for (const NodeGroupInstance& instance : group.status().instances()) {
    ca::Instance* out = response->add_instances();
    out->set_id(ProviderIdOf(deps_.options.zone_ids, instance.zone(), instance.instance_id()));
    auto* status = out->mutable_status();
    switch (instance.phase()) {
      case NodeGroupInstance::CREATING:
        status->set_instancestate(ca::InstanceStatus::instanceCreating);
        break;
      case NodeGroupInstance::RUNNING:
        status->set_instancestate(ca::InstanceStatus::instanceRunning);
        break;
      case NodeGroupInstance::DELETING:
        status->set_instancestate(ca::InstanceStatus::instanceDeleting);
        break;
      default:
        status->set_instancestate(ca::InstanceStatus::unspecified);
    }
  }
  const auto& unsatisfiable = group.status().unsatisfiable();
  for (int n = 1; n <= Missing(group); ++n) {
    ca::Instance* out = response->add_instances();
    out->set_id(ProviderIdOf(deps_.options.zone_ids, group.spec().zone(),
                             absl::StrCat(kPlaceholderPrefix, group.group_id(), "-", n)));
    out->mutable_status()->set_instancestate(ca::InstanceStatus::instanceCreating);
    auto* error = out->mutable_status()->mutable_errorinfo();
    error->set_errorcode(unsatisfiable.reason());
    error->set_errormessage(unsatisfiable.message());
    error->set_instanceerrorclass(unsatisfiable.out_of_resources() ? kOutOfResourcesClass
                                                                   : kOtherErrorClass);
  }
  return absl::OkStatus();
}

absl::StatusOr<NodeGroup> AutoscalerHandlers::GroupOfNode(const std::string& tenant,
                                                          const ca::ExternalGrpcNode& node) {
  const std::string instance_id = InstanceIdOf(node.providerid());
  if (!instance_id.empty()) {
    absl::StatusOr<NodeGroup> group = deps_.manager->GroupOfInstance(tenant, instance_id);
    if (!absl::IsNotFound(group.status())) return group;
  }
  if (auto label = node.labels().find(kNodeGroupLabel); label != node.labels().end()) {
    return ActiveGroup(tenant, label->second);
  }
  return absl::NotFoundError(absl::StrCat("node ", node.name(), " (providerID \"",
                                          node.providerid(), "\") is in no node group"));
}

absl::Status AutoscalerHandlers::PricingNodePrice(const std::string& tenant,
                                                  const ca::PricingNodePriceRequest& request,
                                                  ca::PricingNodePriceResponse* response,
                                                  absl::Time deadline) {
  const absl::Duration period = TimeOf(request.endtimestamp()) - TimeOf(request.starttimestamp());
  if (!request.has_starttimestamp() || !request.has_endtimestamp() ||
      period < absl::ZeroDuration()) {
    return InvalidFields({{"endTimestamp", "start and end are required, end not before start"}});
  }
  ASSIGN_OR_RETURN(NodeGroup group, GroupOfNode(tenant, request.node()));
  provisioning::v1::QuoteRequest quote_request;
  *quote_request.mutable_spec() = group.spec();
  quote_request.set_instance_count(1);
  ASSIGN_OR_RETURN(provisioning::v1::Quote quote,
                   deps_.workflow->Quote(quote_request, tenant, deadline));
  if (quote.unit_price_per_hour().empty()) {
    return PreconditionFailed("HOURLY_PRICE", group.group_id(),
                              "the group's billing has no hourly price (prepaid)");
  }
  ASSIGN_OR_RETURN(int64_t micros, ParseMoneyMicros(quote.unit_price_per_hour()));
  response->set_price(static_cast<double>(micros) / 1e6 * absl::ToDoubleHours(period));
  return absl::OkStatus();
}

absl::Status AutoscalerHandlers::NodeGroupTemplateNodeInfo(
    const std::string& tenant, const ca::NodeGroupTemplateNodeInfoRequest& request,
    ca::NodeGroupTemplateNodeInfoResponse* response, absl::Time deadline) {
  ASSIGN_OR_RETURN(NodeGroup group, ActiveGroup(tenant, request.id()));
  const auto& spec = group.spec();
  ASSIGN_OR_RETURN(RoutedBackend routed, deps_.backends->Route(spec.region(), tenant));
  TemplateNode node;
  ASSIGN_OR_RETURN(node.shape, ShapeOfType(*routed.backend, spec.region(), spec.zone(),
                                           spec.instance_type(), deadline));
  node.name = absl::StrCat(group.group_id(), "-template");
  node.max_pods = deps_.options.max_pods;
  // The group's labels may say another os or arch; never another type,
  // place or group.
  node.labels = {{"kubernetes.io/os", "linux"}, {"kubernetes.io/arch", "amd64"}};
  for (const auto& [key, value] : group.labels()) node.labels[key] = value;
  node.labels["node.kubernetes.io/instance-type"] = spec.instance_type();
  node.labels["topology.kubernetes.io/zone"] = spec.zone();
  node.labels["topology.kubernetes.io/region"] = spec.region();
  node.labels[kNodeGroupLabel] = group.group_id();
  response->set_nodebytes(EncodeTemplateNode(node));
  return absl::OkStatus();
}

absl::Status AutoscalerHandlers::NodeGroupGetOptions(
    const std::string& tenant, const ca::NodeGroupAutoscalingOptionsRequest& request,
    ca::NodeGroupAutoscalingOptionsResponse* response) {
  RETURN_IF_ERROR(ActiveGroup(tenant, request.id()).status());
  *response->mutable_nodegroupautoscalingoptions() = request.defaults();
  return absl::OkStatus();
}

}  // namespace cvm
