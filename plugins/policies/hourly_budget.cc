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
//
// A purchase with candidates may land in any of its cells
// (common/candidate_cells.h CellSpecs), so it counts at its dearest cell: the
// worst the order can cost. A stored candidates order counts the same way
// (instance_count at its dearest cell) until the cloud names its instances,
// then each live instance at the cell it landed in (LandedSpec). Cells and
// landed instances are priced through a QuoteCache keyed by (backend, spec,
// count), kept kCellQuoteTtl (5 minutes) on the injected clock: a check
// quotes each distinct cell at most once (at most 4 billings x 10 zones x
// 20 types = 800 quotes for a purchase no one priced in the last 5 minutes,
// none when the same candidates were priced within them), and at most
// kMaxCellQuotes quotes are kept. A spot cell counts at its quote (the
// market's price), as a spot spec does. Single-spec purchases and orders are
// priced as before, without that cache.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "backends/quote_parts.h"
#include "common/candidate_cells.h"
#include "common/money.h"
#include "common/order_states.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "google/protobuf/util/message_differencer.h"
#include "plugins/backend_set.h"
#include "plugins/policies/policy_configs.pb.h"
#include "plugins/policies/policy_support.h"
#include "plugins/policies/quote_cache.h"
#include "plugins/policy_registry.h"

namespace cvm {
namespace {

using google::protobuf::util::MessageDifferencer;
using provisioning::policies::v1::HourlyBudgetConfig;
using provisioning::v1::Instance;
using provisioning::v1::InstanceSpec;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;

// How long a cell's quote is kept, and how many are (QuoteCache).
constexpr absl::Duration kCellQuoteTtl = absl::Minutes(5);
constexpr size_t kMaxCellQuotes = 10000;

// The price of an order of `count` instances per hour, from its quote.
struct Price {
  InstanceSpec spec;
  int count = 0;
  int64_t micros_per_hour = 0;
  std::string currency;
};

// A backend and the name it is configured under (the cell cache's key).
struct NamedBackend {
  std::string name;
  Backend* backend = nullptr;
};

// "ap-guangzhou-3/S5.MEDIUM2/spot<=0.10": a cell, in denials.
std::string CellLabel(const InstanceSpec& cell) {
  return absl::StrCat(
      cell.zone(), "/", cell.instance_type(), "/",
      cell.has_spot() ? absl::StrCat("spot<=", cell.spot().max_price_per_hour()) : "pay-as-you-go");
}

class HourlyBudget : public Policy {
 public:
  HourlyBudget(HourlyBudgetConfig config, int64_t budget, const PolicyContext& context)
      : config_(std::move(config)),
        budget_(budget),
        name_(context.name),
        ledger_(context.ledger),
        backends_(context.backends),
        cell_quotes_(context.clock, kCellQuoteTtl, kMaxCellQuotes) {}

  absl::Status Check(const PurchaseCheck& check) override {
    const PurchaseRequest& request = *check.request;
    const bool candidates = request.has_candidates();
    ASSIGN_OR_RETURN(Price order,
                     candidates
                         ? DearestCell({check.backend_name, check.backend}, CellSpecs(request),
                                       request.instance_count(), check.tenant)
                         : PriceOf(check.backend, request.spec(), request.instance_count()));
    RETURN_IF_ERROR(CheckCurrency(order.currency, check.tenant));
    ASSIGN_OR_RETURN(std::vector<Order> live, ledger_->LiveOrders(check.tenant));
    int64_t current = 0;
    std::map<std::string, Price> priced;  // the tenant's cache, rebuilt: only live orders
    for (const Order& stored : live) {
      ASSIGN_OR_RETURN(int64_t spend, StoredSpend(stored, check, order.currency, priced));
      current += spend;
    }
    if (current + order.micros_per_hour > budget_) {
      return OverBudget(check.tenant, current, order, candidates);
    }
    // The order is about to be stored under its request_id: price it now so
    // the next check need not quote it again (a candidates order's cells are
    // in the cell cache already).
    if (!request.dry_run() && !candidates) priced[request.request_id()] = std::move(order);
    absl::MutexLock lock(&mu_);
    cache_[check.tenant] = std::move(priced);
    return absl::OkStatus();
  }

 private:
  // The denial of a purchase priced `order` (at its dearest cell when it has
  // `candidates`) by a tenant that spends `current`.
  absl::Status OverBudget(const std::string& tenant, int64_t current, const Price& order,
                          bool candidates) const {
    const std::string label = TenantLabel(tenant);
    std::vector<std::pair<std::string, std::string>> metadata = {
        {"tenant", label},
        {"budget_per_hour", FormatMoneyMicros(budget_)},
        {"current_spend_per_hour", FormatMoneyMicros(current)},
        {"order_spend_per_hour", FormatMoneyMicros(order.micros_per_hour)},
        {"currency", order.currency}};
    if (candidates) metadata.push_back({"dearest_cell", CellLabel(order.spec)});
    return PolicyDenial(
        absl::StatusCode::kFailedPrecondition, "POLICY_BUDGET_EXCEEDED", name_,
        absl::StrCat("tenants/", label),
        absl::StrCat(
            "tenant ", label, " spends ", FormatMoneyMicros(current), " ", order.currency,
            " per hour; this purchase adds ", FormatMoneyMicros(order.micros_per_hour),
            candidates ? absl::StrCat(" (at its dearest cell, ", CellLabel(order.spec), ")") : "",
            " and would exceed the budget of ", FormatMoneyMicros(budget_)),
        metadata);
  }

