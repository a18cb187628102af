#include "plugins/policies/policy_support.h"
#include "common/order_states.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "common/status_details.h"

namespace cvm {

using provisioning::v1::Instance;
using provisioning::v1::Order;

absl::Status PolicyDenial(absl::StatusCode code, absl::string_view reason, absl::string_view policy,
                          absl::string_view subject, absl::string_view description,
                          const std::vector<std::pair<std::string, std::string>>& metadata) {
  absl::Status status(code, absl::StrCat("policy ", policy, ": ", description));
  if (code == absl::StatusCode::kFailedPrecondition) {
    google::rpc::PreconditionFailure failure;
    auto* violation = failure.add_violations();
    violation->set_type(std::string(reason));
    violation->set_subject(std::string(subject));
    violation->set_description(std::string(description));
    SetDetail(status, failure);
    // The limit that was reached, with the numbers: a quota of the tenant's.
    google::rpc::QuotaFailure quota;
    auto* limit = quota.add_violations();
    limit->set_subject(absl::StrCat("policies/", policy, "/", subject));
    limit->set_description(std::string(description));
    SetDetail(status, quota);
  }
  std::vector<std::pair<std::string, std::string>> all = {{"policy", std::string(policy)}};
  all.insert(all.end(), metadata.begin(), metadata.end());
  return WithReason(std::move(status), reason, all);
}

bool MatchesAny(const google::protobuf::RepeatedPtrField<std::string>& patterns,
                absl::string_view value) {
  if (patterns.empty()) return true;
  for (const std::string& pattern : patterns) {
    if (absl::EndsWith(pattern, "*")) {
      if (absl::StartsWith(value, absl::string_view(pattern).substr(0, pattern.size() - 1))) {
        return true;
      }
    } else if (pattern == value) {
      return true;
    }
  }
  return false;
}

absl::Status ValidatePatterns(const google::protobuf::RepeatedPtrField<std::string>& patterns,
                              absl::string_view field) {
  for (int i = 0; i < patterns.size(); ++i) {
    const std::string& pattern = patterns.Get(i);
    const size_t star = pattern.find('*');
    if (pattern.empty() || (star != std::string::npos && star + 1 != pattern.size())) {
      return InvalidFields(
          {{absl::StrCat(field, "[", i, "]"), "must be a value or a prefix followed by \"*\""}});
    }
  }
  return absl::OkStatus();
}

int LiveInstances(const Order& order) {
  if (IsBeforeCloud(order.state())) return order.instance_count();
  int live = 0;
  for (const Instance& instance : order.instances()) {
    if (IsLive(instance) && !IsReturned(instance)) ++live;
  }
  return live;
}

}  // namespace cvm
