#include "cli/session.h"

#include "cli/error_format.h"

namespace cvm::cli {

std::unique_ptr<grpc::ClientContext> Session::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

int ReportError(const Session& session, absl::string_view what, const grpc::Status& status) {
  *session.err << "provisionctl: " << what << " failed: " << FormatError(status);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE && ErrorDetails(status).empty()) {
    *session.err << "  is the service running at " << session.server << "? (see --server)\n";
  }
  session.err->flush();
  return ExitCodeFor(status.error_code());
}

}  // namespace cvm::cli
