#include "cli/group_commands.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/exit_codes.h"
#include "cli/group_follow.h"
#include "cli/group_requests.h"
#include "cli/render.h"
#include "cli/render_groups.h"
#include "cli/usage.h"

namespace cvm::cli {
namespace {

using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroups;

int Usage(const Session& session, const CommandLine& line, const absl::Status& status) {
  return UsageError(*session.err, line.command, status.message());
}

void Write(const Session& session, const std::string& text) {
  *session.out << text;
  session.out->flush();
}

// The group a command answered with, then (--watch) its progress to `goal`.
int Show(const CommandLine& line, const Session& session, const NodeGroup& group, GroupGoal goal) {
  const bool json = session.output == OutputFormat::kJson;
  const bool watch = line.flags.Bool("watch");
  // The live view starts with the group: no table before it.
  if (json || !watch) Write(session, json ? JsonLine(group) : RenderNodeGroup(group));
  if (!watch) return kExitOk;
  return FollowGroup(session, group.group_id(), &group, goal,
                     line.flags.Duration("watch_timeout", absl::ZeroDuration()));
}

// A unary NodeGroups call that answers with the group.
template <typename Request>
using GroupCall = grpc::Status (NodeGroups::StubInterface::*)(grpc::ClientContext*, const Request&,
                                                              NodeGroup*);

template <typename Request>
int CallAndShow(const CommandLine& line, const Session& session,
                const absl::StatusOr<Request>& request, GroupCall<Request> call, GroupGoal goal) {
  absl::Status arguments = NoArguments(line);
  if (!arguments.ok()) return Usage(session, line, arguments);
  if (!request.ok()) return Usage(session, line, request.status());
  NodeGroup group;
  grpc::Status status = (session.groups->*call)(session.NewContext().get(), *request, &group);
  if (!status.ok()) return ReportError(session, line.command, status);
  return Show(line, session, group, goal);
}

int RunList(const CommandLine& line, const Session& session) {
  absl::Status arguments = NoArguments(line);
  if (!arguments.ok()) return Usage(session, line, arguments);
  provisioning::v1::ListNodeGroupsResponse response;
  grpc::Status status = session.groups->ListNodeGroups(
      session.NewContext().get(), provisioning::v1::ListNodeGroupsRequest(), &response);
  if (!status.ok()) return ReportError(session, line.command, status);
  Write(session,
        session.output == OutputFormat::kJson ? JsonLine(response) : RenderNodeGroupList(response));
  return kExitOk;
}

int RunWatch(const CommandLine& line, const Session& session) {
  absl::Status arguments = NoArguments(line);
  if (!arguments.ok()) return Usage(session, line, arguments);
  absl::StatusOr<std::string> group_id = GroupIdFlag(line.flags);
  if (!group_id.ok()) return Usage(session, line, group_id.status());
  return FollowGroup(session, *group_id, nullptr, GroupGoal::kForever,
                     line.flags.Duration("watch_timeout", absl::ZeroDuration()));
}

absl::StatusOr<provisioning::v1::GetNodeGroupRequest> BuildGetRequest(const ParsedFlags& flags) {
  provisioning::v1::GetNodeGroupRequest request;
  absl::StatusOr<std::string> group_id = GroupIdFlag(flags);
  if (!group_id.ok()) return group_id.status();
  request.set_group_id(*group_id);
  return request;
}

}  // namespace

bool IsGroupCommand(const CommandLine& line) {
  return line.command == "group" || absl::StartsWith(line.command, "group ");
}

int RunGroupCommand(const CommandLine& line, const Session& session) {
  const std::string& command = line.command;
  const ParsedFlags& flags = line.flags;
  if (command == "group create") {
    return CallAndShow(line, session, BuildCreateGroupRequest(flags),
                       &NodeGroups::StubInterface::CreateNodeGroup, GroupGoal::kAtTarget);
  }
  if (command == "group resize") {
    return CallAndShow(line, session, BuildResizeGroupRequest(flags),
                       &NodeGroups::StubInterface::UpdateNodeGroup, GroupGoal::kAtTarget);
  }
  if (command == "group delete") {
    return CallAndShow(line, session, BuildDeleteGroupRequest(flags),
                       &NodeGroups::StubInterface::DeleteNodeGroup, GroupGoal::kDeleted);
  }
  if (command == "group delete-instances") {
    return CallAndShow(line, session, BuildDeleteInstancesRequest(flags),
                       &NodeGroups::StubInterface::DeleteNodeGroupInstances, GroupGoal::kAtTarget);
  }
  if (command == "group get") {
    return CallAndShow(line, session, BuildGetRequest(flags),
                       &NodeGroups::StubInterface::GetNodeGroup, GroupGoal::kForever);
  }
  if (command == "group list") return RunList(line, session);
  if (command == "group watch") return RunWatch(line, session);
  if (line.positional.empty()) {
    return UsageError(*session.err, "group",
                      "group needs a subcommand: create, resize, delete, get, list, watch or "
                      "delete-instances");
  }
  return UsageError(*session.err, "group",
                    absl::StrCat("unknown command \"group ", line.positional[0], "\""));
}

}  // namespace cvm::cli
