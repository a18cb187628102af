#include "service/order_workflow.h"
#include "common/order_states.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "google/protobuf/util/message_differencer.h"
#include "service/candidate_quote.h"
#include "service/order_sync.h"
#include "service/request_validation.h"

namespace cvm {
namespace {

using google::protobuf::util::MessageDifferencer;
using provisioning::v1::FailureCause;
using provisioning::v1::Instance;
using provisioning::v1::PurchaseRequest;

}  // namespace

OrderStore::Mutation OrderWorkflow::Step(Order::State from, Order::State to) {
  return [from, to](Order& order) -> absl::Status {
    if (order.state() != from) {
      return WithReason(
          absl::AbortedError(absl::StrCat(
              "order ", order.order_id(), " is ", Order::State_Name(order.state()),
              ", expected ", Order::State_Name(from))),
          "ORDER_STATE_CHANGED");
    }
    order.set_state(to);
    return absl::OkStatus();
  };
}

bool OrderWorkflow::MayPass(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

namespace {

bool SameRequest(const Order& order, const PurchaseRequest& request) {
  return order.instance_count() == request.instance_count() &&
         MessageDifferencer::Equals(order.spec(), request.spec()) &&
         MessageDifferencer::Equals(order.candidates(), request.candidates());
}

// Of `ids`, those the cloud has not returned to its recycle bin, asked of
// the cloud itself: the stored view may predate a return, and a second
// TerminateInstances would destroy a returned prepaid instance for good
// (backends/backend.h rule 8).
absl::StatusOr<std::vector<std::string>> NotReturned(Backend& backend, const std::string& region,
                                                     const std::vector<std::string>& ids) {
  std::vector<std::string> left;
  for (size_t i = 0; i < ids.size(); i += kMaxDescribeBatch) {
    const size_t n = std::min<size_t>(kMaxDescribeBatch, ids.size() - i);
    ASSIGN_OR_RETURN(std::vector<InstanceStatus> statuses,
                     backend.Describe(region, absl::MakeConstSpan(ids).subspan(i, n)));
    for (const InstanceStatus& status : statuses) {
      if (StillToRelease(status)) left.push_back(status.instance_id);
    }
  }
  return left;
}

}  // namespace

std::string ClientTokenFor(const std::string& order_id) {
  return absl::StrCat("cvmp-", order_id);
}

absl::Status StatusOfFailure(const FailureCause& failure) {
  const auto code = failure.grpc_code() > 0 && failure.grpc_code() <= 16
                        ? static_cast<absl::StatusCode>(failure.grpc_code())
                        : absl::StatusCode::kUnknown;
  absl::Status status(code, failure.message());
  for (const google::protobuf::Any& detail : failure.details()) {
    status.SetPayload(detail.type_url(), absl::Cord(detail.value()));
  }
  std::vector<std::pair<std::string, std::string>> metadata;
  if (!failure.cloud_error_code().empty()) {
    metadata.push_back({kCloudErrorCodeKey, failure.cloud_error_code()});
  }
  if (!failure.cloud_request_id().empty()) {
    metadata.push_back({kCloudRequestIdKey, failure.cloud_request_id()});
  }
  return WithReason(std::move(status), failure.reason(), metadata);
}

OrderWorkflow::OrderWorkflow(OrderStore* store, const BackendSet* backends,
                             PolicySet* policies)
    : store_(store), backends_(backends), policies_(policies) {}

absl::Status OrderWorkflow::Fail(const std::string& order_id, const absl::Status& cause,
                                 const OrderStore::Mutation& also) {
  FailureCause failure;
  const std::string reason = ErrorReason(cause);
  failure.set_reason(reason.empty() ? absl::StatusCodeToString(cause.code()) : reason);
  failure.set_message(std::string(cause.message()));
  failure.set_grpc_code(static_cast<int>(cause.code()));
  const std::string error_info_url = TypeUrl(google::rpc::ErrorInfo());
  cause.ForEachPayload([&](absl::string_view type_url, const absl::Cord& value) {
    if (type_url == error_info_url) return;  // rebuilt from reason and codes
    google::protobuf::Any* detail = failure.add_details();
    detail->set_type_url(std::string(type_url));
    detail->set_value(std::string(value));
  });
  if (auto info = GetDetail<google::rpc::ErrorInfo>(cause)) {
    auto get = [&](const char* key) {
      auto it = info->metadata().find(key);
      return it == info->metadata().end() ? std::string() : it->second;
    };
    failure.set_cloud_error_code(get(kCloudErrorCodeKey));
    failure.set_cloud_request_id(get(kCloudRequestIdKey));
  }
  absl::StatusOr<Order> stored = store_->UpdateOrder(order_id, [&](Order& order) {
    // Cancelled or bought meanwhile (another actor): it stays so.
    if (!IsBeforeCloud(order.state())) return absl::OkStatus();
    if (also) RETURN_IF_ERROR(also(order));
    order.set_state(Order::FAILED);
    *order.mutable_failure() = failure;
    return absl::OkStatus();
  });
  if (!stored.ok() && stored.status().code() == absl::StatusCode::kAborted) {
    return stored.status();  // moved on by another actor: not this one's to fail
  }
  if (!stored.ok()) {
    return absl::UnavailableError(absl::StrCat(
        cause.message(), "; and recording the failure of order ", order_id,
        " failed: ", stored.status().message()));
  }
  return cause;
}

absl::Status OrderWorkflow::CheckPolicies(const PurchaseRequest& request,
                                          const std::string& tenant,
                                          const RoutedBackend& routed) {
  if (!request.dry_run()) {
    absl::StatusOr<Order> known = store_->FindByRequestId(tenant, request.request_id());
    if (known.ok()) return absl::OkStatus();
    if (known.status().code() != absl::StatusCode::kNotFound) return known.status();
  }
  return policies_->Check({tenant, &request, routed.name, routed.backend});
}

absl::Status OrderWorkflow::CheckGate(const PurchaseRequest& request, const std::string& tenant,
                                      const RoutedBackend& routed, absl::Time deadline) {
  absl::Status verdict = gate_(routed, request, deadline);
  if (verdict.ok() || request.dry_run()) return verdict;
  // A retry of a stored order gets that order back, refused or not now.
  absl::StatusOr<Order> known = store_->FindByRequestId(tenant, request.request_id());
  if (known.ok()) return absl::OkStatus();
  if (known.status().code() != absl::StatusCode::kNotFound) return known.status();
  return verdict;
}

absl::StatusOr<CreateOrderResult> OrderWorkflow::Accept(const PurchaseRequest& request,
                                                        const std::string& tenant,
                                                        absl::Time deadline) {
  ASSIGN_OR_RETURN(RoutedBackend routed, backends_->Route(request.spec().region(), tenant));
  // Held until the order is stored, so the tenant's next check counts it.
  PolicySet::Admission admission;
  if (policies_ != nullptr && policies_->AppliesTo(tenant)) {
    ASSIGN_OR_RETURN(admission, policies_->Admit(tenant));
    RETURN_IF_ERROR(CheckPolicies(request, tenant, routed));
  }
  if (gate_) RETURN_IF_ERROR(CheckGate(request, tenant, routed, deadline));
  if (request.dry_run() && request.has_candidates()) {
    admission = PolicySet::Admission();  // nothing will be stored
    Order draft;
    *draft.mutable_spec() = request.spec();
    *draft.mutable_candidates() = request.candidates();
    draft.set_instance_count(request.instance_count());
    draft.set_state(Order::ACCEPTED);
    draft.set_backend(routed.name);
    return PreviewCandidates(*routed.backend, std::move(draft), deadline);
  }
  if (request.dry_run()) {
    admission = PolicySet::Admission();  // nothing will be stored
    CreateRequest create;
    create.spec = request.spec();
    create.count = request.instance_count();
    create.deadline = deadline;
    RETURN_IF_ERROR(routed.backend->Preflight(create));
    CreateOrderResult preview;
    *preview.order.mutable_spec() = request.spec();
    preview.order.set_instance_count(request.instance_count());
    preview.order.set_state(Order::ACCEPTED);
    preview.order.set_backend(routed.name);
    return preview;
  }

  Order draft;
  draft.set_tenant(tenant);
  draft.set_request_id(request.request_id());
  *draft.mutable_spec() = request.spec();
  if (request.has_candidates()) *draft.mutable_candidates() = request.candidates();
  draft.set_instance_count(request.instance_count());
  draft.set_state(Order::ACCEPTED);
  draft.set_backend(routed.name);
  ASSIGN_OR_RETURN(CreateOrderResult result, store_->CreateOrder(std::move(draft)));
  if (!result.created) {
    if (!SameRequest(result.order, request)) {
      return WithReason(
          absl::AlreadyExistsError(absl::StrCat(
              "request_id \"", request.request_id(), "\" was used for order ",
              result.order.order_id(), " with a different spec or instance_count")),
          "REQUEST_ID_REUSED", {{"order_id", result.order.order_id()}});
    }
    if (result.order.state() == Order::FAILED) {
      return StatusOfFailure(result.order.failure());
    }
  }
  return result;
}

absl::StatusOr<Order> OrderWorkflow::Submit(const std::string& order_id, bool recovering) {
  ASSIGN_OR_RETURN(Order order, store_->GetOrder(order_id));
  return Advance(order, recovering);
}

absl::StatusOr<Order> OrderWorkflow::Get(const std::string& order_id) {
  return store_->GetOrder(order_id);
}

absl::StatusOr<Order> OrderWorkflow::Advance(const Order& order, bool recovering) {
  ASSIGN_OR_RETURN(Backend * backend, backends_->Get(order.backend()));
  if (order.has_candidates()) return AdvanceCandidates(*backend, order, recovering);
  const std::string id = order.order_id();
  CreateRequest create;
  create.spec = order.spec();
  create.count = order.instance_count();
  Order::State state = order.state();
  if (state == Order::ACCEPTED) {
    RETURN_IF_ERROR(store_->UpdateOrder(id, Step(Order::ACCEPTED, Order::CHECKING)).status());
    state = Order::CHECKING;
  }
  if (state == Order::CHECKING) {
    // A cell known without capacity fails here, with no cloud call.
    if (capacity_ != nullptr) {
      if (absl::Status known = capacity_->Check(order.backend(), order.spec(), order.instance_count());
          !known.ok()) {
        return Fail(id, known);
      }
    }
    // Pre-flight buys nothing, so it is simply run (again, when recovering).
    if (absl::Status s = backend->Preflight(create); !s.ok()) {
      if (capacity_ != nullptr) capacity_->Learn(order.backend(), order.spec(), s);
      return MayPass(s) ? s : Fail(id, s);  // nothing bought: retried later
    }
    RETURN_IF_ERROR(store_->UpdateOrder(id, Step(Order::CHECKING, Order::SUBMITTED)).status());
    state = Order::SUBMITTED;
  }
  if (state != Order::SUBMITTED) return store_->GetOrder(id);

  create.client_token = ClientTokenFor(id);
  create.order_id = id;
  auto* tag = create.spec.add_tags();
  tag->set_key(kOrderTagKey);
  tag->set_value(id);
  absl::StatusOr<std::vector<std::string>> ids;
  if (recovering) {
    // The cloud may have bought the order before the crash: adopt what
    // carries its tag instead of trusting the token to be remembered.
    ids = backend->FindByOrder(order.spec().region(), id);
    if (!ids.ok()) return ids.status();  // stays SUBMITTED; retried next start
  }
  // Only a whole order is adopted: a part (the cloud's tag index lagging)
  // is asked for again with the same token, which names the same instances.
  if (!ids.ok() || static_cast<int>(ids->size()) != order.instance_count()) {
    // One call: the backend retries within its policy (backends/retry_policy.h);
    // an outcome still unknown is the driver's to retry later, same token.
    ids = backend->Create(create);
  }
  if (!ids.ok()) {
    // The cloud may have bought it even so (a lost response): the order stays
    // SUBMITTED and is recovered (by tag, then the same token), never failed.
    if (MayPass(ids.status())) return ids.status();
    if (capacity_ != nullptr) capacity_->Learn(order.backend(), order.spec(), ids.status());
    return Fail(id, ids.status());
  }

  return store_->UpdateOrder(id, [&](Order& order) -> absl::Status {
    RETURN_IF_ERROR(Step(Order::SUBMITTED, Order::PROVISIONING)(order));
    for (const std::string& instance_id : *ids) {
      Instance* instance = order.add_instances();
      instance->set_name(absl::StrCat(order.name(), "/instances/", instance_id));
      instance->set_instance_id(instance_id);
      instance->set_state(Instance::PENDING);
      instance->set_restriction(Instance::NORMAL);
      instance->set_zone(order.spec().zone());
      instance->set_instance_type(order.spec().instance_type());
      if (order.spec().has_spot()) {
        *instance->mutable_billing()->mutable_spot() = order.spec().spot();
      } else if (order.spec().has_pay_as_you_go()) {
        instance->mutable_billing()->mutable_pay_as_you_go();
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Order>> OrderWorkflow::Unfinished() {
  return store_->OrdersInStates(BeforeCloudStates());
}

absl::StatusOr<provisioning::v1::Quote> OrderWorkflow::Quote(
    const provisioning::v1::QuoteRequest& request, const std::string& tenant,
    absl::Time deadline) {
  ASSIGN_OR_RETURN(RoutedBackend routed, backends_->Route(request.spec().region(), tenant));
  if (request.has_candidates()) {
    return QuoteCandidates(*routed.backend, routed.name, request, capacity_, deadline);
  }
  ASSIGN_OR_RETURN(provisioning::v1::Quote quote,
                   routed.backend->Quote(request.spec(), request.instance_count(), deadline));
  quote.set_backend(routed.name);
  return quote;
}

absl::StatusOr<Order> OrderWorkflow::ReleaseInstances(const std::string& order_id,
                                                      const std::vector<std::string>& instance_ids,
                                                      absl::Time deadline) {
  ASSIGN_OR_RETURN(Order order, store_->GetOrder(order_id));
  const std::set<std::string> named(instance_ids.begin(), instance_ids.end());
  std::set<std::string> held;
  bool others_live = false;
  for (const Instance& instance : order.instances()) {
    held.insert(instance.instance_id());
    if (named.count(instance.instance_id()) == 0 && !instance.release_requested() &&
        IsLive(instance) && !IsReturned(instance)) {
      others_live = true;
    }
  }
  for (const std::string& id : named) {
    if (held.count(id) == 0) {
      return absl::NotFoundError(absl::StrCat("instance ", id, " is not in order ", order_id));
    }
  }
  if (!others_live && !order.instances().empty()) return Terminate(std::move(order), deadline);
  std::vector<std::string> ask;
  ASSIGN_OR_RETURN(order, store_->UpdateOrder(order_id, [&](Order& o) -> absl::Status {
    ask.clear();
    if (o.state() != Order::PROVISIONING && o.state() != Order::ACTIVE &&
        o.state() != Order::FAILED) {
      return absl::FailedPreconditionError(absl::StrCat(
          "order ", order_id, " is ", Order::State_Name(o.state()),
          ": only the instances of a bought order are released one by one"));
    }
    for (const std::string& id : instance_ids) {
      Instance* found = nullptr;
      for (Instance& instance : *o.mutable_instances()) {
        if (instance.instance_id() == id) found = &instance;
      }
      if (found == nullptr) {
        return absl::NotFoundError(absl::StrCat("instance ", id, " is not in order ", order_id));
      }
      if (!IsLive(*found) || IsReturned(*found)) continue;
      if (!found->release_requested() || !o.spec().has_prepaid()) ask.push_back(id);
      found->set_release_requested(true);
    }
    return absl::OkStatus();
  }));
  if (ask.empty()) return order;
  ASSIGN_OR_RETURN(Backend * backend, backends_->Get(order.backend()));
  for (size_t i = 0; i < ask.size(); i += kMaxDescribeBatch) {
    const size_t n = std::min<size_t>(kMaxDescribeBatch, ask.size() - i);
    RETURN_IF_ERROR(backend->Terminate(order.spec().region(),
                                       absl::MakeConstSpan(ask).subspan(i, n), deadline));
  }
  return order;
}

absl::StatusOr<Order> OrderWorkflow::Terminate(Order order, absl::Time deadline) {
  const std::string order_id = order.order_id();
  switch (order.state()) {
    case Order::ACCEPTED:
    case Order::CHECKING:
      return store_->UpdateOrder(order_id, [](Order& o) -> absl::Status {
        if (o.state() != Order::ACCEPTED && o.state() != Order::CHECKING) {
          return RetryLater("the order is being submitted to the cloud; retry",
                            absl::Seconds(1));
        }
        o.set_state(Order::CANCELLED);
        return absl::OkStatus();
      });
    case Order::SUBMITTED: {
      // A candidates order between two attempts (none unanswered) stops
      // here: no further attempt starts, what it holds is released.
      absl::StatusOr<Order> stopped = store_->UpdateOrder(order_id, [](Order& o) -> absl::Status {
        const bool in_flight =
            !o.attempts().empty() &&
            o.attempts(o.attempts_size() - 1).outcome() ==
                provisioning::v1::CandidateAttempt::IN_FLIGHT;
        if (o.state() != Order::SUBMITTED || !o.has_candidates() || in_flight) {
          return RetryLater("the order is being submitted to the cloud; retry",
                            absl::Seconds(1));
        }
        o.set_state(Order::TERMINATING);
        return absl::OkStatus();
      });
      if (!stopped.ok()) return stopped.status();
      order = *std::move(stopped);
      break;
    }
    case Order::PROVISIONING:
    case Order::ACTIVE:
    case Order::FAILED:
    case Order::TERMINATING:
      break;
    default:  // CANCELLED, TERMINATED: nothing left to release.
      return order;
  }
  std::vector<std::string> alive = IdsToRelease(order);
  if (alive.empty() && order.state() == Order::FAILED) return order;
  // Record the intent first: the poller finishes what a failed call leaves.
  bool recorded_here = false;
  ASSIGN_OR_RETURN(order, store_->UpdateOrder(order_id, [&recorded_here](Order& o) {
                     recorded_here = o.state() != Order::TERMINATING &&
                                     IsLegalTransition(o.state(), Order::TERMINATING);
                     if (recorded_here) o.set_state(Order::TERMINATING);
                     return absl::OkStatus();
                   }));
  // Prepaid: only the call that recorded the intent asks the cloud; a second
  // TerminateInstances racing it (another call, another replica) would
  // destroy what the first returned (backends/backend.h rule 8). The poller
  // retries a release left unfinished once the order sat still for
  // prepaid_release_grace.
  if (order.spec().has_prepaid() && !recorded_here) return order;
  ASSIGN_OR_RETURN(Backend * backend, backends_->Get(order.backend()));
  if (order.spec().has_prepaid()) {
    ASSIGN_OR_RETURN(alive, NotReturned(*backend, order.spec().region(), alive));
  }
  for (size_t i = 0; i < alive.size(); i += kMaxDescribeBatch) {
    const size_t n = std::min<size_t>(kMaxDescribeBatch, alive.size() - i);
    RETURN_IF_ERROR(
        backend->Terminate(order.spec().region(), absl::MakeConstSpan(alive).subspan(i, n),
                           deadline));
  }
  return order;
}

}  // namespace cvm
