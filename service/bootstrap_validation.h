// Checks of the InstanceSpec fields a node needs to bootstrap (private to
// :request_validation): user data, host name, CAM role, project, placement
// group, private IPs, data disk encryption and launch templates. See
// docs/node-bootstrap.md.
//
// Pure functions, thread-compatible. The messages never quote user_data.
#ifndef CVM_PROVISIONER_SERVICE_BOOTSTRAP_VALIDATION_H_
#define CVM_PROVISIONER_SERVICE_BOOTSTRAP_VALIDATION_H_

#include <string>

#include "provisioning/v1/provisioning.pb.h"
#include "service/field_checks.h"

namespace cvm {

// instance_type and image_id: each REQUIRED unless a launch template is set;
// and the launch template.
void CheckTypeAndImage(Violations& v, const provisioning::v1::InstanceSpec& spec);

// encrypt, kms_key_id and delete_with_instance of the disk at `field`: data
// disks only; a KMS key only with encrypt.
void CheckDiskOptions(Violations& v, const std::string& field, const provisioning::v1::Disk& disk,
                      bool data_disk);

// user_data, host_name, cam_role_name, project_id, placement_group_ids and
// network.private_ip_addresses (one per instance of `count`).
void CheckBootstrap(Violations& v, const provisioning::v1::InstanceSpec& spec, int count);

// True when `text` is canonical standard base64 with its '=' padding.
bool IsBase64(const std::string& text);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_BOOTSTRAP_VALIDATION_H_
