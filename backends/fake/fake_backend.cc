#include "backends/fake/fake_backend.h"

#include <cmath>
#include <limits>

#include "absl/algorithm/container.h"
#include "absl/numeric/int128.h"
#include "backends/quote_parts.h"
#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/money.h"
#include "common/status_details.h"
#include "common/status_macros.h"

namespace cvm {
namespace {

using provisioning::fake::v1::Failure;
using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::Instance;
using provisioning::v1::InstanceSpec;
using provisioning::v1::InternetAccess;


absl::StatusOr<double> PriceOr(const std::string& text, double fallback,
                               const std::string& field) {
  if (text.empty()) return fallback;
  absl::StatusOr<int64_t> micros = ParseMoneyMicros(text);
  if (!micros.ok()) return InvalidFields({{field, std::string(micros.status().message())}});
  return *micros / 1e6;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FakeBackend>> FakeBackend::Create(
    const FakeBackendConfig& config, Clock* clock) {
  ASSIGN_OR_RETURN(double price, PriceOr(config.price_per_hour(), 0.10, "price_per_hour"));
  ASSIGN_OR_RETURN(double spot,
                   PriceOr(config.spot_market_price(), 0.03, "spot_market_price"));
  ASSIGN_OR_RETURN(double bandwidth, PriceOr(config.bandwidth_price_per_mbps_hour(), 0,
                                             "bandwidth_price_per_mbps_hour"));
  ASSIGN_OR_RETURN(double traffic, PriceOr(config.traffic_price_per_gb(), 0, "traffic_price_per_gb"));
  if (!config.currency().empty() && !IsCurrencyCode(config.currency())) {
    return InvalidFields({{"currency", "must be an ISO 4217 code such as \"CNY\""}});
  }
  for (int i = 0; i < config.failures_size(); ++i) {
    const Failure& f = config.failures(i);
    if (f.operation() != Failure::LAUNCH &&
        (f.code() <= 0 || f.code() > 16)) {
      return InvalidFields({{absl::StrCat("failures[", i, "].code"),
                             "must be a canonical gRPC error code (1-16)"}});
    }
    if (f.probability() < 0 || f.probability() > 1) {
      return InvalidFields({{absl::StrCat("failures[", i, "].probability"),
                             "must be within [0, 1]"}});
    }
  }
  std::unique_ptr<FakeBackend> backend(new FakeBackend(
      config, clock, price, spot, std::llround(bandwidth * 1e6), std::llround(traffic * 1e6)));
  if (!config.balance().empty()) {
    absl::StatusOr<int64_t> balance = ParseMoneyMicros(config.balance());
    if (!balance.ok()) return InvalidFields({{"balance", std::string(balance.status().message())}});
    absl::MutexLock lock(&backend->mu_);
    backend->balance_micros_ = *balance;
  }
  return backend;
}

FakeBackend::FakeBackend(const FakeBackendConfig& config, Clock* clock, double price,
                         double spot_price, int64_t bandwidth_micros, int64_t traffic_micros)
    : config_(config),
      clock_(clock),
      price_per_hour_(price),
      spot_market_price_(spot_price),
      bandwidth_micros_per_mbps_(bandwidth_micros),
      traffic_micros_per_gb_(traffic_micros),
      pending_duration_(DurationOr(config.pending_duration(),
                                   config.has_pending_duration(), absl::Seconds(2))),
      public_ip_delay_(DurationOr(config.public_ip_delay(),
                                  config.has_public_ip_delay(), absl::Seconds(1))) {
  for (const auto& [type, count] : config.stock()) stock_[type] = count;
}

absl::Status FakeBackend::InjectedFailure(Failure::Operation op,
                                          const std::string& zone) {
  for (const Failure& f : config_.failures()) {
    if (f.operation() != op || (!f.zone().empty() && f.zone() != zone)) continue;
    bool fires = true;
    if (f.probability() > 0 && f.probability() < 1) {
      absl::MutexLock lock(&mu_);
      fires = absl::Bernoulli(random_, f.probability());
    }
    if (!fires) continue;
    if (op == Failure::LAUNCH) return absl::AbortedError("launch failure");
    absl::Status status(static_cast<absl::StatusCode>(f.code()),
                        absl::StrCat("injected failure of fake backend ",
                                     Failure::Operation_Name(op)));
    return WithReason(status, f.reason().empty() ? "INJECTED_FAILURE" : f.reason(),
                      {{kCloudErrorCodeKey, f.cloud_error_code()},
                       {kCloudRequestIdKey, "fake-request"}});
  }
  return absl::OkStatus();
}

int FakeBackend::LiveCountLocked() const {
  int live = 0;
  for (const auto& entry : instances_) live += entry.second.terminated ? 0 : 1;
  return live;
}

absl::Status FakeBackend::CheckLocked(const CreateRequest& request) {
  const InstanceSpec& spec = request.spec;
  for (const std::string& zone : config_.sold_out_zones()) {
    if (zone == spec.zone()) {
      return PreconditionFailed("ZONE_SOLD_OUT", spec.zone(),
                                absl::StrCat("zone sells no ", spec.instance_type()));
    }
  }
  auto stock = stock_.find(spec.instance_type());
  if (stock != stock_.end() && stock->second < request.count) {
    return WithReason(PreconditionFailed("INSUFFICIENT_STOCK", spec.instance_type(),
                                         absl::StrCat(stock->second, " left, ", request.count,
                                                      " requested")),
                      "INSUFFICIENT_STOCK", {{kStockLeftKey, absl::StrCat(stock->second)}});
  }
  if (config_.instance_quota() > 0 &&
      LiveCountLocked() + request.count > config_.instance_quota()) {
    return QuotaExceeded(
        "instances",
        absl::StrCat(LiveCountLocked(), " of ", config_.instance_quota(),
                     " in use, ", request.count, " requested"));
  }
  if (spec.has_spot()) {
    absl::StatusOr<int64_t> max = ParseMoneyMicros(spec.spot().max_price_per_hour());
    if (!max.ok()) {
      return InvalidFields({{"spec.spot.max_price_per_hour",
                             std::string(max.status().message())}});
    }
    if (*max / 1e6 < spot_market_price_) {
      return WithReason(
          PreconditionFailed("SPOT_PRICE_TOO_LOW", spec.instance_type(),
                             absl::StrFormat("max price %s is below the market price %.6f",
                                             spec.spot().max_price_per_hour(),
                                             spot_market_price_)),
          "SPOT_PRICE_TOO_LOW",
          {{kMarketPriceKey,
            FormatMoneyMicros(static_cast<int64_t>(spot_market_price_ * 1e6 + 0.5))}});
    }
  }
  return absl::OkStatus();
}

absl::Status FakeBackend::Preflight(const CreateRequest& request) {
  RETURN_IF_ERROR(InjectedFailure(Failure::PREFLIGHT, request.spec.zone()));
  absl::MutexLock lock(&mu_);
  return CheckLocked(request);
}

absl::StatusOr<std::vector<std::string>> FakeBackend::Create(
    const CreateRequest& request) {
  if (request.count <= 0 || request.client_token.empty()) {
    return absl::InvalidArgumentError("count and client_token are required");
  }
  if (config_.has_create_latency()) {
    absl::SleepFor(DurationOr(config_.create_latency(), true, absl::ZeroDuration()));
  }
  RETURN_IF_ERROR(InjectedFailure(Failure::CREATE, request.spec.zone()));
  const bool launch_fails =
      !InjectedFailure(Failure::LAUNCH, request.spec.zone()).ok();
  ASSIGN_OR_RETURN(const Charge charge, ChargeOf(request));
  absl::MutexLock lock(&mu_);
  auto existing = tokens_.find(request.client_token);
  if (existing != tokens_.end()) return existing->second;
  RETURN_IF_ERROR(CheckLocked(request));
  if (balance_micros_.has_value()) *balance_micros_ -= charge.upfront_micros;
  auto stock = stock_.find(request.spec.instance_type());
  if (stock != stock_.end()) stock->second -= request.count;
  std::vector<std::string> ids;
  for (int i = 0; i < request.count; ++i) {
    const int index = next_index_++;
    std::string id = absl::StrFormat("ins-fake%08x", index);
    FakeInstance& instance = instances_[id];
    instance.zone = request.spec.zone();
    instance.order_id = request.order_id;
    instance.create_time = clock_->Now();
    instance.wants_public_ip = request.spec.internet().public_ip();
    instance.launch_failed = launch_fails;
    instance.index = index;
    instance.hourly_micros = charge.hourly_micros;
    instance.pay_as_you_go = request.spec.has_pay_as_you_go();
    ids.push_back(std::move(id));
  }
  tokens_[request.client_token] = ids;
  return ids;
}

InstanceStatus FakeBackend::StatusOfLocked(const std::string& id) const {
  InstanceStatus status;
  status.instance_id = id;
  auto it = instances_.find(id);
  if (it == instances_.end()) {
    status.state = Instance::TERMINATED;
    return status;
  }
  const FakeInstance& instance = it->second;
  status.zone = instance.zone;
  status.isolated_source = Instance::NOT_ISOLATED;  // the fake has no arrears
  status.create_time = instance.create_time;
  status.private_ips.push_back(absl::StrFormat(
      "10.%d.%d.%d", (instance.index >> 16) & 255, (instance.index >> 8) & 255,
      (instance.index & 255)));
  const absl::Duration age = clock_->Now() - instance.create_time;
  if (instance.terminated) {
    status.state = Instance::TERMINATED;
  } else if (age < pending_duration_) {
    status.state = Instance::PENDING;
  } else if (instance.launch_failed) {
    status.state = Instance::LAUNCH_FAILED;
  } else if (instance.stopped) {
    status.state = Instance::STOPPED;
  } else if (clock_->Now() - instance.started_at < pending_duration_) {
    status.state = Instance::PENDING;  // starting again
  } else {
    status.state = Instance::RUNNING;
    if (instance.wants_public_ip && age >= pending_duration_ + public_ip_delay_) {
      // TEST-NET-3 addresses (RFC 5737): never routable.
      status.public_ips.push_back(absl::StrFormat(
          "203.0.113.%d", instance.index % 254 + 1));
    }
  }
  return status;
}

absl::StatusOr<std::vector<InstanceStatus>> FakeBackend::Describe(
    const std::string& /*region*/, absl::Span<const std::string> instance_ids) {
  if (instance_ids.size() > kMaxDescribeBatch) {
    return InvalidFields({{"instance_ids", absl::StrCat("at most ", kMaxDescribeBatch,
                                                        " ids per call")}});
  }
  RETURN_IF_ERROR(InjectedFailure(Failure::DESCRIBE, ""));
  absl::MutexLock lock(&mu_);
  std::vector<InstanceStatus> result;
  for (const std::string& id : instance_ids) result.push_back(StatusOfLocked(id));
  return result;
}

absl::StatusOr<std::vector<std::string>> FakeBackend::FindByOrder(
    const std::string& /*region*/, const std::string& order_id) {
  RETURN_IF_ERROR(InjectedFailure(Failure::DESCRIBE, ""));
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, instance] : instances_) {
    if (instance.order_id == order_id && !instance.terminated) ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<std::vector<TaggedInstance>> FakeBackend::ListTagged(
    const std::string& /*region*/) {
  RETURN_IF_ERROR(InjectedFailure(Failure::DESCRIBE, ""));
  absl::MutexLock lock(&mu_);
  std::vector<TaggedInstance> tagged;
  for (const auto& [id, instance] : instances_) {
    if (!instance.order_id.empty() && !instance.terminated) {
      tagged.push_back({id, instance.order_id});
    }
  }
  return tagged;
}

absl::Status FakeBackend::Terminate(const std::string& /*region*/,
                                    absl::Span<const std::string> instance_ids,
                                    absl::Time /*deadline*/) {
  RETURN_IF_ERROR(InjectedFailure(Failure::TERMINATE, ""));
  absl::MutexLock lock(&mu_);
  for (const std::string& id : instance_ids) {
    auto it = instances_.find(id);
    if (it == instances_.end() || it->second.terminated) continue;
    it->second.terminated = true;
    it->second.terminated_at = clock_->Now();
  }
  return absl::OkStatus();
}

absl::StatusOr<provisioning::v1::Quote> FakeBackend::Quote(const InstanceSpec& spec, int count,
                                                           absl::Time /*deadline*/) {
  const int64_t unit = static_cast<int64_t>(
      (spec.has_spot() ? spot_market_price_ : price_per_hour_) * 1e6 + 0.5);
  const InternetAccess& internet = spec.internet();
  const int64_t mbps = internet.public_ip() ? internet.max_bandwidth_out_mbps() : 0;
  const int64_t bandwidth = mbps * bandwidth_micros_per_mbps_;
  const int months = spec.prepaid().period_months();
  // A prepaid month is billed as 730 hours at a 20 % discount. Prices reach
  // 10^12 per hour (money.h): computed in 128 bits, refused when too large.
  bool too_large = false;
  auto prepaid = [count, months, &too_large](int64_t hourly) {
    const absl::int128 total = absl::int128(hourly) * count * 730 * months * 8 / 10;
    too_large = too_large || total > std::numeric_limits<int64_t>::max();
    return too_large ? int64_t{0} : static_cast<int64_t>(total);
  };
  PriceParts parts;
  if (spec.has_prepaid()) {
    parts.instance_prepaid = prepaid(unit);
  } else {
    parts.instance_hourly = unit;
  }
  switch (mbps > 0 ? internet.charge_type() : InternetAccess::CHARGE_TYPE_UNSPECIFIED) {
    case InternetAccess::BANDWIDTH_POSTPAID_BY_HOUR:
      parts.bandwidth_hourly = bandwidth;
      break;
    case InternetAccess::BANDWIDTH_PREPAID:
      parts.bandwidth_prepaid = prepaid(bandwidth);
      break;
    case InternetAccess::TRAFFIC_POSTPAID_BY_HOUR:
      parts.traffic_per_gb = traffic_micros_per_gb_;
      break;
    default:
      break;
  }
  if (too_large) {
    return InvalidFields({{"instance_count", "the order's price is too large to quote"}});
  }
  return QuoteOf(parts, count, config_.currency().empty() ? "CNY" : config_.currency());
}

int FakeBackend::CreatedCount() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(instances_.size());
}

}  // namespace cvm
