// POST / without HTTP: signed calls come through, the rest is answered with
// Tencent's error codes.
#include "backends/tencentcloud/emulator/emulator_api.h"

#include "absl/strings/str_cat.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "backends/tencentcloud/tc3_signer.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

constexpr int64_t kNow = 1700000000;

class EmulatorApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emulator = CvmEmulator::Create(TestWorld(), &clock_);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
  }

  // A request signed for `service` with the test account's key.
  static SignedRequest Signed(const std::string& action, const std::string& version,
                              const std::string& body, const std::string& service = "cvm") {
    Tc3Input in;
    in.secret_id = kTestSecretId;
    in.secret_key = kTestSecretKey;
    in.service = service;
    in.host = "127.0.0.1:9000";
    in.payload = body;
    in.timestamp = kNow;
    SignedRequest request;
    request.body = body;
    request.headers = {{"authorization", Tc3Authorization(in)},
                       {"content-type", "application/json"},
                       {"host", "127.0.0.1:9000"},
                       {"x-tc-action", action},
                       {"x-tc-version", version},
                       {"x-tc-region", "ap-guangzhou"},
                       {"x-tc-timestamp", absl::StrCat(kNow)}};
    return request;
  }

  // The error code answered to `request`, or "" when it was accepted.
  std::string ErrorCode(const SignedRequest& request) {
    auto parsed = ParseEmulatorCall(*emulator_, request, absl::FromUnixSeconds(kNow));
    if (const Json* error = std::get_if<Json>(&parsed)) return (*error)["Error"]["Code"];
    return "";
  }

  FakeClock clock_{absl::FromUnixSeconds(kNow)};
  std::unique_ptr<CvmEmulator> emulator_;
};

TEST_F(EmulatorApiTest, SignedCallComesThrough) {
  auto parsed =
      ParseEmulatorCall(*emulator_, Signed("DescribeInstances", "2017-03-12", R"({"Limit": 5})"),
                        absl::FromUnixSeconds(kNow));
  ASSERT_TRUE(std::holds_alternative<EmulatorCall>(parsed));
  const EmulatorCall& call = std::get<EmulatorCall>(parsed);
  EXPECT_EQ(call.secret_id, kTestSecretId);
  EXPECT_EQ(call.service, "cvm");
  EXPECT_EQ(call.action, "DescribeInstances");
  EXPECT_EQ(call.region, "ap-guangzhou");
  EXPECT_EQ(call.params, Json::parse(R"({"Limit": 5})"));
}

TEST_F(EmulatorApiTest, BillingVersionIsTheBillingService) {
  auto parsed =
      ParseEmulatorCall(*emulator_, Signed("DescribeAccountBalance", "2018-07-09", "{}", "billing"),
                        absl::FromUnixSeconds(kNow));
  ASSERT_TRUE(std::holds_alternative<EmulatorCall>(parsed));
  EXPECT_EQ(std::get<EmulatorCall>(parsed).service, "billing");
}

TEST_F(EmulatorApiTest, AnswersTencentsErrorCodes) {
  SignedRequest no_action = Signed("DescribeInstances", "2017-03-12", "{}");
  no_action.headers.erase("x-tc-action");
  EXPECT_EQ(ErrorCode(no_action), "MissingParameter");
  SignedRequest tampered = Signed("DescribeInstances", "2017-03-12", "{}");
  tampered.body = R"({"Limit": 1})";
  EXPECT_EQ(ErrorCode(tampered), "AuthFailure.SignatureFailure");
  EXPECT_EQ(ErrorCode(Signed("DescribeInstances", "2020-01-01", "{}")), "InvalidParameterValue");
  EXPECT_EQ(ErrorCode(Signed("DescribeInstances", "2017-03-12", "[1, 2]")), "InvalidParameter");
  EXPECT_EQ(ErrorCode(Signed("DescribeInstances", "2017-03-12", "{")), "InvalidParameter");
}

TEST_F(EmulatorApiTest, RateLimitIsCountedPerSecond) {
  int limited = 0;
  for (int i = 0; i < 15; ++i) {
    limited += ErrorCode(Signed("RunInstances", "2017-03-12", "{}")) == "RequestLimitExceeded";
  }
  EXPECT_EQ(limited, 5);  // RunInstances: 10 per second
}

TEST(ResponseBodyTest, WrapsTheResponseWithItsRequestId) {
  EXPECT_EQ(Json::parse(ResponseBody(Json{{"TotalCount", 0}}, "req-1")),
            Json::parse(R"({"Response": {"TotalCount": 0, "RequestId": "req-1"}})"));
}

