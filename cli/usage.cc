#include "cli/usage.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/exit_codes.h"

namespace cvm::cli {
namespace {

using K = FlagKind;

// Flags that describe what to buy: purchase and quote.
std::vector<FlagSpec> SpecFlags() {
  return {
      {"spec_file", K::kString, "PATH",
       "a PurchaseRequest in text format or JSON (.json, or text starting with '{'); "
       "flags given as well override its fields"},
      {"region", K::kString, "REGION", "e.g. ap-guangzhou"},
      {"zone", K::kString, "ZONE", "e.g. ap-guangzhou-3"},
      {"instance_type", K::kString, "TYPE", "e.g. S5.MEDIUM2"},
      {"image", K::kString, "IMAGE_ID", "e.g. img-pi0ii46r"},
      {"system_disk", K::kString, "[TYPE:]GB",
       "boot disk, e.g. CLOUD_SSD:50 or 50 (TYPE: CLOUD_PREMIUM, CLOUD_SSD, CLOUD_BSSD, "
       "CLOUD_HSSD; the CLOUD_ prefix and case are optional)"},
      {"data_disk", K::kList, "[TYPE:]GB", "a data disk; repeat or separate with commas"},
      {"vpc", K::kString, "VPC_ID", "VPC (with --subnet)"},
      {"subnet", K::kString, "SUBNET_ID", "subnet (with --vpc)"},
      {"public_ip", K::kBool, "", "assign a public IPv4 address (implied by --bandwidth_mbps)"},
      {"bandwidth_mbps", K::kInt, "N", "public bandwidth cap, 1-1000 Mbps"},
      {"internet_charge", K::kString, "traffic|bandwidth|prepaid",
       "how public traffic is billed (default traffic)"},
      {"name", K::kString, "NAME", "display name of the instances"},
      {"tag", K::kList, "KEY=VALUE", "a tag; repeat for several"},
      {"security_group", K::kList, "SG_ID", "a security group; repeat for several"},
      {"login_key", K::kList, "KEY_ID", "an SSH key id; repeat for several"},
      {"billing", K::kString, "payg|spot|prepaid",
       "pay-as-you-go (default), spot, or prepaid months"},
      {"spot_max_price", K::kString, "PRICE",
       "spot: highest price per instance-hour, e.g. 0.05 (implies --billing=spot)"},
      {"period_months", K::kInt, "N",
       "prepaid: 1-12, 24, 36, 48 or 60 months (implies --billing=prepaid)"},
      {"auto_renew", K::kBool, "", "prepaid: renew automatically"},
  };
}

FlagSpec CountFlag() { return {"count", K::kInt, "N", "number of instances, 1-100 (default 1)"}; }

// Where else an order may land: purchase and quote.
std::vector<FlagSpec> CandidateFlags() {
  return {{"zones", K::kList, "ZONE", "candidate zones of --region; comma-separated"},
          {"types", K::kList, "TYPE", "candidate instance types; comma-separated"},
          {"try", K::kList, "spot:PRICE|payg",
           "candidate billings in the order to try them, e.g. spot:0.10,payg"},
          {"strategy", K::kString, "cheapest|prioritized",
           "rank available cells by price (default) or in the order given"}};
}

std::vector<FlagSpec> WatchFlags() {
  return {{"watch", K::kBool, "", "then show the order's progress until it is final"},
          {"watch_timeout", K::kDuration, "DURATION",
           "give up watching after this long (default: until the order is final)"}};
}

std::vector<FlagSpec> Concat(std::vector<FlagSpec> a, const std::vector<FlagSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<CommandSpec> BuildCommands() {
  const std::vector<FlagSpec> spec = Concat(SpecFlags(), {CountFlag()});
  std::vector<FlagSpec> purchase = Concat(spec, CandidateFlags());
  purchase.push_back({"request_id", K::kString, "ID",
                      "idempotency key (default: a new random id, printed so you can retry "
                      "with it)"});
  purchase.push_back({"dry_run", K::kBool, "", "validate and run the pre-flight checks only"});
  purchase.push_back({"no_wait", K::kBool, "",
                      "return once the order is accepted, before the cloud answers"});
  return {
      {"purchase", "", "Buy instances (and with --watch, follow them until they run)",
       "Example:\n"
       "  provisionctl purchase --region=ap-guangzhou --zone=ap-guangzhou-3 \\\n"
       "      --instance_type=S5.MEDIUM2 --image=img-pi0ii46r --count=3 \\\n"
       "      --public_ip --bandwidth_mbps=10 --tag=team=infra --watch\n"
       "The service accepts the order at once and buys it in the background;\n"
       "purchase waits until the cloud took it (instance ids known) or it\n"
       "failed (the failed check, exit 3), unless --no_wait.\n"
       "The request id goes to stderr; purchase again with --request_id=ID to retry\n"
       "without buying twice.\n"
       "With --zones, --types or --try the order may land in any candidate cell\n"
       "(zone x type x billing), tried cheapest first (or in the order given with\n"
       "--strategy=prioritized); a cell with too few left takes what it has and the\n"
       "rest goes to the next. The order then shows where each instance landed, its\n"
       "attempts and the cells it skipped. Example (4 nodes, spot then\n"
       "pay-as-you-go, any of three zones):\n"
       "  provisionctl purchase --region=ap-guangzhou --zone=ap-guangzhou-3 \\\n"
       "      --instance_type=S5.MEDIUM2 --image=img-pi0ii46r --count=4 \\\n"
       "      --zones=ap-guangzhou-3,ap-guangzhou-4,ap-guangzhou-6 \\\n"
       "      --types=S5.MEDIUM2,S5.LARGE8 --try=spot:0.10,payg --watch",
       Concat(purchase, WatchFlags())},
      {"quote", "", "Price an order before buying it",
       "Takes the same spec flags (or --spec_file) as purchase. With --zones, --types\n"
       "or --try: every candidate cell (zone x type x billing) with its price, stock,\n"
       "quota headroom and verdict, cheapest available first, and the cell a purchase\n"
       "would take now. Example:\n"
       "  provisionctl quote --region=ap-guangzhou --zone=ap-guangzhou-3 \\\n"
       "      --instance_type=S5.MEDIUM2 --image=img-pi0ii46r --count=4 \\\n"
       "      --zones=ap-guangzhou-3,ap-guangzhou-4 --types=S5.MEDIUM2,S5.LARGE8 \\\n"
       "      --try=spot:0.10,payg",
       Concat(spec, CandidateFlags())},
      {"describe",
       "[ORDER_ID...]",
       "Show orders by id, by instance id, or list them",
       "With order ids: those orders. With --instance: the orders holding those\n"
       "instances. Otherwise a page of orders, newest first, filtered by --state and\n"
       "--region; the next page's token is printed when there is one.",
       {{"instance", K::kList, "INSTANCE_ID", "the order holding this instance; repeatable"},
        {"state", K::kList, "STATE", "list only orders in this state (e.g. ACTIVE); repeatable"},
        {"region", K::kString, "REGION", "list only orders in this region"},
        {"page_size", K::kInt, "N", "orders per page, 1-500 (default 50)"},
        {"page_token", K::kString, "TOKEN", "the page after a previous describe"}}},
      {"watch",
       "[ORDER_ID]",
       "Follow one order until it is final, or every order",
       "With an order id: a live view of its instances (state, elapsed time, IPs),\n"
       "drawn in place on a terminal and as appended lines otherwise; ends when the\n"
       "order is ACTIVE, FAILED, CANCELLED or TERMINATED (exit 6 when FAILED).\n"
       "Without: one line per change of any order until interrupted.\n"
       "With --output=json: one WatchEvent object per line.",
       {{"start_revision", K::kInt, "REVISION",
         "replay the changes after this revision instead of a snapshot"},
        {"watch_timeout", K::kDuration, "DURATION",
         "give up after this long (default: until final)"}}},
      {"terminate", "ORDER_ID", "Release an order's instances (or cancel it)",
       "Idempotent: terminating a terminated order shows it unchanged.", WatchFlags()},
  };
}

std::vector<FlagSpec> GroupWatchFlags(absl::string_view until) {
  return {{"watch", K::kBool, "", absl::StrCat("then show the group's progress until ", until)},
          {"watch_timeout", K::kDuration, "DURATION",
           "give up watching after this long (default: until then)"}};
}

FlagSpec GroupFlag() { return {"group", K::kString, "ID", "the group (required)"}; }

// `group SUBCOMMAND`: node groups (proto/provisioning/v1/node_groups.proto).
std::vector<CommandSpec> GroupCommands() {
  std::vector<FlagSpec> create = {
      GroupFlag(),
      {"target", K::kInt, "N", "instances to keep running (default 0)"},
      {"min", K::kInt, "N", "lowest target allowed (default 0)"},
      {"max", K::kInt, "N", "highest target allowed, 1-1000 (default: --target, at least 1)"},
      {"scale_in", K::kString, "newest|oldest|spot|expensive",
       "which instances go first when the group shrinks (default newest)"},
      {"label", K::kList, "KEY=VALUE", "a label of the group's nodes; repeat for several"}};
  create = Concat(Concat(Concat(create, SpecFlags()), CandidateFlags()),
                  GroupWatchFlags("the target runs"));
  constexpr char kAtTarget[] =
      "With --watch: the group live (counts; per instance its phase, zone, type,\n"
      "billing and price; why it cannot reach its target and the next try; the last\n"
      "events) until running == target with nothing creating or deleting, redrawn\n"
      "in place on a terminal and as one line per change otherwise (times from the\n"
      "change made).";
  return {
      {"group create", "", "Create a node group: keep --target instances running",
       absl::StrCat(
           "The spec flags (or --spec_file) and the candidate flags are purchase's: the\n"
           "service buys what the group lacks through ordinary orders, replaces what the\n"
           "cloud takes back and releases the surplus. Example:\n"
           "  provisionctl group create --group=workers --region=ap-guangzhou \\\n"
           "      --zone=ap-guangzhou-3 --instance_type=S5.MEDIUM2 --image=img-pi0ii46r \\\n"
           "      --target=3 --max=10 --label=pool=workers --watch\n",
           kAtTarget),
       create},
      {"group resize", "", "Change a group's target (or its min and max)",
       absl::StrCat("Either --target or --delta (added to the target). Example:\n"
                    "  provisionctl group resize --group=workers --target=1 --watch\n",
                    kAtTarget),
       Concat({GroupFlag(),
               {"target", K::kInt, "N", "the new target"},
               {"delta", K::kInt, "N", "add this to the target (negative: take away)"},
               {"min", K::kInt, "N", "the new min"},
               {"max", K::kInt, "N", "the new max"},
               {"revision", K::kInt, "REVISION",
                "only if the group is still at this revision (FAILED_PRECONDITION else)"}},
              GroupWatchFlags("the target runs"))},
      {"group delete", "", "Delete a group, keeping its instances or releasing them",
       "Without --release the instances keep running, each in its order, outside any\n"
       "group. With --watch: until the group is DELETED (with --release, once every\n"
       "instance is released).",
       Concat({GroupFlag(),
               {"release", K::kBool, "", "release every instance of the group (prepaid too)"}},
              GroupWatchFlags("it is DELETED"))},
      {"group get",
       "",
       "Show a group: sizes, counts, instances, last events",
       "A DELETED group too.",
       {GroupFlag()}},
      {"group list", "", "List the groups that are not deleted", "", {}},
      {"group watch",
       "",
       "Follow a group until Ctrl-C or it is deleted",
       "The group live, as with --watch; with --output=json one NodeGroup per line.",
       {GroupFlag(),
        {"watch_timeout", K::kDuration, "DURATION", "stop after this long (default: never)"}}},
      {"group delete-instances",
       "",
       "Release named instances of a group",
       "The target shrinks by their number (never below --min) unless --keep_target,\n"
       "which replaces them instead. Example:\n"
       "  provisionctl group delete-instances --group=workers --instances=ins-a,ins-b",
       {GroupFlag(),
        {"instances", K::kList, "INSTANCE_ID", "instances of the group; comma-separated"},
        {"keep_target", K::kBool, "", "replace them instead of shrinking the group"},
        {"release_prepaid", K::kBool, "", "prepaid instances too (refused otherwise)"}}},
  };
}

std::vector<CommandSpec> AllCommands() {
  std::vector<CommandSpec> commands = BuildCommands();
  std::vector<CommandSpec> groups = GroupCommands();
  std::string list;
  for (const CommandSpec& command : groups) {
    absl::StrAppendFormat(&list, "  %-24s  %s\n", command.name, command.summary);
  }
  commands.push_back({"group",
                      "SUBCOMMAND",
                      "Node groups: keep a number of instances running",
                      absl::StrCat("Subcommands:\n", list,
                                   "Run `provisionctl group SUBCOMMAND --help` for its flags."),
                      {}});
  commands.insert(commands.end(), groups.begin(), groups.end());
  return commands;
}

std::string FlagLine(const FlagSpec& flag) {
  std::string left = absl::StrCat("--", flag.name);
  if (!flag.value_name.empty()) absl::StrAppend(&left, "=", flag.value_name);
  if (left.size() <= 28) return absl::StrFormat("  %-28s  %s\n", left, flag.help);
  return absl::StrFormat("  %s\n  %-28s  %s\n", left, "", flag.help);
}

}  // namespace

const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {"server", K::kString, "HOST:PORT",
       absl::StrCat("the provisioning service (default ", kDefaultServer, ")")},
      {"output", K::kString, "table|json",
       "table for people (default), or protobuf JSON of each response, one per line"},
      {"timeout", K::kDuration, "DURATION", "deadline of each call (default 30s)"},
      {"tls_ca_file", K::kString, "PEM", "connect over TLS trusting this CA"},
      {"tls_cert_file", K::kString, "PEM", "client certificate (mTLS; its common name is your tenant)"},
      {"tls_key_file", K::kString, "PEM", "the client certificate's private key"},
      {"token_file", K::kString, "FILE", "send the bearer token in FILE (needs TLS)"},
      {"tls_server_name", K::kString, "NAME", "expect this name in the server's certificate"},
  };
  return *flags;
}

