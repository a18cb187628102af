// Test support: a "tencentcloud" backend built through the plugin registry
// (the real wiring), talking signed HTTP to a CVM emulator on this host.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TENCENT_TEST_BACKEND_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TENCENT_TEST_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "backends/backend_registry.h"
#include "backends/tencentcloud/tencentcloud_config.pb.h"

namespace cvm::tencentcloud {

// The backend for the account `secret_id` / `secret_key` of the emulator on
// 127.0.0.1:`port`, billed in `currency`.
inline absl::StatusOr<std::unique_ptr<Backend>> TencentBackendOn(
    int port, const std::string& secret_id, const std::string& secret_key,
    const std::string& currency = "CNY") {
  provisioning::tencentcloud::v1::TencentCloudConfig config;
  config.set_endpoint_override(absl::StrCat("http://127.0.0.1:", port));
  config.mutable_credentials()->set_secret_id(secret_id);
  config.mutable_credentials()->set_secret_key(secret_key);
  config.set_currency(currency);
  return BackendRegistry::Global().Find("tencentcloud")->Create(config, {});
}

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_TENCENT_TEST_BACKEND_H_
