// How provisionctl shows node groups (proto/provisioning/v1/node_groups.proto):
// one group in full (group get), a list (group list), and the pieces the
// live view (cli/group_view.h) is made of. As cli/render.h: complete lines
// ending in '\n', UTC times, unknown enum values as their number. Every
// function is pure and thread-compatible.
#ifndef CVM_PROVISIONER_CLI_RENDER_GROUPS_H_
#define CVM_PROVISIONER_CLI_RENDER_GROUPS_H_

#include <string>
#include <vector>

#include "provisioning/v1/node_groups.pb.h"

namespace cvm::cli {

// "ACTIVE", "DELETING", "DELETED"; "CREATING", "RUNNING", "DELETING".
std::string GroupStateName(provisioning::v1::NodeGroup::State state);
std::string PhaseName(provisioning::v1::NodeGroupInstance::Phase phase);
// "newest first", "oldest first", "spot first", "most expensive first".
std::string ScaleInText(provisioning::v1::NodeGroup::ScaleIn scale_in);

// An ACTIVE group running its target with nothing creating or deleting.
bool AtTarget(const provisioning::v1::NodeGroup& group);

// "target 3 (min 0, max 5): 2 running, 1 creating, 0 deleting".
std::string GroupCounts(const provisioning::v1::NodeGroup& group);

// What each instance is, at the target: "3 x S5.MEDIUM2 in ap-guangzhou-3,
// image img-1, pay-as-you-go" (a group with candidates names them all, as
// OrderSummary() does).
std::string GroupSummary(const provisioning::v1::NodeGroup& group);

// INSTANCE PHASE ZONE TYPE BILLING PRICE/H: GroupInstanceHeader(), then a
// GroupInstanceRow() per instance.
std::vector<std::string> GroupInstanceHeader();
std::vector<std::string> GroupInstanceRow(const provisioning::v1::NodeGroupInstance& instance);

// "ZONE_SOLD_OUT (out of resources, 3 failures, order ord-1)"; the message
// (often long) is left to the caller.
std::string UnsatisfiableText(const provisioning::v1::Unsatisfiable& unsatisfiable);

// "SCALING_UP: ordering 3 instance(s)" (the count when there is no message).
std::string GroupEventText(const provisioning::v1::NodeGroupEvent& event);

// One group: its fields, sizes, counts, why it cannot reach its target, its
// instances, then its events with their times.
std::string RenderNodeGroup(const provisioning::v1::NodeGroup& group);

// One row per group, or "No node groups.".
std::string RenderNodeGroupList(const provisioning::v1::ListNodeGroupsResponse& response);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_RENDER_GROUPS_H_
