// The "tencentcloud" backend: Tencent Cloud CVM through its signed HTTP API.
//
// Preflight checks, before any money is spent: the zone sells the type
// (DescribeZoneInstanceConfigInfos), quota remains (DescribeAccountQuota;
// spot quota counts vCPUs), a spot max price is not below the market, and the
// balance (billing DescribeAccountBalance) covers about one hour of a
// pay-as-you-go or spot order or the whole of a prepaid one. Create is
// RunInstances with the order's ClientToken and tags; Describe is
// DescribeInstances (<= 100 ids); Terminate is TerminateInstances; Quote is
// InquiryPriceRunInstances; Balance is billing DescribeAccountBalance (no
// currency: Tencent answers in the account's own).
//
// Implements backends/backend.h (thread-safe; idempotent by client token).
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TENCENT_BACKEND_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TENCENT_BACKEND_H_

#include <memory>

#include "backends/backend.h"
#include "backends/tencentcloud/api_client.h"

namespace cvm::tencentcloud {

class TencentBackend : public Backend {
 public:
  explicit TencentBackend(std::unique_ptr<ApiClient> api) : api_(std::move(api)) {}

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
  absl::StatusOr<AccountBalance> Balance() override;

 private:
  absl::StatusOr<Json> Cvm(const std::string& action, const std::string& region, Json params,
                           absl::Time deadline = absl::InfiniteFuture());

  const std::unique_ptr<ApiClient> api_;
};

// The RunInstances / InquiryPriceRunInstances parameters for a spec.
Json RunInstancesParams(const provisioning::v1::InstanceSpec& spec, int count);

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TENCENT_BACKEND_H_
