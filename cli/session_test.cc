#include "cli/session.h"

#include <chrono>
#include <sstream>

#include "cli/exit_codes.h"
#include "common/grpc_status.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Session SessionWritingTo(std::ostringstream& err) {
  Session session;
  session.server = "127.0.0.1:50051";
  session.err = &err;
  return session;
}

TEST(ReportErrorTest, NamesTheCallAndReturnsTheExitCode) {
  std::ostringstream err;
  const int code = ReportError(SessionWritingTo(err), "terminate",
                               ToGrpcStatus(absl::NotFoundError("order ord-1 not found")));
  EXPECT_EQ(code, kExitNotFound);
  EXPECT_EQ(err.str(), "provisionctl: terminate failed: NOT_FOUND: order ord-1 not found\n");
}

TEST(ReportErrorTest, AnUnreachableServiceGetsAHint) {
  std::ostringstream err;
  EXPECT_EQ(ReportError(SessionWritingTo(err), "describe",
                        grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect")),
            kExitUnavailable);
  EXPECT_THAT(err.str(),
              HasSubstr("\n  is the service running at 127.0.0.1:50051? (see --server)\n"));
}

TEST(ReportErrorTest, ADrainingServiceSaysSoItselfSoNoHint) {
  std::ostringstream err;
  absl::Status draining =
      WithReason(RetryLater("the server is shutting down", absl::Seconds(1)), "SERVER_DRAINING");
  EXPECT_EQ(ReportError(SessionWritingTo(err), "purchase", ToGrpcStatus(draining)),
            kExitUnavailable);
  EXPECT_THAT(err.str(), HasSubstr("  retry after 1s\n  reason SERVER_DRAINING"));
  EXPECT_THAT(err.str(), Not(HasSubstr("is the service running")));
}

TEST(SessionTest, EachContextGetsTheTimeoutAsItsDeadline) {
  Session session;
  session.timeout = absl::Seconds(7);
  const auto before = std::chrono::system_clock::now();
  auto context = session.NewContext();
  const auto deadline = context->deadline();
  EXPECT_GE(deadline, before + std::chrono::seconds(7));
  EXPECT_LE(deadline, std::chrono::system_clock::now() + std::chrono::seconds(7));
}

}  // namespace
}  // namespace cvm::cli
