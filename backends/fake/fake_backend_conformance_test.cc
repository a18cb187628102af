// Runs the backend conformance suite against the fake backend.
#include "backends/conformance/backend_conformance.h"
#include "backends/fake/fake_backend.h"
#include "common/clock.h"

namespace cvm {
namespace {

ConformanceEnv FakeEnv() {
  static FakeClock* clock = new FakeClock;
  ConformanceEnv env;
  env.name = "Fake";
  env.make_backend = [] {
    provisioning::fake::v1::FakeBackendConfig config;
    config.add_sold_out_zones("ap-guangzhou-1");
    auto backend = FakeBackend::Create(config, clock);
    return backend.ok() ? std::unique_ptr<Backend>(std::move(*backend)) : nullptr;
  };
  env.advance_time = [](absl::Duration d) { clock->Advance(d); };
  env.instances_bought = [](Backend& backend) {
    auto* fake = dynamic_cast<FakeBackend*>(&backend);
    return fake == nullptr ? -1 : fake->CreatedCount();
  };
  env.buyable_spec = GuangzhouSpec();
  env.sold_out_spec = env.buyable_spec;
  env.sold_out_spec.set_zone("ap-guangzhou-1");
  return env;
}

INSTANTIATE_TEST_SUITE_P(Fake, BackendConformanceTest, ::testing::Values(FakeEnv()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cvm
