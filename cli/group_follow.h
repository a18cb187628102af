// Following a node group over WatchNodeGroup: the live view
// (cli/group_view.h) until the group reaches what the command asked for.
#ifndef CVM_PROVISIONER_CLI_GROUP_FOLLOW_H_
#define CVM_PROVISIONER_CLI_GROUP_FOLLOW_H_

#include <string>

#include "absl/time/time.h"
#include "cli/session.h"
#include "provisioning/v1/node_groups.pb.h"

namespace cvm::cli {

enum class GroupGoal {
  kAtTarget,  // running == target, nothing creating or deleting (create, resize)
  kDeleted,   // DELETED (delete)
  kForever,   // until the stream ends: the group DELETED, an error, the time asked (watch)
};

// Watches group `group_id` until `goal`. Table output: the live view (in
// place on a terminal, appended lines otherwise); JSON: one NodeGroup per
// line. `initial`, when given, is shown first (the command's response) and
// the stream resumes after its revision. `watch_timeout` of zero waits as
// long as it takes. Returns 0 once the goal is reached (kForever: the group
// DELETED or the time asked for up); kExitUnavailable when the time ran out
// first; kExitOther when the group was deleted before its target; else the
// exit code of the error that ended the watch (printed as ReportError does).
int FollowGroup(const Session& session, const std::string& group_id,
                const provisioning::v1::NodeGroup* initial, GroupGoal goal,
                absl::Duration watch_timeout);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_GROUP_FOLLOW_H_
