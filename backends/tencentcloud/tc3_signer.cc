#include "backends/tencentcloud/tc3_signer.h"

// The low-level SHA-256 API is deprecated in OpenSSL 3 in favour of EVP, but
// EVP fetches an implementation on every one-shot call, which costs more than
// hashing a whole request. The low-level calls use the same (SHA-NI) code.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <array>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cvm::tencentcloud {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;
constexpr size_t kBlock = 64;

// (OpenSSL 3's one-shot SHA256() goes through EVP; Init/Update/Final do not.)
Digest Sha256(absl::string_view data) {
  Digest out;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(out.data(), &ctx);
  return out;
}

// An HMAC-SHA256 key with its inner and outer pads already absorbed.
struct HmacKey {
  SHA256_CTX inner;
  SHA256_CTX outer;
};

HmacKey MakeHmacKey(const void* key, size_t size) {
  unsigned char block[kBlock] = {0};
  if (size > kBlock) {
    const Digest hashed =
        Sha256(absl::string_view(static_cast<const char*>(key), size));
    std::memcpy(block, hashed.data(), hashed.size());
  } else {
    std::memcpy(block, key, size);
  }
  unsigned char pad[kBlock];
  HmacKey k;
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&k.inner);
  SHA256_Update(&k.inner, pad, kBlock);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&k.outer);
  SHA256_Update(&k.outer, pad, kBlock);
  return k;
}

Digest Hmac(const HmacKey& key, absl::string_view data) {
  Digest inner, out;
  SHA256_CTX ctx = key.inner;
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(inner.data(), &ctx);
  ctx = key.outer;
  SHA256_Update(&ctx, inner.data(), inner.size());
  SHA256_Final(out.data(), &ctx);
  return out;
}

Digest Hmac(const Digest& key, absl::string_view data) {
  return Hmac(MakeHmacKey(key.data(), key.size()), data);
}

void AppendHex(const Digest& digest, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t at = out.size();
  out.resize(at + 2 * digest.size());
  char* p = &out[at];
  for (unsigned char byte : digest) {
    *p++ = kHex[byte >> 4];
    *p++ = kHex[byte & 15];
  }
}

std::string Hex(const Digest& digest) {
  std::string out;
  out.reserve(2 * digest.size());
  AppendHex(digest, out);
  return out;
}

// The signing key depends only on (secret key, date, service): derive it
// once per thread and day instead of four HMACs per request.
const HmacKey& SigningKey(absl::string_view secret_key, absl::string_view date,
                          absl::string_view service) {
  struct Cached {
    std::string secret_key, date, service;
    HmacKey key;
  };
  thread_local Cached cache;
  if (cache.date != date || cache.service != service || cache.secret_key != secret_key) {
    const std::string secret = absl::StrCat("TC3", secret_key);
    const Digest date_key = Hmac(MakeHmacKey(secret.data(), secret.size()), date);
    const Digest service_key = Hmac(date_key, service);
    const Digest signing_key = Hmac(service_key, "tc3_request");
    cache.key = MakeHmacKey(signing_key.data(), signing_key.size());
    cache.secret_key = std::string(secret_key);
    cache.date = std::string(date);
    cache.service = std::string(service);
  }
  return cache.key;
}

constexpr absl::string_view kAlgorithm = "TC3-HMAC-SHA256";
constexpr absl::string_view kSignedHeaders = "content-type;host";

}  // namespace

std::string Tc3Date(int64_t timestamp) {
  // Days since 1970-01-01 to a civil date (proleptic Gregorian, UTC).
  int64_t days = timestamp / 86400 - (timestamp % 86400 < 0 ? 1 : 0);
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  std::string out = "0000-00-00";
  int64_t y = year;
  for (int i = 3; i >= 0; --i, y /= 10) out[i] = static_cast<char>('0' + y % 10);
  out[5] = static_cast<char>('0' + month / 10);
  out[6] = static_cast<char>('0' + month % 10);
  out[8] = static_cast<char>('0' + day / 10);
  out[9] = static_cast<char>('0' + day % 10);
  return out;
}

std::string Sha256Hex(absl::string_view data) { return Hex(Sha256(data)); }

namespace {

void Update(SHA256_CTX& ctx, absl::string_view data) {
  SHA256_Update(&ctx, data.data(), data.size());
}

// hex(HMAC(signing key, string to sign)) where the string to sign is
// built straight into the HMAC's inner hash (no intermediate strings).
std::string SignHashedCanonical(absl::string_view secret_key, absl::string_view service,
                                int64_t timestamp, absl::string_view date,
                                const Digest& canonical_hash) {
  const HmacKey& key = SigningKey(secret_key, date, service);
  char hex[2 * SHA256_DIGEST_LENGTH];
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < canonical_hash.size(); ++i) {
    hex[2 * i] = kHex[canonical_hash[i] >> 4];
    hex[2 * i + 1] = kHex[canonical_hash[i] & 15];
  }
  char stamp[24];
  const absl::string_view stamp_text(
      stamp, absl::numbers_internal::FastIntToBuffer(timestamp, stamp) - stamp);
  SHA256_CTX ctx = key.inner;
  Update(ctx, kAlgorithm);
  Update(ctx, "\n");
  Update(ctx, stamp_text);
  Update(ctx, "\n");
  Update(ctx, date);
  Update(ctx, "/");
  Update(ctx, service);
  Update(ctx, "/tc3_request\n");
  Update(ctx, absl::string_view(hex, sizeof(hex)));
  Digest inner, out;
  SHA256_Final(inner.data(), &ctx);
  ctx = key.outer;
  SHA256_Update(&ctx, inner.data(), inner.size());
  SHA256_Final(out.data(), &ctx);
  return Hex(out);
}

std::string SignatureWithDate(const Tc3Input& in, absl::string_view date) {
  std::string body_hash;
  AppendHex(Sha256(in.payload), body_hash);
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  Update(ctx, "POST\n/\n\ncontent-type:");
  Update(ctx, in.content_type);
  Update(ctx, "\nhost:");
  Update(ctx, in.host);
  Update(ctx, "\n\n");
  Update(ctx, kSignedHeaders);
  Update(ctx, "\n");
  Update(ctx, body_hash);
  Digest canonical_hash;
  SHA256_Final(canonical_hash.data(), &ctx);
  return SignHashedCanonical(in.secret_key, in.service, in.timestamp, date, canonical_hash);
}

}  // namespace

std::string Tc3SignCanonical(absl::string_view secret_key, absl::string_view service,
                             int64_t timestamp, absl::string_view canonical_request) {
  return SignHashedCanonical(secret_key, service, timestamp, Tc3Date(timestamp),
                             Sha256(canonical_request));
}

std::string Tc3Signature(const Tc3Input& in) {
  return SignatureWithDate(in, Tc3Date(in.timestamp));
}

std::string Tc3Authorization(const Tc3Input& in) {
  const std::string date = Tc3Date(in.timestamp);
  return absl::StrCat(kAlgorithm, " Credential=", in.secret_id, "/", date, "/", in.service,
                      "/tc3_request, SignedHeaders=", kSignedHeaders,
                      ", Signature=", SignatureWithDate(in, date));
}

}  // namespace cvm::tencentcloud
