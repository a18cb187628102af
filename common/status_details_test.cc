#include "common/status_details.h"

#include <string>

#include "absl/strings/cord.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(StatusDetailsTest, TypeUrlIsTheFullNameUnderGoogleapis) {
  EXPECT_EQ(TypeUrl(google::rpc::BadRequest()),
            "type.googleapis.com/google.rpc.BadRequest");
  EXPECT_EQ(TypeUrl(google::rpc::ErrorInfo()),
            "type.googleapis.com/google.rpc.ErrorInfo");
}

TEST(StatusDetailsTest, InvalidFieldsNamesEveryField) {
  absl::Status status =
      InvalidFields({{"spec.zone", "is required"},
                     {"instance_count", "must be between 1 and 100"},
                     {"spec.data_disks[1].size_gb", "must be positive"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::string message(status.message());
  EXPECT_THAT(message, HasSubstr("spec.zone: is required"));
  EXPECT_THAT(message, HasSubstr("instance_count: must be between 1 and 100"));
  EXPECT_THAT(message, HasSubstr("spec.data_disks[1].size_gb: must be positive"));

  auto bad = GetDetail<google::rpc::BadRequest>(status);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 3);
  EXPECT_EQ(bad->field_violations(0).field(), "spec.zone");
  EXPECT_EQ(bad->field_violations(0).description(), "is required");
  EXPECT_EQ(bad->field_violations(1).field(), "instance_count");
  EXPECT_EQ(bad->field_violations(1).description(), "must be between 1 and 100");
  EXPECT_EQ(bad->field_violations(2).field(), "spec.data_disks[1].size_gb");
  EXPECT_EQ(bad->field_violations(2).description(), "must be positive");
  EXPECT_EQ(ErrorReason(status), "INVALID_ARGUMENT");
}

TEST(StatusDetailsTest, WithReasonSetsReasonDomainAndMetadata) {
  absl::Status status = WithReason(absl::UnavailableError("down"), "CLOUD_DOWN",
                                   {{"cloud_error_code", "InternalError"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "down");
  EXPECT_EQ(ErrorReason(status), "CLOUD_DOWN");
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->domain(), std::string(kErrorDomain));
  EXPECT_THAT(info->metadata(),
              UnorderedElementsAre(Pair("cloud_error_code", "InternalError")));
}

TEST(StatusDetailsTest, WithReasonReplacesReasonAndMergesMetadata) {
  absl::Status status = WithReason(absl::UnavailableError("x"), "FIRST",
                                   {{"a", "1"}, {"shared", "old"}});
  status = WithReason(status, "SECOND", {{"b", "2"}, {"shared", "new"}});
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "SECOND");
  EXPECT_EQ(info->domain(), std::string(kErrorDomain));
  EXPECT_THAT(info->metadata(), UnorderedElementsAre(Pair("a", "1"), Pair("b", "2"),
                                                     Pair("shared", "new")));
}

TEST(StatusDetailsTest, ErrorReasonIsEmptyWithoutErrorInfo) {
  EXPECT_EQ(ErrorReason(absl::InternalError("plain")), "");
  EXPECT_EQ(ErrorReason(absl::OkStatus()), "");
}

TEST(StatusDetailsTest, SetDetailOnOkIsANoOp) {
  absl::Status ok = absl::OkStatus();
  google::rpc::BadRequest bad;
  bad.add_field_violations()->set_field("x");
  SetDetail(ok, bad);
  EXPECT_TRUE(ok.ok());
  EXPECT_FALSE(GetDetail<google::rpc::BadRequest>(ok).has_value());
  EXPECT_EQ(ok, absl::OkStatus());

  absl::Status still_ok = WithReason(absl::OkStatus(), "IGNORED", {{"k", "v"}});
  EXPECT_TRUE(still_ok.ok());
  EXPECT_EQ(ErrorReason(still_ok), "");
}

TEST(StatusDetailsTest, SetDetailReplacesTheDetailOfTheSameType) {
  absl::Status status = absl::InternalError("x");
  google::rpc::BadRequest first;
  first.add_field_violations()->set_field("first");
  SetDetail(status, first);
  google::rpc::BadRequest second;
  second.add_field_violations()->set_field("second");
  SetDetail(status, second);
  auto bad = GetDetail<google::rpc::BadRequest>(status);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 1);
  EXPECT_EQ(bad->field_violations(0).field(), "second");
  // A detail of another type is independent.
  EXPECT_FALSE(GetDetail<google::rpc::QuotaFailure>(status).has_value());
}

TEST(StatusDetailsTest, GetDetailOfAnUnparsablePayloadIsEmpty) {
  absl::Status status = absl::InternalError("x");
  status.SetPayload(TypeUrl(google::rpc::BadRequest()), absl::Cord("\xff\xff\xff"));
  EXPECT_FALSE(GetDetail<google::rpc::BadRequest>(status).has_value());
}

TEST(StatusDetailsTest, PreconditionFailedNamesTheCheck) {
  absl::Status status =
      PreconditionFailed("ZONE_SOLD_OUT", "ap-guangzhou-1", "sells no S5.SMALL");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("ZONE_SOLD_OUT"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("ap-guangzhou-1"));
  auto failure = GetDetail<google::rpc::PreconditionFailure>(status);
  ASSERT_TRUE(failure.has_value());
  ASSERT_EQ(failure->violations_size(), 1);
  EXPECT_EQ(failure->violations(0).type(), "ZONE_SOLD_OUT");
  EXPECT_EQ(failure->violations(0).subject(), "ap-guangzhou-1");
  EXPECT_EQ(failure->violations(0).description(), "sells no S5.SMALL");
  EXPECT_EQ(ErrorReason(status), "ZONE_SOLD_OUT");
}

TEST(StatusDetailsTest, QuotaExceededNamesTheQuota) {
  absl::Status status = QuotaExceeded("instances", "10 of 10 in use");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  auto failure = GetDetail<google::rpc::QuotaFailure>(status);
  ASSERT_TRUE(failure.has_value());
  ASSERT_EQ(failure->violations_size(), 1);
  EXPECT_EQ(failure->violations(0).subject(), "instances");
  EXPECT_EQ(failure->violations(0).description(), "10 of 10 in use");
  EXPECT_EQ(ErrorReason(status), "QUOTA_EXCEEDED");
}

TEST(StatusDetailsTest, RetryLaterCarriesTheDelay) {
  absl::Status status = RetryLater("busy", absl::Milliseconds(1500));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "busy");
  auto info = GetDetail<google::rpc::RetryInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->retry_delay().seconds(), 1);
  EXPECT_EQ(info->retry_delay().nanos(), 500000000);

  auto whole = GetDetail<google::rpc::RetryInfo>(RetryLater("x", absl::Seconds(30)));
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->retry_delay().seconds(), 30);
  EXPECT_EQ(whole->retry_delay().nanos(), 0);
}

}  // namespace
}  // namespace cvm
