// The "tencentcloud" backend: Tencent Cloud CVM through its signed HTTP API.
//
// Preflight checks, before any money is spent: the zone sells the type
// (DescribeZoneInstanceConfigInfos), quota remains (DescribeAccountQuota;
// spot quota counts vCPUs), a spot max price is not below the market, and the
// balance (billing DescribeAccountBalance) covers about one hour of a
// pay-as-you-go or spot order or the whole of a prepaid one. A launch
// template without an instance_type leaves the type to the template: the
// zone, stock, spot price and spot quota checks are then the cloud's, and
// the hour's cost is quoted (InquiryPriceRunInstances). Create is
// RunInstances with the order's ClientToken and tags; Describe is
// DescribeInstances (<= 100 ids); Terminate is TerminateInstances (a
// prepaid instance goes to the recycle bin, is refunded by Tencent's return
// rules and released later: see docs/money.md); Quote is
// InquiryPriceRunInstances, instances and bandwidth in the configured
// currency; Balance is billing DescribeAccountBalance, in the same
// configured currency. Stop is StopInstances (StopType SOFT_FIRST: a clean
// shutdown, forced when it fails; StoppedMode STOP_CHARGING or
// KEEP_CHARGING), Start is StartInstances; Tencent refuses a whole batch
// when one instance is already where the action takes it, so that refusal
// is followed by a Describe and one call for the rest (rule 9's
// idempotency).
//
// Implements backends/backend.h (thread-safe; idempotent by client token).
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TENCENT_BACKEND_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TENCENT_BACKEND_H_

#include <memory>
#include <string>

#include "backends/backend.h"
#include "backends/tencentcloud/api_client.h"
#include "backends/tencentcloud/response_parsing.h"

namespace cvm::tencentcloud {

class TencentBackend : public Backend {
 public:
  // `currency`: what the account is billed in (ISO 4217), which Quote
  // reports: Tencent's answers name no currency.
  TencentBackend(std::unique_ptr<ApiClient> api, std::string currency)
      : api_(std::move(api)), currency_(std::move(currency)) {}

  absl::Status Preflight(const CreateRequest& request) override;
  absl::StatusOr<std::vector<std::string>> Create(const CreateRequest& request) override;
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
  absl::StatusOr<AccountBalance> Balance() override;
  absl::StatusOr<CellOffers> Offers(const std::string& region, absl::Span<const std::string> zones,
                                    absl::Span<const std::string> instance_types,
                                    absl::Time deadline) override;

 private:
  absl::StatusOr<Json> Cvm(const std::string& action, const std::string& region, Json params,
                           absl::Time deadline = absl::InfiniteFuture());
  // The zone sells the spec's instance_type, has the stock, and a spot max
  // price is not below the market: the offer, or FAILED_PRECONDITION.
  absl::StatusOr<ZoneOffer> CheckOffer(const CreateRequest& request);
  // StopInstances or StartInstances (`start`) of the ids with `params`.
  absl::Status ChangePower(bool start, const std::string& region,
                           absl::Span<const std::string> instance_ids, Json params,
                           absl::Time deadline);
  // Of `ids`, those neither released nor returned to the recycle bin.
  absl::StatusOr<std::vector<std::string>> StillToRelease(const std::string& region,
                                                          const std::vector<std::string>& ids);

  const std::unique_ptr<ApiClient> api_;
  const std::string currency_;
};

// The RunInstances parameters for a spec (every name and type as in the
// official SDK's RunInstancesRequest model).
Json RunInstancesParams(const provisioning::v1::InstanceSpec& spec, int count);
// The InquiryPriceRunInstances parameters: the same without those its
// request model lacks (UserData, CamRoleName, DisasterRecoverGroupIds).
Json InquiryPriceParams(const provisioning::v1::InstanceSpec& spec, int count);

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TENCENT_BACKEND_H_
