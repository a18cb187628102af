// Checks every field of every request before anything happens.
//
// Each function returns OK or INVALID_ARGUMENT listing every bad field at
// once (a google.rpc.BadRequest detail, field paths such as
// "spec.data_disks[1].size_gb"). Pure functions: thread-safe, no I/O.
#ifndef CVM_PROVISIONER_SERVICE_REQUEST_VALIDATION_H_
#define CVM_PROVISIONER_SERVICE_REQUEST_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

inline constexpr int kMaxInstancesPerOrder = 100;
inline constexpr int kMaxIdsPerDescribe = 100;
inline constexpr int kMaxPageSize = 500;
inline constexpr int kDefaultPageSize = 50;
// InstanceSpec.user_data, base64-encoded (Tencent's UserData: 16 KB).
inline constexpr size_t kMaxUserDataChars = 16384;
// Network.private_ip_addresses (Tencent: InstanceCount <= 20 with them).
inline constexpr int kMaxPrivateIpAddresses = 20;
// InstanceSpec.placement_group_ids (Tencent: one DisasterRecoverGroupId).
inline constexpr int kMaxPlacementGroups = 1;
// Tag keys with this prefix are set by the service itself.
inline constexpr char kReservedTagPrefix[] = "provisioner:";

absl::Status ValidatePurchaseRequest(const provisioning::v1::PurchaseRequest& request);
absl::Status ValidateQuoteRequest(const provisioning::v1::QuoteRequest& request);
absl::Status ValidateDescribeRequest(const provisioning::v1::DescribeRequest& request);
absl::Status ValidateWatchRequest(const provisioning::v1::WatchRequest& request);
absl::Status ValidateTerminateRequest(const provisioning::v1::TerminateRequest& request);
// TerminateInstance, StopInstance, StartInstance: their instance_id.
absl::Status ValidateInstanceIdField(const std::string& instance_id);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_REQUEST_VALIDATION_H_
