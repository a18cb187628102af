// Turns provisionctl's flags into the API's request messages.
//
// Only what the command line itself gets wrong is an error here (a malformed
// disk, tag or state, an unreadable --spec_file, contradictory billing flags):
// INVALID_ARGUMENT with a message for people, reported as a usage error.
// Ranges and required fields are left to the service, which names every bad
// field (so `--count=0` reaches it and comes back naming instance_count).
#ifndef CVM_PROVISIONER_CLI_REQUEST_BUILDER_H_
#define CVM_PROVISIONER_CLI_REQUEST_BUILDER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/command_line.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm::cli {

struct BuiltPurchase {
  provisioning::v1::PurchaseRequest request;
  // True when neither --request_id nor the spec file named one, so a new id
  // was made: the caller shows it, since retrying needs it.
  bool generated_request_id = false;
};

// The values of list flag `name`, each also split at commas.
std::vector<std::string> SplitList(const ParsedFlags& flags, absl::string_view name);

// A new random request id shaped like a UUID (version 4).
std::string NewRequestId();

// purchase: --spec_file first (if given), then every spec flag given on top;
// the candidates from the file and --zones, --types, --try, --strategy (each
// replaces its part of the file's); the request id from --request_id, the
// file, or `new_request_id()`.
absl::StatusOr<BuiltPurchase> BuildPurchaseRequest(
    const ParsedFlags& flags, const std::function<std::string()>& new_request_id = NewRequestId);

// quote: the same spec and candidate flags and --spec_file (its spec,
// instance_count and candidates).
absl::StatusOr<provisioning::v1::QuoteRequest> BuildQuoteRequest(const ParsedFlags& flags);

// describe [ORDER_ID...] [--instance=ID]... [--state=S]... [--region=R]
//     [--page_size=N] [--page_token=T]
absl::StatusOr<provisioning::v1::DescribeRequest> BuildDescribeRequest(
    const std::vector<std::string>& positional, const ParsedFlags& flags);

// watch [ORDER_ID] [--start_revision=N]
absl::StatusOr<provisioning::v1::WatchRequest> BuildWatchRequest(
    const std::vector<std::string>& positional, const ParsedFlags& flags);

// terminate ORDER_ID
absl::StatusOr<provisioning::v1::TerminateRequest> BuildTerminateRequest(
    const std::vector<std::string>& positional);

// A PurchaseRequest from a spec file's contents: JSON when `path` ends in
// .json or the text starts with '{', protobuf text format otherwise.
absl::StatusOr<provisioning::v1::PurchaseRequest> ParseSpecFile(absl::string_view path,
                                                                absl::string_view contents);

// An order id given as "ord-1" or as its name "orders/ord-1".
std::string OrderIdFromArgument(absl::string_view argument);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_REQUEST_BUILDER_H_
