// Tencent Cloud answer parsing (backends/tencentcloud/response_parsing.h) on
// hostile answers: whatever a broken proxy, a buggy endpoint or an attacker
// on the path could send back.
//
// Input: an HTTP 200 body. It goes through ParseApiAnswer and, when that
// yields a Response object, through every per-action parser (the answer to
// any call may look like anything).
//
// Checked: nothing crashes or throws; errors are the contract's codes with a
// reason; Describe answers one status per asked id, in order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backends/tencentcloud/response_parsing.h"
#include "common/status_details.h"
#include "fuzz/fuzz_check.h"

namespace cvm::tencentcloud {
namespace {

// Every error a parser returns carries a reason and a contract code.
void CheckError(const absl::Status& status) {
  if (status.ok()) return;
  FUZZ_CHECK(!ErrorReason(status).empty());
  const absl::StatusCode code = status.code();
  FUZZ_CHECK(
      code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kUnknown ||
      code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kFailedPrecondition ||
      code == absl::StatusCode::kResourceExhausted || code == absl::StatusCode::kNotFound ||
      code == absl::StatusCode::kUnauthenticated || code == absl::StatusCode::kPermissionDenied);
}

// The ids to describe: those the answer lists (when it lists strings) and
// one it does not.
std::vector<std::string> IdsToAsk(const Json& answer) {
  std::vector<std::string> ids;
  const auto set = answer.find("InstanceSet");
  if (set != answer.end() && set->is_array()) {
    for (const Json& instance : *set) {
      if (ids.size() >= kMaxDescribeBatch - 1) break;
      if (!instance.is_object()) continue;
      const auto id = instance.find("InstanceId");
      if (id != instance.end() && id->is_string()) ids.push_back(id->get<std::string>());
    }
  }
  ids.push_back("ins-not-listed");
  return ids;
}

void ParseEverything(const Json& answer) {
  CheckError(ParseZoneOffer(answer).status());
  for (const char* set : {"PostPaidQuotaSet", "SpotPaidQuotaSet"}) {
    CheckError(ParseRemainingQuota(answer, set, "ap-guangzhou-3").status());
  }
  CheckError(ParseBalanceMicros(answer).status());
  CheckError(ParseInstanceIdSet(answer).status());
  const std::vector<std::string> ids = IdsToAsk(answer);
  absl::StatusOr<std::vector<InstanceStatus>> statuses = ParseInstanceStatuses(answer, ids);
  CheckError(statuses.status());
  if (statuses.ok()) {
    FUZZ_CHECK(statuses->size() == ids.size());
    for (size_t i = 0; i < ids.size(); ++i) FUZZ_CHECK((*statuses)[i].instance_id == ids[i]);
  }
  CheckError(ParseLiveInstanceIds(answer).status());
  CheckError(ParseTaggedPage(answer).status());
  for (bool prepaid : {false, true}) {
    for (int count : {1, 100}) CheckError(ParseQuote(answer, prepaid, count, "CNY").status());
  }
}

}  // namespace
}  // namespace cvm::tencentcloud

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvm::tencentcloud;  // NOLINT: a fuzzer entry point
  if (size > 1 << 20) return 0;
  const std::string body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Json> answer = ParseApiAnswer("DescribeInstances", body);
  CheckError(answer.status());
  if (answer.ok()) {
    FUZZ_CHECK(answer->is_object());
    FUZZ_CHECK(!answer->contains("RequestId"));
    ParseEverything(*answer);
  }
  return 0;
}
