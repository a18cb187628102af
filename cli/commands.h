// provisionctl end to end: arguments in, output and an exit code out.
//
// RunProvisionctl parses the arguments, prints help or a usage error, dials
// --server, and runs the command: purchase (optionally --watch), quote,
// describe, watch, terminate, and the node group commands
// (cli/group_commands.h). Results go to `out` (tables or one JSON object per
// line); errors, notes and generated request ids go to `err`, so `out` stays
// machine-readable with --output=json. Exit codes: cli/exit_codes.h.
#ifndef CVM_PROVISIONER_CLI_COMMANDS_H_
#define CVM_PROVISIONER_CLI_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "cli/command_line.h"
#include "cli/session.h"

namespace cvm::cli {

struct Environment {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  bool terminal = false;   // out is a terminal
  int terminal_width = 0;  // its columns, 0 when unknown
};

// `args` is argv without the program name.
int RunProvisionctl(const std::vector<std::string>& args, const Environment& environment);

// One parsed command against a connected session (used by RunProvisionctl).
int RunCommand(const CommandLine& line, const Session& session);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_COMMANDS_H_
