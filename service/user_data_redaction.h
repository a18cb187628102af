// User data is write-only. The stored order keeps InstanceSpec.user_data
// (the workflow sends it to the cloud as RunInstances' UserData), but no
// answer carries it: every message the service sends goes through
// RedactUserData first, which clears user_data and sets user_data_sha256
// (the hex SHA-256 of the decoded data) instead.
//
// The two ways out, each calling it once: ProvisioningService::RunOnPool
// (every unary answer: Purchase, Describe, Terminate, Quote) and
// watch_message.cc (every Watch message, built and serialized once there).
// A new RPC gets it by going through one of them.
//
// Thread-safe (a shared cache of which message types hold an InstanceSpec);
// no I/O.
#ifndef CVM_PROVISIONER_SERVICE_USER_DATA_REDACTION_H_
#define CVM_PROVISIONER_SERVICE_USER_DATA_REDACTION_H_

#include <string>

#include "google/protobuf/message.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

// Every InstanceSpec within `message`, at any depth, loses its user_data;
// those that had some get its user_data_sha256. Specs without user data are
// left as they are.
void RedactUserData(google::protobuf::Message* message);

// Hex SHA-256 of the base64 `user_data` decoded (of the text as given if it
// is not base64, which validation does not let through).
std::string UserDataSha256(const std::string& user_data);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_USER_DATA_REDACTION_H_
