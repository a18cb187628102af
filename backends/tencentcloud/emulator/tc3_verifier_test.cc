#include "backends/tencentcloud/emulator/tc3_verifier.h"

#include "absl/strings/str_cat.h"
#include "backends/tencentcloud/tc3_signer.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

constexpr int64_t kNow = 1700000000;

SignedRequest Signed(const std::string& key, int64_t timestamp, const std::string& signed_host,
                     const std::string& sent_host) {
  Tc3Input in;
  in.secret_id = "AKIDtest";
  in.secret_key = key;
  in.service = "cvm";
  in.host = signed_host;
  in.payload = R"({"InstanceIds":["ins-1"]})";
  in.timestamp = timestamp;
  SignedRequest request;
  request.body = std::string(in.payload);
  request.headers = {{"authorization", Tc3Authorization(in)},
                     {"content-type", "application/json"},
                     {"host", sent_host},
                     {"x-tc-timestamp", absl::StrCat(timestamp)}};
  return request;
}

VerifyResult Verify(const SignedRequest& request) {
  return VerifyTc3(request, absl::FromUnixSeconds(kNow), absl::Minutes(5),
                   [](const std::string& id) { return id == "AKIDtest" ? "right-key" : ""; });
}

TEST(Tc3VerifierTest, AcceptsOurSignatureWithOrWithoutThePort) {
  VerifyResult with_port = Verify(Signed("right-key", kNow, "127.0.0.1:9000", "127.0.0.1:9000"));
  EXPECT_TRUE(with_port.ok) << with_port.error_code;
  EXPECT_EQ(with_port.secret_id, "AKIDtest");
  EXPECT_EQ(with_port.service, "cvm");
  // The official Node SDK signs the host without its port.
  EXPECT_TRUE(Verify(Signed("right-key", kNow, "127.0.0.1", "127.0.0.1:9000")).ok);
}

TEST(Tc3VerifierTest, RejectsWithTencentsCodes) {
  EXPECT_EQ(Verify(Signed("wrong-key", kNow, "h", "h")).error_code,
            "AuthFailure.SignatureFailure");
  EXPECT_EQ(Verify(Signed("right-key", kNow - 301, "h", "h")).error_code,
            "AuthFailure.SignatureExpire");
  SignedRequest unknown = Signed("right-key", kNow, "h", "h");
  unknown.headers["authorization"].replace(unknown.headers["authorization"].find("AKIDtest"), 8,
                                           "AKIDnope");
  EXPECT_EQ(Verify(unknown).error_code, "AuthFailure.SecretIdNotFound");
  SignedRequest tampered = Signed("right-key", kNow, "h", "h");
  tampered.body = R"({"InstanceIds":["ins-2"]})";
  EXPECT_EQ(Verify(tampered).error_code, "AuthFailure.SignatureFailure");
  SignedRequest garbage = Signed("right-key", kNow, "h", "h");
  garbage.headers["authorization"] = "Basic abc";
  EXPECT_EQ(Verify(garbage).error_code, "AuthFailure.InvalidAuthorization");
}

}  // namespace
}  // namespace cvm::tencentcloud
