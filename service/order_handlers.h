// The unary RPC handlers: validate, then act. One function per RPC, each
// returning absl::Status; ProvisioningService runs them on worker threads and
// converts the status once at the edge. `deadline` is the client's: calls
// made while it waits (dry-run pre-flight, Quote, Terminate, the instance
// operations) stop there.
#ifndef CVM_PROVISIONER_SERVICE_ORDER_HANDLERS_H_
#define CVM_PROVISIONER_SERVICE_ORDER_HANDLERS_H_

#include <string>

#include "absl/status/status.h"
#include "provisioning/v1/provisioning.pb.h"
#include "service/metrics.h"
#include "service/node_group_manager.h"
#include "service/order_driver.h"
#include "service/order_workflow.h"
#include "store/order_store.h"

namespace cvm {

// Answers once the order is durably ACCEPTED and hands it to `driver`, which
// takes it to the cloud in the background (clients Watch or Describe it).
// `tenant` is the authenticated caller's (service/authenticator.h); another
// tenant's order or instance is NOT_FOUND, exactly as a missing one.
absl::Status HandlePurchase(OrderWorkflow& workflow, OrderDriver& driver,
                            ServiceMetrics* metrics, const std::string& tenant,
                            const provisioning::v1::PurchaseRequest& request,
                            provisioning::v1::Order* response,
                            absl::Time deadline = absl::InfiniteFuture());

absl::Status HandleDescribe(OrderStore& store, const std::string& tenant,
                            const provisioning::v1::DescribeRequest& request,
                            provisioning::v1::DescribeResponse* response);

absl::Status HandleQuote(OrderWorkflow& workflow, const std::string& tenant,
                         const provisioning::v1::QuoteRequest& request,
                         provisioning::v1::Quote* response,
                         absl::Time deadline = absl::InfiniteFuture());

absl::Status HandleTerminate(OrderWorkflow& workflow, const std::string& tenant,
                             const provisioning::v1::TerminateRequest& request,
                             provisioning::v1::Order* response,
                             absl::Time deadline = absl::InfiniteFuture());

// The per-instance operations: the instance is looked up among `tenant`'s
// orders (another tenant's, or a missing one, is NOT_FOUND), an empty or
// malformed instance_id is INVALID_ARGUMENT naming it, and the answer is the
// instance's order. TerminateInstance of a live instance a node group counts
// goes through the group (NodeGroupManager::DeleteInstances, keeping the
// target unless lower_group_target) so the group neither replaces it nor
// counts it twice; any other through OrderWorkflow::ReleaseInstances. A
// prepaid one needs release_prepaid (FAILED_PRECONDITION PREPAID_INSTANCE).
// An instance already released (or returned to the recycle bin) answers its
// order unchanged. Stop and Start: OrderWorkflow::StopInstance and
// StartInstance.
absl::Status HandleTerminateInstance(OrderStore& store, OrderWorkflow& workflow,
                                     NodeGroupManager& groups, const std::string& tenant,
                                     const provisioning::v1::TerminateInstanceRequest& request,
                                     provisioning::v1::Order* response,
                                     absl::Time deadline = absl::InfiniteFuture());
absl::Status HandleStopInstance(OrderStore& store, OrderWorkflow& workflow,
                                const std::string& tenant,
                                const provisioning::v1::StopInstanceRequest& request,
                                provisioning::v1::Order* response,
                                absl::Time deadline = absl::InfiniteFuture());
absl::Status HandleStartInstance(OrderStore& store, OrderWorkflow& workflow,
                                 const std::string& tenant,
                                 const provisioning::v1::StartInstanceRequest& request,
                                 provisioning::v1::Order* response,
                                 absl::Time deadline = absl::InfiniteFuture());

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_ORDER_HANDLERS_H_
