#include "backends/tencentcloud/tc3_signer.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Reference vector A (shared/reference/tencent-cvm-api.md): a body with
// literal \uXXXX escapes and a charset in the content type.
Tc3Input VectorA() {
  Tc3Input in;
  in.secret_id = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
  in.secret_key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
  in.service = "cvm";
  in.host = "cvm.tencentcloudapi.com";
  in.content_type = "application/json; charset=utf-8";
  in.payload =
      R"({"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]})";
  in.timestamp = 1551113065;
  return in;
}

Tc3Input VectorB() {
  Tc3Input in;
  in.secret_id = "test-secret-id";
  in.secret_key = "test-secret-key";
  in.service = "cvm";
  in.host = "cvm.tencentcloudapi.com";
  in.payload = R"({"Action":"DescribeInstances","Version":"2017-03-12"})";
  in.timestamp = 1640995200;
  return in;
}

TEST(Tc3SignerTest, ReferenceVectorA) {
  EXPECT_EQ(Tc3Signature(VectorA()),
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
}

TEST(Tc3SignerTest, ReferenceVectorB) {
  EXPECT_EQ(Tc3Signature(VectorB()),
            "96473b50fe407833672a5d6d067238d88bb44c8abcc39ef83baa3132afbfadd3");
}

TEST(Tc3SignerTest, AuthorizationHeaderNamesScopeAndHeadersButNotTheSecret) {
  const std::string header = Tc3Authorization(VectorA());
  EXPECT_EQ(header,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
            "tc3_request, SignedHeaders=content-type;host, "
            "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
  EXPECT_THAT(header, Not(HasSubstr("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")));
}

TEST(Tc3SignerTest, DateRollsOverAtUtcMidnight) {
  EXPECT_EQ(Tc3Date(1640995199), "2021-12-31");  // 23:59:59 UTC
  EXPECT_EQ(Tc3Date(1640995200), "2022-01-01");  // 00:00:00 UTC
  Tc3Input before = VectorB();
  before.timestamp = 1640995199;
  // A different date changes the derived key, not just the string to sign.
  EXPECT_NE(Tc3Signature(before), Tc3Signature(VectorB()));
  EXPECT_THAT(Tc3Authorization(before), HasSubstr("/2021-12-31/cvm/"));
}

TEST(Tc3SignerTest, DateMatchesTheCivilCalendarAcrossLeapYearsAndCenturies) {
  // Every day boundary (and the second before it) from 1969 to 2101.
  for (int64_t t = -86400; t < 4133980800; t += 86400) {
    for (int64_t s : {t, t + 86399}) {
      ASSERT_EQ(Tc3Date(s), absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(s),
                                             absl::UTCTimeZone()))
          << s;
    }
  }
  EXPECT_EQ(Tc3Date(951782400), "2000-02-29");
  EXPECT_EQ(Tc3Date(4107542400), "2100-03-01");  // 2100 is not a leap year
}

TEST(Tc3SignerTest, CachedSigningKeyFollowsKeyDateAndService) {
  // The derived key is cached per thread: switching any input must not reuse it.
  Tc3Input a = VectorA();
  Tc3Input b = VectorB();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Tc3Signature(a), "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
    EXPECT_EQ(Tc3Signature(b), "96473b50fe407833672a5d6d067238d88bb44c8abcc39ef83baa3132afbfadd3");
  }
}

TEST(Tc3SignerTest, NonAsciiBodiesAreSignedAsUtf8Bytes) {
  Tc3Input escaped = VectorA();
  const std::string raw =
      "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\xe6\x9c\xaa\xe5\x91\xbd\xe5\x90\x8d\"], "
      "\"Name\": \"instance-name\"}]}";
  Tc3Input utf8 = escaped;
  utf8.payload = raw;
  // Same JSON value, different bytes: different signature, and stable.
  EXPECT_NE(Tc3Signature(utf8), Tc3Signature(escaped));
  EXPECT_EQ(Tc3Signature(utf8), Tc3Signature(utf8));
  EXPECT_EQ(Tc3Signature(utf8).size(), 64u);
}

TEST(Tc3SignerTest, EveryInputChangesTheSignature) {
  const std::string base = Tc3Signature(VectorB());
  Tc3Input in = VectorB();
  in.secret_key = "other";
  EXPECT_NE(Tc3Signature(in), base);
  in = VectorB();
  in.service = "billing";
  EXPECT_NE(Tc3Signature(in), base);
  in = VectorB();
  in.host = "cvm.ap-guangzhou.tencentcloudapi.com";
  EXPECT_NE(Tc3Signature(in), base);
  in = VectorB();
  in.payload = "{}";
  EXPECT_NE(Tc3Signature(in), base);
  in = VectorB();
  in.secret_id = "someone-else";  // the id is not part of the signature
  EXPECT_EQ(Tc3Signature(in), base);
}

TEST(Tc3SignerTest, PerThreadCachesFollowContentTypeAndHostAcrossCalls) {
  // A and B differ in content type (and key); alternating them in one thread
  // must give each its own reference signature every time.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Tc3Signature(VectorA()),
              "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
    EXPECT_EQ(Tc3Signature(VectorB()),
              "96473b50fe407833672a5d6d067238d88bb44c8abcc39ef83baa3132afbfadd3");
  }
  // The signature equals signing the canonical request built by hand.
  const Tc3Input b = VectorB();
  const std::string canonical = "POST\n/\n\ncontent-type:application/json\nhost:" +
                                std::string(b.host) + "\n\ncontent-type;host\n" +
                                Sha256Hex(b.payload);
  EXPECT_EQ(Tc3SignCanonical(b.secret_key, b.service, b.timestamp, canonical),
            Tc3Signature(b));
}

TEST(Tc3SignerTest, AuthorizationEndsWithTheSignatureOfALongServiceName) {
  const std::string service(300, 's');  // longer than the on-stack buffer
  Tc3Input in = VectorB();
  in.service = service;
  const std::string header = Tc3Authorization(in);
  EXPECT_THAT(header, ::testing::EndsWith("Signature=" + Tc3Signature(in)));
  EXPECT_EQ(Tc3Signature(in).size(), 64u);
}

}  // namespace
}  // namespace cvm::tencentcloud
