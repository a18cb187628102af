#include "cli/commands.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/connection.h"
#include "cli/exit_codes.h"
#include "cli/follow.h"
#include "cli/group_commands.h"
#include "cli/render.h"
#include "cli/request_builder.h"
#include "cli/usage.h"
#include "common/order_states.h"
#include "grpcpp/grpcpp.h"

namespace cvm::cli {
namespace {

using provisioning::v1::Order;

int UsageError(const Session& session, absl::string_view command, const absl::Status& status) {
  return cvm::cli::UsageError(*session.err, command, status.message());
}

void Write(const Session& session, const std::string& text) {
  *session.out << text;
  session.out->flush();
}

bool BeingSubmitted(const Order& order) { return IsBeforeCloud(order.state()); }

// Describes the accepted order until the cloud took it or it failed (the
// service buys in the background). A FAILED order is purchased again with
// the same request id: the service answers with the failure and its details.
grpc::Status AwaitSubmission(const Session& session,
                             const provisioning::v1::PurchaseRequest& request, Order* order) {
  while (BeingSubmitted(*order)) {
    absl::SleepFor(absl::Milliseconds(200));
    provisioning::v1::DescribeRequest describe;
    describe.add_order_ids(order->order_id());
    provisioning::v1::DescribeResponse response;
    grpc::Status status =
        session.stub->Describe(session.NewContext().get(), describe, &response);
    if (!status.ok()) return status;
    if (response.orders_size() == 1) *order = response.orders(0);
  }
  if (order->state() != Order::FAILED) return grpc::Status::OK;
  Order again;
  grpc::Status failure = session.stub->Purchase(session.NewContext().get(), request, &again);
  if (!failure.ok()) return failure;
  *order = again;  // ended otherwise after all (e.g. cancelled): show it
  return grpc::Status::OK;
}

int RunPurchase(const CommandLine& line, const Session& session) {
  absl::Status arguments = NoArguments(line);
  if (!arguments.ok()) return UsageError(session, line.command, arguments);
  absl::StatusOr<BuiltPurchase> built = BuildPurchaseRequest(line.flags);
  if (!built.ok()) return UsageError(session, line.command, built.status());
  const provisioning::v1::PurchaseRequest& request = built->request;
  if (built->generated_request_id) {
    // Before the call: if it times out, this id is how to retry without buying twice.
    *session.err << "provisionctl: request id " << request.request_id()
                 << " (to retry this purchase safely: --request_id=" << request.request_id()
                 << ")\n";
    session.err->flush();
  }
  Order order;
  grpc::Status status = session.stub->Purchase(session.NewContext().get(), request, &order);
  if (!status.ok()) {
    const int code = ReportError(session, "purchase", status);
    if (code == kExitUnavailable) {
      *session.err << "  retrying with --request_id=" << request.request_id()
                   << " returns this order instead of buying again\n";
    }
    return code;
  }
  const bool watch = line.flags.Bool("watch") && !order.order_id().empty();
  if (!watch && !order.order_id().empty() && !line.flags.Bool("no_wait")) {
    status = AwaitSubmission(session, request, &order);
    if (!status.ok()) return ReportError(session, "purchase", status);
  }
  if (session.output == OutputFormat::kJson) {
    Write(session, JsonLine(order));
  } else if (!watch) {
    Write(session, RenderOrder(order));
  }
  if (!watch) return kExitOk;
  provisioning::v1::WatchRequest watch_request;
  watch_request.set_order_id(order.order_id());
  return FollowOrder(session, watch_request, &order,
                     line.flags.Duration("watch_timeout", absl::ZeroDuration()));
}

int RunQuote(const CommandLine& line, const Session& session) {
  absl::Status arguments = NoArguments(line);
  if (!arguments.ok()) return UsageError(session, line.command, arguments);
  absl::StatusOr<provisioning::v1::QuoteRequest> request = BuildQuoteRequest(line.flags);
  if (!request.ok()) return UsageError(session, line.command, request.status());
  provisioning::v1::Quote quote;
  grpc::Status status = session.stub->Quote(session.NewContext().get(), *request, &quote);
  if (!status.ok()) return ReportError(session, "quote", status);
  if (session.output == OutputFormat::kJson) {
    Write(session, JsonLine(quote));
  } else {
    Write(session,
          absl::StrCat("Quote for ", SpecSummary(request->spec(), request->instance_count()), "\n",
                       RenderQuote(quote)));
  }
  return kExitOk;
}

int RunDescribe(const CommandLine& line, const Session& session) {
  absl::StatusOr<provisioning::v1::DescribeRequest> request =
      BuildDescribeRequest(line.positional, line.flags);
  if (!request.ok()) return UsageError(session, line.command, request.status());
  provisioning::v1::DescribeResponse response;
  grpc::Status status = session.stub->Describe(session.NewContext().get(), *request, &response);
  if (!status.ok()) return ReportError(session, "describe", status);
  if (session.output == OutputFormat::kJson) {
    Write(session, JsonLine(response));
    return kExitOk;
  }
  if (request->order_ids().empty() && request->instance_ids().empty()) {
    Write(session, RenderOrderList(response));
    return kExitOk;
  }
  std::string text;
  for (const Order& order : response.orders()) {
    if (!text.empty()) absl::StrAppend(&text, "\n");
    absl::StrAppend(&text, RenderOrder(order));
  }
  Write(session, text);
  return kExitOk;
}

int RunWatch(const CommandLine& line, const Session& session) {
  absl::StatusOr<provisioning::v1::WatchRequest> request =
      BuildWatchRequest(line.positional, line.flags);
  if (!request.ok()) return UsageError(session, line.command, request.status());
  const absl::Duration timeout = line.flags.Duration("watch_timeout", absl::ZeroDuration());
  if (request->order_id().empty()) return WatchAll(session, *request, timeout);
  return FollowOrder(session, *request, nullptr, timeout);
}

int RunTerminate(const CommandLine& line, const Session& session) {
  absl::StatusOr<provisioning::v1::TerminateRequest> request =
      BuildTerminateRequest(line.positional);
  if (!request.ok()) return UsageError(session, line.command, request.status());
  Order order;
  grpc::Status status = session.stub->Terminate(session.NewContext().get(), *request, &order);
  if (!status.ok()) return ReportError(session, "terminate", status);
  const bool watch = line.flags.Bool("watch");
  if (session.output == OutputFormat::kJson) {
    Write(session, JsonLine(order));
  } else if (!watch) {
    Write(session, RenderOrder(order));
  }
  if (!watch) return kExitOk;
  provisioning::v1::WatchRequest watch_request;
  watch_request.set_order_id(order.order_id());
  return FollowOrder(session, watch_request, &order,
                     line.flags.Duration("watch_timeout", absl::ZeroDuration()));
}

}  // namespace

int RunCommand(const CommandLine& line, const Session& session) {
  if (line.command == "purchase") return RunPurchase(line, session);
  if (line.command == "quote") return RunQuote(line, session);
  if (line.command == "describe") return RunDescribe(line, session);
  if (line.command == "watch") return RunWatch(line, session);
  if (line.command == "terminate") return RunTerminate(line, session);
  if (IsGroupCommand(line)) return RunGroupCommand(line, session);
  return UsageError(*session.err, "", absl::StrCat("unknown command \"", line.command, "\""));
}

int RunProvisionctl(const std::vector<std::string>& args, const Environment& environment) {
  absl::StatusOr<CommandLine> line = ParseProvisionctlArgs(args);
  if (!line.ok()) {
    std::string command;  // to point at the right help
    for (size_t i = 0; i < args.size() && command.empty(); ++i) {
      if (i + 1 < args.size() && FindCommand(absl::StrCat(args[i], " ", args[i + 1])) != nullptr) {
        command = absl::StrCat(args[i], " ", args[i + 1]);
      } else if (FindCommand(args[i]) != nullptr) {
        command = args[i];
      }
    }
    return UsageError(*environment.err, command, line.status().message());
  }
  if (line->help) {
    const CommandSpec* command = FindCommand(line->command);
    *environment.out << (command == nullptr ? MainHelp() : CommandHelp(*command));
    return kExitOk;
  }
  if (line->command.empty()) {
    *environment.err << MainHelp();
    return kExitUsage;
  }
  absl::StatusOr<OutputFormat> output = ParseOutputFormat(line->flags.String("output", "table"));
  if (!output.ok()) return UsageError(*environment.err, "", output.status().message());

  Session session;
  session.server = line->flags.String("server", kDefaultServer);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenChannel(session.server, line->flags);
  if (!channel.ok()) return UsageError(*environment.err, "", channel.status().message());
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub =
      provisioning::v1::Provisioning::NewStub(*channel);
  session.stub = stub.get();
  std::unique_ptr<provisioning::v1::NodeGroups::Stub> groups =
      provisioning::v1::NodeGroups::NewStub(*channel);
  session.groups = groups.get();
  session.output = *output;
  session.timeout = line->flags.Duration("timeout", absl::Seconds(30));
  session.out = environment.out;
  session.err = environment.err;
  session.terminal = environment.terminal;
  session.terminal_width = environment.terminal_width;
  return RunCommand(*line, session);
}

}  // namespace cvm::cli
