// The arrears guard: forecasts when each backend's cloud account runs out of
// money, warns before it does, and refuses purchases under a floor.
//
// A cloud account whose balance goes negative is in arrears: the cloud
// isolates its pay-as-you-go and spot instances within hours and releases
// them later. Every interval (CheckAll(), on the guard's own thread after
// Start()), for each backend whose Balance() answers:
//   spend per hour = sum, over the backend's orders not CANCELLED or
//     TERMINATED, pay-as-you-go and spot only (prepaid is paid already), of
//     the hourly price of one instance of the order's spec (Backend::Quote's
//     total_price_per_hour, cached per distinct priced spec for price_ttl)
//     x the instances the order holds or is about to buy (LiveInstances());
//   forecast = balance / spend per hour x 3600 s: infinite when nothing is
//     spent, zero once the balance is not positive.
// A backend whose Balance() is UNIMPLEMENTED is not guarded (and not asked
// again). A check that fails (balance or a price unreadable, currencies that
// differ) keeps the last forecast, counts a failure and is logged.
//
// What it does with the forecast:
//  - Metrics: provisioner_account_balance{backend} (the balance in the
//    account's currency) and provisioner_arrears_forecast_seconds{backend}
//    (+Inf when nothing is spent), both from the first successful check on;
//    provisioner_arrears_check_failures_total{backend}.
//  - Warning: when the forecast drops under warning_horizon, `publish` gets
//    an AccountForecast WARNING (the server sends it as an ACCOUNT event on
//    the all-orders Watch streams of the tenants routed to the backend);
//    when it is back at or above the horizon, a CLEARED one. Once per
//    crossing, never every interval; a new process starts unwarned, so its
//    first check under the horizon warns again.
//  - Floor (refuse_below > 0): CheckPurchase() refuses a new pay-as-you-go or
//    spot purchase on a backend whose forecast, counted down since its check,
//    is under the floor; and a prepaid one when paying its price up front
//    would leave less than the floor's worth of spending:
//    balance - prepaid price < spend per hour x floor (with nothing spent
//    hourly: when the price exceeds the balance). FAILED_PRECONDITION, reason
//    ARREARS_FORECAST, a PreconditionFailure and ErrorInfo metadata naming the
//    forecast and the floor. Before the first successful check nothing is
//    refused.
//
// Replicas: every replica runs its own guard on the shared store (one
// Balance() call per backend and interval each, a few billing calls a
// minute for three replicas, far under the action's 20/s), so each refuses
// on a fresh forecast and warns its own Watch streams without a claim.
//
// Contract: thread-safe. CheckAll() blocks on backend and store calls;
// CheckPurchase() reads memory, but quotes a prepaid purchase.
#ifndef CVM_PROVISIONER_SERVICE_ARREARS_GUARD_H_
#define CVM_PROVISIONER_SERVICE_ARREARS_GUARD_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "plugins/backend_set.h"
#include "plugins/service_config.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "provisioning/v1/provisioning.pb.h"
#include "store/order_store.h"

namespace cvm {

class ArrearsGuard {
 public:
  using Publish = std::function<void(const provisioning::v1::AccountForecast& forecast,
                                     std::vector<std::string> tenants)>;
  struct Options {
    absl::Duration interval = absl::Seconds(60);
    absl::Duration warning_horizon = absl::Hours(24);
    absl::Duration refuse_below = absl::ZeroDuration();  // zero: refuse nothing
    // How long a quoted price is reused (spot prices move).
    absl::Duration price_ttl = absl::Hours(1);
    Clock* clock = RealClock::Get();
    prometheus::Registry* registry = nullptr;  // null: no metrics
    // The account's gauges (balance, forecast): the same on every replica,
    // so the server puts them with the cluster-wide series
    // (service/cluster_metrics.h). Null: `registry`.
    prometheus::Registry* account_registry = nullptr;
    Publish publish;                           // empty: no events
  };

  // Options from `config` with its defaults; INVALID_ARGUMENT naming the
  // field (arrears_guard.interval, ...) for a bad duration.
  static absl::StatusOr<Options> OptionsFrom(
      const provisioning::config::v1::ArrearsGuardConfig& config);

  // `config` names the tenants each backend's events are for (its routes).
  ArrearsGuard(OrderStore* store, const BackendSet* backends,
               const provisioning::config::v1::ServiceConfig& config, Options options);
  ~ArrearsGuard();  // Stop()s

  // Checks now, then every interval on the guard's thread, until Stop().
  void Start();
  void Stop();

  // One check of every guarded backend; the first error (after checking the
  // others).
  absl::Status CheckAll();

  // The purchase gate (OrderWorkflow::SetPurchaseGate); see the floor above.
  // A prepaid purchase's quote stops at `deadline` (the client's).
  absl::Status CheckPurchase(const RoutedBackend& routed,
                             const provisioning::v1::PurchaseRequest& request,
                             absl::Time deadline = absl::InfiniteFuture());

  struct Forecast {
    int64_t balance_micros = 0;
    std::string currency;  // the balance's or else the prices'; may be empty
    int64_t spend_micros_per_hour = 0;
    absl::Duration lasts = absl::InfiniteDuration();
    absl::Time checked_at;
  };
  // The last successful check of `backend`, if any.
  std::optional<Forecast> Latest(const std::string& backend) const;

 private:
  struct Price {
    int64_t micros_per_hour = 0;  // one instance
    std::string currency;
    absl::Time quoted_at;
  };
  // Per guarded backend.
  struct Account {
    bool unguarded = false;  // Balance() is UNIMPLEMENTED
    bool warned = false;
    std::optional<Forecast> latest;
    prometheus::Gauge* balance = nullptr;
    prometheus::Gauge* forecast = nullptr;
    prometheus::Counter* failures = nullptr;
  };

  // Checks one backend: `orders` are its live ones.
  absl::Status CheckOne(const std::string& name, Backend* backend,
                        const std::vector<Order>& orders);
  absl::StatusOr<Forecast> ForecastOf(const std::string& name, Backend* backend,
                                      const std::vector<Order>& orders);
  absl::StatusOr<Price> PriceOf(const std::string& name, Backend* backend,
                                const provisioning::v1::InstanceSpec& spec);
  // Records a successful check: metrics, and a crossing of the horizon.
  void Record(const std::string& name, const Forecast& forecast);
  provisioning::v1::AccountForecast Event(const std::string& name, const Forecast& forecast,
                                          bool warning) const;
  void Loop();

  OrderStore* const store_;
  const BackendSet* const backends_;
  const Options options_;
  // By backend: the tenants its events are for (empty: all; nullopt: none).
  std::map<std::string, std::optional<std::vector<std::string>>> tenants_;
  prometheus::Family<prometheus::Gauge>* balance_family_ = nullptr;
  prometheus::Family<prometheus::Gauge>* forecast_family_ = nullptr;
  prometheus::Family<prometheus::Counter>* failures_family_ = nullptr;

  absl::Mutex check_mu_;  // serializes checks
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(check_mu_);
  std::map<std::string, Account> accounts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Price> prices_ ABSL_GUARDED_BY(mu_);  // by backend + priced spec

  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_ARREARS_GUARD_H_
