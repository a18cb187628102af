// provisionctl's node group commands: `group create|resize|delete|get|list|
// watch|delete-instances` against NodeGroups (Session::groups), with
// --watch following the group (cli/group_follow.h). Flags are built into
// requests by cli/group_requests.h; a bad flag is a usage error naming it
// (exit 1), a service error is reported as every command reports it
// (ReportError, its exit code). Results go to session.out as tables or one
// JSON object per line.
#ifndef CVM_PROVISIONER_CLI_GROUP_COMMANDS_H_
#define CVM_PROVISIONER_CLI_GROUP_COMMANDS_H_

#include "cli/command_line.h"
#include "cli/session.h"

namespace cvm::cli {

// True for "group" and "group SUBCOMMAND".
bool IsGroupCommand(const CommandLine& line);

// Runs a group command; returns the exit code.
int RunGroupCommand(const CommandLine& line, const Session& session);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_GROUP_COMMANDS_H_