  absl::StatusOr<Price> PriceOf(Backend* backend, const InstanceSpec& spec, int count) const {
    ASSIGN_OR_RETURN(provisioning::v1::Quote quote, backend->Quote(spec, count));
    return Priced(spec, count, quote);
  }

  // `spec` priced through the cell cache.
  absl::StatusOr<Price> CellPrice(const NamedBackend& backend, const InstanceSpec& spec,
                                  int count) {
    ASSIGN_OR_RETURN(provisioning::v1::Quote quote,
                     cell_quotes_.Get(backend.name, *backend.backend, spec, count));
    return Priced(spec, count, quote);
  }

  // The dearest of `cells` for `count` instances: the worst an order that may
  // land in any of them can cost.
  absl::StatusOr<Price> DearestCell(const NamedBackend& backend,
                                    const std::vector<InstanceSpec>& cells, int count,
                                    const std::string& tenant) {
    Price dearest;
    for (size_t i = 0; i < cells.size(); ++i) {
      ASSIGN_OR_RETURN(Price price, CellPrice(backend, cells[i], count));
      if (i > 0) RETURN_IF_ERROR(SameCurrency(price.currency, dearest.currency, tenant));
      if (i == 0 || price.micros_per_hour > dearest.micros_per_hour) dearest = std::move(price);
    }
    return dearest;
  }

  absl::StatusOr<Price> Priced(const InstanceSpec& spec, int count,
                               const provisioning::v1::Quote& quote) const {
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

  // What `stored` costs per hour now, in `currency`. A single-spec order: its
  // price scaled to the instances it holds, kept in `priced`. A candidates
  // order: instance_count at its dearest cell before the cloud call, then
  // each instance it holds at the cell it landed in.
  absl::StatusOr<int64_t> StoredSpend(const Order& stored, const PurchaseCheck& check,
                                      const std::string& currency,
                                      std::map<std::string, Price>& priced) {
    const NamedBackend backend = BackendOf(stored, check);
    if (!stored.has_candidates()) {
      ASSIGN_OR_RETURN(Price price, StoredPrice(stored, check.tenant, backend.backend));
      RETURN_IF_ERROR(SameCurrency(price.currency, currency, check.tenant));
      const int64_t spend =
          price.micros_per_hour * LiveInstances(stored) / std::max(price.count, 1);
      priced[stored.request_id()] = std::move(price);
      return spend;
    }
    if (IsBeforeCloud(stored.state())) {
      PurchaseRequest as_bought;
      *as_bought.mutable_spec() = stored.spec();
      *as_bought.mutable_candidates() = stored.candidates();
      ASSIGN_OR_RETURN(Price dearest, DearestCell(backend, CellSpecs(as_bought),
                                                  stored.instance_count(), check.tenant));
      RETURN_IF_ERROR(SameCurrency(dearest.currency, currency, check.tenant));
      return dearest.micros_per_hour;
    }
    int64_t spend = 0;
    for (const Instance& instance : stored.instances()) {
      if (!IsHeld(instance)) continue;
      ASSIGN_OR_RETURN(Price price, CellPrice(backend, LandedSpec(stored, instance), 1));
      RETURN_IF_ERROR(SameCurrency(price.currency, currency, check.tenant));
      spend += price.micros_per_hour;
    }
    return spend;
  }

  // The backend that prices `stored`: its own, or the routed one when its
  // backend is no longer configured.
  NamedBackend BackendOf(const Order& stored, const PurchaseCheck& check) const {
    if (backends_ != nullptr) {
      absl::StatusOr<Backend*> own = backends_->Get(stored.backend());
      if (own.ok()) return {stored.backend(), *own};
    }
    return {check.backend_name, check.backend};
  }

  // A single-spec stored order's price: cached by request_id, else quoted.
  absl::StatusOr<Price> StoredPrice(const Order& stored, const std::string& tenant,
                                    Backend* backend) {
    {
      absl::MutexLock lock(&mu_);
      auto cached = cache_.find(tenant);
      if (cached != cache_.end()) {
        auto it = cached->second.find(stored.request_id());
        if (it != cached->second.end() && it->second.count == stored.instance_count() &&
            MessageDifferencer::Equals(it->second.spec, stored.spec())) {
          return it->second;
        }
      }
    }
    return PriceOf(backend, stored.spec(), stored.instance_count());
  }

  absl::Status CheckCurrency(const std::string& currency, const std::string& tenant) const {
    if (config_.currency().empty() || config_.currency() == currency) return absl::OkStatus();
    return Mismatch(tenant, config_.currency(), currency);
  }

  // OK when a price in `got` adds up with one in `want`.
  absl::Status SameCurrency(const std::string& got, const std::string& want,
                            const std::string& tenant) const {
    return got == want ? absl::OkStatus() : Mismatch(tenant, want, got);
  }

  absl::Status Mismatch(const std::string& tenant, const std::string& want,
                        const std::string& got) const {
    return PolicyDenial(
        absl::StatusCode::kFailedPrecondition, "POLICY_BUDGET_CURRENCY_MISMATCH", name_,
        absl::StrCat("tenants/", TenantLabel(tenant)),
        absl::StrCat("the budget is in ", want, " but a price is in ", got),
        {{"tenant", TenantLabel(tenant)}, {"budget_currency", want}, {"price_currency", got}});
  }

  const HourlyBudgetConfig config_;
  const int64_t budget_;
  const std::string name_;
  OrderLedger* const ledger_;
  const BackendSet* const backends_;
  // Candidates cells and landed instances, by (backend, spec, count).
  QuoteCache cell_quotes_;

  absl::Mutex mu_;
  // tenant -> request_id -> price of its live single-spec orders.
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
