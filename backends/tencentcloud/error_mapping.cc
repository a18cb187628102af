#include "backends/tencentcloud/error_mapping.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "common/status_details.h"

namespace cvm::tencentcloud {
namespace {

struct Rule {
  const char* prefix;  // exact code, or a prefix ending in '.' or '*'
  absl::StatusCode code;
  const char* reason;
};

// First match wins: exact codes before the families they belong to.
constexpr Rule kRules[] = {
    {"AuthFailure.UnauthorizedOperation", absl::StatusCode::kPermissionDenied,
     "CLOUD_PERMISSION_DENIED"},
    {"UnauthorizedOperation", absl::StatusCode::kPermissionDenied, "CLOUD_PERMISSION_DENIED"},
    {"AuthFailure.", absl::StatusCode::kUnauthenticated, "CLOUD_AUTH_FAILED"},
    {"InvalidAccount.InsufficientBalance", absl::StatusCode::kFailedPrecondition,
     "INSUFFICIENT_BALANCE"},
    {"LimitExceeded.InstanceQuota", absl::StatusCode::kResourceExhausted, "QUOTA_EXCEEDED"},
    {"LimitExceeded.SpotQuota", absl::StatusCode::kResourceExhausted, "QUOTA_EXCEEDED"},
    {"LimitExceeded.UserSpotQuota", absl::StatusCode::kResourceExhausted, "QUOTA_EXCEEDED"},
    {"ResourceInsufficient.AvailabilityZoneSoldOut", absl::StatusCode::kFailedPrecondition,
     "ZONE_SOLD_OUT"},
    {"ResourceInsufficient.", absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_STOCK"},
    {"ResourcesSoldOut.", absl::StatusCode::kFailedPrecondition, "ZONE_SOLD_OUT"},
    {"InvalidParameterValue.InsufficientPrice", absl::StatusCode::kFailedPrecondition,
     "SPOT_PRICE_TOO_LOW"},
    // StopInstances / StartInstances (backends/backend.h rule 9).
    {"UnsupportedOperation.InstanceState*", absl::StatusCode::kFailedPrecondition,
     "INSTANCE_STATE"},
    {"UnsupportedOperation.StoppedModeStopCharging", absl::StatusCode::kFailedPrecondition,
     "STOP_CHARGING_UNSUPPORTED"},
    {"OperationDenied.InstanceOperationInProgress", absl::StatusCode::kUnavailable,
     "CLOUD_OPERATION_IN_PROGRESS"},
    {"MutexOperation.TaskRunning", absl::StatusCode::kUnavailable, "CLOUD_OPERATION_IN_PROGRESS"},
    {"InvalidInstanceId.Malformed", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
    {"InvalidParameterCombination", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
    {"UnknownParameter", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
    {"InvalidClientToken.", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
    {"InvalidParameterValue", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
    {"InvalidParameter", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
    {"MissingParameter", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
    {"InvalidZone.", absl::StatusCode::kInvalidArgument, "CLOUD_INVALID_PARAMETER"},
    {"RequestLimitExceeded", absl::StatusCode::kResourceExhausted, "CLOUD_RATE_LIMITED"},
    {"InvalidInstanceId.NotFound", absl::StatusCode::kNotFound, "INSTANCE_NOT_FOUND"},
    {"ResourceNotFound", absl::StatusCode::kNotFound, "CLOUD_RESOURCE_NOT_FOUND"},
    {"InternalError", absl::StatusCode::kUnavailable, "CLOUD_INTERNAL_ERROR"},
    {"ResourceUnavailable", absl::StatusCode::kUnavailable, "CLOUD_UNAVAILABLE"},
};

bool Matches(const std::string& code, const char* prefix) {
  absl::string_view p(prefix);
  if (absl::EndsWith(p, ".")) return absl::StartsWith(code, p);
  if (absl::ConsumeSuffix(&p, "*")) return absl::StartsWith(code, p);
  return code == p || absl::StartsWith(code, absl::StrCat(p, "."));
}

}  // namespace

MappedCode MapErrorCode(const std::string& tencent_code) {
  for (const Rule& rule : kRules) {
    if (Matches(tencent_code, rule.prefix)) return {rule.code, rule.reason};
  }
  return {absl::StatusCode::kUnknown, "CLOUD_ERROR"};
}

absl::Status StatusFromApiError(const std::string& tencent_code, const std::string& message,
                                const std::string& request_id, const std::string& action) {
  const MappedCode mapped = MapErrorCode(tencent_code);
  absl::Status status(mapped.code, absl::StrCat("Tencent Cloud ", action, ": ", tencent_code,
                                                ": ", message, " (RequestId ", request_id, ")"));
  return WithReason(std::move(status), mapped.reason,
                    {{kCloudErrorCodeKey, tencent_code}, {kCloudRequestIdKey, request_id}});
}

}  // namespace cvm::tencentcloud
