#include "service/workflow_test_support.h"

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

}  // namespace cvm
