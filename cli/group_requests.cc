#include "cli/group_requests.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/request_builder.h"
#include "common/status_macros.h"

namespace cvm::cli {
namespace {

using provisioning::v1::NodeGroup;

absl::Status Usage(absl::string_view message) { return absl::InvalidArgumentError(message); }

int32_t IntFlag(const ParsedFlags& flags, absl::string_view name) {
  return static_cast<int32_t>(flags.Int(name));
}

}  // namespace

absl::StatusOr<NodeGroup::ScaleIn> ParseScaleIn(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "newest") return NodeGroup::NEWEST_FIRST;
  if (lower == "oldest") return NodeGroup::OLDEST_FIRST;
  if (lower == "spot") return NodeGroup::SPOT_FIRST;
  if (lower == "expensive") return NodeGroup::MOST_EXPENSIVE_FIRST;
  NodeGroup::ScaleIn parsed;
  if (NodeGroup::ScaleIn_Parse(absl::AsciiStrToUpper(text), &parsed) &&
      parsed != NodeGroup::SCALE_IN_UNSPECIFIED) {
    return parsed;
  }
  return Usage(absl::StrCat("--scale_in=", text, ": expected newest, oldest, spot or expensive"));
}

absl::StatusOr<std::string> GroupIdFlag(const ParsedFlags& flags) {
  if (flags.String("group").empty()) return Usage("--group=ID is required");
  return flags.String("group");
}

absl::StatusOr<provisioning::v1::CreateNodeGroupRequest> BuildCreateGroupRequest(
    const ParsedFlags& flags) {
  provisioning::v1::CreateNodeGroupRequest request;
  NodeGroup& group = *request.mutable_node_group();
  ASSIGN_OR_RETURN(*group.mutable_group_id(), GroupIdFlag(flags));
  // The same spec and candidates a purchase with these flags would send; the
  // group's orders get their own request ids.
  ASSIGN_OR_RETURN(BuiltPurchase purchase, BuildPurchaseRequest(flags, [] { return ""; }));
  *group.mutable_spec() = std::move(*purchase.request.mutable_spec());
  if (purchase.request.has_candidates()) {
    *group.mutable_candidates() = std::move(*purchase.request.mutable_candidates());
  }
  group.set_target_size(IntFlag(flags, "target"));
  group.set_min_size(IntFlag(flags, "min"));
  group.set_max_size(flags.Has("max") ? IntFlag(flags, "max") : std::max(group.target_size(), 1));
  if (flags.Has("scale_in")) {
    ASSIGN_OR_RETURN(NodeGroup::ScaleIn scale_in, ParseScaleIn(flags.String("scale_in")));
    group.set_scale_in(scale_in);
  }
  for (const std::string& text : flags.List("label")) {
    std::pair<std::string, std::string> kv = absl::StrSplit(text, absl::MaxSplits('=', 1));
    if (kv.first.empty() || text.find('=') == std::string::npos) {
      return Usage(absl::StrCat("--label=", text, ": expected KEY=VALUE"));
    }
    (*group.mutable_labels())[kv.first] = kv.second;
  }
  return request;
}

absl::StatusOr<provisioning::v1::UpdateNodeGroupRequest> BuildResizeGroupRequest(
    const ParsedFlags& flags) {
  provisioning::v1::UpdateNodeGroupRequest request;
  ASSIGN_OR_RETURN(*request.mutable_group_id(), GroupIdFlag(flags));
  if (flags.Has("target") && flags.Has("delta")) {
    return Usage("--target and --delta exclude each other: give one");
  }
  if (!flags.Has("target") && !flags.Has("delta") && !flags.Has("min") && !flags.Has("max")) {
    return Usage("nothing to change: give --target or --delta (and/or --min, --max)");
  }
  if (flags.Has("target")) request.set_target_size(IntFlag(flags, "target"));
  if (flags.Has("delta")) request.set_target_delta(IntFlag(flags, "delta"));
  if (flags.Has("min")) request.set_min_size(IntFlag(flags, "min"));
  if (flags.Has("max")) request.set_max_size(IntFlag(flags, "max"));
  if (flags.Has("revision")) request.set_revision(flags.Int("revision"));
  return request;
}

absl::StatusOr<provisioning::v1::DeleteNodeGroupRequest> BuildDeleteGroupRequest(
    const ParsedFlags& flags) {
  provisioning::v1::DeleteNodeGroupRequest request;
  ASSIGN_OR_RETURN(*request.mutable_group_id(), GroupIdFlag(flags));
  request.set_release_instances(flags.Bool("release"));
  return request;
}

absl::StatusOr<provisioning::v1::DeleteNodeGroupInstancesRequest> BuildDeleteInstancesRequest(
    const ParsedFlags& flags) {
  provisioning::v1::DeleteNodeGroupInstancesRequest request;
  ASSIGN_OR_RETURN(*request.mutable_group_id(), GroupIdFlag(flags));
  for (std::string& id : SplitList(flags, "instances")) request.add_instance_ids(std::move(id));
  if (request.instance_ids().empty()) return Usage("--instances=ID[,ID...] is required");
  request.set_keep_target(flags.Bool("keep_target"));
  request.set_release_prepaid(flags.Bool("release_prepaid"));
  return request;
}

}  // namespace cvm::cli
