// Field checks shared by the request validators (private to
// :request_validation): a violation list and the id rules.
//
// Pure functions, thread-compatible (a Violations is used by one thread).
#ifndef CVM_PROVISIONER_SERVICE_FIELD_CHECKS_H_
#define CVM_PROVISIONER_SERVICE_FIELD_CHECKS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/status_details.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace cvm {

// Collects violations; Status() is OK when there are none, else
// INVALID_ARGUMENT with a BadRequest naming each field.
class Violations {
 public:
  void Add(std::string field, std::string description) {
    list_.push_back({std::move(field), std::move(description)});
  }
  absl::Status Status() const { return list_.empty() ? absl::OkStatus() : InvalidFields(list_); }

 private:
  std::vector<FieldViolation> list_;
};

// Identifiers such as regions, zones, instance types and cloud ids:
// 1-max characters of [A-Za-z0-9._-]. True when `value` is a valid id.
bool CheckId(Violations& v, const std::string& field, const std::string& value, bool required,
             size_t max = 64);

// At most `max` distinct valid ids, each named "field[i]" when bad.
void CheckIdList(Violations& v, const std::string& field,
                 const google::protobuf::RepeatedPtrField<std::string>& ids, int max);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_FIELD_CHECKS_H_
