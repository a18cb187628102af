// Machine-readable error details on absl::Status.
//
// Details are google.rpc messages (ErrorInfo, BadRequest, PreconditionFailure,
// QuotaFailure, RetryInfo) carried as absl::Status payloads keyed by their type
// URL, so they cross every internal layer unchanged; the gRPC edge turns them
// into google.rpc.Status details (common/grpc_status.h). A status holds at
// most one detail of each type.
#ifndef CVM_PROVISIONER_COMMON_STATUS_DETAILS_H_
#define CVM_PROVISIONER_COMMON_STATUS_DETAILS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/rpc/error_details.pb.h"

namespace cvm {

// The ErrorInfo domain of errors raised by this service.
inline constexpr absl::string_view kErrorDomain = "provisioner.cvm.dev";

// "type.googleapis.com/" + the message's full name.
std::string TypeUrl(const google::protobuf::Message& message);

// Sets (replaces) the detail of message's type on status. No-op on OK.
void SetDetail(absl::Status& status, const google::protobuf::Message& message);

// The detail of type T on status, if any.
template <typename T>
std::optional<T> GetDetail(const absl::Status& status) {
  T message;
  auto payload = status.GetPayload(TypeUrl(message));
  if (!payload.has_value() || !message.ParseFromString(std::string(*payload))) {
    return std::nullopt;
  }
  return message;
}

// One bad field: a path such as "spec.data_disks[1].size_gb" and why.
struct FieldViolation {
  std::string field;
  std::string description;
};

// INVALID_ARGUMENT naming every field (message and BadRequest detail).
absl::Status InvalidFields(const std::vector<FieldViolation>& violations);

// Adds an ErrorInfo (reason, domain, metadata) to status.
absl::Status WithReason(
    absl::Status status, absl::string_view reason,
    const std::vector<std::pair<std::string, std::string>>& metadata = {});

// The ErrorInfo reason of status, or "" when it has none.
std::string ErrorReason(const absl::Status& status);

// FAILED_PRECONDITION with a PreconditionFailure naming the check and subject.
absl::Status PreconditionFailed(absl::string_view check,
                                absl::string_view subject,
                                absl::string_view description);

// RESOURCE_EXHAUSTED with a QuotaFailure naming the quota.
absl::Status QuotaExceeded(absl::string_view subject,
                           absl::string_view description);

// UNAVAILABLE with RetryInfo: the caller may retry after `delay`.
absl::Status RetryLater(absl::string_view message, absl::Duration delay);

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_STATUS_DETAILS_H_
