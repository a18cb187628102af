// The CVM emulator's front door on hostile requests: header parsing, TC3
// signature verification (tc3_verifier.h), version and rate-limit checks
// (emulator_api.h) and every action's handling of arbitrary JSON bodies
// (cvm_emulator.h), on a fresh emulator of the test world per input.
//
// Input: requests separated by a line "---". Each is header lines
// ("Name: value"), an empty line, then the body, e.g.
//
//   X-TC-Action: RunInstances
//   X-TC-Version: 2017-03-12
//   X-TC-Region: ap-guangzhou
//   X-Fuzz-Sign: AKIDtest000000000000000000000000
//
//   {"Placement": {"Zone": "ap-guangzhou-3"}, "InstanceType": "S5.MEDIUM2", ...}
//
// Two pseudo-headers steer the fuzzer: X-Fuzz-Sign: <SecretId> signs the
// request correctly for that account (so bodies reach the actions; without
// it the fuzzed Authorization header is checked as sent), and
// X-Fuzz-Advance: <seconds> moves the clock first (instance lifecycles; up
// to 100 years, settled by the emulator in steady stretches, not by the hour).
//
// Checked: nothing crashes or throws; every answer is a JSON object (an
// error has a string Code) and serializes as the HTTP body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "backends/tencentcloud/emulator/emulator_api.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "backends/tencentcloud/tc3_signer.h"
#include "common/clock.h"
#include "fuzz/fuzz_check.h"

namespace cvm::tencentcloud {
namespace {

constexpr int kMaxRequests = 16;
constexpr double kMaxAdvanceSeconds = 100 * 365.25 * 86400;

struct FuzzRequest {
  SignedRequest request;
  std::string sign_as;  // a SecretId, or "" to send the headers as they are
  double advance_seconds = 0;
};

FuzzRequest ParseBlock(absl::string_view block) {
  FuzzRequest out;
  std::pair<absl::string_view, absl::string_view> head_body =
      absl::StrSplit(block, absl::MaxSplits("\n\n", 1));
  out.request.body = std::string(head_body.second);
  for (absl::string_view line : absl::StrSplit(head_body.first, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(':', 1));
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv.first));
    const std::string value = std::string(absl::StripLeadingAsciiWhitespace(kv.second));
    if (name == "x-fuzz-sign") {
      out.sign_as = value;
    } else if (name == "x-fuzz-advance") {
      // At most 100 years, as /_emulator/advance allows.
      if (!absl::SimpleAtod(value, &out.advance_seconds) ||
          !(out.advance_seconds <= kMaxAdvanceSeconds)) {
        out.advance_seconds = 0;
      }
    } else {
      out.request.headers[name] = value;
    }
  }
  return out;
}

// Signs `request` as the client libraries do, for `secret_id`'s key.
void Sign(CvmEmulator& emulator, const std::string& secret_id, absl::Time now,
          SignedRequest& request) {
  const std::string version = request.headers["x-tc-version"];
  std::string key = emulator.SecretKeyOf(secret_id);
  if (key.empty()) key = "unknown-account-key";
  Tc3Input in;
  in.secret_id = secret_id;
  in.secret_key = key;
  in.service = version == "2018-07-09" ? "billing" : "cvm";
  if (request.headers["host"].empty()) request.headers["host"] = "127.0.0.1:9000";
  in.host = request.headers["host"];
  in.payload = request.body;
  in.timestamp = absl::ToUnixSeconds(now);
  request.headers["content-type"] = std::string(in.content_type);
  request.headers["x-tc-timestamp"] = absl::StrCat(in.timestamp);
  request.headers["authorization"] = Tc3Authorization(in);
}

void CheckAnswer(const Json& response) {
  FUZZ_CHECK(response.is_object());
  if (response.contains("Error")) {
    FUZZ_CHECK(response["Error"].is_object());
    FUZZ_CHECK(response["Error"].contains("Code") && response["Error"]["Code"].is_string());
  }
  const Json body = Json::parse(ResponseBody(response, "fuzz-request"), nullptr, false);
  FUZZ_CHECK(body.is_object() && body.contains("Response"));
}

}  // namespace
}  // namespace cvm::tencentcloud

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvm::tencentcloud;  // NOLINT: a fuzzer entry point
  if (size > 1 << 16) return 0;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  static const EmulatorConfig* const kWorld = new EmulatorConfig(TestWorld());
  cvm::FakeClock clock;
  auto emulator = CvmEmulator::Create(*kWorld, &clock);
  FUZZ_CHECK(emulator.ok());
  int requests = 0;
  for (absl::string_view block : absl::StrSplit(input, "\n---\n")) {
    if (++requests > kMaxRequests) break;
    FuzzRequest fuzz = ParseBlock(block);
    if (fuzz.advance_seconds > 0) clock.Advance(absl::Seconds(fuzz.advance_seconds));
    const absl::Time now = clock.Now();
    if (!fuzz.sign_as.empty()) Sign(**emulator, fuzz.sign_as, now, fuzz.request);
    std::variant<EmulatorCall, Json> parsed = ParseEmulatorCall(**emulator, fuzz.request, now);
    if (const Json* error = std::get_if<Json>(&parsed)) {
      CheckAnswer(*error);
      continue;
    }
    const EmulatorCall& call = std::get<EmulatorCall>(parsed);
    CheckAnswer(
        (*emulator)->Handle(call.secret_id, call.service, call.action, call.region, call.params));
  }
  // GET /_emulator/books serves this (tests read it).
  FUZZ_CHECK(Json::parse(JsonBody((*emulator)->Books()), nullptr, false).is_object());
  (void)JsonBody((*emulator)->LiveInstances(kTestSecretId));
  return 0;
}
