// The one conversion from absl::Status to grpc::Status, at the gRPC edge.
//
// The code and message carry over; every google.rpc detail payload on the
// absl::Status (common/status_details.h) becomes an Any in a google.rpc.Status
// sent as the standard "grpc-status-details-bin" trailer, which every gRPC
// language's rich-error helpers read.
#ifndef CVM_PROVISIONER_COMMON_GRPC_STATUS_H_
#define CVM_PROVISIONER_COMMON_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace cvm {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_GRPC_STATUS_H_
