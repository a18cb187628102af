// Sold-out memory applied to purchases: a purchase whose cell (backend,
// region, zone, instance type, billing) the cloud refused for lack of
// capacity within the last TTL fails at once, with the same reason, without
// a cloud call; a refusal for lack of capacity is remembered for the TTL.
//
// What counts as "no capacity here", whether the pre-flight checks found it
// or the cloud refused RunInstances: ZONE_SOLD_OUT (for any order);
// INSUFFICIENT_STOCK with the instances left (only orders for more fail);
// SPOT_PRICE_TOO_LOW with the market price (only orders whose max is below
// it fail). A refusal without that figure (the cloud's RunInstances errors do
// not carry it) is not remembered, nor is QUOTA_EXCEEDED: the account's quota
// frees up as its instances are released, whichever order releases them. Verdicts live in CapacityVerdicts
// (store/capacity_verdicts.h): in process with SQLite, in the database with
// PostgreSQL, so every replica skips what one replica learnt. They survive a
// SIGKILL of a replica (PostgreSQL) and are forgotten with the process
// otherwise, which only costs one cloud call to learn again.
//
// The memory never blocks a purchase on its own failure: a store error while
// reading or writing a verdict is logged and counted
// (provisioner_capacity_memory_errors_total), and the purchase goes on to ask
// the cloud. Metrics: provisioner_capacity_verdicts_total{reason} (verdicts
// recorded), provisioner_capacity_skips_total{reason} (purchases answered
// from memory).
//
// Orders of a launch template without an instance type have no cell of
// their own (the template says the type): the memory neither judges nor
// learns from them.
//
// Contract: thread-safe.
#ifndef CVM_PROVISIONER_SERVICE_CAPACITY_MEMORY_H_
#define CVM_PROVISIONER_SERVICE_CAPACITY_MEMORY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"
#include "provisioning/v1/provisioning.pb.h"
#include "store/capacity_verdicts.h"

namespace cvm {

class CapacityMemory {
 public:
  struct Options {
    // How long a verdict stands (Karpenter keeps its unavailable offerings
    // for 3 minutes too).
    absl::Duration ttl = absl::Minutes(3);
    Clock* clock = RealClock::Get();
    prometheus::Registry* registry = nullptr;  // null: no metrics
  };

  // `verdicts` must outlive this object.
  CapacityMemory(CapacityVerdicts* verdicts, Options options);

  // The cell a purchase of `spec` through `backend` goes into.
  static CapacityCell CellOf(const std::string& backend,
                             const provisioning::v1::InstanceSpec& spec);
  // Whether `status` says the cell has no capacity (the reasons above).
  static bool IsCapacityVerdict(const absl::Status& status);

  // OK unless a verdict that applies to a purchase of `count` instances of
  // `spec` stands on its cell; then that verdict as the error the cloud gave
  // (FAILED_PRECONDITION, its reason), saying until when it stands.
  absl::Status Check(const std::string& backend, const provisioning::v1::InstanceSpec& spec,
                     int count);
  // Check() without counting a skip: for a Quote, which buys nothing.
  absl::Status Peek(const std::string& backend, const provisioning::v1::InstanceSpec& spec,
                    int count);
  // Remembers `status` for the TTL when it is a capacity verdict.
  void Learn(const std::string& backend, const provisioning::v1::InstanceSpec& spec,
             const absl::Status& status);

 private:
  void CountError(const absl::Status& status, const char* doing);
  // Check() and Peek(): the verdict that refuses the order, as its error.
  absl::Status Lookup(const std::string& backend, const provisioning::v1::InstanceSpec& spec,
                      int count, bool count_skip);

  CapacityVerdicts* const verdicts_;
  const Options options_;
  prometheus::Family<prometheus::Counter>* recorded_ = nullptr;
  prometheus::Family<prometheus::Counter>* skipped_ = nullptr;
  prometheus::Counter* errors_ = nullptr;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_CAPACITY_MEMORY_H_
