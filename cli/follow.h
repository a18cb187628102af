// Following orders over Watch: the live view of one order until it is
// final, or a line per change of every order.
#ifndef CVM_PROVISIONER_CLI_FOLLOW_H_
#define CVM_PROVISIONER_CLI_FOLLOW_H_

#include <string>

#include "absl/time/time.h"
#include "cli/session.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm::cli {

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
