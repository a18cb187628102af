#include "cli/group_follow.h"

#include <utility>

#include "cli/event_stream.h"
#include "cli/exit_codes.h"
#include "cli/follow.h"
#include "cli/group_view.h"
#include "cli/render.h"
#include "cli/render_groups.h"

namespace cvm::cli {
namespace {

using provisioning::v1::NodeGroup;

bool Reached(GroupGoal goal, const NodeGroup& group) {
  switch (goal) {
    case GroupGoal::kAtTarget:
      return AtTarget(group);
    case GroupGoal::kDeleted:
      return group.state() == NodeGroup::DELETED;
    case GroupGoal::kForever:
      return false;
  }
  return false;
}

void Write(const Session& session, const std::string& text) {
  if (text.empty()) return;
  *session.out << text;
  session.out->flush();
}

}  // namespace

int FollowGroup(const Session& session, const std::string& group_id, const NodeGroup* initial,
                GroupGoal goal, absl::Duration watch_timeout) {
  const bool table = session.output == OutputFormat::kTable;
  GroupView view(session.terminal ? GroupView::Mode::kTerminal : GroupView::Mode::kLines);
  view.set_width(session.terminal_width);
  provisioning::v1::WatchNodeGroupRequest request;
  request.set_group_id(group_id);
  if (initial != nullptr) {
    view.Update(*initial, session.now());
    if (table) Write(session, view.Render(session.now()));
    if (Reached(goal, *initial)) return kExitOk;
    request.set_start_revision(initial->revision());
  }
  GroupStream stream(session.groups, request, WatchOptions(session, watch_timeout));
  NodeGroup group;
  while (NextMessage(session, stream, &group, [&] { return view.Render(session.now()); })) {
    if (!table) Write(session, JsonLine(group));
    view.Update(group, session.now());
    if (table) Write(session, view.Render(session.now()));
    if (Reached(goal, group)) return kExitOk;
    if (group.state() == NodeGroup::DELETED) break;  // the stream ends after it
  }
  stream.Cancel();
  grpc::Status status = stream.status();
  if (status.ok()) status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the watch ended");
  const bool deleted = view.has_group() && view.group().state() == NodeGroup::DELETED;
  if (deleted && goal == GroupGoal::kForever) return kExitOk;
  if (deleted) {
    *session.err << "provisionctl: group " << group_id << " was deleted before it reached its "
                 << "target\n";
    return kExitOther;
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      watch_timeout > absl::ZeroDuration()) {
    if (goal == GroupGoal::kForever) return kExitOk;  // the time asked for is up
    *session.err << "provisionctl: stopped watching after " << absl::FormatDuration(watch_timeout)
                 << "; group " << group_id;
    if (view.has_group()) {
      *session.err << " is " << GroupStateName(view.group().state()) << ", "
                   << GroupCounts(view.group());
    }
    *session.err << "\n";
    return kExitUnavailable;
  }
  return ReportError(session, "group watch", status);
}

}  // namespace cvm::cli
