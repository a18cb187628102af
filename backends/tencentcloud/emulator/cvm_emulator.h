// The CVM emulator's books and rules, without HTTP: Tencent Cloud's CVM and
// billing actions as JSON in, JSON out, on an injected clock.
//
// Each account (by SecretId) has its own instances, client tokens, quotas and
// balance. Instances live their life on the clock: PENDING, then RUNNING,
// then a public IP; terminated ones show TERMINATING briefly, then vanish.
// Handle() returns the "Response" object without RequestId: either the
// action's fields or {"Error": {"Code", "Message"}} with Tencent's codes.
//
// Money (emulator_billing.cc): pay-as-you-go and spot instances accrue their
// hourly price (spot: the market price) for every second they are up; each
// account is settled at every whole hour of the clock. A settlement that
// leaves the balance negative puts the account in arrears: after
// arrears_shutdown_delay its postpaid instances are isolated (SHUTDOWN,
// PROTECTIVELY_ISOLATED, ARREAR) and isolated_release_delay later released,
// unless TopUp() clears the arrears first. Prepaid instances are paid at
// purchase, get an ExpiredTime (creation + Period months) and are then
// isolated (SHUTDOWN, EXPIRED, EXPIRE) and released after the same delay;
// with RenewFlag NOTIFY_AND_AUTO_RENEW each ExpiredTime first renews them for
// a month when the balance covers it (paid then). TerminateInstances releases
// a postpaid instance at once; a prepaid one is returned to the recycle bin
// (SHUTDOWN, IsolatedSource MANMADE), refunded (everything within 5 days of
// the purchase, else the unused share of its period) and released
// returned_release_delay later; a second TerminateInstances destroys it then.
// Public bandwidth (emulator_billing.cc): BANDWIDTH_POSTPAID_BY_HOUR accrues
// per Mbps-hour with the instance, BANDWIDTH_PREPAID is paid with it,
// TRAFFIC_POSTPAID_BY_HOUR is quoted per GB and bills nothing (no traffic).
// Spot (emulator_spot.cc): Reclaim() or a market price above an instance's
// MaxPrice gives it notice; spot_reclaim_notice later it is SHUTDOWN, and
// spot_shutdown_duration after that released.
//
// Launch settings (emulator_launch.cc): RunInstances checks and keeps
// ImageId, UserData, HostName, CamRoleName, Placement.ProjectId,
// DisasterRecoverGroupIds (at most 1), VirtualPrivateCloud.PrivateIpAddresses
// (one per instance) and each DataDisk's Encrypt, KmsKeyId and
// DeleteWithInstance, and DescribeInstances returns them where Tencent's
// Instance model has them; the user data is what the instance's metadata
// service answers (UserData()). A LaunchTemplate (config launch_templates)
// supplies the InstanceType and ImageId a request leaves out. A parameter
// that the official SDK's request model does not have (RunInstances and
// InquiryPriceRunInstances at the top, and inside DataDisks, Placement,
// VirtualPrivateCloud and LaunchTemplate) is refused with UnknownParameter.
//
// Power (emulator_power.cc): StopInstances takes RUNNING instances to
// STOPPING, then stop_duration later STOPPED; StartInstances takes STOPPED
// ones to STARTING, then start_duration later RUNNING; both refuse an
// instance in another state (UnsupportedOperation.InstanceState<State>),
// all or nothing. StoppedMode STOP_CHARGING (pay-as-you-go only, else
// UnsupportedOperation.StoppedModeStopCharging) stops the instance's own
// price from accruing from the moment it is STOPPED until StartInstances;
// its hourly bandwidth still accrues (Tencent's "no charges when shut down"
// covers CPU and memory only). KEEP_CHARGING (the default) bills on.
//
// Time-driven changes are applied lazily: every call first brings the books
// up to the clock's now (settling each hour passed, in order), so moving the
// clock forward by days at once gives the same books as living through them.
//
// Thread-safe: one mutex guards the books.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_CVM_EMULATOR_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_CVM_EMULATOR_H_

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "backends/tencentcloud/emulator/emulator_config.pb.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace cvm::tencentcloud {

using Json = nlohmann::json;
using provisioning::tencentcloud::emulator::v1::EmulatorConfig;

// {"Error": {"Code": code, "Message": message}}
Json ApiError(const std::string& code, const std::string& message);

// The integer parameter at `pointer` (`fallback` when absent); nullopt when
// it is not a JSON integer within [min, max]. Throws Json::exception when a
// parent on the path is not an object (Handle() answers InvalidParameter).
std::optional<int64_t> IntParam(const Json& params, const Json::json_pointer& pointer,
                                int64_t fallback, int64_t min, int64_t max);

