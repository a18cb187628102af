#include "service/counting_backend.h"

#include "backends/fake/fake_backend.h"
#include "backends/fake/fake_backend_config.pb.h"

namespace cvm {
namespace {

using provisioning::fake::v1::FakeBackendConfig;

class CountingFakeFactory : public BackendFactory {
 public:
  explicit CountingFakeFactory(std::map<std::string, CountingBackend*>* created)
      : created_(created) {}
  std::string name() const override { return "counting-fake"; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return std::make_unique<FakeBackendConfig>();
  }
  absl::StatusOr<std::unique_ptr<Backend>> Create(const google::protobuf::Message& config,
                                                  const BackendContext& context) const override {
    absl::StatusOr<std::unique_ptr<FakeBackend>> fake =
        FakeBackend::Create(static_cast<const FakeBackendConfig&>(config), context.clock);
    if (!fake.ok()) return fake.status();
    auto counting = std::make_unique<CountingBackend>(*std::move(fake));
    (*created_)[context.name] = counting.get();
    return std::unique_ptr<Backend>(std::move(counting));
  }

 private:
  std::map<std::string, CountingBackend*>* const created_;
};

}  // namespace

void CountingBackend::Count() {
  absl::MutexLock lock(&mu_);
  ++calls_;
}

int CountingBackend::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

std::vector<CountingBackend::DescribeCall> CountingBackend::describe_calls() const {
  absl::MutexLock lock(&mu_);
  return describes_;
}

void CountingBackend::Reset() {
  absl::MutexLock lock(&mu_);
  calls_ = 0;
  describes_.clear();
}

absl::Status CountingBackend::Preflight(const CreateRequest& request) {
  Count();
  return inner_->Preflight(request);
}

absl::StatusOr<std::vector<std::string>> CountingBackend::Create(const CreateRequest& request) {
  Count();
  return inner_->Create(request);
}

absl::StatusOr<std::vector<InstanceStatus>> CountingBackend::Describe(
    const std::string& region, absl::Span<const std::string> instance_ids) {
  {
    absl::MutexLock lock(&mu_);
    ++calls_;
    describes_.push_back({region, instance_ids.size()});
  }
  return inner_->Describe(region, instance_ids);
}

absl::StatusOr<std::vector<std::string>> CountingBackend::FindByOrder(const std::string& region,
                                                                      const std::string& order_id) {
  Count();
  return inner_->FindByOrder(region, order_id);
}

absl::Status CountingBackend::Terminate(const std::string& region,
                                        absl::Span<const std::string> instance_ids,
                                        absl::Time deadline) {
  Count();
  return inner_->Terminate(region, instance_ids, deadline);
}

absl::StatusOr<provisioning::v1::Quote> CountingBackend::Quote(
    const provisioning::v1::InstanceSpec& spec, int count, absl::Time deadline) {
  Count();
  return inner_->Quote(spec, count, deadline);
}

absl::Status RegisterCountingFake(BackendRegistry& registry,
                                  std::map<std::string, CountingBackend*>* created) {
  return registry.Register(std::make_unique<CountingFakeFactory>(created));
}

}  // namespace cvm
