// Turns provisionctl's `group` flags into NodeGroups requests
// (proto/provisioning/v1/node_groups.proto).
//
// As in cli/request_builder.h, only what the command line itself gets wrong
// is an error here: INVALID_ARGUMENT naming the flag (a missing --group, a
// malformed --label or --scale_in, --target with --delta, a resize that
// changes nothing, no --instances), reported as a usage error. Ranges are
// the service's to check (it names min_size, max_size, target_size ...).
#ifndef CVM_PROVISIONER_CLI_GROUP_REQUESTS_H_
#define CVM_PROVISIONER_CLI_GROUP_REQUESTS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/command_line.h"
#include "provisioning/v1/node_groups.pb.h"

namespace cvm::cli {

// "newest", "oldest", "spot" or "expensive" (or the enum's name).
absl::StatusOr<provisioning::v1::NodeGroup::ScaleIn> ParseScaleIn(absl::string_view text);

// group create: the spec and candidates exactly as purchase builds them
// (BuildPurchaseRequest: --spec_file, spec flags, --zones/--types/--try/
// --strategy), then --group, --target, --min, --max (default: the target, at least 1),
// --scale_in and each --label=KEY=VALUE.
absl::StatusOr<provisioning::v1::CreateNodeGroupRequest> BuildCreateGroupRequest(
    const ParsedFlags& flags);

// group resize: --group with --target or --delta, --min, --max, --revision.
absl::StatusOr<provisioning::v1::UpdateNodeGroupRequest> BuildResizeGroupRequest(
    const ParsedFlags& flags);

// group delete: --group [--release].
absl::StatusOr<provisioning::v1::DeleteNodeGroupRequest> BuildDeleteGroupRequest(
    const ParsedFlags& flags);

// group delete-instances: --group --instances=A,B [--keep_target] [--release_prepaid].
absl::StatusOr<provisioning::v1::DeleteNodeGroupInstancesRequest> BuildDeleteInstancesRequest(
    const ParsedFlags& flags);

// --group, required by every group command but list.
absl::StatusOr<std::string> GroupIdFlag(const ParsedFlags& flags);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_GROUP_REQUESTS_H_
