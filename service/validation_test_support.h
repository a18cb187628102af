// Helpers for the request validators' tests (request_validation_test,
// bootstrap_validation_test): the fields a refusal names, and table rows
// that each break one field of a valid PurchaseRequest.
#ifndef CVM_PROVISIONER_SERVICE_VALIDATION_TEST_SUPPORT_H_
#define CVM_PROVISIONER_SERVICE_VALIDATION_TEST_SUPPORT_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

// The fields named by the BadRequest detail of `status`, in order.
inline std::vector<std::string> BadFields(const absl::Status& status) {
  std::vector<std::string> fields;
  const auto bad = GetDetail<google::rpc::BadRequest>(status).value_or(google::rpc::BadRequest());
  for (const auto& violation : bad.field_violations()) fields.push_back(violation.field());
  return fields;
}

// `mutate` breaks a valid request so that `field`, and only it, is wrong.
struct InvalidCase {
  std::string name;
  std::function<void(provisioning::v1::PurchaseRequest&)> mutate;
  std::string field;
};

inline void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

// `status` is INVALID_ARGUMENT (reason INVALID_ARGUMENT) naming exactly
// `field`, in its BadRequest and in its message.
inline void ExpectOnlyFieldNamed(const absl::Status& status, const std::string& field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(BadFields(status), ::testing::ElementsAre(field));
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(field));
  EXPECT_EQ(ErrorReason(status), "INVALID_ARGUMENT");
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_VALIDATION_TEST_SUPPORT_H_