// Regression (fuzz/emulator_request_fuzzer): a header value that is not
// UTF-8, quoted in the error message, made ResponseBody throw
// (json type_error 316); the HTTP server answered a bare 500.
TEST_F(EmulatorApiTest, HeaderBytesThatAreNotUtf8AreAnsweredAsATencentError) {
  auto parsed = ParseEmulatorCall(*emulator_, Signed("DescribeInstances", "\xff", "{}"),
                                  absl::FromUnixSeconds(kNow));
  ASSERT_TRUE(std::holds_alternative<Json>(parsed));
  const Json body = Json::parse(ResponseBody(std::get<Json>(parsed), "req-2"));
  EXPECT_EQ(body["Response"]["Error"]["Code"], "InvalidParameterValue");
  EXPECT_EQ(body["Response"]["Error"]["Message"], "Unsupported X-TC-Version \uFFFD.");
}

// Regression (fuzz/emulator_request_fuzzer): the rate-limit books are keyed
// by action name, so one request with a non-UTF-8 X-TC-Action made every
// later GET /_emulator/books throw (json type_error 316).
TEST_F(EmulatorApiTest, BooksServeAfterAnActionNameThatIsNotUtf8) {
  ErrorCode(Signed("Run\x91Instances", "2017-03-12", "{}"));
  const Json books = Json::parse(JsonBody(emulator_->Books()));
  EXPECT_EQ(books["RateLimits"]["BusiestSecond"]["Run\uFFFDInstances"], 1);
}

// Regressions (fuzz/emulator_request_fuzzer): parameters of the wrong type
// threw out of CvmEmulator::Handle (nlohmann type_error 302/306), huge
// numbers were undefined behaviour (UBSan) and a negative Offset read before
// the instance list (ASan). Each is now a Tencent error answer.
TEST_F(EmulatorApiTest, HostileParametersGetTencentErrors) {
  auto code = [this](const std::string& action, const char* params) -> std::string {
    const Json answer =
        emulator_->Handle(kTestSecretId, "cvm", action, "ap-guangzhou", Json::parse(params));
    return answer.contains("Error") ? answer["Error"]["Code"] : "";
  };
  const std::string buy =
      R"({"Placement": {"Zone": "ap-guangzhou-3"}, "InstanceType": "S5.MEDIUM2",
          "ImageId": "img-1", "InstanceCount": 2})";
  ASSERT_EQ(code("RunInstances", buy.c_str()), "");
  EXPECT_EQ(code("DescribeInstances", R"({"InstanceIds": [1]})"), "InvalidParameter");
  EXPECT_EQ(code("DescribeInstances", R"({"Filters": ["zone"]})"), "InvalidParameter");
  EXPECT_EQ(code("DescribeInstances", R"({"Offset": -5})"), "InvalidParameterValue");
  EXPECT_EQ(code("DescribeInstances", R"({"Offset": 2147483647, "Limit": 100})"), "");
  EXPECT_EQ(code("DescribeInstances", R"({"Limit": 1e300})"), "InvalidParameterValue");
  EXPECT_EQ(code("TerminateInstances", R"({"InstanceIds": [{}]})"), "InvalidParameter");
  EXPECT_EQ(code("InquiryPriceRunInstances",
                 R"({"Placement": {"Zone": "ap-guangzhou-3"}, "InstanceType": "S5.MEDIUM2",
                     "InstanceChargeType": "PREPAID", "InstanceCount": 1e20})"),
            "InvalidParameterValue");
  EXPECT_EQ(code("InquiryPriceRunInstances",
                 R"({"Placement": {"Zone": "ap-guangzhou-3"}, "InstanceType": "S5.MEDIUM2",
                     "InstanceChargePrepaid": {"Period": {}}})"),
            "InvalidParameterValue");
  EXPECT_EQ(code("DescribeZoneInstanceConfigInfos", R"({"Filters": 5})"), "InvalidParameter");
  EXPECT_EQ(code("DescribeZoneInstanceConfigInfos", R"({"Filters": [{"Name": 5}]})"),
            "InvalidParameter");
}

// A tag that is not {"Key": string, "Value": string} is refused before
// anything is bought, so later tag-filtered listings keep working.
TEST_F(EmulatorApiTest, MalformedTagsBuyNothingAndDoNotPoisonListings) {
  const Json bad = Json::parse(
      R"({"Placement": {"Zone": "ap-guangzhou-3"}, "InstanceType": "S5.MEDIUM2",
          "ImageId": "img-1", "TagSpecification": [{"Tags": [5]}]})");
  EXPECT_EQ(
      emulator_->Handle(kTestSecretId, "cvm", "RunInstances", "ap-guangzhou", bad)["Error"]["Code"],
      "InvalidParameter");
  EXPECT_TRUE(emulator_->LiveInstances(kTestSecretId).empty());
  const Json listed =
      emulator_->Handle(kTestSecretId, "cvm", "DescribeInstances", "ap-guangzhou",
                        Json::parse(R"({"Filters": [{"Name": "tag:team", "Values": ["x"]}]})"));
  EXPECT_EQ(listed["TotalCount"], 0) << listed;
}

}  // namespace
}  // namespace cvm::tencentcloud
