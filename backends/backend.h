// The contract every cloud backend implements.
//
// A Backend buys, describes and releases instances in one cloud account. The
// service calls it from its own worker threads (never from gRPC threads), drives
// the order state machine around it, and owns all persistence.
//
// Rules:
//  1. Thread safety: every method may be called concurrently from many threads.
//  2. Ownership: the backend owns nothing of the caller's; it may keep its own
//     state (a cache, a rate limiter, the fake's books).
//  3. Idempotency: Create() with a client_token already used returns the
//     instance ids of the first call and buys nothing more (the cloud's
//     ClientToken). Terminate() of released or unknown ids succeeds.
//  4. Errors: every method returns
//       INVALID_ARGUMENT     the cloud rejected a field (the field named),
//       FAILED_PRECONDITION  a pre-flight check failed (PreconditionFailure
//                            detail naming the check, e.g. ZONE_SOLD_OUT,
//                            INSUFFICIENT_BALANCE, SPOT_PRICE_TOO_LOW),
//       RESOURCE_EXHAUSTED   quota or rate limit (QuotaFailure detail),
//       UNAVAILABLE          transport or cloud-side fault: safe to retry with
//                            the same client_token,
//       UNAUTHENTICATED / PERMISSION_DENIED  bad or insufficient credentials.
//     Cloud error codes travel in the ErrorInfo detail metadata under
//     kCloudErrorCodeKey and kCloudRequestIdKey.
//  5. Describe() returns the instances it knows among `instance_ids` (at most
//     kMaxDescribeBatch, all in `region`); an id the cloud no longer knows is
//     reported with state TERMINATED, never silently dropped.
//  6. Instances live in a region (clouds answer per region): Describe() and
//     Terminate() take the region the instances were bought in.
//  7. Deadlines: calls made for a waiting client carry its deadline
//     (CreateRequest::deadline for Preflight() of a dry run; the `deadline`
//     of Terminate() and Quote()). A backend stops waiting for rate slots,
//     retries and answers when it passes and returns DEADLINE_EXCEEDED, or
//     the last error it got. absl::InfiniteFuture() (the overloads without
//     a deadline) is background work that waits as long as it must.
//     A Terminate() stopped by its deadline may still release the
//     instances (the request may have reached the cloud); it is idempotent.
//  8. Terminate() of a prepaid instance may return it to the cloud's recycle
//     bin rather than release it (Tencent Cloud does, and refunds it): the
//     instance then describes as SHUTDOWN with isolated_source
//     ISOLATED_MANUALLY (IsReturned) until the cloud releases it (TERMINATED).
//     It costs nothing meanwhile. Callers do not Terminate() a returned
//     instance again: on Tencent Cloud that destroys it at once, for good.
//  9. Stop() and Start() ask for a power change and return once the cloud
//     took the request; the change itself takes a while. A stopping or
//     stopped instance describes as STOPPED, a starting one as PENDING, then
//     RUNNING. Stopping a stopped (or stopping) instance and starting a
//     running (or starting) one succeed: both are idempotent, so a retry
//     after a lost answer is safe. An instance in a state the action cannot
//     take (stopping one that is launching or shut down, starting one still
//     stopping) is FAILED_PRECONDITION with reason INSTANCE_STATE; NOT_FOUND
//     for an id the cloud does not know. stop_charging stops the instance's
//     compute billing while it is stopped (Tencent's StoppedMode
//     STOP_CHARGING): pay-as-you-go only, anything else is
//     FAILED_PRECONDITION with reason STOP_CHARGING_UNSUPPORTED. At most
//     kMaxDescribeBatch ids, all in `region`; bounded by `deadline` (rule 7).
//     A backend without power control keeps the defaults, UNIMPLEMENTED.
#ifndef CVM_PROVISIONER_BACKENDS_BACKEND_H_
#define CVM_PROVISIONER_BACKENDS_BACKEND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

