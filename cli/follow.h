// Following orders over Watch: the live view of one order until it is
// final, or a line per change of every order.
#ifndef CVM_PROVISIONER_CLI_FOLLOW_H_
#define CVM_PROVISIONER_CLI_FOLLOW_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "cli/event_stream.h"
#include "cli/session.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm::cli {

// Stream options for a watch of `watch_timeout` (zero: no end) that tells
// session.err when it resumes after a break.
StreamOptions WatchOptions(const Session& session, absl::Duration watch_timeout);

// Waits for the stream's next message into *message: true when one came,
// false once the stream ended (its status() says why). Meanwhile, for table
// output on a terminal, writes `redraw()` every session.refresh (the view's
// clock ticks); otherwise only messages end the wait.
template <typename Request, typename Message>
bool NextMessage(const Session& session, ResumableStream<Request, Message>& stream,
                 Message* message, const std::function<std::string()>& redraw) {
  const bool ticking = session.output == OutputFormat::kTable && session.terminal;
  while (true) {
    switch (stream.Wait(ticking ? session.refresh : absl::InfiniteDuration(), message)) {
      case ResumableStream<Request, Message>::Next::kEvent:
        return true;
      case ResumableStream<Request, Message>::Next::kEnded:
        return false;
      case ResumableStream<Request, Message>::Next::kTimeout:
        *session.out << redraw();
        session.out->flush();
        break;
    }
  }
}

// Watches order `request.order_id()` until it is ACTIVE, FAILED, CANCELLED or
// TERMINATED. Table output: the live progress view (in place on a terminal,
// appended lines otherwise); JSON: one WatchEvent per line. `initial`, when
// given, is shown before the stream starts (the Purchase or Terminate
// response), and the stream replays every change after its revision (a
// snapshot when the service's log no longer holds them). `watch_timeout` of
// zero waits as long as it takes. Returns 0, kExitOrderFailed when the order
// ended FAILED, or the exit code of the error that ended the watch.
int FollowOrder(const Session& session, const provisioning::v1::WatchRequest& request,
                const provisioning::v1::Order* initial, absl::Duration watch_timeout);

// Watches every order: a line per order per event (table) or one WatchEvent
// per line (JSON), until the stream fails or `watch_timeout` (when not zero)
// passes, which is a normal end (exit 0).
int WatchAll(const Session& session, const provisioning::v1::WatchRequest& request,
             absl::Duration watch_timeout);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_FOLLOW_H_
