// The backend conformance suite: the cases every Backend implementation must
// pass (the rules of backends/backend.h), written once and run against each.
//
// A backend's test provides a ConformanceEnv and instantiates the suite:
//
//   INSTANTIATE_TEST_SUITE_P(Fake, BackendConformanceTest,
//                            ::testing::Values(MakeFakeEnv()),
//                            [](const auto& info) { return info.param.name; });
//
// and links //backends/conformance:backend_conformance (alwayslink = 1, so the
// TEST_P cases defined in backend_conformance.cc are registered even though
// the test names nothing from it). Each case calls make_backend() for a fresh
// backend (it must not return null); advance_time() moves the backend's
// clock (a FakeClock, or the emulator's control endpoint) and must never
// sleep. buyable_spec must stay buyable throughout (a case buys at most 16
// instances, public IP requested); sold_out_spec must name a zone whose
// pre-flight fails with FAILED_PRECONDITION. Every case uses client tokens no
// other case uses, so one cloud (an emulator) may be shared by all cases.
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
  // Optional: how many instances `backend` has bought so far (the cloud's
  // books). When set, the idempotency cases also check that a repeated
  // client_token buys nothing more; when empty they check the ids only.
  std::function<int(Backend& backend)> instances_bought;
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
  void SetUp() override {
    backend_ = GetParam().make_backend();
    ASSERT_NE(backend_, nullptr) << GetParam().name << ": make_backend() failed";
  }

  CreateRequest Request(const std::string& token, int count) const {
    CreateRequest request;
    request.spec = GetParam().buyable_spec;
    request.count = count;
    request.client_token = token;
    request.order_id = "ord-conformance-" + token;
    return request;
  }

  const std::string& Region() const { return GetParam().buyable_spec.region(); }

  // The backend's instances_bought(), or 0 when the env has no such hook.
  int Bought() const {
    return GetParam().instances_bought ? GetParam().instances_bought(*backend_) : 0;
  }

  std::unique_ptr<Backend> backend_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_BACKENDS_CONFORMANCE_BACKEND_CONFORMANCE_H_
