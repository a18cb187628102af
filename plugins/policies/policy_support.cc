#include "plugins/policies/policy_support.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "common/candidate_cells.h"
#include "common/order_states.h"
#include "common/status_details.h"
#include "google/protobuf/util/message_differencer.h"

namespace cvm {

using google::protobuf::util::MessageDifferencer;
using provisioning::v1::Billing;
using provisioning::v1::Instance;
using provisioning::v1::InstanceSpec;
using provisioning::v1::Order;

namespace {

// "<list>[i]" for the first entry of `list` equal to `value` (validation
// lets no entry repeat), else `otherwise`: the value is the spec's.
template <typename T, typename Equal>
std::string FieldOf(const google::protobuf::RepeatedPtrField<T>& list, const T& value,
                    absl::string_view name, absl::string_view otherwise, Equal equal) {
  for (int i = 0; i < list.size(); ++i) {
    if (equal(list.Get(i), value)) return absl::StrCat(name, "[", i, "]");
  }
  return std::string(otherwise);
}

}  // namespace

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

std::vector<PurchaseCell> PurchaseCells(const provisioning::v1::PurchaseRequest& request) {
  const provisioning::v1::Candidates& candidates = request.candidates();
  auto same = [](const auto& a, const auto& b) { return a == b; };
  auto same_billing = [](const Billing& a, const Billing& b) {
    return MessageDifferencer::Equals(a, b);
  };
  std::vector<PurchaseCell> cells;
  for (InstanceSpec& spec : CellSpecs(request)) {
    PurchaseCell cell;
    cell.zone_field =
        FieldOf(candidates.zones(), spec.zone(), "candidates.zones", "spec.zone", same);
    cell.type_field = FieldOf(candidates.instance_types(), spec.instance_type(),
                              "candidates.instance_types", "spec.instance_type", same);
    Billing billing;
    if (spec.has_spot()) *billing.mutable_spot() = spec.spot();
    if (spec.has_pay_as_you_go()) billing.mutable_pay_as_you_go();
    cell.billing_field = request.has_candidates()
                             ? FieldOf(candidates.billing(), billing, "candidates.billing",
                                       "spec.billing", same_billing)
                             : "spec.billing";
    cell.bid_field = cell.billing_field == "spec.billing"
                         ? "spec.spot.max_price_per_hour"
                         : absl::StrCat(cell.billing_field, ".spot.max_price_per_hour");
    cell.spec = std::move(spec);
    cells.push_back(std::move(cell));
  }
  return cells;
}

bool IsHeld(const Instance& instance) { return IsLive(instance) && !IsReturned(instance); }

int LiveInstances(const Order& order) {
  if (IsBeforeCloud(order.state())) return order.instance_count();
  int live = 0;
  for (const Instance& instance : order.instances()) {
    if (IsHeld(instance)) ++live;
  }
  return live;
}

}  // namespace cvm
