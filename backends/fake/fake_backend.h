// The "fake" backend: an in-memory cloud for development and tests.
//
// Instances live a real life on the injected clock: PENDING for
// pending_duration, then RUNNING, with a public IP public_ip_delay later when
// one was asked for. Stock, quota, sold-out zones, spot market price and
// injected failures (FakeBackendConfig) make every error path reachable.
// Quote prices instances and public bandwidth like Tencent (quote_parts.h);
// Terminate releases at once, prepaid or not (no recycle bin). Stop stops a
// RUNNING instance at once (STOPPED); Start makes a STOPPED one PENDING for
// pending_duration, then RUNNING (fake_backend_power.cc).
// Implements the Backend contract (backends/backend.h), so thread-safe and
// idempotent by client token.
//
// With a configured balance the fake keeps books (fake_backend_billing.cc):
// Balance() is the balance less what live pay-as-you-go and spot instances
// have cost so far on the clock (a pay-as-you-go one stopped with
// stop_charging costs nothing until it starts) and what prepaid orders cost
// up front.
#ifndef CVM_PROVISIONER_BACKENDS_FAKE_FAKE_BACKEND_H_
#define CVM_PROVISIONER_BACKENDS_FAKE_FAKE_BACKEND_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "backends/backend.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"

namespace cvm {

class FakeBackend : public Backend {
 public:
  // INVALID_ARGUMENT when a price in config is not a decimal number.
  static absl::StatusOr<std::unique_ptr<FakeBackend>> Create(
      const provisioning::fake::v1::FakeBackendConfig& config, Clock* clock);

  absl::Status Preflight(const CreateRequest& request) override;
  absl::StatusOr<std::vector<std::string>> Create(
      const CreateRequest& request) override;
  absl::StatusOr<std::vector<InstanceStatus>> Describe(
      const std::string& region, absl::Span<const std::string> instance_ids) override;
  absl::StatusOr<std::vector<TaggedInstance>> ListTagged(const std::string& region) override;
  absl::StatusOr<std::vector<std::string>> FindByOrder(const std::string& region,
                                                       const std::string& order_id) override;
  using Backend::Quote;
  using Backend::Terminate;
  absl::Status Terminate(const std::string& region, absl::Span<const std::string> instance_ids,
                         absl::Time deadline) override;
  absl::StatusOr<provisioning::v1::Quote> Quote(const provisioning::v1::InstanceSpec& spec,
                                                int count, absl::Time deadline) override;
  absl::Status Stop(const std::string& region, absl::Span<const std::string> instance_ids,
                    bool stop_charging, absl::Time deadline) override;
  absl::Status Start(const std::string& region, absl::Span<const std::string> instance_ids,
                     absl::Time deadline) override;

  // UNIMPLEMENTED without a configured balance (FakeBackendConfig.balance).
  absl::StatusOr<AccountBalance> Balance() override;
  // Every cell at the configured prices: not sold in sold_out_zones; stock
  // from the configured per-type stock; quota headroom from instance_quota;
  // the types as the catalogue describes them (fake_backend_offers.cc). Every
  // zone or type (an empty list) comes from the configured catalogue:
  // INVALID_ARGUMENT naming catalogue_zones or catalogue_types without one.
  absl::StatusOr<CellOffers> Offers(const std::string& region, absl::Span<const std::string> zones,
                                    absl::Span<const std::string> instance_types,
                                    absl::Time deadline) override;

  // Number of instances ever created (the fake's books), for tests.
  int CreatedCount() const;
  // Adds `micros` to a configured balance (a top-up), for tests.
  void TopUp(int64_t micros);

 private:
  struct FakeInstance {
    std::string zone;
    std::string order_id;
    absl::Time create_time;
    bool wants_public_ip = false;
    bool launch_failed = false;
    bool terminated = false;
    int index = 0;
    // With a balance: its price per hour (0 for prepaid), and when it was
    // terminated.
    int64_t hourly_micros = 0;
    absl::Time terminated_at = absl::InfiniteFuture();
    // Power (fake_backend_power.cc): stopped, or PENDING again from
    // started_at; a pay-as-you-go instance stopped with stop_charging is not
    // billed from charge_off_since on, and was not for uncharged before.
    bool pay_as_you_go = false;
    bool stopped = false;
    absl::Time started_at = absl::InfinitePast();
    absl::Time charge_off_since = absl::InfiniteFuture();
    absl::Duration uncharged;
  };
  // What buying `request` costs when a balance is kept: each instance per
  // hour, and the order up front (prepaid).
  struct Charge {
    int64_t hourly_micros = 0;
    int64_t upfront_micros = 0;
  };

  FakeBackend(const provisioning::fake::v1::FakeBackendConfig& config, Clock* clock,
              double price, double spot_price, int64_t bandwidth_micros, int64_t traffic_micros);

  // The first configured failure for `op` in `zone` that fires, or OK.
  absl::Status InjectedFailure(provisioning::fake::v1::Failure::Operation op,
                               const std::string& zone);
  absl::Status CheckLocked(const CreateRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int LiveCountLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  InstanceStatus StatusOfLocked(const std::string& id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The charge of `request` (zero without a balance), from Quote().
  absl::StatusOr<Charge> ChargeOf(const CreateRequest& request);
  // Stops (start false) or starts the instances, all or none.
  absl::Status ChangePower(absl::Span<const std::string> instance_ids, bool start,
                           bool stop_charging);
  // How long the instance has been billed up to `now`.
  static absl::Duration BilledFor(const FakeInstance& instance, absl::Time now);

  const provisioning::fake::v1::FakeBackendConfig config_;
  Clock* const clock_;
  const double price_per_hour_;
  const double spot_market_price_;
  const int64_t bandwidth_micros_per_mbps_;  // per hour
  const int64_t traffic_micros_per_gb_;
  const absl::Duration pending_duration_;
  const absl::Duration public_ip_delay_;

  mutable absl::Mutex mu_;
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, FakeInstance> instances_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> tokens_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> stock_ ABSL_GUARDED_BY(mu_);
  int next_index_ ABSL_GUARDED_BY(mu_) = 0;
  // The configured balance plus top-ups less up-front charges; unset
  // without a configured balance.
  std::optional<int64_t> balance_micros_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_BACKENDS_FAKE_FAKE_BACKEND_H_