const std::vector<CommandSpec>& Commands() {
  static const auto* commands = new std::vector<CommandSpec>(AllCommands());
  return *commands;
}

const CommandSpec* FindCommand(absl::string_view name) {
  for (const CommandSpec& command : Commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::string MainHelp() {
  std::string help =
      "provisionctl: buy and track cloud instances through the provisioning service.\n\n"
      "Usage: provisionctl [GLOBAL FLAGS] COMMAND [ARGS] [FLAGS]\n\nCommands:\n";
  for (const CommandSpec& command : Commands()) {
    if (absl::StrContains(command.name, ' ')) continue;  // in `provisionctl group --help`
    absl::StrAppendFormat(&help, "  %-10s  %s\n", command.name, command.summary);
  }
  absl::StrAppend(&help, "\nGlobal flags (anywhere on the line):\n");
  for (const FlagSpec& flag : GlobalFlags()) absl::StrAppend(&help, FlagLine(flag));
  absl::StrAppend(
      &help,
      "\nExit codes:\n"
      "  0  success\n"
      "  1  usage error: unknown command or flag, malformed value, unreadable --spec_file\n"
      "  2  invalid argument: the service rejected the request (INVALID_ARGUMENT,\n"
      "     OUT_OF_RANGE, ALREADY_EXISTS); the bad fields are listed\n"
      "  3  failed precondition or quota (FAILED_PRECONDITION, RESOURCE_EXHAUSTED):\n"
      "     stock, quota, balance, spot price\n"
      "  4  not found (NOT_FOUND)\n"
      "  5  unavailable or deadline exceeded (UNAVAILABLE, DEADLINE_EXCEEDED): retry,\n"
      "     with the same --request_id for purchase\n"
      "  6  the watched order ended FAILED\n"
      "  7  any other error\n"
      "\nRun `provisionctl COMMAND --help` for a command's flags.\n");
  return help;
}

std::string CommandHelp(const CommandSpec& command) {
  std::string help = absl::StrCat("Usage: provisionctl ", command.name);
  if (!command.arguments.empty()) absl::StrAppend(&help, " ", command.arguments);
  absl::StrAppend(&help, " [FLAGS]\n\n", command.summary, ".\n");
  if (!command.details.empty()) absl::StrAppend(&help, command.details, "\n");
  if (!command.flags.empty()) absl::StrAppend(&help, "\nFlags:\n");
  for (const FlagSpec& flag : command.flags) absl::StrAppend(&help, FlagLine(flag));
  absl::StrAppend(&help, "\nGlobal flags:\n");
  for (const FlagSpec& flag : GlobalFlags()) absl::StrAppend(&help, FlagLine(flag));
  return help;
}

int UsageError(std::ostream& err, absl::string_view command, absl::string_view message) {
  err << "provisionctl: " << message << "\n"
      << "Run `provisionctl " << (command.empty() ? "" : absl::StrCat(command, " "))
      << "--help` for usage.\n";
  return kExitUsage;
}

absl::Status NoArguments(const CommandLine& line) {
  if (line.positional.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(line.command, " takes flags only, not \"",
                                                 absl::StrJoin(line.positional, " "), "\""));
}

absl::StatusOr<CommandLine> ParseProvisionctlArgs(const std::vector<std::string>& args) {
  return ParseCommandLine(args, GlobalFlags(),
                          [](absl::string_view name) -> const std::vector<FlagSpec>* {
                            const CommandSpec* command = FindCommand(name);
                            return command == nullptr ? nullptr : &command->flags;
                          });
}

}  // namespace cvm::cli
