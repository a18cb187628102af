// Candidates orders (PurchaseRequest.candidates): part of OrderWorkflow
// (service/order_workflow.h).
//
// The order moves one attempt at a time. An attempt is recorded on the order
// (IN_FLIGHT, its cell and instance count) before its RunInstances, which
// carries the attempt's own ClientToken and tags; the outcome is recorded
// after (BOUGHT with the instances, or REFUSED). So at any moment at most one
// attempt is unanswered, and after a crash its instances are those under the
// order's tag that the order does not hold yet. The order asks for no more
// than it lacks: instance_count minus the instances it holds.
#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "common/order_states.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "google/protobuf/util/message_differencer.h"
#include "service/candidate_quote.h"
#include "service/order_workflow.h"

namespace cvm {
namespace {

using google::protobuf::util::MessageDifferencer;
using provisioning::v1::CandidateAttempt;
using provisioning::v1::Instance;
using provisioning::v1::InstanceSpec;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;
using provisioning::v1::QuoteCell;

// Order.skipped holds at most this many cells.
constexpr int kMaxSkipped = 50;

bool SameCell(const QuoteCell& a, const QuoteCell& b) {
  return a.zone() == b.zone() && a.instance_type() == b.instance_type() &&
         MessageDifferencer::Equals(a.billing(), b.billing());
}

std::string CellName(const QuoteCell& cell) {
  return absl::StrCat(cell.zone(), "/", cell.instance_type(), "/",
                      cell.billing().has_spot()
                          ? absl::StrCat("spot<=", cell.billing().spot().max_price_per_hour())
                          : "pay-as-you-go");
}

// A refusal after which another cell may have room: no capacity here (the
// sold-out memory's reasons) or no quota left for this zone and billing.
bool TryElsewhere(const absl::Status& status) {
  return CapacityMemory::IsCapacityVerdict(status) || ErrorReason(status) == "QUOTA_EXCEEDED";
}

// How many of `remaining` instances the cell takes: its stock and quota
// headroom as offered bound it (unknown ones do not).
int Room(const RankedCell& r, int remaining) {
  int room = remaining;
  if (r.cell.stock() >= 0) room = std::min(room, r.cell.stock());
  if (r.cell.quota_headroom() >= 0) {
    const int per_instance = r.cell.billing().has_spot() ? std::max(1, r.cpu) : 1;
    room = std::min(room, r.cell.quota_headroom() / per_instance);
  }
  return room;
}

bool TriedBefore(const Order& order, const QuoteCell& cell) {
  for (const CandidateAttempt& attempt : order.attempts()) {
    if (SameCell(attempt.cell(), cell)) return true;
  }
  return false;
}

// The last attempt when it is unanswered, else null.
const CandidateAttempt* InFlight(const Order& order) {
  if (order.attempts().empty()) return nullptr;
  const CandidateAttempt& last = order.attempts(order.attempts_size() - 1);
  return last.outcome() == CandidateAttempt::IN_FLIGHT ? &last : nullptr;
}

absl::Status Superseded(const Order& order) {
  return WithReason(absl::AbortedError(absl::StrCat("order ", order.order_id(),
                                                    " was moved on by another actor")),
                    "ORDER_STATE_CHANGED");
}

void AddSkipped(const std::vector<QuoteCell>& cells, Order& order) {
  for (const QuoteCell& cell : cells) {
    if (order.skipped_size() >= kMaxSkipped) return;
    bool known = false;
    for (QuoteCell& seen : *order.mutable_skipped()) {
      if (SameCell(seen, cell)) {
        seen = cell;  // the latest verdict
        known = true;
      }
    }
    if (!known) *order.add_skipped() = cell;
  }
}

// Why no cell can take the rest: a violation per cell passed over or refused.
absl::Status NoCellLeft(const Order& order, const std::vector<QuoteCell>& skipped) {
  google::rpc::PreconditionFailure failure;
  auto add = [&failure](const QuoteCell& cell, const std::string& why) {
    auto* violation = failure.add_violations();
    violation->set_type(why);
    violation->set_subject(CellName(cell));
    violation->set_description(cell.remembered() ? "remembered by the sold-out memory"
                                                 : "seen by this order");
  };
  for (const QuoteCell& cell : skipped) add(cell, cell.verdict());
  for (const CandidateAttempt& attempt : order.attempts()) {
    if (attempt.outcome() == CandidateAttempt::REFUSED) add(attempt.cell(), attempt.reason());
  }
  const int held = order.instances_size();
  absl::Status status = absl::FailedPreconditionError(absl::StrCat(
      "no candidate cell has room for ", order.instance_count() - held, " more instance(s) (",
      held, " of ", order.instance_count(), " bought, kept on the order)"));
  SetDetail(status, failure);
  return WithReason(std::move(status), "NO_CANDIDATE_CELL",
                    {{"instances_bought", absl::StrCat(held)}});
}

}  // namespace

std::string ClientTokenFor(const std::string& order_id, int attempt) {
  return absl::StrCat(ClientTokenFor(order_id), "-a", attempt);
}

absl::StatusOr<OrderWorkflow::Pick> OrderWorkflow::PickCell(Backend& backend, const Order& order,
                                                            const RankedCells& ranked,
                                                            absl::Time deadline) {
  const int remaining = order.instance_count() - order.instances_size();
  Pick pick;
  // Cells without capacity rank last: every one is passed over.
  for (const RankedCell& r : ranked.cells) {
    if (r.cell.verdict() != kAvailable && !TriedBefore(order, r.cell)) {
      pick.skipped.push_back(r.cell);
    }
  }
  for (const RankedCell& r : ranked.cells) {
    if (TriedBefore(order, r.cell) || r.cell.verdict() != kAvailable) continue;
    const int n = Room(r, remaining);
    if (n <= 0) continue;  // judged for one instance: cannot happen
    CreateRequest check;
    check.spec = SpecInCell(order.spec(), r.cell);
    check.count = n;
    check.deadline = deadline;
    if (absl::Status refused = backend.Preflight(check); !refused.ok()) {
      if (capacity_ != nullptr) capacity_->Learn(order.backend(), check.spec, refused);
      if (!TryElsewhere(refused)) return refused;
      QuoteCell seen = r.cell;
      seen.set_verdict(ErrorReason(refused));
      pick.skipped.push_back(std::move(seen));
      continue;
    }
    pick.cell = &r;
    pick.count = n;
    return pick;
  }
  return pick;
}

absl::StatusOr<RankedCells> OrderWorkflow::RankFor(Backend& backend, const Order& order,
                                                   absl::Time deadline) {
  // Judged for one instance: a cell with fewer left than the order lacks
  // takes what it has (Room()).
  return RankCandidates(backend, order.backend(), order.spec(), order.candidates(), 1, capacity_,
                        /*purchase=*/true, deadline);
}

absl::StatusOr<Order> OrderWorkflow::AdvanceCandidates(Backend& backend, Order order,
                                                       bool recovering) {
  const std::string id = order.order_id();
  if (order.state() == Order::ACCEPTED) {
    ASSIGN_OR_RETURN(order, store_->UpdateOrder(id, Step(Order::ACCEPTED, Order::CHECKING)));
  }
  std::optional<RankedCells> ranked;  // the cloud's offers, asked once per call
  while (order.state() == Order::CHECKING || order.state() == Order::SUBMITTED) {
    // Failing is this actor's only while the order is as it saw it.
    const Order seen = order;
    auto as_seen = [&seen](Order& o) -> absl::Status {
      if (o.attempts_size() != seen.attempts_size() || InFlight(o) != nullptr ||
          o.instances_size() != seen.instances_size()) {
        return Superseded(o);
      }
      return absl::OkStatus();
    };
    if (InFlight(order) != nullptr) {
      ASSIGN_OR_RETURN(order, RunAttempt(backend, order, recovering));
      continue;
    }
    if (order.instances_size() >= order.instance_count()) {
      return store_->UpdateOrder(id, Step(Order::SUBMITTED, Order::PROVISIONING));
    }
    if (!ranked.has_value()) {
      absl::StatusOr<RankedCells> fresh =
          RankFor(backend, order, absl::InfiniteFuture());
      if (!fresh.ok()) {
        return MayPass(fresh.status()) ? fresh.status() : Fail(id, fresh.status(), as_seen);
      }
      ranked = *std::move(fresh);
    }
    absl::StatusOr<Pick> pick = PickCell(backend, order, *ranked, absl::InfiniteFuture());
    if (!pick.ok()) return MayPass(pick.status()) ? pick.status() : Fail(id, pick.status(), as_seen);
    if (pick->cell == nullptr) {
      return Fail(id, NoCellLeft(order, pick->skipped), [&](Order& o) -> absl::Status {
        RETURN_IF_ERROR(as_seen(o));
        AddSkipped(pick->skipped, o);
        return absl::OkStatus();
      });
    }
    // Recorded before the call: a crash from here on finds the attempt.
    const int attempts_seen = order.attempts_size();
    ASSIGN_OR_RETURN(order, store_->UpdateOrder(id, [&](Order& o) -> absl::Status {
      if ((o.state() != Order::CHECKING && o.state() != Order::SUBMITTED) ||
          o.attempts_size() != attempts_seen) {
        return Superseded(o);
      }
      o.set_state(Order::SUBMITTED);
      CandidateAttempt* attempt = o.add_attempts();
      attempt->set_number(o.attempts_size());
      *attempt->mutable_cell() = pick->cell->cell;
      attempt->set_instance_count(pick->count);
      attempt->set_outcome(CandidateAttempt::IN_FLIGHT);
      AddSkipped(pick->skipped, o);
      return absl::OkStatus();
    }));
    recovering = false;  // a new attempt: nothing of it can exist yet
  }
  return order;
}

absl::StatusOr<Order> OrderWorkflow::RunAttempt(Backend& backend, const Order& order,
                                                bool recovering) {
  const std::string id = order.order_id();
  const CandidateAttempt attempt = *InFlight(order);
  const int number = attempt.number();
  CreateRequest create;
  create.spec = SpecInCell(order.spec(), attempt.cell());
  create.count = attempt.instance_count();
  create.client_token = ClientTokenFor(id, number);
  create.order_id = id;
  for (auto [key, value] : {std::pair<std::string, std::string>{kOrderTagKey, id},
                            {kAttemptTagKey, absl::StrCat(number)}}) {
    auto* tag = create.spec.add_tags();
    tag->set_key(key);
    tag->set_value(value);
  }
  absl::StatusOr<std::vector<std::string>> ids = std::vector<std::string>();
  if (recovering) {
    // Instances under the order's tag that it does not hold are the
    // unanswered attempt's: earlier ones were recorded with theirs.
    ASSIGN_OR_RETURN(std::vector<std::string> tagged,
                     backend.FindByOrder(order.spec().region(), id));
    std::set<std::string> held;
    for (const Instance& instance : order.instances()) held.insert(instance.instance_id());
    for (std::string& tagged_id : tagged) {
      if (held.count(tagged_id) == 0) ids->push_back(std::move(tagged_id));
    }
  }
  // Only the whole attempt is adopted: a part (the tag index lagging) is
  // asked for again with the attempt's token, which names the same ones.
  if (static_cast<int>(ids->size()) != create.count) ids = backend.Create(create);
  auto still_in_flight = [&](const Order& o) {
    const CandidateAttempt* now = InFlight(o);
    return o.state() == Order::SUBMITTED && now != nullptr && now->number() == number;
  };
  if (!ids.ok()) {
    // Maybe bought even so (a lost answer): retried with the same token.
    if (MayPass(ids.status())) return ids.status();
    if (capacity_ != nullptr) capacity_->Learn(order.backend(), create.spec, ids.status());
    auto refuse = [&](Order& o) -> absl::Status {
      if (!still_in_flight(o)) return Superseded(o);
      CandidateAttempt* last = o.mutable_attempts(o.attempts_size() - 1);
      last->set_outcome(CandidateAttempt::REFUSED);
      const std::string reason = ErrorReason(ids.status());
      last->set_reason(reason.empty() ? absl::StatusCodeToString(ids.status().code()) : reason);
      last->set_message(std::string(ids.status().message()));
      return absl::OkStatus();
    };
    // A final refusal fails the order in the same write.
    if (!TryElsewhere(ids.status())) return Fail(id, ids.status(), refuse);
    return store_->UpdateOrder(id, refuse);
  }
  return store_->UpdateOrder(id, [&](Order& o) -> absl::Status {
    if (!still_in_flight(o)) return Superseded(o);
    CandidateAttempt* last = o.mutable_attempts(o.attempts_size() - 1);
    last->set_outcome(CandidateAttempt::BOUGHT);
    for (const std::string& instance_id : *ids) {
      Instance* instance = o.add_instances();
      instance->set_name(absl::StrCat(o.name(), "/instances/", instance_id));
      instance->set_instance_id(instance_id);
      instance->set_state(Instance::PENDING);
      instance->set_restriction(Instance::NORMAL);
      instance->set_zone(last->cell().zone());
      instance->set_instance_type(last->cell().instance_type());
      *instance->mutable_billing() = last->cell().billing();
      instance->set_unit_price_per_hour(last->cell().unit_price_per_hour());
      instance->set_attempt(number);
    }
    if (o.instances_size() >= o.instance_count()) o.set_state(Order::PROVISIONING);
    return absl::OkStatus();
  });
}

absl::StatusOr<CreateOrderResult> OrderWorkflow::PreviewCandidates(Backend& backend,
                                                                  Order draft,
                                                                  absl::Time deadline) {
  ASSIGN_OR_RETURN(RankedCells ranked, RankFor(backend, draft, deadline));
  ASSIGN_OR_RETURN(Pick pick, PickCell(backend, draft, ranked, deadline));
  if (pick.cell == nullptr) return NoCellLeft(draft, pick.skipped);
  AddSkipped(pick.skipped, draft);
  CandidateAttempt* planned = draft.add_attempts();
  planned->set_number(1);
  *planned->mutable_cell() = pick.cell->cell;
  planned->set_instance_count(pick.count);
  planned->set_outcome(CandidateAttempt::PLANNED);
  CreateOrderResult preview;
  preview.order = std::move(draft);
  return preview;
}

}  // namespace cvm
