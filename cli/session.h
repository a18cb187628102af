// What every provisionctl command runs with: the services' stubs, the output
// format, the per-call timeout and where to write.
#ifndef CVM_PROVISIONER_CLI_SESSION_H_
#define CVM_PROVISIONER_CLI_SESSION_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/render.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/node_groups.grpc.pb.h"
#include "provisioning/v1/provisioning.grpc.pb.h"

namespace cvm::cli {

struct Session {
  provisioning::v1::Provisioning::StubInterface* stub = nullptr;
  provisioning::v1::NodeGroups::StubInterface* groups = nullptr;  // on the same channel
  std::string server;  // for messages
  OutputFormat output = OutputFormat::kTable;
  absl::Duration timeout = absl::Seconds(30);  // of each unary call
  std::ostream* out = nullptr;                 // results
  std::ostream* err = nullptr;                 // errors, notes, the request id
  bool terminal = false;                       // out is a terminal: redraw live views in place
  int terminal_width = 0;                      // columns of that terminal; 0 when unknown
  absl::Duration refresh = absl::Milliseconds(250);  // redraw period on a terminal
  std::function<absl::Time()> now = [] { return absl::Now(); };

  // A context whose deadline is `timeout` from now.
  std::unique_ptr<grpc::ClientContext> NewContext() const;
};

// Writes "provisionctl: WHAT failed: CODE: message" and every detail to err,
// with a hint when the service could not be reached; returns the exit code.
int ReportError(const Session& session, absl::string_view what, const grpc::Status& status);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_SESSION_H_
