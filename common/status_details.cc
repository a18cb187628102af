#include "common/status_details.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cvm {

std::string TypeUrl(const google::protobuf::Message& message) {
  return absl::StrCat("type.googleapis.com/", message.GetDescriptor()->full_name());
}

void SetDetail(absl::Status& status, const google::protobuf::Message& message) {
  if (status.ok()) return;
  status.SetPayload(TypeUrl(message), absl::Cord(message.SerializeAsString()));
}

absl::Status InvalidFields(const std::vector<FieldViolation>& violations) {
  google::rpc::BadRequest bad_request;
  std::vector<std::string> parts;
  for (const FieldViolation& v : violations) {
    auto* fv = bad_request.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
    parts.push_back(absl::StrCat(v.field, ": ", v.description));
  }
  absl::Status status = absl::InvalidArgumentError(
      absl::StrJoin(parts, "; "));
  SetDetail(status, bad_request);
  return WithReason(std::move(status), "INVALID_ARGUMENT");
}

absl::Status WithReason(
    absl::Status status, absl::string_view reason,
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  if (status.ok()) return status;
  google::rpc::ErrorInfo info;
  if (auto existing = GetDetail<google::rpc::ErrorInfo>(status)) info = *existing;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (const auto& [key, value] : metadata) (*info.mutable_metadata())[key] = value;
  SetDetail(status, info);
  return status;
}

std::string ErrorReason(const absl::Status& status) {
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  return info.has_value() ? info->reason() : "";
}

absl::Status PreconditionFailed(absl::string_view check,
                                absl::string_view subject,
                                absl::string_view description) {
  google::rpc::PreconditionFailure failure;
  auto* v = failure.add_violations();
  v->set_type(std::string(check));
  v->set_subject(std::string(subject));
  v->set_description(std::string(description));
  absl::Status status = absl::FailedPreconditionError(
      absl::StrCat("pre-flight check ", check, " failed for ", subject, ": ",
                   description));
  SetDetail(status, failure);
  return WithReason(std::move(status), check);
}

absl::Status QuotaExceeded(absl::string_view subject,
                           absl::string_view description) {
  google::rpc::QuotaFailure failure;
  auto* v = failure.add_violations();
  v->set_subject(std::string(subject));
  v->set_description(std::string(description));
  absl::Status status = absl::ResourceExhaustedError(
      absl::StrCat("quota exceeded for ", subject, ": ", description));
  SetDetail(status, failure);
  return WithReason(std::move(status), "QUOTA_EXCEEDED");
}

absl::Status RetryLater(absl::string_view message, absl::Duration delay) {
  google::rpc::RetryInfo retry;
  int64_t nanos = absl::ToInt64Nanoseconds(delay);
  retry.mutable_retry_delay()->set_seconds(nanos / 1000000000);
  retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  absl::Status status = absl::UnavailableError(message);
  SetDetail(status, retry);
  return status;
}

}  // namespace cvm
