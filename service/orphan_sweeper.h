// Finds orphans: instances carrying this service's order tag (kOrderTagKey)
// that no stored order holds, and acts on them by policy (report, adopt,
// terminate; plugins/service_config.proto OrphanPolicy).
//
// A sweep lists the tagged instances of every backend and region in use (the
// regions of stored orders, the routes' regions and the policy's own), then
// for each one asks the store who holds it. An instance whose tag names an
// order still being submitted (ACCEPTED, CHECKING, SUBMITTED) is not an orphan:
// that order's recovery adopts it. Because the cloud is listed before the
// store is read, an instance recorded by a concurrent submission is never
// mistaken for an orphan.
//
// Metrics: provisioner_orphan_instances{backend,region} (found by the last
// sweep) and provisioner_orphans_handled_total{backend,action}.
//
// Contract: thread-safe; SweepOnce() blocks on backend calls (worker threads).
#ifndef CVM_PROVISIONER_SERVICE_ORPHAN_SWEEPER_H_
#define CVM_PROVISIONER_SERVICE_ORPHAN_SWEEPER_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "plugins/backend_set.h"
#include "plugins/service_config.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "store/order_store.h"

namespace cvm {

struct Orphan {
  std::string backend;
  std::string region;
  std::string instance_id;
  std::string tagged_order_id;  // the order its tag names (may not exist)
};

class OrphanSweeper {
 public:
  // `registry` may be null (no metrics).
  OrphanSweeper(OrderStore* store, const BackendSet* backends,
                provisioning::config::v1::ServiceConfig config,
                prometheus::Registry* registry);

  // One sweep; returns the orphans found (already acted on). The first error
  // of a backend or region is returned after the others were swept.
  absl::StatusOr<std::vector<Orphan>> SweepOnce();

 private:
  // (backend, region) pairs to sweep.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Targets();
  absl::StatusOr<std::vector<Orphan>> SweepOne(const std::string& backend_name,
                                               const std::string& region);
  absl::Status Act(Backend* backend, const std::vector<Orphan>& orphans);
  void Count(const std::string& backend, const std::string& region, size_t found);

  OrderStore* const store_;
  const BackendSet* const backends_;
  const provisioning::config::v1::ServiceConfig config_;
  prometheus::Family<prometheus::Gauge>* found_ = nullptr;
  prometheus::Family<prometheus::Counter>* handled_ = nullptr;
  absl::Mutex mu_;  // serializes sweeps
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_ORPHAN_SWEEPER_H_
