// The CVM emulator's books and rules, without HTTP: Tencent Cloud's CVM and
// billing actions as JSON in, JSON out, on an injected clock.
//
// Each account (by SecretId) has its own instances, client tokens, quotas and
// balance. Instances live their life on the clock: PENDING, then RUNNING,
// then a public IP; terminated ones show TERMINATING briefly, then vanish.
// Handle() returns the "Response" object without RequestId: either the
// action's fields or {"Error": {"Code", "Message"}} with Tencent's codes.
//
// Thread-safe: one mutex guards the books.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_CVM_EMULATOR_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_CVM_EMULATOR_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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

class CvmEmulator {
 public:
  // INVALID_ARGUMENT for a config without accounts or zones, or a bad price.
  static absl::StatusOr<std::unique_ptr<CvmEmulator>> Create(const EmulatorConfig& config,
                                                             Clock* clock);

  // The secret key of `secret_id`, or "" when no such account exists.
  std::string SecretKeyOf(const std::string& secret_id) const;

  // Runs `action` of `service` ("cvm" or "billing") for the account.
  Json Handle(const std::string& secret_id, const std::string& service,
              const std::string& action, const std::string& region, const Json& params);

  // Counts one request of `action` by the account in the wall-clock second
  // of `now`; false when that second already had the action's limit.
  bool Admit(const std::string& secret_id, const std::string& action, absl::Time now);

  // The books, for tests: per account, instances ever created, live ones,
  // client tokens seen; and "RateLimits": the most requests seen in one
  // second per action, and how many were refused.
  Json Books() const;
  // The account's instances not yet released: [{"InstanceId", "Tags"}], for
  // tests that audit what the cloud holds.
  Json LiveInstances(const std::string& secret_id) const;

  const EmulatorConfig& config() const { return config_; }

 private:
  struct Instance {
    std::string id;
    std::string zone;
    std::string region;
    std::string instance_type;
    std::string charge_type;
    std::string name;
    int cpu = 0;
    absl::Time created;
    absl::Time terminated = absl::InfiniteFuture();
    bool public_ip = false;
    int index = 0;
    Json tags = Json::array();
  };
  struct AccountBooks {
    std::map<std::string, Instance> instances;
    std::map<std::string, std::vector<std::string>> tokens;
    int64_t balance_cents = 0;
  };
  struct Offer {
    const provisioning::tencentcloud::emulator::v1::ZoneOffer* zone = nullptr;
    const provisioning::tencentcloud::emulator::v1::InstanceTypeOffer* type = nullptr;
  };

  CvmEmulator(const EmulatorConfig& config, Clock* clock);

  Json Dispatch(AccountBooks& books, const provisioning::tencentcloud::emulator::v1::Account& account,
                const std::string& service, const std::string& action,
                const std::string& region, const Json& params) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Json RunInstances(AccountBooks& books, const provisioning::tencentcloud::emulator::v1::Account& account,
                    const std::string& region, const Json& params) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json DescribeInstances(AccountBooks& books, const Json& params) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json TerminateInstances(AccountBooks& books, const Json& params) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json InquiryPrice(const std::string& region, const Json& params) const;
  Json DescribeAccountQuota(const AccountBooks& books,
                            const provisioning::tencentcloud::emulator::v1::Account& account,
                            const std::string& region, const Json& params) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json DescribeZoneConfigs(const std::string& region, const Json& params) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json DescribeAccountBalance(const AccountBooks& books) const;

  // The offer for params' Placement.Zone and InstanceType, or an API error.
  absl::StatusOr<Offer> FindOffer(const std::string& region, const Json& params,
                                  Json* error) const;
  // Price of one instance-hour for the charge type, in micro-units.
  int64_t HourlyMicros(const Offer& offer, const std::string& charge_type) const;
  const provisioning::tencentcloud::emulator::v1::Account* AccountOf(
      const std::string& secret_id) const;
  int UsedInZone(const AccountBooks& books, const std::string& zone, bool spot_vcpus) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json Describe(const Instance& instance) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Gone(const Instance& instance) const;

  const EmulatorConfig config_;
  Clock* const clock_;
  const absl::Duration pending_;
  const absl::Duration ip_delay_;

  mutable absl::Mutex mu_;
  std::map<std::string, AccountBooks> books_ ABSL_GUARDED_BY(mu_);  // by secret id
  int next_index_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::string, int> stock_ ABSL_GUARDED_BY(mu_);  // "zone/type" -> left

  struct Window {
    int64_t second = 0;
    int count = 0;
  };
  std::map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);  // "secret/action"
  std::map<std::string, int> busiest_second_ ABSL_GUARDED_BY(mu_);  // by action
  int rate_limited_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_CVM_EMULATOR_H_