inline constexpr char kCloudErrorCodeKey[] = "cloud_error_code";
inline constexpr char kCloudRequestIdKey[] = "cloud_request_id";
// ErrorInfo metadata of the count- or price-dependent capacity refusals, for
// the sold-out memory (service/capacity_memory.h): INSUFFICIENT_STOCK carries
// the instances left, SPOT_PRICE_TOO_LOW the market price (a decimal).
inline constexpr char kStockLeftKey[] = "stock_left";
inline constexpr char kMarketPriceKey[] = "market_price";
inline constexpr int kMaxDescribeBatch = 100;
// Every instance bought for an order carries this tag, valued the order id.
inline constexpr char kOrderTagKey[] = "provisioner:order-id";
// Tagged (with the attempt's number) onto the instances of each attempt of a
// candidates order (CandidateAttempt), beside kOrderTagKey.
inline constexpr char kAttemptTagKey[] = "provisioner:attempt";

// What to create: one spec, `count` instances, one idempotency token.
struct CreateRequest {
  provisioning::v1::InstanceSpec spec;
  int count = 0;
  // Derived from the order; the same order always sends the same token.
  std::string client_token;
  // Tagged onto the instances so they can be found again by order.
  std::string order_id;
  // The waiting client's deadline (rule 7).
  absl::Time deadline = absl::InfiniteFuture();
};

// An instance carrying kOrderTagKey, found by ListTagged().
struct TaggedInstance {
  std::string instance_id;
  std::string order_id;  // the tag's value
};

// What the cloud says about one instance.
struct InstanceStatus {
  std::string instance_id;
  provisioning::v1::Instance::State state =
      provisioning::v1::Instance::STATE_UNSPECIFIED;
  provisioning::v1::Instance::Restriction restriction =
      provisioning::v1::Instance::NORMAL;
  // Why the cloud isolated it; unspecified when the cloud does not say.
  provisioning::v1::Instance::IsolatedSource isolated_source =
      provisioning::v1::Instance::ISOLATED_SOURCE_UNSPECIFIED;
  std::vector<std::string> public_ips;
  std::vector<std::string> private_ips;
  std::string zone;
  absl::Time create_time;
  // Prepaid: the end of the paid period; nullopt when the cloud gives none.
  std::optional<absl::Time> expire_time;
  // The cloud says someone asked to release the instance (Tencent:
  // LatestOperation TerminateInstances, not FAILED): told apart from a
  // release the cloud decided itself (a spot reclaim).
  bool release_requested = false;
};

// One cell (zone x instance type x pay-as-you-go or spot) as the cloud
// offers it now (Backend::Offers()).
struct CellOffer {
  std::string zone;
  std::string instance_type;
  bool spot = false;
  bool sells = false;
  std::optional<int> stock;        // instances left, when the cloud says
  int64_t unit_price_micros = 0;   // per instance-hour; spot: the market's
  int cpu = 0;
  // The type as the cloud's catalogue describes it (Candidates.requirements):
  // memory in GB, family (e.g. "S5"; empty when the cloud does not say) and
  // GPUs (a vGPU share is a fraction).
  double memory_gb = 0;
  std::string family;
  double gpu = 0;
  // The account's quota left in the zone for this billing (pay-as-you-go:
  // instances, spot: vCPUs), when the cloud says.
  std::optional<int> quota_headroom;
};

struct CellOffers {
  std::string currency;  // of the prices (ISO 4217)
  std::vector<CellOffer> cells;
};

// The money left in the cloud account (Backend::Balance()).
struct AccountBalance {
  // Micro-units (common/money.h); negative when the account owes money.
  int64_t micros = 0;
  // ISO 4217, e.g. "CNY"; empty when the cloud does not say.
  std::string currency;
};

// True for an instance returned to the cloud's recycle bin (rule 8).
inline bool IsReturned(provisioning::v1::Instance::State state,
                       provisioning::v1::Instance::IsolatedSource source) {
  return state == provisioning::v1::Instance::SHUTDOWN &&
         source == provisioning::v1::Instance::ISOLATED_MANUALLY;
}
inline bool IsReturned(const provisioning::v1::Instance& instance) {
  return IsReturned(instance.state(), instance.isolated_source());
}
// True while a release still has to ask for the instance: neither released
// nor returned to the recycle bin.
inline bool StillToRelease(const InstanceStatus& status) {
  return status.state != provisioning::v1::Instance::TERMINATED &&
         !IsReturned(status.state, status.isolated_source);
}

class Backend {
 public:
  virtual ~Backend() = default;

