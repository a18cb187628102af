// Shared by the workflow, driver and sweeper tests: a valid purchase and a
// backend set holding one fake backend called "fake".
#ifndef CVM_PROVISIONER_SERVICE_WORKFLOW_TEST_SUPPORT_H_
#define CVM_PROVISIONER_SERVICE_WORKFLOW_TEST_SUPPORT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "plugins/backend_set.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

// `count` pay-as-you-go S5.MEDIUM2 in ap-guangzhou / `zone`, with a public IP.
provisioning::v1::PurchaseRequest TestPurchase(const std::string& request_id, int count = 1,
                                               const std::string& zone = "ap-guangzhou-3");

// One "fake" backend with `config`, on `clock`.
absl::StatusOr<std::unique_ptr<BackendSet>> FakeBackendSet(
    const provisioning::fake::v1::FakeBackendConfig& config, Clock* clock);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_WORKFLOW_TEST_SUPPORT_H_
