// Checks a TC3-HMAC-SHA256 signed request the way Tencent Cloud does, and
// answers with Tencent's error codes.
//
// Accepts whatever headers the client listed in SignedHeaders (names and
// values lowercased and trimmed), takes the service from the credential scope,
// and accepts the Host header with or without its port (the official Node SDK
// signs the host without the port when pointed at a local endpoint).
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_TC3_VERIFIER_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_TC3_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/time/time.h"

namespace cvm::tencentcloud {

struct SignedRequest {
  // Header names lowercased.
  std::map<std::string, std::string> headers;
  std::string body;
};

struct VerifyResult {
  bool ok = false;
  std::string error_code;  // e.g. "AuthFailure.SignatureFailure"
  std::string message;
  std::string secret_id;  // the caller, when ok
  std::string service;    // from the credential scope, when ok
};

// `secret_key_of` returns "" for an unknown SecretId.
VerifyResult VerifyTc3(const SignedRequest& request, absl::Time now, absl::Duration max_skew,
                       const std::function<std::string(const std::string&)>& secret_key_of);

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_TC3_VERIFIER_H_
