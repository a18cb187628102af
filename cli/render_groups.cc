#include "cli/render_groups.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/render.h"
#include "cli/render_candidates.h"

namespace cvm::cli {
namespace {

using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroupEvent;
using provisioning::v1::NodeGroupInstance;

std::string OrDash(const std::string& value) { return value.empty() ? "-" : value; }

std::string Labels(const NodeGroup& group) {
  std::map<std::string, std::string> sorted(group.labels().begin(), group.labels().end());
  return sorted.empty() ? "-" : absl::StrJoin(sorted, ",", absl::PairFormatter("="));
}

}  // namespace

std::string GroupStateName(NodeGroup::State state) {
  return NodeGroup::State_IsValid(state) ? NodeGroup::State_Name(state) : absl::StrCat(state);
}

std::string PhaseName(NodeGroupInstance::Phase phase) {
  return NodeGroupInstance::Phase_IsValid(phase) ? NodeGroupInstance::Phase_Name(phase)
                                                 : absl::StrCat(phase);
}

std::string ScaleInText(NodeGroup::ScaleIn scale_in) {
  switch (scale_in) {
    case NodeGroup::SCALE_IN_UNSPECIFIED:
    case NodeGroup::NEWEST_FIRST:
      return "newest first";
    case NodeGroup::OLDEST_FIRST:
      return "oldest first";
    case NodeGroup::SPOT_FIRST:
      return "spot first";
    case NodeGroup::MOST_EXPENSIVE_FIRST:
      return "most expensive first";
    default:
      return absl::StrCat(scale_in);
  }
}

bool AtTarget(const NodeGroup& group) {
  return group.state() == NodeGroup::ACTIVE && group.status().running() == group.target_size() &&
         group.status().creating() == 0 && group.status().deleting() == 0;
}

std::string GroupCounts(const NodeGroup& group) {
  return absl::StrCat("target ", group.target_size(), " (min ", group.min_size(), ", max ",
                      group.max_size(), "): ", group.status().running(), " running, ",
                      group.status().creating(), " creating, ", group.status().deleting(),
                      " deleting");
}

std::string GroupSummary(const NodeGroup& group) {
  // The order the group would place for its whole target.
  provisioning::v1::Order shape;
  *shape.mutable_spec() = group.spec();
  if (group.has_candidates()) *shape.mutable_candidates() = group.candidates();
  shape.set_instance_count(group.target_size());
  return OrderSummary(shape);
}

std::vector<std::string> GroupInstanceHeader() {
  return {"INSTANCE", "PHASE", "ZONE", "TYPE", "BILLING", "PRICE/H"};
}

std::vector<std::string> GroupInstanceRow(const NodeGroupInstance& instance) {
  provisioning::v1::Instance landed;
  landed.set_instance_type(instance.instance_type());
  *landed.mutable_billing() = instance.billing();
  landed.set_unit_price_per_hour(instance.unit_price_per_hour());
  std::vector<std::string> row = {instance.instance_id(), PhaseName(instance.phase()),
                                  OrDash(instance.zone())};
  for (std::string& column : LandingColumns(landed)) row.push_back(std::move(column));
  return row;
}

std::string UnsatisfiableText(const provisioning::v1::Unsatisfiable& unsatisfiable) {
  std::vector<std::string> notes;
  if (unsatisfiable.out_of_resources()) notes.push_back("out of resources");
  notes.push_back(absl::StrCat(unsatisfiable.failures(),
                               unsatisfiable.failures() == 1 ? " failure" : " failures"));
  if (!unsatisfiable.order_id().empty()) {
    notes.push_back(absl::StrCat("order ", unsatisfiable.order_id()));
  }
  return absl::StrCat(OrDash(unsatisfiable.reason()), " (", absl::StrJoin(notes, ", "), ")");
}

std::string GroupEventText(const NodeGroupEvent& event) {
  const std::string kind = NodeGroupEvent::Kind_IsValid(event.kind())
                               ? NodeGroupEvent::Kind_Name(event.kind())
                               : absl::StrCat(event.kind());
  return absl::StrCat(kind, ": ",
                      event.message().empty() ? absl::StrCat(event.count()) : event.message());
}

std::string RenderNodeGroup(const NodeGroup& group) {
  std::string out =
      absl::StrCat("Group ", group.group_id(), "  ", GroupStateName(group.state()), "\n");
  std::vector<std::vector<std::string>> fields;
  fields.push_back({"spec", GroupSummary(group)});
  if (group.has_candidates()) fields.push_back({"candidates", CandidatesText(group.candidates())});
  fields.push_back({"status", GroupCounts(group)});
  if (group.status().has_unsatisfiable()) {
    const provisioning::v1::Unsatisfiable& unsatisfiable = group.status().unsatisfiable();
    fields.push_back({"unsatisfiable", UnsatisfiableText(unsatisfiable)});
    fields.push_back({"because", OrDash(unsatisfiable.message())});
    fields.push_back({"next try", TimeText(unsatisfiable.retry_time())});
  }
  fields.push_back({"scale-in", ScaleInText(group.scale_in())});
  fields.push_back({"labels", Labels(group)});
  if (group.state() == NodeGroup::DELETING) {
    fields.push_back(
        {"on delete", group.release_on_delete() ? "releasing instances" : "keeping instances"});
  }
  fields.push_back({"orders", absl::StrCat(group.status().orders_placed(), " placed")});
  fields.push_back({"created", TimeText(group.create_time())});
  fields.push_back({"updated", TimeText(group.update_time())});
  fields.push_back({"revision", absl::StrCat(group.revision())});
  absl::StrAppend(&out, FormatTable(fields, "  "));
  if (!group.status().instances().empty()) {
    std::vector<std::vector<std::string>> rows = {GroupInstanceHeader()};
    for (const NodeGroupInstance& instance : group.status().instances()) {
      rows.push_back(GroupInstanceRow(instance));
    }
    absl::StrAppend(&out, "\n", FormatTable(rows, "  "));
  }
  if (!group.status().events().empty()) {
    std::vector<std::vector<std::string>> rows = {{"TIME", "EVENT"}};
    for (const NodeGroupEvent& event : group.status().events()) {
      rows.push_back({TimeText(event.time()), GroupEventText(event)});
    }
    absl::StrAppend(&out, "\n", FormatTable(rows, "  "));
  }
  return out;
}

std::string RenderNodeGroupList(const provisioning::v1::ListNodeGroupsResponse& response) {
  if (response.node_groups().empty()) return "No node groups.\n";
  std::vector<std::vector<std::string>> rows = {{"GROUP", "STATE", "TARGET", "MIN", "MAX",
                                                 "RUNNING", "CREATING", "DELETING", "TYPE", "ZONE",
                                                 "UPDATED"}};
  for (const NodeGroup& group : response.node_groups()) {
    const auto& candidates = group.candidates();
    rows.push_back(
        {group.group_id(), GroupStateName(group.state()), absl::StrCat(group.target_size()),
         absl::StrCat(group.min_size()), absl::StrCat(group.max_size()),
         absl::StrCat(group.status().running()), absl::StrCat(group.status().creating()),
         absl::StrCat(group.status().deleting()),
         candidates.instance_types().empty() ? OrDash(group.spec().instance_type())
                                             : absl::StrJoin(candidates.instance_types(), ","),
         candidates.zones().empty() ? OrDash(group.spec().zone())
                                    : absl::StrJoin(candidates.zones(), ","),
         TimeText(group.update_time())});
  }
  return FormatTable(rows);
}

}  // namespace cvm::cli
