// TC3-HMAC-SHA256: the request signature Tencent Cloud APIs check.
//
//   canonical request = POST \n / \n \n content-type:<ct>\nhost:<host>\n \n
//                       content-type;host \n hex(sha256(payload))
//   scope             = <UTC date of timestamp>/<service>/tc3_request
//   string to sign    = TC3-HMAC-SHA256 \n <timestamp> \n <scope> \n
//                       hex(sha256(canonical request))
//   key               = HMAC(HMAC(HMAC("TC3" + secret_key, date), service),
//                            "tc3_request")
//   Authorization     = TC3-HMAC-SHA256 Credential=<secret_id>/<scope>,
//                       SignedHeaders=content-type;host, Signature=hex(HMAC(key, sts))
//
// Pure functions on OpenSSL, thread-safe; only the returned strings allocate.
// The secret key never appears in any output.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TC3_SIGNER_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TC3_SIGNER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace cvm::tencentcloud {

struct Tc3Input {
  absl::string_view secret_id;
  absl::string_view secret_key;
  // The endpoint's first label, e.g. "cvm" or "billing".
  absl::string_view service;
  // The Host header as signed (no port for the official SDKs' local use).
  absl::string_view host;
  absl::string_view content_type = "application/json";
  absl::string_view payload;
  int64_t timestamp = 0;  // unix seconds
};

// "YYYY-MM-DD" in UTC for a unix timestamp.
std::string Tc3Date(int64_t timestamp);

// hex(HMAC-SHA256) signature of `input`.
std::string Tc3Signature(const Tc3Input& input);

// The signature of an already built canonical request (for verifiers that
// sign whatever headers a client listed).
std::string Tc3SignCanonical(absl::string_view secret_key, absl::string_view service,
                             int64_t timestamp, absl::string_view canonical_request);

// hex(sha256(data)), as used for the payload hash.
std::string Sha256Hex(absl::string_view data);

// The complete Authorization header value.
std::string Tc3Authorization(const Tc3Input& input);

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TC3_SIGNER_H_
