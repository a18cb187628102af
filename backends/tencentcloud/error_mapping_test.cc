#include "backends/tencentcloud/error_mapping.h"

#include "absl/strings/match.h"
#include "backends/backend.h"
#include "common/status_details.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

struct Case {
  const char* tencent_code;
  absl::StatusCode code;
  const char* reason;
};

TEST(ErrorMappingTest, MapsTencentCodesToContractCodesAndReasons) {
  const Case cases[] = {
      {"AuthFailure.SignatureFailure", absl::StatusCode::kUnauthenticated, "CLOUD_AUTH_FAILED"},
      {"AuthFailure.SignatureExpire", absl::StatusCode::kUnauthenticated, "CLOUD_AUTH_FAILED"},
      {"AuthFailure.SecretIdNotFound", absl::StatusCode::kUnauthenticated, "CLOUD_AUTH_FAILED"},
      {"AuthFailure.UnauthorizedOperation", absl::StatusCode::kPermissionDenied,
       "CLOUD_PERMISSION_DENIED"},
      {"InvalidAccount.InsufficientBalance", absl::StatusCode::kFailedPrecondition,
       "INSUFFICIENT_BALANCE"},
      {"LimitExceeded.InstanceQuota", absl::StatusCode::kResourceExhausted, "QUOTA_EXCEEDED"},
      {"LimitExceeded.SpotQuota", absl::StatusCode::kResourceExhausted, "QUOTA_EXCEEDED"},
      {"LimitExceeded.UserSpotQuota", absl::StatusCode::kResourceExhausted, "QUOTA_EXCEEDED"},
      {"ResourceInsufficient.AvailabilityZoneSoldOut", absl::StatusCode::kFailedPrecondition,
       "ZONE_SOLD_OUT"},
      {"ResourceInsufficient.SpecifiedInstanceType", absl::StatusCode::kFailedPrecondition,
       "INSUFFICIENT_STOCK"},
      {"ResourcesSoldOut.SpecifiedInstanceType", absl::StatusCode::kFailedPrecondition,
       "ZONE_SOLD_OUT"},
      {"InvalidParameterValue.InsufficientPrice", absl::StatusCode::kFailedPrecondition,
       "SPOT_PRICE_TOO_LOW"},
      {"InvalidParameterValue.InvalidZone", absl::StatusCode::kInvalidArgument,
       "CLOUD_INVALID_PARAMETER"},
      {"InvalidParameter", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
      {"MissingParameter", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
      {"InvalidClientToken.TooLong", absl::StatusCode::kInvalidArgument,
       "CLOUD_INVALID_PARAMETER"},
      {"RequestLimitExceeded", absl::StatusCode::kResourceExhausted, "CLOUD_RATE_LIMITED"},
      {"RequestLimitExceeded.UinLimitExceeded", absl::StatusCode::kResourceExhausted,
       "CLOUD_RATE_LIMITED"},
      {"InternalError", absl::StatusCode::kUnavailable, "CLOUD_INTERNAL_ERROR"},
      {"InternalError.TradeUnknownError", absl::StatusCode::kUnavailable,
       "CLOUD_INTERNAL_ERROR"},
      {"InvalidInstanceId.NotFound", absl::StatusCode::kNotFound, "INSTANCE_NOT_FOUND"},
      {"ResourceNotFound.NoDefaultVpc", absl::StatusCode::kNotFound, "CLOUD_RESOURCE_NOT_FOUND"},
      {"UnsupportedOperation.InstanceStateStopped", absl::StatusCode::kFailedPrecondition,
       "INSTANCE_STATE"},
      {"UnsupportedOperation.InstanceStateRunning", absl::StatusCode::kFailedPrecondition,
       "INSTANCE_STATE"},
      {"UnsupportedOperation.StoppedModeStopCharging", absl::StatusCode::kFailedPrecondition,
       "STOP_CHARGING_UNSUPPORTED"},
      {"OperationDenied.InstanceOperationInProgress", absl::StatusCode::kUnavailable,
       "CLOUD_OPERATION_IN_PROGRESS"},
      {"InvalidParameterCombination", absl::StatusCode::kInvalidArgument,
       "CLOUD_INVALID_PARAMETER"},
      {"UnknownParameter", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
      {"UnsupportedOperation.SomethingElse", absl::StatusCode::kUnknown, "CLOUD_ERROR"},
      {"SomethingNew.NeverSeen", absl::StatusCode::kUnknown, "CLOUD_ERROR"},
      // A code that merely starts like a known one is not that one.
      {"InternalErrorish", absl::StatusCode::kUnknown, "CLOUD_ERROR"},
  };
  for (const Case& c : cases) {
    const MappedCode mapped = MapErrorCode(c.tencent_code);
    EXPECT_EQ(mapped.code, c.code) << c.tencent_code;
    EXPECT_STREQ(mapped.reason, c.reason) << c.tencent_code;
  }
}

TEST(ErrorMappingTest, StatusCarriesCloudCodeAndRequestId) {
  absl::Status status = StatusFromApiError("LimitExceeded.InstanceQuota", "quota used up",
                                           "req-123", "RunInstances");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(status.message(), "RunInstances"));
  EXPECT_TRUE(absl::StrContains(status.message(), "quota used up"));
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "QUOTA_EXCEEDED");
  EXPECT_EQ(info->metadata().at(kCloudErrorCodeKey), "LimitExceeded.InstanceQuota");
  EXPECT_EQ(info->metadata().at(kCloudRequestIdKey), "req-123");
}

}  // namespace
}  // namespace cvm::tencentcloud
