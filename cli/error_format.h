// gRPC errors for people, and provisionctl's exit code for each.
//
// The service sends a google.rpc.Status in the grpc-status-details-bin
// trailer (common/grpc_status.cc) whose details are the google.rpc messages
// of common/status_details.h: BadRequest, PreconditionFailure, QuotaFailure,
// RetryInfo and an ErrorInfo. Every one of them is shown, in that order, then
// any other standard detail (RequestInfo, ResourceInfo, Help,
// LocalizedMessage, DebugInfo), then the type of anything unknown.
#ifndef CVM_PROVISIONER_CLI_ERROR_FORMAT_H_
#define CVM_PROVISIONER_CLI_ERROR_FORMAT_H_

#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "google/protobuf/any.pb.h"
#include "grpcpp/support/status.h"

namespace cvm::cli {

// "INVALID_ARGUMENT", "UNAVAILABLE", ...
std::string StatusCodeName(grpc::StatusCode code);

// The details the status carries (empty when it has none or they do not
// parse as a google.rpc.Status).
std::vector<google::protobuf::Any> ErrorDetails(const grpc::Status& status);

// Lines ending in '\n': "CODE: message", then one indented line per detail
// item, e.g. "  field instance_count: must be between 1 and 100".
std::string FormatError(const grpc::Status& status);

// The exit code for a failed call with this code (see exit_codes.h).
ExitCode ExitCodeFor(grpc::StatusCode code);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_ERROR_FORMAT_H_
