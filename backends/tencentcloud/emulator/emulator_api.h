// The emulator's API front door without HTTP: one POST / request (headers and
// body) in, the authenticated call or the error to answer out, and the JSON
// body of an answer. EmulatorServer routes HTTP through these; the fuzzer
// (fuzz/emulator_request_fuzzer.cc) calls them directly.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_EMULATOR_API_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_EMULATOR_API_H_

#include <string>
#include <variant>

#include "absl/time/time.h"
#include "backends/tencentcloud/emulator/cvm_emulator.h"
#include "backends/tencentcloud/emulator/tc3_verifier.h"

namespace cvm::tencentcloud {

// An authenticated API call, ready for CvmEmulator::Handle().
struct EmulatorCall {
  std::string secret_id;
  std::string service;  // "cvm" or "billing", from X-TC-Version
  std::string action;   // X-TC-Action
  std::string region;   // X-TC-Region, may be empty
  Json params;          // the body, a JSON object
};

// Checks one POST / the way Tencent does, in its order: X-TC-Action and
// X-TC-Version present, the TC3 signature (against `now`, the emulator's
// allowed skew and its accounts), a supported version, the account's rate
// limit for the action (counted), a JSON object body. Returns the call, or
// the "Response" object of the error to answer (ApiError()).
// `request.headers` has lowercased names.
std::variant<EmulatorCall, Json> ParseEmulatorCall(CvmEmulator& emulator,
                                                   const SignedRequest& request, absl::Time now);

// The HTTP body answering `response` (a "Response" object), with RequestId
// added: {"Response": {..., "RequestId": request_id}}.
std::string ResponseBody(Json response, const std::string& request_id);

// `json` as an HTTP body. Answers and books quote what clients sent (header
// values, action names), which may be any bytes: invalid UTF-8 becomes
// U+FFFD instead of an exception.
std::string JsonBody(const Json& json);

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_EMULATOR_API_H_