// The Values of the filter called `name` in a Describe call's "Filters", or
// an empty array. Throws Json::exception when the filters are malformed.
Json FilterValues(const Json& params, const std::string& name);

class CvmEmulator {
 public:
  // INVALID_ARGUMENT for a config without accounts or zones, or a bad price.
  static absl::StatusOr<std::unique_ptr<CvmEmulator>> Create(const EmulatorConfig& config,
                                                             Clock* clock);

  // The secret key of `secret_id`, or "" when no such account exists.
  std::string SecretKeyOf(const std::string& secret_id) const;

  // Runs `action` of `service` ("cvm" or "billing") for the account.
  Json Handle(const std::string& secret_id, const std::string& service, const std::string& action,
              const std::string& region, const Json& params);

  // Counts one request of `action` by the account in the wall-clock second
  // of `now`; false when that second already had the action's limit.
  bool Admit(const std::string& secret_id, const std::string& action, absl::Time now);

  // The books, for tests: per account, instances ever created, live ones
  // (not released), client tokens seen, "BalanceCents", "ChargedCents" (all
  // settlements, prepaid purchases and renewals), "RefundedCents" (returned
  // prepaid instances), "InArrears", "Isolated" (instances isolated now, any
  // IsolatedSource), "Returned" (prepaid instances in the recycle bin now),
  // "Renewals" (automatic renewals paid), "SpotReclaimed" (live spot
  // instances given reclaim notice) and "Stopped" (instances STOPPING or
  // STOPPED now); and
  // "RateLimits": the most requests seen in one second per action
  // ("BusiestSecond"), how many were refused ("Refused"), and the requests
  // admitted in each of the last 600 seconds per action ("CallsPerSecond":
  // {action: {"<unix second>": calls}}); and "CellCalls": the calls that
  // looked into one cell (RunInstances, InquiryPriceRunInstances, and
  // DescribeZoneInstanceConfigInfos filtered to one zone, type and billing),
  // oldest first, the last 20000: [{"Action", "Zone", "InstanceType",
  // "ChargeType", "UnixMillis" (the emulator's clock), "Error" (its code,
  // "" on success)}].
  Json Books();
  // The account's instances not yet released: [{"InstanceId", "Tags"}], for
  // tests that audit what the cloud holds.
  Json LiveInstances(const std::string& secret_id);

  // Control (the /_emulator/ endpoints).

  // Adds `cents` (> 0) to the account's balance. When that clears the
  // arrears (balance >= 0), the account's arrears-isolated instances not yet
  // released run again (RUNNING, NORMAL) and the shutdown of those still
  // within arrears_shutdown_delay is called off. Returns the new balance and
  // the ids restored. NOT_FOUND for an unknown account, INVALID_ARGUMENT for
  // cents <= 0.
  struct TopUpResult {
    int64_t balance_cents = 0;
    std::vector<std::string> restored;
  };
  absl::StatusOr<TopUpResult> TopUp(const std::string& secret_id, int64_t cents);

  // Gives every instance in `ids` (any account) spot reclaim notice: shut
  // down spot_reclaim_notice from now (an earlier notice stands), released
  // spot_shutdown_duration later. All or nothing: NOT_FOUND for an unknown or
  // released id, FAILED_PRECONDITION for one that is not SPOTPAID or already
  // shut down. Returns the ids, in order.
  absl::StatusOr<std::vector<std::string>> Reclaim(absl::Span<const std::string> ids);

  // Sets the spot market price of `instance_type` in `zone` (a decimal
  // string, e.g. "0.06"); later spot purchases need MaxPrice >= it, spot
  // instances accrue at it from now, and live spot instances whose MaxPrice
  // is below it get reclaim notice (their ids are returned). NOT_FOUND for an
  // offer not sold, INVALID_ARGUMENT for a bad price.
  absl::StatusOr<std::vector<std::string>> SetSpotPrice(const std::string& zone,
                                                        const std::string& instance_type,
                                                        const std::string& price);

  // Isolates each instance in `ids` now, as the cloud does one of an
  // account in arrears: shut down with IsolatedSource ARREAR, released
  // isolated_release_delay later (a top-up restores it). All or nothing:
  // NOT_FOUND for an unknown or released id, FAILED_PRECONDITION for one
  // already shut down. Returns the ids.
  absl::StatusOr<std::vector<std::string>> Isolate(absl::Span<const std::string> ids);

