// Tencent Cloud error codes -> absl::Status with the backend contract's codes
// (backends/backend.h rule 4), a reason, and the cloud's code and RequestId
// in the ErrorInfo metadata.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_ERROR_MAPPING_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_ERROR_MAPPING_H_

#include <string>

#include "absl/status/status.h"

namespace cvm::tencentcloud {

struct MappedCode {
  absl::StatusCode code;
  const char* reason;
};

// The canonical code and reason for a Tencent error code.
MappedCode MapErrorCode(const std::string& tencent_code);

// The full status for an error answer.
absl::Status StatusFromApiError(const std::string& tencent_code, const std::string& message,
                                const std::string& request_id, const std::string& action);

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_ERROR_MAPPING_H_
