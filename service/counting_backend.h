// Test and benchmark support: a Backend that forwards to the fake backend and
// counts every call, registered as the "counting-fake" plugin of a private
// registry so tests and benchmarks build backends through the real wiring.
//
// Contract: thread-safe; counters are read while calls may run.
#ifndef CVM_PROVISIONER_SERVICE_COUNTING_BACKEND_H_
#define CVM_PROVISIONER_SERVICE_COUNTING_BACKEND_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "backends/backend.h"
#include "backends/backend_registry.h"

namespace cvm {

class CountingBackend : public Backend {
 public:
  struct DescribeCall {
    std::string region;
    size_t ids = 0;
  };

  explicit CountingBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}

  // Every call since construction or Reset(), of any method.
  int calls() const;
  // The Describe calls since construction or Reset(), oldest first.
  std::vector<DescribeCall> describe_calls() const;
  void Reset();

  absl::Status Preflight(const CreateRequest& request) override;
  absl::StatusOr<std::vector<std::string>> Create(const CreateRequest& request) override;
  absl::StatusOr<std::vector<InstanceStatus>> Describe(
      const std::string& region, absl::Span<const std::string> instance_ids) override;
  absl::StatusOr<std::vector<std::string>> FindByOrder(const std::string& region,
                                                       const std::string& order_id) override;
  using Backend::Quote;
  using Backend::Terminate;
  absl::Status Terminate(const std::string& region, absl::Span<const std::string> instance_ids,
                         absl::Time deadline) override;
  absl::StatusOr<provisioning::v1::Quote> Quote(const provisioning::v1::InstanceSpec& spec,
                                                int count, absl::Time deadline) override;

 private:
  void Count() ABSL_LOCKS_EXCLUDED(mu_);

  const std::unique_ptr<Backend> inner_;
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<DescribeCall> describes_ ABSL_GUARDED_BY(mu_);
};

// Registers "counting-fake" (config: provisioning.fake.v1.FakeBackendConfig)
// into `registry`; every backend it creates is recorded in `created` under
// its configured name. `created` must outlive the registry's backends.
absl::Status RegisterCountingFake(BackendRegistry& registry,
                                  std::map<std::string, CountingBackend*>* created);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_COUNTING_BACKEND_H_