  // Sets the instances left of `instance_type` in `zone` (negative:
  // unlimited). NOT_FOUND for an offer not sold.
  absl::Status SetStock(const std::string& zone, const std::string& instance_type, int stock);

  // When the reclaimed spot instance `id` is shut down (what its metadata
  // path spot/termination-time reports). NOT_FOUND when `id` is unknown, not
  // spot or not being reclaimed (the metadata service's 404).
  absl::StatusOr<absl::Time> SpotTerminationTime(const std::string& id);

  // The user data of instance `id` decoded, as its metadata service answers
  // at user-data. NOT_FOUND when `id` is unknown, released or was bought
  // without user data.
  absl::StatusOr<std::string> UserData(const std::string& id);

  const EmulatorConfig& config() const { return config_; }

 private:
  // What RunInstances set up beyond the type and the billing, per instance
  // (emulator_launch.cc).
  struct Launch {
    std::string image_id;
    std::string user_data;  // base64, as sent
    std::string host_name;
    std::string cam_role_name;
    int64_t project_id = 0;
    std::string placement_group;  // DisasterRecoverGroupIds[0]
    std::string vpc_id;
    std::string subnet_id;
    // The instance's own (VirtualPrivateCloud.PrivateIpAddresses[i]), or ""
    // for one of the emulator's.
    std::string private_ip;
    // DataDisks as DescribeInstances lists them, without DiskId.
    Json data_disks = Json::array();
  };
  struct Instance {
    std::string id;
    std::string zone;
    std::string region;
    std::string instance_type;
    std::string charge_type;
    std::string name;
    int cpu = 0;
    absl::Time created;
    // Released from here on: TERMINATING, then gone. May lie in the future
    // (a scheduled release).
    absl::Time terminated = absl::InfiniteFuture();
    // SHUTDOWN from here on (isolation or spot reclaim); may lie ahead.
    absl::Time shutdown = absl::InfiniteFuture();
    // Why `shutdown`: "ARREAR", "EXPIRE", "MANMADE" (an isolation; MANMADE:
    // a returned prepaid instance) or "" (spot reclaim).
    std::string isolated_source;
    // Spot: when reclaim notice ends (the shutdown), or InfiniteFuture.
    absl::Time spot_termination = absl::InfiniteFuture();
    // Prepaid: the end of the paid period, or InfiniteFuture.
    absl::Time expired = absl::InfiniteFuture();
    bool public_ip = false;
    int index = 0;
    Json tags = Json::array();
    std::string offer_key;         // "zone/type", for the spot market price
    int64_t hourly_micros = 0;     // POSTPAID_BY_HOUR: price per hour
    int64_t max_price_micros = 0;  // SPOTPAID: MaxPrice
    absl::Time accrued_until;      // cost counted up to here
    std::string internet_charge;   // InternetChargeType
    int64_t mbps = 0;              // InternetMaxBandwidthOut
    // BANDWIDTH_POSTPAID_BY_HOUR: the bandwidth's price per hour.
    int64_t bandwidth_micros = 0;
    // Prepaid: RenewFlag; whether a renewal is still to be tried at
    // `expired`; what one month costs (the instance and its prepaid
    // bandwidth); what the current period cost, and when it began.
    std::string renew_flag;
    bool renews = false;
    // The last action asked of it (DescribeInstances LatestOperation); a
    // spot reclaim or an isolation is the cloud's, not an action.
    std::string latest_operation = "RunInstances";
    // Power (emulator_power.cc): the last StopInstances and StartInstances
    // (InfinitePast: never); the later one says which way it went. The
    // StoppedMode of the last stop. STOP_CHARGING: the instance's own price
    // does not accrue from charge_off (the STOPPED moment) on; StartInstances
    // counts that up to its call and clears it.
    absl::Time stopped_at = absl::InfinitePast();
    absl::Time started_at = absl::InfinitePast();
    std::string stopped_mode;
    absl::Time charge_off = absl::InfiniteFuture();
    int64_t month_micros = 0;
    int64_t period_micros = 0;
    absl::Time period_start;
    Launch launch;
  };
  struct AccountBooks {
    std::map<std::string, Instance> instances;
    std::map<std::string, std::vector<std::string>> tokens;
    int64_t balance_cents = 0;
    // Accrued, not yet settled: price micros per hour x seconds.
    int64_t unsettled = 0;
    int64_t charged_cents = 0;
    int64_t refunded_cents = 0;
    int renewals = 0;
    absl::Time next_settlement;
    // The settlement that left the balance negative, or InfiniteFuture.
    absl::Time arrears_since = absl::InfiniteFuture();
  };
  struct Offer {
    const provisioning::tencentcloud::emulator::v1::ZoneOffer* zone = nullptr;
    const provisioning::tencentcloud::emulator::v1::InstanceTypeOffer* type = nullptr;
  };
  // An order's public network (params' InternetAccessible).
  struct Network {
    std::string charge_type;
    int64_t mbps = 0;
    // BANDWIDTH_*: the bandwidth of one instance for one hour.
    int64_t bandwidth_micros = 0;
    // TRAFFIC_POSTPAID_BY_HOUR with bandwidth: the price of one GB.
    int64_t traffic_micros = 0;
  };

