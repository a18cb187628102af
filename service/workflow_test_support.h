// Shared by the workflow, driver and sweeper tests: a valid purchase, a
// backend set holding one fake backend called "fake", and the calls that
// drive an order in the test's own thread (the server drives orders with
// OrderDriver), made through OrderWorkflow's public API.
#ifndef CVM_PROVISIONER_SERVICE_WORKFLOW_TEST_SUPPORT_H_
#define CVM_PROVISIONER_SERVICE_WORKFLOW_TEST_SUPPORT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "plugins/backend_set.h"
#include "provisioning/v1/provisioning.pb.h"
#include "service/order_workflow.h"

namespace cvm {

// `count` pay-as-you-go S5.MEDIUM2 in ap-guangzhou / `zone`, with a public IP.
provisioning::v1::PurchaseRequest TestPurchase(const std::string& request_id, int count = 1,
                                               const std::string& zone = "ap-guangzhou-3");

// One "fake" backend with `config`, on `clock`.
absl::StatusOr<std::unique_ptr<BackendSet>> FakeBackendSet(
    const provisioning::fake::v1::FakeBackendConfig& config, Clock* clock);

// Accept() then Submit(): places the order and drives it until the cloud
// accepted it (PROVISIONING) or it failed; a request_id already stored is
// answered with its order, driving nothing.
absl::StatusOr<provisioning::v1::Order> PurchaseNow(
    OrderWorkflow& workflow, const provisioning::v1::PurchaseRequest& request);

// What a restarted process does with the orders it finds unfinished:
// Submit(recovering) each; the first error that left one unfinished.
absl::Status RecoverNow(OrderWorkflow& workflow,
                        const std::vector<provisioning::v1::Order>& unfinished);

// Terminate() of the stored order `order_id`; NOT_FOUND for an unknown one.
absl::StatusOr<provisioning::v1::Order> TerminateById(OrderWorkflow& workflow,
                                                      const std::string& order_id);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_WORKFLOW_TEST_SUPPORT_H_
