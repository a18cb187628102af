// Plugin "hourly_budget": a tenant's hourly spend, this purchase included,
// stays within a budget (config: provisioning.policies.v1.HourlyBudgetConfig).
//
// The purchase is priced by its routed backend's Quote, everything it bills
// per hour (instances and public bandwidth; backends/quote_parts.h
// SpendPerHourMicros), a prepaid total spread over its period; the tenant's live
// orders (OrderLedger) by their own backends' quotes, cached per order, each
// scaled to the instances it still holds. Exact under concurrent purchases
// because PolicySet serializes the check-and-admit of a tenant
// (plugins/policy.h rule 1): the order admitted last is stored, and counted,
// before the next check of its tenant starts.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "backends/quote_parts.h"
#include "common/money.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "google/protobuf/util/message_differencer.h"
#include "plugins/backend_set.h"
#include "plugins/policies/policy_configs.pb.h"
#include "plugins/policies/policy_support.h"
#include "plugins/policy_registry.h"

namespace cvm {
namespace {

using google::protobuf::util::MessageDifferencer;
using provisioning::policies::v1::HourlyBudgetConfig;
using provisioning::v1::InstanceSpec;
using provisioning::v1::Order;

// The price of an order of `count` instances per hour, from its quote.
struct Price {
  InstanceSpec spec;
  int count = 0;
  int64_t micros_per_hour = 0;
  std::string currency;
};

class HourlyBudget : public Policy {
 public:
  HourlyBudget(HourlyBudgetConfig config, int64_t budget, const PolicyContext& context)
      : config_(std::move(config)),
        budget_(budget),
        name_(context.name),
        ledger_(context.ledger),
        backends_(context.backends) {}

  absl::Status Check(const PurchaseCheck& check) override {
    const provisioning::v1::PurchaseRequest& request = *check.request;
    ASSIGN_OR_RETURN(Price order, PriceOf(check.backend, request.spec(), request.instance_count()));
    RETURN_IF_ERROR(CheckCurrency(order.currency, check.tenant));
    ASSIGN_OR_RETURN(std::vector<Order> live, ledger_->LiveOrders(check.tenant));
    int64_t current = 0;
    std::map<std::string, Price> priced;  // the tenant's cache, rebuilt: only live orders
    for (const Order& stored : live) {
      ASSIGN_OR_RETURN(Price price, StoredPrice(stored, check));
      if (price.currency != order.currency) {
        return Mismatch(check.tenant, order.currency, price.currency);
      }
      current += price.micros_per_hour * LiveInstances(stored) / std::max(price.count, 1);
      priced[stored.request_id()] = std::move(price);
    }
    if (current + order.micros_per_hour > budget_) {
      const std::string currency = order.currency;
      return PolicyDenial(
          absl::StatusCode::kFailedPrecondition, "POLICY_BUDGET_EXCEEDED", name_,
          absl::StrCat("tenants/", TenantLabel(check.tenant)),
          absl::StrCat("tenant ", TenantLabel(check.tenant), " spends ", FormatMoneyMicros(current), " ",
                       currency, " per hour; this purchase adds ",
                       FormatMoneyMicros(order.micros_per_hour), " and would exceed the budget of ",
                       FormatMoneyMicros(budget_)),
          {{"tenant", TenantLabel(check.tenant)},
           {"budget_per_hour", FormatMoneyMicros(budget_)},
           {"current_spend_per_hour", FormatMoneyMicros(current)},
           {"order_spend_per_hour", FormatMoneyMicros(order.micros_per_hour)},
           {"currency", currency}});
    }
    // The order is about to be stored under its request_id: price it now so
    // the next check need not quote it again.
    if (!request.dry_run()) priced[request.request_id()] = std::move(order);
    absl::MutexLock lock(&mu_);
    cache_[check.tenant] = std::move(priced);
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<Price> PriceOf(Backend* backend, const InstanceSpec& spec, int count) const {
    ASSIGN_OR_RETURN(provisioning::v1::Quote quote, backend->Quote(spec, count));
    Price price;
    price.spec = spec;
    price.count = count;
    price.currency = quote.currency();
    // Everything billed by the hour (instances and bandwidth) plus the
    // prepaid total spread over its period.
    absl::StatusOr<int64_t> micros = SpendPerHourMicros(quote, spec.prepaid().period_months());
    if (!micros.ok()) {
      return absl::InternalError(absl::StrCat("policy ", name_, ": the quote ",
                                              quote.ShortDebugString(), " has no hourly price"));
    }
    price.micros_per_hour = *micros;
    return price;
  }

  // A stored order's price: cached by request_id, else quoted by its backend
  // (the routed one when its backend is no longer configured).
  absl::StatusOr<Price> StoredPrice(const Order& stored, const PurchaseCheck& check) {
    {
      absl::MutexLock lock(&mu_);
      auto tenant = cache_.find(check.tenant);
      if (tenant != cache_.end()) {
        auto it = tenant->second.find(stored.request_id());
        if (it != tenant->second.end() && it->second.count == stored.instance_count() &&
            MessageDifferencer::Equals(it->second.spec, stored.spec())) {
          return it->second;
        }
      }
    }
    Backend* backend = check.backend;
    if (backends_ != nullptr) {
      absl::StatusOr<Backend*> own = backends_->Get(stored.backend());
      if (own.ok()) backend = *own;
    }
    return PriceOf(backend, stored.spec(), stored.instance_count());
  }

  absl::Status CheckCurrency(const std::string& currency, const std::string& tenant) const {
    if (config_.currency().empty() || config_.currency() == currency) return absl::OkStatus();
    return Mismatch(tenant, config_.currency(), currency);
  }

  absl::Status Mismatch(const std::string& tenant, const std::string& want,
                        const std::string& got) const {
    return PolicyDenial(absl::StatusCode::kFailedPrecondition, "POLICY_BUDGET_CURRENCY_MISMATCH",
                        name_, absl::StrCat("tenants/", TenantLabel(tenant)),
                        absl::StrCat("the budget is in ", want, " but a price is in ", got),
                        {{"tenant", TenantLabel(tenant)}, {"budget_currency", want}, {"price_currency", got}});
  }

  const HourlyBudgetConfig config_;
  const int64_t budget_;
  const std::string name_;
  OrderLedger* const ledger_;
  const BackendSet* const backends_;

  absl::Mutex mu_;
  // tenant -> request_id -> price of its live orders.
  std::map<std::string, std::map<std::string, Price>> cache_ ABSL_GUARDED_BY(mu_);
};

class HourlyBudgetFactory : public PolicyFactory {
 public:
  std::string name() const override { return "hourly_budget"; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return std::make_unique<HourlyBudgetConfig>();
  }
  absl::StatusOr<std::unique_ptr<Policy>> Create(const google::protobuf::Message& config,
                                                 const PolicyContext& context) const override {
    const auto& typed = static_cast<const HourlyBudgetConfig&>(config);
    absl::StatusOr<int64_t> budget = ParseMoneyMicros(typed.max_spend_per_hour());
    if (!budget.ok()) {
      return InvalidFields({{"max_spend_per_hour", "is required: a decimal such as \"25.00\""}});
    }
    if (context.ledger == nullptr) {
      return absl::FailedPreconditionError("hourly_budget needs the order store (a ledger)");
    }
    return std::unique_ptr<Policy>(new HourlyBudget(typed, *budget, context));
  }
};

REGISTER_POLICY_FACTORY(HourlyBudgetFactory);

}  // namespace
}  // namespace cvm
