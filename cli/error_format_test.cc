#include "cli/error_format.h"

#include "common/grpc_status.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using ::testing::HasSubstr;

TEST(FormatErrorTest, BadRequestListsEveryFieldThenTheReason) {
  grpc::Status status = ToGrpcStatus(InvalidFields(
      {{"instance_count", "must be between 1 and 100"}, {"spec.zone", "is required"}}));
  EXPECT_EQ(FormatError(status),
            "INVALID_ARGUMENT: instance_count: must be between 1 and 100; spec.zone: is required\n"
            "  field instance_count: must be between 1 and 100\n"
            "  field spec.zone: is required\n"
            "  reason INVALID_ARGUMENT (provisioner.cvm.dev)\n");
}

TEST(FormatErrorTest, PreconditionFailureWithReason) {
  grpc::Status status = ToGrpcStatus(PreconditionFailed(
      "SPOT_PRICE_TOO_LOW", "S5.MEDIUM2", "max price 0.01 is below the market price 0.04"));
  EXPECT_EQ(FormatError(status),
            "FAILED_PRECONDITION: pre-flight check SPOT_PRICE_TOO_LOW failed for S5.MEDIUM2: max "
            "price 0.01 is below the market price 0.04\n"
            "  precondition SPOT_PRICE_TOO_LOW failed for S5.MEDIUM2: max price 0.01 is below the "
            "market price 0.04\n"
            "  reason SPOT_PRICE_TOO_LOW (provisioner.cvm.dev)\n");
}

TEST(FormatErrorTest, QuotaFailure) {
  grpc::Status status = ToGrpcStatus(QuotaExceeded("ap-guangzhou-3/instances", "500 in use"));
  const std::string text = FormatError(status);
  EXPECT_THAT(text, HasSubstr("RESOURCE_EXHAUSTED: quota exceeded for"));
  EXPECT_THAT(text, HasSubstr("\n  quota exceeded for ap-guangzhou-3/instances: 500 in use\n"));
  EXPECT_THAT(text, HasSubstr("\n  reason QUOTA_EXCEEDED (provisioner.cvm.dev)\n"));
}

TEST(FormatErrorTest, RetryInfoAndErrorInfoMetadataSortedByKey) {
  absl::Status status = WithReason(RetryLater("the server is shutting down", absl::Seconds(1.5)),
                                   "SERVER_DRAINING", {{"zeta", "last"}, {"alpha", "first"}});
  EXPECT_EQ(FormatError(ToGrpcStatus(status)),
            "UNAVAILABLE: the server is shutting down\n"
            "  retry after 1.5s\n"
            "  reason SERVER_DRAINING (provisioner.cvm.dev)\n"
            "    alpha: first\n"
            "    zeta: last\n");
}

TEST(FormatErrorTest, CloudErrorCodeAndRequestIdFromTheMetadata) {
  absl::Status status =
      WithReason(absl::FailedPreconditionError("balance too low"), "INSUFFICIENT_BALANCE",
                 {{"cloud_error_code", "InsufficientBalance"}, {"cloud_request_id", "6a1f-22"}});
  const std::string text = FormatError(ToGrpcStatus(status));
  EXPECT_THAT(text, HasSubstr("    cloud_error_code: InsufficientBalance\n"));
  EXPECT_THAT(text, HasSubstr("    cloud_request_id: 6a1f-22\n"));
}

TEST(FormatErrorTest, NoDetailsOtherStandardDetailsAndUnknownTypes) {
  EXPECT_EQ(FormatError(grpc::Status(grpc::StatusCode::NOT_FOUND, "order ord-1 not found")),
            "NOT_FOUND: order ord-1 not found\n");
  EXPECT_EQ(FormatError(grpc::Status(grpc::StatusCode::CANCELLED, "")), "CANCELLED\n");

  google::rpc::Status rich;
  rich.set_code(13);
  google::rpc::Help help;
  auto* link = help.add_links();
  link->set_description("runbook");
  link->set_url("https://example.com/runbook");
  rich.add_details()->PackFrom(help);
  google::rpc::RequestInfo info;
  info.set_request_id("req-7");
  rich.add_details()->PackFrom(info);
  auto* unknown = rich.add_details();
  unknown->set_type_url("type.googleapis.com/acme.Mystery");
  grpc::Status status(grpc::StatusCode::INTERNAL, "boom", rich.SerializeAsString());
  EXPECT_EQ(FormatError(status),
            "INTERNAL: boom\n"
            "  request id req-7\n"
            "  help: runbook https://example.com/runbook\n"
            "  detail type.googleapis.com/acme.Mystery\n");
  EXPECT_EQ(ErrorDetails(status).size(), 3u);
  // Details that are not a google.rpc.Status are ignored, not fatal.
  EXPECT_TRUE(ErrorDetails(grpc::Status(grpc::StatusCode::INTERNAL, "x", "\xff\xff")).empty());
}

TEST(ExitCodeTest, EveryCodeMapsAsDocumented) {
  using C = grpc::StatusCode;
  const std::vector<std::pair<C, ExitCode>> cases = {
      {C::OK, kExitOk},
      {C::INVALID_ARGUMENT, kExitInvalidArgument},
      {C::OUT_OF_RANGE, kExitInvalidArgument},
      {C::ALREADY_EXISTS, kExitInvalidArgument},
      {C::FAILED_PRECONDITION, kExitPrecondition},
      {C::RESOURCE_EXHAUSTED, kExitPrecondition},
      {C::NOT_FOUND, kExitNotFound},
      {C::UNAVAILABLE, kExitUnavailable},
      {C::DEADLINE_EXCEEDED, kExitUnavailable},
      {C::INTERNAL, kExitOther},
      {C::UNKNOWN, kExitOther},
      {C::PERMISSION_DENIED, kExitOther},
      {C::CANCELLED, kExitOther},
  };
  for (const auto& [code, exit_code] : cases) {
    EXPECT_EQ(ExitCodeFor(code), exit_code) << StatusCodeName(code);
  }
  EXPECT_EQ(kExitOrderFailed, 6);
  EXPECT_EQ(kExitUsage, 1);
}

}  // namespace
}  // namespace cvm::cli
