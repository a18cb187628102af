#include "service/orphan_sweeper.h"
#include "common/order_states.h"

#include <cstdio>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cvm {
namespace {

using provisioning::config::v1::OrphanPolicy;
using provisioning::v1::Instance;

std::string ActionName(OrphanPolicy::Action action) {
  switch (action) {
    case OrphanPolicy::ADOPT:
      return "adopt";
    case OrphanPolicy::TERMINATE:
      return "terminate";
    default:
      return "report";
  }
}

bool BeingSubmitted(const Order& order) { return IsBeforeCloud(order.state()); }

}  // namespace

OrphanSweeper::OrphanSweeper(OrderStore* store, const BackendSet* backends,
                             provisioning::config::v1::ServiceConfig config,
                             prometheus::Registry* registry)
    : store_(store), backends_(backends), config_(std::move(config)) {
  if (registry == nullptr) return;
  found_ = &prometheus::BuildGauge()
                .Name("provisioner_orphan_instances")
                .Help("Instances tagged by this service that no order holds, found by the "
                      "last sweep")
                .Register(*registry);
  handled_ = &prometheus::BuildCounter()
                  .Name("provisioner_orphans_handled_total")
                  .Help("Orphan instances reported, adopted or terminated")
                  .Register(*registry);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> OrphanSweeper::Targets() {
  std::set<std::pair<std::string, std::string>> targets;
  ASSIGN_OR_RETURN(
      std::vector<Order> orders,
      store_->OrdersInStates(AllStates()));
  for (const Order& order : orders) targets.insert({order.backend(), order.spec().region()});
  std::vector<std::string> regions(config_.orphans().regions().begin(),
                                   config_.orphans().regions().end());
  for (const auto& route : config_.routes()) {
    regions.insert(regions.end(), route.regions().begin(), route.regions().end());
  }
  for (const std::string& region : regions) {
    absl::StatusOr<RoutedBackend> routed = backends_->Route(region);
    if (routed.ok()) targets.insert({routed->name, region});
  }
  return std::vector<std::pair<std::string, std::string>>(targets.begin(), targets.end());
}

absl::StatusOr<std::vector<Orphan>> OrphanSweeper::SweepOnce() {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto targets, Targets());
  std::vector<Orphan> all;
  absl::Status first_error;
  for (const auto& [backend, region] : targets) {
    absl::StatusOr<std::vector<Orphan>> found = SweepOne(backend, region);
    if (!found.ok()) {
      if (first_error.ok() && found.status().code() != absl::StatusCode::kUnimplemented) {
        first_error = found.status();
      }
      continue;
    }
    all.insert(all.end(), found->begin(), found->end());
  }
  if (!first_error.ok()) return first_error;
  return all;
}

absl::StatusOr<std::vector<Orphan>> OrphanSweeper::SweepOne(const std::string& backend_name,
                                                            const std::string& region) {
  ASSIGN_OR_RETURN(Backend * backend, backends_->Get(backend_name));
  // The cloud first, then the store (see the header).
  ASSIGN_OR_RETURN(std::vector<TaggedInstance> tagged, backend->ListTagged(region));
  std::vector<Orphan> orphans;
  for (const TaggedInstance& instance : tagged) {
    absl::StatusOr<Order> holder = store_->GetOrderByInstanceId(instance.instance_id);
    if (holder.ok()) continue;
    if (holder.status().code() != absl::StatusCode::kNotFound) return holder.status();
    absl::StatusOr<Order> named = store_->GetOrder(instance.order_id);
    if (named.ok() && BeingSubmitted(*named)) continue;
    if (!named.ok() && named.status().code() != absl::StatusCode::kNotFound) {
      return named.status();
    }
    orphans.push_back({backend_name, region, instance.instance_id, instance.order_id});
  }
  Count(backend_name, region, orphans.size());
  if (!orphans.empty()) RETURN_IF_ERROR(Act(backend, orphans));
  return orphans;
}

absl::Status OrphanSweeper::Act(Backend* backend, const std::vector<Orphan>& orphans) {
  const OrphanPolicy::Action action = config_.orphans().action();
  for (const Orphan& orphan : orphans) {
    std::fprintf(stderr,
                 "provisioner: orphan instance %s (backend %s, region %s, tagged for order "
                 "%s): %s\n",
                 orphan.instance_id.c_str(), orphan.backend.c_str(), orphan.region.c_str(),
                 orphan.tagged_order_id.c_str(), ActionName(action).c_str());
  }
  if (action == OrphanPolicy::TERMINATE) {
    std::vector<std::string> ids;
    for (const Orphan& orphan : orphans) ids.push_back(orphan.instance_id);
    for (size_t i = 0; i < ids.size(); i += kMaxDescribeBatch) {
      const size_t n = std::min<size_t>(kMaxDescribeBatch, ids.size() - i);
      RETURN_IF_ERROR(
          backend->Terminate(orphans[0].region, absl::MakeConstSpan(ids).subspan(i, n)));
    }
  } else if (action == OrphanPolicy::ADOPT) {
    for (const Orphan& orphan : orphans) {
      // Stored already PROVISIONING with its instance, in one write: an
      // adopted order is never submitted (nothing is ever bought for it).
      Order draft;
      draft.set_request_id(absl::StrCat("orphan:", orphan.instance_id));
      draft.set_state(Order::PROVISIONING);
      draft.set_backend(orphan.backend);
      draft.set_instance_count(1);
      draft.mutable_spec()->set_region(orphan.region);
      Instance* instance = draft.add_instances();
      instance->set_instance_id(orphan.instance_id);
      instance->set_state(Instance::PENDING);
      RETURN_IF_ERROR(store_->CreateOrder(std::move(draft)).status());
    }
  }
  if (handled_ != nullptr) {
    handled_->Add({{"backend", orphans[0].backend}, {"action", ActionName(action)}})
        .Increment(static_cast<double>(orphans.size()));
  }
  return absl::OkStatus();
}

void OrphanSweeper::Count(const std::string& backend, const std::string& region,
                          size_t found) {
  if (found_ == nullptr) return;
  found_->Add({{"backend", backend}, {"region", region}}).Set(static_cast<double>(found));
}

}  // namespace cvm
