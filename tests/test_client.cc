#include "tests/test_client.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace cvm::testing {

std::unique_ptr<provisioning::v1::Provisioning::Stub> NewStub(const std::string& target) {
  return provisioning::v1::Provisioning::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

provisioning::v1::PurchaseRequest PurchaseOf(const std::string& request_id, int count) {
  provisioning::v1::PurchaseRequest request;
  request.set_request_id(request_id);
  request.set_instance_count(count);
  auto* spec = request.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone("ap-guangzhou-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-pi0ii46r");
  spec->mutable_internet()->set_public_ip(true);
  spec->mutable_internet()->set_max_bandwidth_out_mbps(10);
  spec->mutable_internet()->set_charge_type(
      provisioning::v1::InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
  spec->mutable_pay_as_you_go();
  return request;
}

std::unique_ptr<grpc::ClientContext> ContextWithDeadline(int seconds) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

double MetricValue(const std::string& scrape, const std::string& name,
                   const std::vector<std::string>& label_pairs) {
  for (absl::string_view line : absl::StrSplit(scrape, '\n')) {
    if (!absl::StartsWith(line, name + "{")) continue;
    bool all = true;
    for (const std::string& pair : label_pairs) all = all && absl::StrContains(line, pair);
    if (!all) continue;
    double value = -1;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) return value;
  }
  return -1;
}

}  // namespace cvm::testing
