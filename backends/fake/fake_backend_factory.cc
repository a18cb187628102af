// Registers the "fake" plugin (config: provisioning.fake.v1.FakeBackendConfig).
#include "backends/backend_registry.h"
#include "backends/fake/fake_backend.h"

namespace cvm {
namespace {

class FakeBackendFactory : public BackendFactory {
 public:
  std::string name() const override { return "fake"; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return std::make_unique<provisioning::fake::v1::FakeBackendConfig>();
  }
  absl::StatusOr<std::unique_ptr<Backend>> Create(
      const google::protobuf::Message& config,
      const BackendContext& context) const override {
    const auto& typed =
        static_cast<const provisioning::fake::v1::FakeBackendConfig&>(config);
    absl::StatusOr<std::unique_ptr<FakeBackend>> backend =
        FakeBackend::Create(typed, context.clock);
    if (!backend.ok()) return backend.status();
    return std::unique_ptr<Backend>(std::move(*backend));
  }
};

REGISTER_BACKEND_FACTORY(FakeBackendFactory);

}  // namespace
}  // namespace cvm
