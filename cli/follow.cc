#include "cli/follow.h"
#include "common/order_states.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/error_format.h"
#include "cli/event_stream.h"
#include "cli/exit_codes.h"
#include "cli/progress_view.h"
#include "cli/render.h"

namespace cvm::cli {

using provisioning::v1::Order;
using provisioning::v1::WatchEvent;
using provisioning::v1::WatchRequest;

StreamOptions WatchOptions(const Session& session, absl::Duration watch_timeout) {
  StreamOptions options;
  if (watch_timeout > absl::ZeroDuration()) options.deadline = absl::Now() + watch_timeout;
  std::ostream* err = session.err;
  options.on_resume = [err](const grpc::Status& why, int64_t after) {
    *err << "provisionctl: watch interrupted (" << StatusCodeName(why.error_code()) << ": "
         << why.error_message() << "); resuming after revision " << after << "\n";
    err->flush();
  };
  return options;
}

namespace {

void Write(const Session& session, const std::string& text) {
  if (text.empty()) return;
  *session.out << text;
  session.out->flush();
}

}  // namespace

int FollowOrder(const Session& session, const WatchRequest& request, const Order* initial,
                absl::Duration watch_timeout) {
  const bool table = session.output == OutputFormat::kTable;
  ProgressView view(session.terminal ? ProgressView::Mode::kTerminal : ProgressView::Mode::kLines);
  view.set_width(session.terminal_width);
  if (initial != nullptr) {
    view.Update(*initial, session.now());
    if (table) Write(session, view.Render(session.now()));
  }
  auto final_code = [&session, &view, table]() {
    if (view.order().state() != Order::FAILED) return static_cast<int>(kExitOk);
    if (!table) {
      *session.err << "provisionctl: order " << view.order().order_id()
                   << " ended FAILED: " << view.order().failure().reason() << ": "
                   << view.order().failure().message() << "\n";
    }
    return static_cast<int>(kExitOrderFailed);
  };
  if (view.has_order() && IsSettled(view.order().state())) return final_code();

  // After a Purchase or Terminate response: replay from its revision rather
  // than take a snapshot, so no change in between is missed (a FELL_BACK).
  WatchRequest from = request;
  StreamOptions options = WatchOptions(session, watch_timeout);
  if (initial != nullptr && request.start_revision() == 0 && initial->revision() > 0) {
    from.set_start_revision(initial->revision());
    options.snapshot_if_trimmed = true;
  }
  EventStream stream(session.stub, from, std::move(options));
  WatchEvent event;
  while (NextMessage(session, stream, &event, [&] { return view.Render(session.now()); })) {
    if (!table) Write(session, JsonLine(event));
    for (const Order& order : event.orders()) {
      if (order.order_id() == request.order_id()) view.Update(order, session.now());
    }
    if (table) Write(session, view.Render(session.now()));
    if (view.has_order() && IsSettled(view.order().state())) {
      stream.Cancel();
      return final_code();
    }
  }
  const grpc::Status status = stream.status();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && view.has_order()) {
    *session.err << "provisionctl: stopped watching after " << absl::FormatDuration(watch_timeout)
                 << "; order " << view.order().order_id() << " is still "
                 << OrderStateName(view.order().state()) << "\n";
    return kExitUnavailable;
  }
  return ReportError(session, "watch", status);
}

int WatchAll(const Session& session, const WatchRequest& request, absl::Duration watch_timeout) {
  EventStream stream(session.stub, request, WatchOptions(session, watch_timeout));
  WatchEvent event;
  while (stream.Wait(absl::InfiniteDuration(), &event) == EventStream::Next::kEvent) {
    Write(session,
          session.output == OutputFormat::kJson ? JsonLine(event) : RenderWatchEvent(event));
  }
  const grpc::Status status = stream.status();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      watch_timeout > absl::ZeroDuration()) {
    return kExitOk;  // the time asked for is up
  }
  return ReportError(session, "watch", status);
}

}  // namespace cvm::cli
