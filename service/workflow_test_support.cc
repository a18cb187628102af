#include "service/workflow_test_support.h"

#include "common/order_states.h"
#include "common/status_macros.h"

namespace cvm {

provisioning::v1::PurchaseRequest TestPurchase(const std::string& request_id, int count,
                                               const std::string& zone) {
  provisioning::v1::PurchaseRequest r;
  r.set_request_id(request_id);
  r.set_instance_count(count);
  auto* spec = r.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone(zone);
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-1");
  spec->mutable_internet()->set_public_ip(true);
  spec->mutable_pay_as_you_go();
  return r;
}

absl::StatusOr<std::unique_ptr<BackendSet>> FakeBackendSet(
    const provisioning::fake::v1::FakeBackendConfig& config, Clock* clock) {
  provisioning::config::v1::ServiceConfig service;
  auto* backend = service.add_backends();
  backend->set_name("fake");
  backend->set_plugin("fake");
  backend->mutable_config()->PackFrom(config);
  BackendContext context;
  context.clock = clock;
  return BackendSet::Create(service, BackendRegistry::Global(), context);
}

absl::StatusOr<provisioning::v1::Order> PurchaseNow(
    OrderWorkflow& workflow, const provisioning::v1::PurchaseRequest& request) {
  ASSIGN_OR_RETURN(CreateOrderResult result, workflow.Accept(request));
  if (!result.created) return result.order;
  return workflow.Submit(result.order.order_id(), /*recovering=*/false);
}

absl::Status RecoverNow(OrderWorkflow& workflow,
                        const std::vector<provisioning::v1::Order>& unfinished) {
  absl::Status first_error;
  for (const provisioning::v1::Order& order : unfinished) {
    absl::Status status = workflow.Submit(order.order_id(), /*recovering=*/true).status();
    // A definitive cloud answer has already failed the order; only errors
    // that leave it unfinished (store, transport) are reported.
    absl::StatusOr<provisioning::v1::Order> now = workflow.Get(order.order_id());
    if (!status.ok() && now.ok() && !IsFinal(now->state()) && first_error.ok()) {
      first_error = status;
    }
  }
  return first_error;
}

absl::StatusOr<provisioning::v1::Order> TerminateById(OrderWorkflow& workflow,
                                                      const std::string& order_id) {
  ASSIGN_OR_RETURN(provisioning::v1::Order order, workflow.Get(order_id));
  return workflow.Terminate(std::move(order));
}

}  // namespace cvm
