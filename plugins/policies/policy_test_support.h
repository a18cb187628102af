// Test support for the built-in policies: each is built from its config the
// way the server builds it (a ServiceConfig, the global registry, a
// PolicySet), and checked against purchases and a ledger the test controls.
#ifndef CVM_PROVISIONER_PLUGINS_POLICIES_POLICY_TEST_SUPPORT_H_
#define CVM_PROVISIONER_PLUGINS_POLICIES_POLICY_TEST_SUPPORT_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "backends/quote_parts.h"
#include "common/money.h"
#include "common/status_details.h"
#include "plugins/policy_set.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm::testing {

// The policy plugin `plugin`, configured as "rule" with `config`.
inline absl::StatusOr<std::unique_ptr<PolicySet>> OnePolicy(
    const std::string& plugin, const google::protobuf::Message& config,
    const PolicyContext& context = PolicyContext(), const std::vector<std::string>& tenants = {}) {
  provisioning::config::v1::ServiceConfig service;
  auto* policy = service.add_policies();
  policy->set_name("rule");
  policy->set_plugin(plugin);
  policy->mutable_config()->PackFrom(config);
  for (const std::string& tenant : tenants) policy->add_tenants(tenant);
  return PolicySet::Create(service, PolicyRegistry::Global(), context);
}

// Runs `policies` on `request` bought by `tenant`, routed to `backend`.
inline absl::Status CheckPurchase(PolicySet& policies,
                                  const provisioning::v1::PurchaseRequest& request,
                                  const std::string& tenant = kDefaultTenant,
                                  Backend* backend = nullptr) {
  absl::StatusOr<PolicySet::Admission> admission = policies.Admit(tenant);
  if (!admission.ok()) return admission.status();
  return policies.Check({tenant, &request, "fake", backend});
}

// The ErrorInfo metadata `key` of `status`, or "".
inline std::string Metadata(const absl::Status& status, const std::string& key) {
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  if (!info.has_value()) return "";
  auto it = info->metadata().find(key);
  return it == info->metadata().end() ? "" : it->second;
}

// The first BadRequest field of `status`, or "".
inline std::string BadField(const absl::Status& status) {
  auto bad = GetDetail<google::rpc::BadRequest>(status);
  return bad.has_value() && bad->field_violations_size() > 0 ? bad->field_violations(0).field()
                                                             : "";
}

// A pay-as-you-go purchase of `count` S5.MEDIUM2 in ap-guangzhou-3.
inline provisioning::v1::PurchaseRequest Purchase(int count, const std::string& request_id = "r1") {
  provisioning::v1::PurchaseRequest request;
  request.set_request_id(request_id);
  request.set_instance_count(count);
  auto* spec = request.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone("ap-guangzhou-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-1");
  spec->mutable_pay_as_you_go();
  return request;
}

// A backend that counts quotes and prices like `fake`, except the
// pay-as-you-go instance types in `type_prices` (type -> price per hour, no
// bandwidth): their own price. Quote fails while `quote_error` is set. Only
// Quote is used by the policies; set the fields before the checks.
class QuoteCounter : public Backend {
 public:
  explicit QuoteCounter(std::unique_ptr<Backend> fake) : fake_(std::move(fake)) {}

  absl::StatusOr<provisioning::v1::Quote> Quote(const provisioning::v1::InstanceSpec& spec,
                                                int count, absl::Time) override {
    ++quotes;
    if (!quote_error.ok()) return quote_error;
    auto own = type_prices.find(spec.instance_type());
    if (own == type_prices.end() || spec.has_spot()) return fake_->Quote(spec, count);
    PriceParts parts;
    absl::StatusOr<int64_t> unit = ParseMoneyMicros(own->second);
    if (!unit.ok()) return unit.status();
    parts.instance_hourly = *unit;
    return QuoteOf(parts, count, "CNY");
  }
  absl::Status Preflight(const CreateRequest&) override { return Unused(); }
  absl::StatusOr<std::vector<std::string>> Create(const CreateRequest&) override {
    return Unused();
  }
  absl::StatusOr<std::vector<InstanceStatus>> Describe(const std::string&,
                                                       absl::Span<const std::string>) override {
    return Unused();
  }
  absl::StatusOr<std::vector<std::string>> FindByOrder(const std::string&,
                                                       const std::string&) override {
    return Unused();
  }
  absl::Status Terminate(const std::string&, absl::Span<const std::string>, absl::Time) override {
    return Unused();
  }

  std::atomic<int> quotes{0};
  absl::Status quote_error;
  std::map<std::string, std::string> type_prices;

 private:
  static absl::Status Unused() { return absl::UnimplementedError("not used by policies"); }
  std::unique_ptr<Backend> fake_;
};

// A stored order of `request` in `state` (instances, when given, RUNNING).
inline provisioning::v1::Order OrderOf(const provisioning::v1::PurchaseRequest& request,
                                       provisioning::v1::Order::State state,
                                       int running_instances = 0,
                                       const std::string& backend = "fake") {
  provisioning::v1::Order order;
  order.set_order_id("ord-" + request.request_id());
  order.set_request_id(request.request_id());
  *order.mutable_spec() = request.spec();
  if (request.has_candidates()) *order.mutable_candidates() = request.candidates();
  order.set_instance_count(request.instance_count());
  order.set_state(state);
  order.set_backend(backend);
  for (int i = 0; i < running_instances; ++i) {
    auto* instance = order.add_instances();
    instance->set_instance_id("ins-" + request.request_id() + "-" + std::to_string(i));
    instance->set_state(provisioning::v1::Instance::RUNNING);
  }
  return order;
}

// An OrderLedger whose orders the test sets, per tenant.
class FakeLedger : public OrderLedger {
 public:
  void Set(const std::string& tenant, std::vector<provisioning::v1::Order> orders) {
    absl::MutexLock lock(&mu_);
    orders_[tenant] = std::move(orders);
  }
  void Fail(absl::Status status) {
    absl::MutexLock lock(&mu_);
    error_ = std::move(status);
  }
  absl::StatusOr<std::vector<provisioning::v1::Order>> LiveOrders(
      const std::string& tenant) override {
    absl::MutexLock lock(&mu_);
    if (!error_.ok()) return error_;
    return orders_[tenant];
  }

 private:
  absl::Mutex mu_;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<provisioning::v1::Order>> orders_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm::testing

#endif  // CVM_PROVISIONER_PLUGINS_POLICIES_POLICY_TEST_SUPPORT_H_
