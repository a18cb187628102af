// The backend conformance suite: the cases every Backend implementation must
// pass (the rules of backends/backend.h), written once and run against each.
//
// A backend's test provides a ConformanceEnv and instantiates the suite:
//
//   INSTANTIATE_TEST_SUITE_P(Fake, BackendConformanceTest,
//                            ::testing::Values(MakeFakeEnv()),
//                            [](const auto& info) { return info.param.name; });
//
// and links //backends/conformance:backend_conformance (alwayslink). Each case
// calls make_backend() for a fresh backend; advance_time() moves the
// backend's clock (a FakeClock, or the emulator's control endpoint).
#ifndef CVM_PROVISIONER_BACKENDS_CONFORMANCE_BACKEND_CONFORMANCE_H_
#define CVM_PROVISIONER_BACKENDS_CONFORMANCE_BACKEND_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "backends/backend.h"
#include "gtest/gtest.h"

namespace cvm {

struct ConformanceEnv {
  // A test-name-safe label, e.g. "Fake".
  std::string name;
  std::function<std::unique_ptr<Backend>()> make_backend;
  std::function<void(absl::Duration)> advance_time;
  // A spec the backend can buy now, with a public IP.
  provisioning::v1::InstanceSpec buyable_spec;
  // A spec whose zone sells nothing: pre-flight must fail.
  provisioning::v1::InstanceSpec sold_out_spec;
  // Long enough for a new instance to be RUNNING with its public IP.
  absl::Duration time_to_active = absl::Minutes(10);
};

// A pay-as-you-go S5.MEDIUM2 in ap-guangzhou-3 with a public IP: what both
// the fake and the emulator sell by default.
inline provisioning::v1::InstanceSpec GuangzhouSpec() {
  provisioning::v1::InstanceSpec spec;
  spec.set_region("ap-guangzhou");
  spec.set_zone("ap-guangzhou-3");
  spec.set_instance_type("S5.MEDIUM2");
  spec.set_image_id("img-pi0ii46r");
  spec.mutable_internet()->set_public_ip(true);
  spec.mutable_internet()->set_max_bandwidth_out_mbps(10);
  spec.mutable_pay_as_you_go();
  return spec;
}

class BackendConformanceTest : public ::testing::TestWithParam<ConformanceEnv> {
 protected:
  void SetUp() override { backend_ = GetParam().make_backend(); }

  CreateRequest Request(const std::string& token, int count) const {
    CreateRequest request;
    request.spec = GetParam().buyable_spec;
    request.count = count;
    request.client_token = token;
    request.order_id = "ord-conformance-" + token;
    return request;
  }

  const std::string& Region() const { return GetParam().buyable_spec.region(); }

  std::unique_ptr<Backend> backend_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_BACKENDS_CONFORMANCE_BACKEND_CONFORMANCE_H_
