#include "backends/tencentcloud/tc3_signer.h"

// The low-level SHA-256 API is deprecated in OpenSSL 3 in favour of EVP, but
// EVP fetches an implementation on every one-shot call, which costs more than
// hashing a whole request. The low-level calls use the same (SHA-NI) code.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <array>
#include <cstring>

#include "absl/container/fixed_array.h"
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

constexpr size_t kHexSize = 2 * SHA256_DIGEST_LENGTH;

void ToHex(const Digest& digest, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char byte : digest) {
    *out++ = kHex[byte >> 4];
    *out++ = kHex[byte & 15];
  }
}

// hex(HMAC(signing key, string to sign)) into `out`, where the string to sign
// is built straight into the HMAC's inner hash (no intermediate strings).
void SignHashedCanonical(absl::string_view secret_key, absl::string_view service,
                         int64_t timestamp, absl::string_view date,
                         const Digest& canonical_hash, char* out) {
  const HmacKey& key = SigningKey(secret_key, date, service);
  // The string to sign, assembled on the stack and absorbed in one update.
  char stamp[24];
  const absl::string_view stamp_text(
      stamp, absl::numbers_internal::FastIntToBuffer(timestamp, stamp) - stamp);
  constexpr absl::string_view kScopeEnd = "/tc3_request\n";
  absl::FixedArray<char, 256> sts(kAlgorithm.size() + 1 + stamp_text.size() + 1 +
                                  date.size() + 1 + service.size() + kScopeEnd.size() +
                                  kHexSize);
  char* p = sts.data();
  for (absl::string_view piece :
       {kAlgorithm, absl::string_view("\n"), stamp_text, absl::string_view("\n"), date,
        absl::string_view("/"), service, kScopeEnd}) {
    std::memcpy(p, piece.data(), piece.size());
    p += piece.size();
  }
  ToHex(canonical_hash, p);
  SHA256_CTX ctx = key.inner;
  SHA256_Update(&ctx, sts.data(), sts.size());
  Digest inner, signature;
  SHA256_Final(inner.data(), &ctx);
  ctx = key.outer;
  SHA256_Update(&ctx, inner.data(), inner.size());
  SHA256_Final(signature.data(), &ctx);
  ToHex(signature, out);
}

// The canonical request up to the payload hash depends only on the content
// type and host: its hash state is kept per thread, so each request hashes
// only the 64 hex digits that follow.
const SHA256_CTX& CanonicalPrefix(absl::string_view content_type, absl::string_view host) {
  struct Cached {
    std::string content_type, host;
    SHA256_CTX ctx;
    bool set = false;
  };
  thread_local Cached cache;
  if (!cache.set || cache.content_type != content_type || cache.host != host) {
    SHA256_Init(&cache.ctx);
    Update(cache.ctx, "POST\n/\n\ncontent-type:");
    Update(cache.ctx, content_type);
    Update(cache.ctx, "\nhost:");
    Update(cache.ctx, host);
    Update(cache.ctx, "\n\n");
    Update(cache.ctx, kSignedHeaders);
    Update(cache.ctx, "\n");
    cache.content_type = std::string(content_type);
    cache.host = std::string(host);
    cache.set = true;
  }
  return cache.ctx;
}

// The hex signature of `in` into `out` (kHexSize chars).
void SignatureWithDate(const Tc3Input& in, absl::string_view date, char* out) {
  char body_hash[kHexSize];
  ToHex(Sha256(in.payload), body_hash);
  SHA256_CTX ctx = CanonicalPrefix(in.content_type, in.host);
  Update(ctx, absl::string_view(body_hash, sizeof(body_hash)));
  Digest canonical_hash;
  SHA256_Final(canonical_hash.data(), &ctx);
  SignHashedCanonical(in.secret_key, in.service, in.timestamp, date, canonical_hash, out);
}

}  // namespace

std::string Tc3SignCanonical(absl::string_view secret_key, absl::string_view service,
                             int64_t timestamp, absl::string_view canonical_request) {
  std::string out(kHexSize, '\0');
  SignHashedCanonical(secret_key, service, timestamp, Tc3Date(timestamp),
                      Sha256(canonical_request), &out[0]);
  return out;
}

std::string Tc3Signature(const Tc3Input& in) {
  std::string out(kHexSize, '\0');
  SignatureWithDate(in, Tc3Date(in.timestamp), &out[0]);
  return out;
}

std::string Tc3Authorization(const Tc3Input& in) {
  const std::string date = Tc3Date(in.timestamp);
  constexpr absl::string_view kCredential = " Credential=";
  constexpr absl::string_view kScopeEnd = "/tc3_request, SignedHeaders=";
  constexpr absl::string_view kSignature = ", Signature=";
  // One allocation: the header is assembled in place, the signature last.
  std::string out;
  out.reserve(kAlgorithm.size() + kCredential.size() + in.secret_id.size() + 1 +
              date.size() + 1 + in.service.size() + kScopeEnd.size() +
              kSignedHeaders.size() + kSignature.size() + kHexSize);
  absl::StrAppend(&out, kAlgorithm, kCredential, in.secret_id, "/", date, "/", in.service,
                  kScopeEnd, kSignedHeaders, kSignature);
  const size_t at = out.size();
  out.resize(at + kHexSize);
  SignatureWithDate(in, date, &out[at]);
  return out;
}

}  // namespace cvm::tencentcloud