  CvmEmulator(const EmulatorConfig& config, Clock* clock);

  Json Dispatch(AccountBooks& books,
                const provisioning::tencentcloud::emulator::v1::Account& account,
                const std::string& service, const std::string& action,
                const std::string& region, const Json& params) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Json RunInstances(AccountBooks& books,
                    const provisioning::tencentcloud::emulator::v1::Account& account,
                    const std::string& region, const Json& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json DescribeInstances(AccountBooks& books, const Json& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json TerminateInstances(AccountBooks& books, const Json& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Power (emulator_power.cc): StopInstances (start false) or
  // StartInstances, validated against the SDK's request models.
  Json ChangePower(AccountBooks& books, const Json& params, bool start)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The InstanceState DescribeInstances shows at `now`.
  std::string StateOf(const Instance& instance, absl::Time now) const;
  // Seconds of [from, to) in which the instance's own price does not accrue
  // (stopped with STOP_CHARGING), counted as Accrue() counts seconds.
  static int64_t UnchargedSeconds(const Instance& instance, absl::Time from, absl::Time to);
  Json InquiryPrice(const std::string& region, const Json& params) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json DescribeAccountQuota(const AccountBooks& books,
                            const provisioning::tencentcloud::emulator::v1::Account& account,
                            const std::string& region, const Json& params) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json DescribeZoneConfigs(const std::string& region, const Json& params) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json DescribeAccountBalance(const AccountBooks& books) const;

  // Billing (emulator_billing.cc).
  // Settles every whole hour up to `now`, in order, and starts arrears.
  void CatchUp(AccountBooks& books, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CatchUpAll(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Just after a settlement: settles at once the following whole hours up
  // to `now` in which nothing happens (no instance starts, goes down or is
  // released, the balance stays >= 0), exactly as hour by hour would. Keeps
  // a jump of the clock by years as cheap as one of an hour.
  void SettleSteadyHours(AccountBooks& books, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What a postpaid (pay-as-you-go or spot, at today's market) instance
  // costs per hour, in price micros.
  int64_t PostpaidMicros(const Instance& instance) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds the instance's cost from accrued_until to `until` (while it is up)
  // to books.unsettled.
  void Accrue(AccountBooks& books, Instance& instance, absl::Time until)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Isolates the account's live postpaid instances arrears_shutdown_delay
  // after `since`, and schedules their release.
  void StartArrears(AccountBooks& books, absl::Time since) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Prepaid: what `count` instances costing `hourly_micros` an hour cost for
  // `months`: the original price (a month is 730 hours) and the price paid
  // (20 % off), as InquiryPriceRunInstances quotes them.
  static int64_t PrepaidOriginalMicros(int64_t hourly_micros, int count, int months);
  static int64_t PrepaidMicros(int64_t hourly_micros, int count, int months);
  // Prepaid: the paid period of `months` starting at `start` ends (its
  // ExpiredTime); the instance is then isolated (EXPIRE) and released
  // isolated_release_delay later, unless a renewal comes first.
  void SchedulePrepaid(Instance& instance, absl::Time start, int months) const;
  // Automatic renewals (NOTIFY_AND_AUTO_RENEW) due at or before `until`
  // and before the next settlement: the earliest one, or InfiniteFuture.
  absl::Time NextRenewal(const AccountBooks& books, absl::Time until) const;
  // Renews every instance due at `at` for a month when the balance covers
  // it (paid now); the others stay headed for their isolation.
  void RenewDue(AccountBooks& books, absl::Time at) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // TerminateInstances on a prepaid instance up and running: to the recycle
  // bin, refunded by the return rules.
  void ReturnPrepaid(AccountBooks& books, Instance& instance, absl::Time now) const;
  // Launch settings (emulator_launch.cc).
  // UnknownParameter naming the first parameter of `params` that the
  // official SDK's model of `action`'s request lacks; null when every one is
  // known or `action` has no list.
  static Json UnknownParameter(const std::string& action, const Json& params);
  // `params` with the named launch template's InstanceType and ImageId where
  // it has none; params itself without a LaunchTemplate; or an API error.
  absl::StatusOr<Json> WithLaunchTemplate(const Json& params, Json* error) const;
  // The launch settings of RunInstances `params` for instance `index` of
  // `count`, or an API error.
  static absl::StatusOr<Launch> LaunchOf(const Json& params, int64_t index, int64_t count,
                                         Json* error);
  // Adds the instance's launch settings to its DescribeInstances entry.
  static void DescribeLaunch(const Instance& instance, Json& out);

  // Gives one spot instance notice (emulator_spot.cc).
  void GiveNotice(Instance& instance, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The offer for params' Placement.Zone and InstanceType, or an API error.
  absl::StatusOr<Offer> FindOffer(const std::string& region, const Json& params, Json* error) const;
  // Price of one instance-hour for the charge type, in micro-units (spot:
  // the current market price).
  int64_t HourlyMicros(const Offer& offer, const std::string& charge_type) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // params' InternetAccessible for an instance of `instance_charge`:
  // InternetChargeType (Tencent's default: BANDWIDTH_PREPAID for a prepaid
  // instance, TRAFFIC_POSTPAID_BY_HOUR otherwise), bandwidth and prices; or
  // an API error in `error` for a bad or mismatched one.
  absl::StatusOr<Network> NetworkOf(const Json& params, const std::string& instance_charge,
                                    Json* error) const;
  // InquiryPriceRunInstances' Price.BandwidthPrice for `count` instances.
  static Json BandwidthPrice(const Network& network, int count, int months);
  const provisioning::tencentcloud::emulator::v1::Account* AccountOf(
      const std::string& secret_id) const;
  int UsedInZone(const AccountBooks& books, const std::string& zone, bool spot_vcpus) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json Describe(const Instance& instance) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Released and past its TERMINATING moment: no longer listed.
  bool Gone(const Instance& instance) const;
  // Released (TERMINATING or gone) at `now`.
  static bool Released(const Instance& instance, absl::Time now) {
    return now >= instance.terminated;
  }
  // The instance (any account) and its books, or nullptr.
  Instance* FindInstance(const std::string& id, AccountBooks** books)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The instances `ids` names, each found, not released and not shut down
  // at `now` (spot ones only when `spot_only`): NOT_FOUND or
  // FAILED_PRECONDITION naming the first that is not.
  absl::StatusOr<std::vector<Instance*>> UpInstances(absl::Span<const std::string> ids,
                                                     absl::Time now, bool spot_only)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const EmulatorConfig config_;
  Clock* const clock_;
  const absl::Duration pending_;
  const absl::Duration ip_delay_;
  const absl::Duration arrears_shutdown_delay_;
  const absl::Duration isolated_release_delay_;
  const absl::Duration spot_notice_;
  const absl::Duration spot_shutdown_for_;
  const absl::Duration returned_release_delay_;
  const absl::Duration stop_for_;
  const absl::Duration start_for_;
  const int64_t bandwidth_micros_per_mbps_;
  const int64_t traffic_micros_per_gb_;

  mutable absl::Mutex mu_;
  std::map<std::string, AccountBooks> books_ ABSL_GUARDED_BY(mu_);  // by secret id
  int next_index_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::string, int> stock_ ABSL_GUARDED_BY(mu_);            // "zone/type" -> left
  std::map<std::string, int64_t> spot_micros_ ABSL_GUARDED_BY(mu_);  // "zone/type" -> market

  struct Window {
    int64_t second = 0;
    int count = 0;
  };
  std::map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);      // "secret/action"
  std::map<std::string, int> busiest_second_ ABSL_GUARDED_BY(mu_);  // by action
  // By action: the calls admitted in each of the last kCallHistorySeconds
  // wall-clock seconds (unix second -> calls), every account together.
  static constexpr int64_t kCallHistorySeconds = 600;
  std::map<std::string, std::map<int64_t, int>> calls_per_second_ ABSL_GUARDED_BY(mu_);
  int rate_limited_ ABSL_GUARDED_BY(mu_) = 0;

  // A call that looked into one cell (Books() "CellCalls"), newest last.
  struct CellCall {
    std::string action, zone, instance_type, charge_type;
    int64_t unix_millis = 0;  // on the emulator's clock
    std::string error;        // the error code; empty when it succeeded
  };
  static constexpr size_t kMaxCellCalls = 20000;
  void LogCellCall(const std::string& action, const Json& params, const Json& answer)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::deque<CellCall> cell_calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_CVM_EMULATOR_H_
