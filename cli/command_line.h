// A small command-line parser for a tool with subcommands.
//
// Shape: `tool [GLOBAL FLAGS] COMMAND [ARGS] [FLAGS]`. A command is one word,
// or two ("group create") when the lookup knows the two words as one (then
// the first word's flags, if any, may not stand between them). Global flags
// may appear anywhere; a command's own flags only after the command. Flags are
// `--name=value` or `--name value` (`--name` alone for booleans, which also
// take `=true|false`); `--` ends the flags; `-h` / `--help` anywhere asks for
// help. Every value is checked against its flag's kind while parsing, so the
// accessors of ParsedFlags never fail.
//
// Errors are INVALID_ARGUMENT with a message for people (a usage error).
// Not thread-safe; values are plain data.
#ifndef CVM_PROVISIONER_CLI_COMMAND_LINE_H_
#define CVM_PROVISIONER_CLI_COMMAND_LINE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cvm::cli {

enum class FlagKind {
  kString,
  kInt,       // a decimal int64
  kBool,      // --name, --name=true, --name=false
  kDuration,  // "30s", "1m30s", "250ms", or plain seconds ("30")
  kList,      // a string that may be given several times
};

struct FlagSpec {
  std::string name;  // without the leading "--"
  FlagKind kind = FlagKind::kString;
  std::string value_name;  // shown in help, e.g. "ID"
  std::string help;
};

// The flags given on a command line, by name.
class ParsedFlags {
 public:
  // True when the flag was given at least once.
  bool Has(absl::string_view name) const;
  // The last value given, or `fallback`.
  std::string String(absl::string_view name, absl::string_view fallback = "") const;
  int64_t Int(absl::string_view name, int64_t fallback = 0) const;
  bool Bool(absl::string_view name) const;
  absl::Duration Duration(absl::string_view name, absl::Duration fallback) const;
  // Every value given, in order (for kList flags; others have at most one).
  std::vector<std::string> List(absl::string_view name) const;

  // Records a value; used by the parser and by tests.
  void Add(const std::string& name, std::string value);

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

struct CommandLine {
  std::string command;                  // empty when none was given
  std::vector<std::string> positional;  // arguments after the command
  ParsedFlags flags;
  bool help = false;  // -h, --help, or the command "help"
};

// The flags of `command`, or nullptr when there is no such command.
using CommandFlagsLookup = std::function<const std::vector<FlagSpec>*(absl::string_view command)>;

// Parses `args` (argv without the program name). An unknown command is an
// error unless help was asked for.
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args,
                                             const std::vector<FlagSpec>& global_flags,
                                             const CommandFlagsLookup& command_flags);

// A duration as the flags accept it: absl format ("1m30s") or plain seconds.
absl::StatusOr<absl::Duration> ParseFlagDuration(absl::string_view text);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_COMMAND_LINE_H_
