#include "common/status_details.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using ::testing::HasSubstr;

TEST(StatusDetailsTest, InvalidFieldsNamesEveryField) {
  absl::Status status = InvalidFields({{"spec.zone", "is required"},
                                       {"instance_count", "must be between 1 and 100"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("spec.zone: is required"));
  auto bad = GetDetail<google::rpc::BadRequest>(status);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 2);
  EXPECT_EQ(bad->field_violations(1).field(), "instance_count");
  EXPECT_EQ(bad->field_violations(1).description(), "must be between 1 and 100");
  EXPECT_EQ(ErrorReason(status), "INVALID_ARGUMENT");
}

TEST(StatusDetailsTest, WithReasonSetsDomainAndMergesMetadata) {
  absl::Status status = WithReason(absl::UnavailableError("x"), "FIRST", {{"a", "1"}});
  status = WithReason(status, "SECOND", {{"b", "2"}});
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "SECOND");
  EXPECT_EQ(info->domain(), std::string(kErrorDomain));
  EXPECT_EQ(info->metadata().at("a"), "1");
  EXPECT_EQ(info->metadata().at("b"), "2");
}

TEST(StatusDetailsTest, OkStaysOkWithoutDetails) {
  absl::Status ok = WithReason(absl::OkStatus(), "IGNORED");
  EXPECT_TRUE(ok.ok());
  SetDetail(ok, google::rpc::BadRequest());
  EXPECT_FALSE(GetDetail<google::rpc::BadRequest>(ok).has_value());
  EXPECT_EQ(ErrorReason(ok), "");
}

TEST(StatusDetailsTest, PreconditionQuotaAndRetryCarryTheirDetails) {
  absl::Status precondition = PreconditionFailed("ZONE_SOLD_OUT", "ap-guangzhou-1", "none");
  EXPECT_EQ(precondition.code(), absl::StatusCode::kFailedPrecondition);
  auto failure = GetDetail<google::rpc::PreconditionFailure>(precondition);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->violations(0).type(), "ZONE_SOLD_OUT");
  EXPECT_EQ(failure->violations(0).subject(), "ap-guangzhou-1");
  EXPECT_EQ(ErrorReason(precondition), "ZONE_SOLD_OUT");

  absl::Status quota = QuotaExceeded("instances", "10 of 10 in use");
  EXPECT_EQ(quota.code(), absl::StatusCode::kResourceExhausted);
  auto quota_failure = GetDetail<google::rpc::QuotaFailure>(quota);
  ASSERT_TRUE(quota_failure.has_value());
  EXPECT_EQ(quota_failure->violations(0).subject(), "instances");
  EXPECT_EQ(ErrorReason(quota), "QUOTA_EXCEEDED");

  absl::Status retry = RetryLater("busy", absl::Milliseconds(1500));
  EXPECT_EQ(retry.code(), absl::StatusCode::kUnavailable);
  auto info = GetDetail<google::rpc::RetryInfo>(retry);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->retry_delay().seconds(), 1);
  EXPECT_EQ(info->retry_delay().nanos(), 500000000);
}

}  // namespace
}  // namespace cvm
