// The unary RPC handlers: validate, then act. One function per RPC, each
// returning absl::Status; ProvisioningService runs them on worker threads and
// converts the status once at the edge. `deadline` is the client's: calls
// made while it waits (dry-run pre-flight, Quote, Terminate) stop there.
#ifndef CVM_PROVISIONER_SERVICE_ORDER_HANDLERS_H_
#define CVM_PROVISIONER_SERVICE_ORDER_HANDLERS_H_

#include <string>

#include "absl/status/status.h"
#include "provisioning/v1/provisioning.pb.h"
#include "service/metrics.h"
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

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_ORDER_HANDLERS_H_
