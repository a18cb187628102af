#include "backends/tencentcloud/emulator/tc3_verifier.h"

#include <openssl/crypto.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "backends/tencentcloud/tc3_signer.h"

namespace cvm::tencentcloud {
namespace {

VerifyResult Fail(const std::string& code, const std::string& message) {
  VerifyResult result;
  result.error_code = code;
  result.message = message;
  return result;
}

std::string Header(const SignedRequest& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? "" : it->second;
}

// The canonical request with `host` as the host header's value.
std::string Canonical(const SignedRequest& request, const std::vector<std::string>& names,
                      const std::string& signed_headers, const std::string& host) {
  std::string canonical = "POST\n/\n\n";
  for (const std::string& name : names) {
    std::string value = name == "host" ? host : Header(request, name);
    absl::StrAppend(&canonical, name, ":",
                    absl::AsciiStrToLower(absl::StripAsciiWhitespace(value)), "\n");
  }
  absl::StrAppend(&canonical, "\n", signed_headers, "\n", Sha256Hex(request.body));
  return canonical;
}

bool SameSignature(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

VerifyResult VerifyTc3(const SignedRequest& request, absl::Time now, absl::Duration max_skew,
                       const std::function<std::string(const std::string&)>& secret_key_of) {
  const std::string authorization = Header(request, "authorization");
  absl::string_view rest = authorization;
  if (!absl::ConsumePrefix(&rest, "TC3-HMAC-SHA256 ")) {
    return Fail("AuthFailure.InvalidAuthorization",
                "Authorization must start with TC3-HMAC-SHA256.");
  }
  std::map<std::string, std::string> parts;
  for (absl::string_view part : absl::StrSplit(rest, ',')) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(absl::StripAsciiWhitespace(part), absl::MaxSplits('=', 1));
    parts[kv.first] = kv.second;
  }
  std::vector<std::string> scope = absl::StrSplit(parts["Credential"], '/');
  if (scope.size() != 4 || scope[3] != "tc3_request" || parts["SignedHeaders"].empty() ||
      parts["Signature"].empty()) {
    return Fail("AuthFailure.InvalidAuthorization",
                "Authorization needs Credential, SignedHeaders and Signature.");
  }
  int64_t timestamp = 0;
  if (!absl::SimpleAtoi(Header(request, "x-tc-timestamp"), &timestamp)) {
    return Fail("MissingParameter", "X-TC-Timestamp is required.");
  }
  if (absl::AbsDuration(now - absl::FromUnixSeconds(timestamp)) > max_skew) {
    return Fail("AuthFailure.SignatureExpire",
                "The signature has expired: X-TC-Timestamp is too far from the server time.");
  }
  if (scope[1] != Tc3Date(timestamp)) {
    return Fail("AuthFailure.SignatureFailure",
                "The credential date does not match X-TC-Timestamp.");
  }
  const std::string secret_key = secret_key_of(scope[0]);
  if (secret_key.empty()) {
    return Fail("AuthFailure.SecretIdNotFound", "The SecretId is not found.");
  }
  std::vector<std::string> names = absl::StrSplit(parts["SignedHeaders"], ';');
  const std::string host = Header(request, "host");
  std::vector<std::string> hosts = {host};
  if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    hosts.push_back(host.substr(0, colon));
  }
  for (const std::string& candidate : hosts) {
    const std::string expected = Tc3SignCanonical(
        secret_key, scope[2], timestamp,
        Canonical(request, names, parts["SignedHeaders"], candidate));
    if (SameSignature(expected, parts["Signature"])) {
      VerifyResult ok;
      ok.ok = true;
      ok.secret_id = scope[0];
      ok.service = scope[2];
      return ok;
    }
  }
  return Fail("AuthFailure.SignatureFailure",
              "The provided credentials could not be validated: check the SecretKey and the "
              "signature method.");
}

}  // namespace cvm::tencentcloud
