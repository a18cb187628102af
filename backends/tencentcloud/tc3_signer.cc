#include "backends/tencentcloud/tc3_signer.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace cvm::tencentcloud {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest Sha256(absl::string_view data) {
  Digest out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

Digest Hmac(const void* key, size_t key_size, absl::string_view data) {
  Digest out;
  unsigned int size = 0;
  HMAC(EVP_sha256(), key, static_cast<int>(key_size),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size);
  return out;
}

Digest Hmac(const Digest& key, absl::string_view data) {
  return Hmac(key.data(), key.size(), data);
}

void AppendHex(const Digest& digest, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
}

std::string Hex(const Digest& digest) {
  std::string out;
  out.reserve(2 * digest.size());
  AppendHex(digest, out);
  return out;
}

constexpr absl::string_view kAlgorithm = "TC3-HMAC-SHA256";
constexpr absl::string_view kSignedHeaders = "content-type;host";

}  // namespace

std::string Tc3Date(int64_t timestamp) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(timestamp), absl::UTCTimeZone());
}

std::string Sha256Hex(absl::string_view data) { return Hex(Sha256(data)); }

std::string Tc3SignCanonical(absl::string_view secret_key, absl::string_view service,
                             int64_t timestamp, absl::string_view canonical_request) {
  const std::string date = Tc3Date(timestamp);
  std::string to_sign;
  to_sign.reserve(160);
  absl::StrAppend(&to_sign, kAlgorithm, "\n", timestamp, "\n", date, "/", service,
                  "/tc3_request\n");
  AppendHex(Sha256(canonical_request), to_sign);

  const std::string secret = absl::StrCat("TC3", secret_key);
  const Digest date_key = Hmac(secret.data(), secret.size(), date);
  const Digest service_key = Hmac(date_key, service);
  const Digest signing_key = Hmac(service_key, "tc3_request");
  return Hex(Hmac(signing_key, to_sign));
}

std::string Tc3Signature(const Tc3Input& in) {
  std::string canonical;
  canonical.reserve(128 + in.content_type.size() + in.host.size());
  absl::StrAppend(&canonical, "POST\n/\n\ncontent-type:", in.content_type, "\nhost:", in.host,
                  "\n\n", kSignedHeaders, "\n");
  AppendHex(Sha256(in.payload), canonical);
  return Tc3SignCanonical(in.secret_key, in.service, in.timestamp, canonical);
}

std::string Tc3Authorization(const Tc3Input& in) {
  return absl::StrCat(kAlgorithm, " Credential=", in.secret_id, "/", Tc3Date(in.timestamp),
                      "/", in.service, "/tc3_request, SignedHeaders=", kSignedHeaders,
                      ", Signature=", Tc3Signature(in));
}

}  // namespace cvm::tencentcloud
