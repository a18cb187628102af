#include "backends/tencentcloud/emulator/emulator_api.h"

#include "common/proto_time.h"

namespace cvm::tencentcloud {
namespace {

constexpr char kCvmVersion[] = "2017-03-12";
constexpr char kBillingVersion[] = "2018-07-09";

std::string Header(const SignedRequest& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? "" : it->second;
}

absl::Duration SkewOf(const EmulatorConfig& config) {
  return DurationOr(config.max_clock_skew(), config.has_max_clock_skew(), absl::Minutes(5));
}

}  // namespace

std::variant<EmulatorCall, Json> ParseEmulatorCall(CvmEmulator& emulator,
                                                   const SignedRequest& request, absl::Time now) {
  EmulatorCall call;
  call.action = Header(request, "x-tc-action");
  const std::string version = Header(request, "x-tc-version");
  if (call.action.empty() || version.empty()) {
    return ApiError("MissingParameter", "X-TC-Action and X-TC-Version are required.");
  }
  VerifyResult auth =
      VerifyTc3(request, now, SkewOf(emulator.config()),
                [&emulator](const std::string& id) { return emulator.SecretKeyOf(id); });
  if (!auth.ok) return ApiError(auth.error_code, auth.message);
  call.secret_id = auth.secret_id;
  call.service = version == kBillingVersion ? "billing" : version == kCvmVersion ? "cvm" : "";
  if (call.service.empty()) {
    return ApiError("InvalidParameterValue", "Unsupported X-TC-Version " + version + ".");
  }
  if (!emulator.Admit(call.secret_id, call.action, now)) {
    return ApiError("RequestLimitExceeded",
                    "Too many " + call.action + " requests in this second.");
  }
  call.params = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (call.params.is_discarded() || !call.params.is_object()) {
    return ApiError("InvalidParameter", "The body is not a JSON object.");
  }
  call.region = Header(request, "x-tc-region");
  return call;
}

std::string ResponseBody(Json response, const std::string& request_id) {
  response["RequestId"] = request_id;
  return JsonBody(Json{{"Response", std::move(response)}});
}

std::string JsonBody(const Json& json) {
  return json.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

}  // namespace cvm::tencentcloud