  // Checks, without buying, that `request` could be bought now: the zone
  // sells the type, quota and balance suffice, a spot price is high enough.
  // OK or FAILED_PRECONDITION / RESOURCE_EXHAUSTED / INVALID_ARGUMENT /
  // UNAVAILABLE.
  virtual absl::Status Preflight(const CreateRequest& request) = 0;

  // Buys request.count instances and returns their ids (exactly count ids).
  // Idempotent by request.client_token (rule 3).
  virtual absl::StatusOr<std::vector<std::string>> Create(
      const CreateRequest& request) = 0;

  // The current state of at most kMaxDescribeBatch instances (rule 5).
  virtual absl::StatusOr<std::vector<InstanceStatus>> Describe(
      const std::string& region, absl::Span<const std::string> instance_ids) = 0;

  // The live instances the cloud holds for `order_id` (found by the order's
  // tag), for recovering an order whose Create outcome is unknown.
  virtual absl::StatusOr<std::vector<std::string>> FindByOrder(const std::string& region,
                                                               const std::string& order_id) = 0;

  // Every live instance in `region` carrying kOrderTagKey, whatever the order:
  // the sweep for orphans (instances no order accounts for). A backend that
  // cannot list by tag keeps this default, UNIMPLEMENTED, and is not swept.
  virtual absl::StatusOr<std::vector<TaggedInstance>> ListTagged(const std::string& region) {
    (void)region;
    return absl::UnimplementedError("this backend cannot list instances by tag");
  }

  // Releases the instances. Idempotent (rule 3). Bounded by `deadline`
  // (rule 7).
  virtual absl::Status Terminate(const std::string& region,
                                 absl::Span<const std::string> instance_ids,
                                 absl::Time deadline) = 0;
  absl::Status Terminate(const std::string& region, absl::Span<const std::string> instance_ids) {
    return Terminate(region, instance_ids, absl::InfiniteFuture());
  }

  // Stops the instances (rule 9); with `stop_charging` their compute stops
  // being billed until they start again.
  virtual absl::Status Stop(const std::string& region, absl::Span<const std::string> instance_ids,
                            bool stop_charging, absl::Time deadline) {
    (void)region, (void)instance_ids, (void)stop_charging, (void)deadline;
    return absl::UnimplementedError("this backend cannot stop instances");
  }
  // Starts stopped instances (rule 9).
  virtual absl::Status Start(const std::string& region, absl::Span<const std::string> instance_ids,
                             absl::Time deadline) {
    (void)region, (void)instance_ids, (void)deadline;
    return absl::UnimplementedError("this backend cannot start instances");
  }

  // The price of `count` instances of `spec`; `backend` is left empty.
  // Bounded by `deadline` (rule 7).
  virtual absl::StatusOr<provisioning::v1::Quote> Quote(
      const provisioning::v1::InstanceSpec& spec, int count, absl::Time deadline) = 0;
  absl::StatusOr<provisioning::v1::Quote> Quote(const provisioning::v1::InstanceSpec& spec,
                                                int count) {
    return Quote(spec, count, absl::InfiniteFuture());
  }

  // The account's balance now, for the arrears guard (service/arrears_guard.h):
  // background work, without a deadline (rule 7). A backend that cannot read
  // it keeps this default, UNIMPLEMENTED, and is not guarded.
  virtual absl::StatusOr<AccountBalance> Balance() {
    return absl::UnimplementedError("this backend cannot read the account balance");
  }

  // Every cell of `zones` x `instance_types` in `region`, pay-as-you-go and
  // spot, as the cloud offers it now, in a few calls (a candidate Quote,
  // service/candidate_quote.h); cells the cloud does not know are left out.
  // An empty `zones` means every zone of the region, an empty
  // `instance_types` every type of the cloud's catalogue (still a few
  // calls); a backend that cannot list them returns INVALID_ARGUMENT naming
  // what it lacks. Bounded by `deadline` (rule 7). A backend that cannot list
  // offers keeps this default, UNIMPLEMENTED.
  virtual absl::StatusOr<CellOffers> Offers(const std::string& region,
                                           absl::Span<const std::string> zones,
                                           absl::Span<const std::string> instance_types,
                                           absl::Time deadline) {
    return absl::UnimplementedError("this backend cannot list its offers");
  }
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_BACKENDS_BACKEND_H_
