#include "cli/command_line.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cvm::cli {
namespace {

const FlagSpec* FindFlag(const std::vector<FlagSpec>* specs, absl::string_view name) {
  if (specs == nullptr) return nullptr;
  for (const FlagSpec& spec : *specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool IsHelpFlag(absl::string_view arg) { return arg == "-h" || arg == "--help" || arg == "-help"; }

absl::StatusOr<bool> ParseBool(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  return absl::InvalidArgumentError("expected true or false");
}

// Checks `value` against the flag's kind; returns it normalized.
absl::StatusOr<std::string> CheckValue(const FlagSpec& spec, std::string value) {
  switch (spec.kind) {
    case FlagKind::kInt: {
      int64_t parsed = 0;
      if (!absl::SimpleAtoi(value, &parsed)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", spec.name, "=", value, ": expected a whole number"));
      }
      return absl::StrCat(parsed);
    }
    case FlagKind::kBool: {
      absl::StatusOr<bool> parsed = ParseBool(value);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", spec.name, "=", value, ": expected true or false"));
      }
      return *parsed ? "true" : "false";
    }
    case FlagKind::kDuration: {
      absl::StatusOr<absl::Duration> parsed = ParseFlagDuration(value);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", spec.name, "=", value, ": expected a duration such as 30s, 2m or 1m30s"));
      }
      return value;
    }
    case FlagKind::kString:
    case FlagKind::kList:
      return value;
  }
  return value;
}

}  // namespace

bool ParsedFlags::Has(absl::string_view name) const { return values_.count(name) > 0; }

std::string ParsedFlags::String(absl::string_view name, absl::string_view fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string(fallback) : it->second.back();
}

int64_t ParsedFlags::Int(absl::string_view name, int64_t fallback) const {
  int64_t value = fallback;
  auto it = values_.find(name);
  if (it != values_.end() && !absl::SimpleAtoi(it->second.back(), &value)) return fallback;
  return value;
}

bool ParsedFlags::Bool(absl::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && ParseBool(it->second.back()).value_or(false);
}

absl::Duration ParsedFlags::Duration(absl::string_view name, absl::Duration fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  return ParseFlagDuration(it->second.back()).value_or(fallback);
}

std::vector<std::string> ParsedFlags::List(absl::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

void ParsedFlags::Add(const std::string& name, std::string value) {
  values_[name].push_back(std::move(value));
}

absl::StatusOr<absl::Duration> ParseFlagDuration(absl::string_view text) {
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds) && seconds >= 0) return absl::Seconds(seconds);
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) || duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("not a duration: ", text));
  }
  return duration;
}

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args,
                                             const std::vector<FlagSpec>& global_flags,
                                             const CommandFlagsLookup& command_flags) {
  CommandLine line;
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (IsHelpFlag(arg)) line.help = true;  // then a misspelt flag does not hide help
  }
  const std::vector<FlagSpec>* own_flags = nullptr;
  bool flags_ended = false;
  bool unknown_command = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_ended || arg.size() < 2 || arg[0] != '-') {
      if (line.command.empty()) {
        line.command = arg;
        if (arg == "help") {
          line.help = true;
          line.command.clear();
          continue;
        }
        own_flags = command_flags(arg);
        unknown_command = own_flags == nullptr;
      } else if (line.positional.empty() &&
                 command_flags(absl::StrCat(line.command, " ", arg)) != nullptr) {
        line.command = absl::StrCat(line.command, " ", arg);  // e.g. "group create"
        own_flags = command_flags(line.command);
        unknown_command = false;
      } else {
        line.positional.push_back(arg);
      }
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    if (IsHelpFlag(arg)) continue;
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag ", arg, " (flags are spelled --name=value)"));
    }
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? equals : equals - 2);
    const FlagSpec* spec = FindFlag(&global_flags, name);
    if (spec == nullptr) spec = FindFlag(own_flags, name);
    if (spec == nullptr) {
      if (line.help) continue;
      if (line.command.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown flag --", name, " (command flags go after the command)"));
      }
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " for ", line.command));
    }
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (spec->kind == FlagKind::kBool) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    }
    absl::StatusOr<std::string> checked = CheckValue(*spec, std::move(value));
    if (!checked.ok()) return checked.status();
    line.flags.Add(name, *std::move(checked));
  }
  if (unknown_command && !line.help) {
    return absl::InvalidArgumentError(absl::StrCat("unknown command \"", line.command, "\""));
  }
  return line;
}

}  // namespace cvm::cli
