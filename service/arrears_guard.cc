#include "service/arrears_guard.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <set>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "common/candidate_cells.h"
#include "common/money.h"
#include "common/order_states.h"
#include "common/proto_time.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "plugins/policies/policy_support.h"

namespace cvm {
namespace {

using provisioning::config::v1::ArrearsGuardConfig;
using provisioning::config::v1::ServiceConfig;
using provisioning::v1::AccountForecast;
using provisioning::v1::Instance;
using provisioning::v1::InstanceSpec;
using provisioning::v1::PurchaseRequest;

constexpr char kReason[] = "ARREARS_FORECAST";

// The spec without what does not change its price, serialized (it has no
// maps, so the bytes are stable): the price cache's key.
std::string PricedSpec(const InstanceSpec& spec) {
  InstanceSpec priced = spec;
  priced.clear_instance_name();
  priced.clear_tags();
  priced.clear_security_group_ids();
  priced.clear_login_key_ids();
  return priced.SerializeAsString();
}

// How long `balance` lasts at `spend` per hour.
absl::Duration Lasts(int64_t balance_micros, int64_t spend_micros_per_hour) {
  if (balance_micros <= 0) return absl::ZeroDuration();
  if (spend_micros_per_hour <= 0) return absl::InfiniteDuration();
  return absl::Seconds(static_cast<double>(balance_micros) * 3600.0 /
                       static_cast<double>(spend_micros_per_hour));
}

// "3h30m", or "indefinitely".
std::string Readable(absl::Duration d) {
  return d == absl::InfiniteDuration() ? "indefinitely"
                                       : absl::FormatDuration(absl::Floor(d, absl::Seconds(1)));
}

// `amount` with its currency, e.g. "5.60 CNY".
std::string Money(int64_t micros, const std::string& currency) {
  return currency.empty() ? FormatMoneyMicros(micros)
                          : absl::StrCat(FormatMoneyMicros(micros), " ", currency);
}

std::string Seconds(absl::Duration d) {
  return d == absl::InfiniteDuration() ? "+Inf" : absl::StrCat(absl::ToInt64Seconds(d));
}

// The tenants whose streams get `backend`'s events (empty: every tenant's;
// nullopt: no one's). Routes name them: every tenant when there are no routes
// or a route to the backend serves every tenant; otherwise those its routes
// name; no one when no route leads to it.
std::optional<std::vector<std::string>> TenantsOf(const ServiceConfig& config,
                                                  const std::string& backend) {
  if (config.routes().empty()) return std::vector<std::string>();
  std::set<std::string> tenants;
  bool routed = false;
  for (const auto& route : config.routes()) {
    if (route.backend() != backend) continue;
    if (route.tenants().empty()) return std::vector<std::string>();
    routed = true;
    tenants.insert(route.tenants().begin(), route.tenants().end());
  }
  if (!routed) return std::nullopt;
  return std::vector<std::string>(tenants.begin(), tenants.end());
}

}  // namespace

absl::StatusOr<ArrearsGuard::Options> ArrearsGuard::OptionsFrom(const ArrearsGuardConfig& config) {
  Options options;
  options.interval = DurationOr(config.interval(), config.has_interval(), options.interval);
  options.warning_horizon =
      DurationOr(config.warning_horizon(), config.has_warning_horizon(), options.warning_horizon);
  options.refuse_below =
      DurationOr(config.refuse_below(), config.has_refuse_below(), options.refuse_below);
  std::vector<FieldViolation> bad;
  if (options.interval <= absl::ZeroDuration()) {
    bad.push_back({"arrears_guard.interval", "must be positive"});
  }
  if (options.warning_horizon <= absl::ZeroDuration()) {
    bad.push_back({"arrears_guard.warning_horizon", "must be positive"});
  }
  if (options.refuse_below < absl::ZeroDuration()) {
    bad.push_back({"arrears_guard.refuse_below", "must not be negative"});
  } else if (options.refuse_below > options.warning_horizon) {
    bad.push_back({"arrears_guard.refuse_below",
                   "must not exceed arrears_guard.warning_horizon (the warning comes first)"});
  }
  if (!bad.empty()) return InvalidFields(bad);
  return options;
}

ArrearsGuard::ArrearsGuard(OrderStore* store, const BackendSet* backends,
                           const ServiceConfig& config, Options options)
    : store_(store), backends_(backends), options_(std::move(options)) {
  for (const std::string& name : backends_->Names()) tenants_[name] = TenantsOf(config, name);
  if (options_.registry == nullptr) return;
  prometheus::Registry& account =
      options_.account_registry != nullptr ? *options_.account_registry : *options_.registry;
  balance_family_ = &prometheus::BuildGauge()
                         .Name("provisioner_account_balance")
                         .Help(
                             "The cloud account's balance in its currency (negative: owed), "
                             "as last read by the arrears guard")
                         .Register(account);
  forecast_family_ = &prometheus::BuildGauge()
                          .Name("provisioner_arrears_forecast_seconds")
                          .Help(
                              "Seconds until the account's balance runs out at the hourly "
                              "price of its live pay-as-you-go and spot orders; +Inf when "
                              "nothing is spent, 0 once it has run out")
                          .Register(account);
  failures_family_ = &prometheus::BuildCounter()
                          .Name("provisioner_arrears_check_failures_total")
                          .Help(
                              "Arrears guard checks that could not read the balance or "
                              "price the live orders")
                          .Register(*options_.registry);
}

ArrearsGuard::~ArrearsGuard() { Stop(); }

void ArrearsGuard::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ArrearsGuard::Stop() {
  if (!thread_.joinable()) return;
  stop_.Notify();
  thread_.join();
}

void ArrearsGuard::Loop() {
  do {
    // Every failure is logged (and a backend's counted) where it happens.
    CheckAll().IgnoreError();
  } while (!stop_.WaitForNotificationWithTimeout(options_.interval));
}

absl::Status ArrearsGuard::CheckAll() {
  absl::MutexLock serial(&check_mu_);
  absl::StatusOr<std::vector<Order>> live = store_->OrdersInStates(HoldingStates());
  if (!live.ok()) {
    std::fprintf(stderr, "provisioner: arrears guard: reading the orders: %s\n",
                 live.status().ToString().c_str());
    return live.status();
  }
  std::map<std::string, std::vector<Order>> by_backend;
  for (Order& order : *live) {
    if (order.spec().has_prepaid() || LiveInstances(order) == 0) continue;
    by_backend[order.backend()].push_back(std::move(order));
  }
  absl::Status first;
  for (const std::string& name : backends_->Names()) {
    {
      absl::MutexLock lock(&mu_);
      if (accounts_[name].unguarded) continue;
    }
    absl::StatusOr<Backend*> backend = backends_->Get(name);
    absl::Status status =
        backend.ok() ? CheckOne(name, *backend, by_backend[name]) : backend.status();
    if (first.ok()) first = status;
  }
  return first;
}

absl::Status ArrearsGuard::CheckOne(const std::string& name, Backend* backend,
                                    const std::vector<Order>& orders) {
  absl::StatusOr<Forecast> forecast = ForecastOf(name, backend, orders);
  if (forecast.ok()) {
    Record(name, *forecast);
    return absl::OkStatus();
  }
  absl::MutexLock lock(&mu_);
  Account& account = accounts_[name];
  if (forecast.status().code() == absl::StatusCode::kUnimplemented) {
    account.unguarded = true;  // this backend cannot read its balance
    return absl::OkStatus();
  }
  if (failures_family_ != nullptr && account.failures == nullptr) {
    account.failures = &failures_family_->Add({{"backend", name}});
  }
  if (account.failures != nullptr) account.failures->Increment();
  std::fprintf(stderr, "provisioner: arrears guard: backend %s: %s\n", name.c_str(),
               forecast.status().ToString().c_str());
  return forecast.status();
}

absl::StatusOr<ArrearsGuard::Forecast> ArrearsGuard::ForecastOf(const std::string& name,
                                                                Backend* backend,
                                                                const std::vector<Order>& orders) {
  ASSIGN_OR_RETURN(const AccountBalance balance, backend->Balance());
  Forecast forecast;
  forecast.balance_micros = balance.micros;
  forecast.currency = balance.currency;
  forecast.checked_at = options_.clock->Now();
  absl::int128 spend = 0;
  // What each spec costs per hour, times the live instances bought with it.
  auto add = [&](const Order& order, const InstanceSpec& spec, int instances) -> absl::Status {
    ASSIGN_OR_RETURN(const Price price, PriceOf(name, backend, spec));
    if (forecast.currency.empty()) forecast.currency = price.currency;
    if (!price.currency.empty() && price.currency != forecast.currency) {
      return absl::FailedPreconditionError(absl::StrCat(
          "order ", order.order_id(), " is priced in ", price.currency, " but the account in ",
          forecast.currency, ": the forecast cannot add them"));
    }
    spend += absl::int128(price.micros_per_hour) * instances;
    return absl::OkStatus();
  };
  for (const Order& order : orders) {
    if (!order.has_candidates()) {
      RETURN_IF_ERROR(add(order, order.spec(), LiveInstances(order)));
      continue;
    }
    // A candidates order: each instance at its cell's price; what it has
    // still to buy at the spec's.
    for (const Instance& instance : order.instances()) {
      if (!IsLive(instance) || IsReturned(instance)) continue;
      RETURN_IF_ERROR(add(order, LandedSpec(order, instance), 1));
    }
    if (IsBeforeCloud(order.state()) && order.instance_count() > order.instances_size()) {
      RETURN_IF_ERROR(add(order, order.spec(), order.instance_count() - order.instances_size()));
    }
  }
  forecast.spend_micros_per_hour =
      static_cast<int64_t>(std::min(spend, absl::int128(std::numeric_limits<int64_t>::max())));
  forecast.lasts = Lasts(forecast.balance_micros, forecast.spend_micros_per_hour);
  return forecast;
}

absl::StatusOr<ArrearsGuard::Price> ArrearsGuard::PriceOf(const std::string& name, Backend* backend,
                                                          const InstanceSpec& spec) {
  const std::string key = absl::StrCat(name, "\n", PricedSpec(spec));
  const absl::Time now = options_.clock->Now();
  {
    absl::MutexLock lock(&mu_);
    auto cached = prices_.find(key);
    if (cached != prices_.end() && now - cached->second.quoted_at < options_.price_ttl) {
      return cached->second;
    }
  }
  ASSIGN_OR_RETURN(const provisioning::v1::Quote quote, backend->Quote(spec, 1));
  absl::StatusOr<int64_t> micros = ParseMoneyMicros(quote.total_price_per_hour());
  if (!micros.ok()) {
    return absl::InternalError(
        absl::StrCat("backend ", name, " quoted ", quote.ShortDebugString(), ": no hourly price"));
  }
  Price price{*micros, quote.currency(), now};
  absl::MutexLock lock(&mu_);
  prices_[key] = price;
  return price;
}

void ArrearsGuard::Record(const std::string& name, const Forecast& forecast) {
  std::optional<AccountForecast> crossing;
  {
    absl::MutexLock lock(&mu_);
    Account& account = accounts_[name];
    account.latest = forecast;
    if (balance_family_ != nullptr && account.balance == nullptr) {
      account.balance = &balance_family_->Add({{"backend", name}});
      account.forecast = &forecast_family_->Add({{"backend", name}});
    }
    if (account.balance != nullptr) {
      account.balance->Set(static_cast<double>(forecast.balance_micros) / 1e6);
      account.forecast->Set(forecast.lasts == absl::InfiniteDuration()
                                ? std::numeric_limits<double>::infinity()
                                : absl::ToDoubleSeconds(forecast.lasts));
    }
    const bool below = forecast.lasts < options_.warning_horizon;
    if (below != account.warned) {
      account.warned = below;
      crossing = Event(name, forecast, below);
    }
  }
  if (!crossing.has_value()) return;
  std::fprintf(stderr,
               "provisioner: arrears guard: backend %s: balance %s lasts %s at %s per hour (%s "
               "the warning horizon of %s)\n",
               name.c_str(), Money(forecast.balance_micros, forecast.currency).c_str(),
               Readable(forecast.lasts).c_str(),
               Money(forecast.spend_micros_per_hour, forecast.currency).c_str(),
               crossing->state() == AccountForecast::WARNING ? "under" : "back above",
               Readable(options_.warning_horizon).c_str());
  const std::optional<std::vector<std::string>>& tenants = tenants_.at(name);
  if (options_.publish && tenants.has_value()) options_.publish(*crossing, *tenants);
}

AccountForecast ArrearsGuard::Event(const std::string& name, const Forecast& forecast,
                                    bool warning) const {
  AccountForecast event;
  event.set_state(warning ? AccountForecast::WARNING : AccountForecast::CLEARED);
  event.set_backend(name);
  event.set_balance(FormatMoneyMicros(forecast.balance_micros));
  event.set_currency(forecast.currency);
  event.set_spend_per_hour(FormatMoneyMicros(forecast.spend_micros_per_hour));
  auto set = [](absl::Duration d, google::protobuf::Duration* out) {
    out->set_seconds(absl::ToInt64Seconds(d));
  };
  if (forecast.lasts != absl::InfiniteDuration()) set(forecast.lasts, event.mutable_forecast());
  set(options_.warning_horizon, event.mutable_warning_horizon());
  if (options_.refuse_below > absl::ZeroDuration()) {
    set(options_.refuse_below, event.mutable_refuse_below());
  }
  event.mutable_check_time()->set_seconds(absl::ToUnixSeconds(forecast.checked_at));
  return event;
}

std::optional<ArrearsGuard::Forecast> ArrearsGuard::Latest(const std::string& backend) const {
  absl::MutexLock lock(&mu_);
  auto it = accounts_.find(backend);
  return it == accounts_.end() ? std::nullopt : it->second.latest;
}

absl::Status ArrearsGuard::CheckPurchase(const RoutedBackend& routed,
                                         const PurchaseRequest& request, absl::Time deadline) {
  const absl::Duration floor = options_.refuse_below;
  if (floor <= absl::ZeroDuration()) return absl::OkStatus();
  std::optional<Forecast> latest = Latest(routed.name);
  if (!latest.has_value()) return absl::OkStatus();  // not guarded, or not read yet
  // Counted down since the check: spending went on since.
  const absl::Duration since = options_.clock->Now() - latest->checked_at;
  const int64_t spent = static_cast<int64_t>(static_cast<double>(latest->spend_micros_per_hour) *
                                             absl::ToDoubleHours(since));
  const int64_t balance = latest->balance_micros - spent;
  const std::string& currency = latest->currency;
  int64_t prepaid = 0;
  if (request.spec().has_prepaid()) {
    ASSIGN_OR_RETURN(const provisioning::v1::Quote quote,
                     routed.backend->Quote(request.spec(), request.instance_count(), deadline));
    ASSIGN_OR_RETURN(prepaid, ParseMoneyMicros(quote.total_price_prepaid()));
  }
  const absl::Duration lasts = Lasts(balance - prepaid, latest->spend_micros_per_hour);
  // Prepaid with nothing spent hourly: refused only when it costs more than
  // the balance.
  const bool refused = request.spec().has_prepaid() && latest->spend_micros_per_hour == 0
                           ? prepaid > balance
                           : lasts < floor;
  if (!refused) return absl::OkStatus();
  std::string description =
      request.spec().has_prepaid()
          ? absl::StrCat("paying ", Money(prepaid, currency), " up front would leave ",
                         Money(balance - prepaid, currency), ", which lasts ", Readable(lasts))
          : absl::StrCat("the balance of ", Money(balance, currency), " lasts ", Readable(lasts));
  absl::StrAppend(&description, " at ", Money(latest->spend_micros_per_hour, currency),
                  " per hour, under the arrears floor of ", Readable(floor),
                  ": top up the account of backend ", routed.name, " or end orders");
  google::rpc::PreconditionFailure failure;
  auto* violation = failure.add_violations();
  violation->set_type(kReason);
  violation->set_subject(absl::StrCat("backends/", routed.name));
  violation->set_description(description);
  absl::Status status = absl::FailedPreconditionError(absl::StrCat("arrears guard: ", description));
  SetDetail(status, failure);
  return WithReason(std::move(status), kReason,
                    {{"backend", routed.name},
                     {"forecast_seconds", Seconds(lasts)},
                     {"refuse_below_seconds", Seconds(floor)},
                     {"balance", FormatMoneyMicros(balance)},
                     {"spend_per_hour", FormatMoneyMicros(latest->spend_micros_per_hour)},
                     {"currency", currency}});
}

}  // namespace cvm
