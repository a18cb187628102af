// provisionctl's commands, their flags and its help text.
//
// One table describes every command: the parser checks flags against it and
// the help is generated from it, so the two cannot drift apart.
#ifndef CVM_PROVISIONER_CLI_USAGE_H_
#define CVM_PROVISIONER_CLI_USAGE_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/command_line.h"

namespace cvm::cli {

struct CommandSpec {
  std::string name;
  std::string arguments;  // positional arguments for the synopsis, e.g. "ORDER_ID"
  std::string summary;    // one line
  std::string details;    // paragraphs and examples for `COMMAND --help`
  std::vector<FlagSpec> flags;
};

inline constexpr absl::string_view kDefaultServer = "127.0.0.1:50051";

// --server, --output, --timeout.
const std::vector<FlagSpec>& GlobalFlags();

// Every command, in help order.
const std::vector<CommandSpec>& Commands();

// The command called `name`, or nullptr.
const CommandSpec* FindCommand(absl::string_view name);

// `provisionctl --help`: commands, global flags and exit codes.
std::string MainHelp();

// `provisionctl COMMAND --help`.
std::string CommandHelp(const CommandSpec& command);

// Writes "provisionctl: MESSAGE" and where to find `command`'s help (the
// main help when empty) to `err`; returns kExitUsage.
int UsageError(std::ostream& err, absl::string_view command, absl::string_view message);

// INVALID_ARGUMENT unless the command line has no positional arguments.
absl::Status NoArguments(const CommandLine& line);

// ParseCommandLine with provisionctl's flags.
absl::StatusOr<CommandLine> ParseProvisionctlArgs(const std::vector<std::string>& args);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_USAGE_H_
