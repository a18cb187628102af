#include "service/order_handlers.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "backends/backend.h"
#include "common/order_states.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "service/request_validation.h"

namespace cvm {
namespace {

using provisioning::v1::DescribeRequest;
using provisioning::v1::Instance;

constexpr char kPageTokenVersion[] = "p1";

// Ties a page token to the filters it was issued for.
std::string FilterFingerprint(const DescribeRequest& request) {
  std::vector<int> states(request.states().begin(), request.states().end());
  std::sort(states.begin(), states.end());
  return absl::StrCat(absl::StrJoin(states, ","), "|", request.region());
}

std::string EncodePageToken(const DescribeRequest& request,
                            const std::string& last_order_id) {
  return absl::WebSafeBase64Escape(absl::StrCat(
      kPageTokenVersion, "\n", last_order_id, "\n", FilterFingerprint(request)));
}

absl::StatusOr<std::string> DecodePageToken(const DescribeRequest& request) {
  std::string raw;
  std::vector<std::string> parts;
  if (absl::WebSafeBase64Unescape(request.page_token(), &raw)) {
    parts = absl::StrSplit(raw, '\n');
  }
  if (parts.size() != 3 || parts[0] != kPageTokenVersion || parts[1].empty()) {
    return InvalidFields({{"page_token", "is not a token returned by Describe"}});
  }
  if (parts[2] != FilterFingerprint(request)) {
    return InvalidFields(
        {{"page_token", "was issued for different states or region filters"}});
  }
  return parts[1];
}

// The order if it exists and belongs to `tenant`; otherwise NOT_FOUND with
// the same message either way, so ids of other tenants do not leak.
absl::StatusOr<Order> OwnOrder(absl::StatusOr<Order> order, const std::string& tenant,
                               absl::string_view what, const std::string& id) {
  if (order.ok() && order->tenant() == tenant) return order;
  if (!order.ok() && order.status().code() != absl::StatusCode::kNotFound) {
    return order.status();
  }
  return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
}

// The tenant's order holding the instance `id` (validated first).
absl::StatusOr<Order> OrderOfInstance(OrderStore& store, const std::string& tenant,
                                      const std::string& id) {
  RETURN_IF_ERROR(ValidateInstanceIdField(id));
  return OwnOrder(store.GetOrderByInstanceId(id), tenant, "instance", id);
}

}  // namespace

absl::Status HandlePurchase(OrderWorkflow& workflow, OrderDriver& driver,
                            ServiceMetrics* metrics, const std::string& tenant,
                            const provisioning::v1::PurchaseRequest& request,
                            provisioning::v1::Order* response, absl::Time deadline) {
  if (!request.spec().user_data_sha256().empty()) {
    // OUTPUT_ONLY, so ignored: neither stored nor compared with a retry.
    provisioning::v1::PurchaseRequest own = request;
    own.mutable_spec()->clear_user_data_sha256();
    return HandlePurchase(workflow, driver, metrics, tenant, own, response, deadline);
  }
  absl::Status status = ValidatePurchaseRequest(request);
  if (status.ok()) {
    absl::StatusOr<CreateOrderResult> accepted = workflow.Accept(request, tenant, deadline);
    if (accepted.ok()) {
      // When the driver is stopping (drain) the order stays ACCEPTED in the
      // store and the next start submits it: accepted is still accepted.
      if (accepted->created) driver.Enqueue(accepted->order.order_id(), false);
      *response = std::move(accepted->order);
    }
    status = accepted.status();
  }
  // Accepted orders count when the driver has their outcome.
  if (metrics != nullptr && !status.ok()) metrics->RecordPurchaseOutcome(status);
  return status;
}

absl::Status HandleDescribe(OrderStore& store, const std::string& tenant,
                            const DescribeRequest& request,
                            provisioning::v1::DescribeResponse* response) {
  RETURN_IF_ERROR(ValidateDescribeRequest(request));
  if (!request.order_ids().empty()) {
    for (const std::string& id : request.order_ids()) {
      ASSIGN_OR_RETURN(*response->add_orders(),
                       OwnOrder(store.GetOrder(id), tenant, "order", id));
    }
    return absl::OkStatus();
  }
  if (!request.instance_ids().empty()) {
    std::set<std::string> seen;
    for (const std::string& id : request.instance_ids()) {
      ASSIGN_OR_RETURN(Order order,
                       OwnOrder(store.GetOrderByInstanceId(id), tenant, "instance", id));
      if (seen.insert(order.order_id()).second) {
        *response->add_orders() = std::move(order);
      }
    }
    return absl::OkStatus();
  }
  ListQuery query;
  query.tenant = tenant;
  for (int state : request.states()) {
    query.states.push_back(static_cast<Order::State>(state));
  }
  query.region = request.region();
  query.page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(query.after_order_id, DecodePageToken(request));
  }
  ASSIGN_OR_RETURN(OrderPage page, store.ListOrders(query));
  for (Order& order : page.orders) *response->add_orders() = std::move(order);
  if (page.more && response->orders_size() > 0) {
    response->set_next_page_token(EncodePageToken(
        request, response->orders(response->orders_size() - 1).order_id()));
  }
  return absl::OkStatus();
}

absl::Status HandleQuote(OrderWorkflow& workflow, const std::string& tenant,
                         const provisioning::v1::QuoteRequest& request,
                         provisioning::v1::Quote* response, absl::Time deadline) {
  RETURN_IF_ERROR(ValidateQuoteRequest(request));
  ASSIGN_OR_RETURN(*response, workflow.Quote(request, tenant, deadline));
  return absl::OkStatus();
}

absl::Status HandleTerminate(OrderWorkflow& workflow, const std::string& tenant,
                             const provisioning::v1::TerminateRequest& request,
                             provisioning::v1::Order* response, absl::Time deadline) {
  RETURN_IF_ERROR(ValidateTerminateRequest(request));
  ASSIGN_OR_RETURN(Order order,
                   OwnOrder(workflow.Get(request.order_id()), tenant, "order", request.order_id()));
  ASSIGN_OR_RETURN(*response, workflow.Terminate(std::move(order), deadline));
  return absl::OkStatus();
}

absl::Status HandleTerminateInstance(OrderStore& store, OrderWorkflow& workflow,
                                     NodeGroupManager& groups, const std::string& tenant,
                                     const provisioning::v1::TerminateInstanceRequest& request,
                                     provisioning::v1::Order* response, absl::Time deadline) {
  const std::string& id = request.instance_id();
  ASSIGN_OR_RETURN(Order order, OrderOfInstance(store, tenant, id));
  const Instance* instance = nullptr;
  for (const Instance& candidate : order.instances()) {
    if (candidate.instance_id() == id) instance = &candidate;
  }
  if (instance == nullptr || !IsLive(*instance) || IsReturned(*instance)) {
    *response = std::move(order);  // already released
    return absl::OkStatus();
  }
  if (order.spec().has_prepaid() && !request.release_prepaid()) {
    return PreconditionFailed("PREPAID_INSTANCE", "release_prepaid",
                              absl::StrCat("instance ", id,
                                           " is prepaid: it is released only with "
                                           "release_prepaid"));
  }
  // Once asked for, it is no longer the group's to count: a repeat goes
  // straight to the order (which asks the cloud again when that is safe).
  if (!instance->release_requested()) {
    absl::StatusOr<provisioning::v1::NodeGroup> group = groups.GroupOfInstance(tenant, id);
    if (group.ok()) {
      provisioning::v1::DeleteNodeGroupInstancesRequest through_group;
      through_group.set_group_id(group->group_id());
      through_group.add_instance_ids(id);
      through_group.set_keep_target(!request.lower_group_target());
      through_group.set_release_prepaid(request.release_prepaid());
      RETURN_IF_ERROR(groups.DeleteInstances(tenant, through_group).status());
      ASSIGN_OR_RETURN(*response, store.GetOrder(order.order_id()));
      return absl::OkStatus();
    }
    if (group.status().code() != absl::StatusCode::kNotFound) return group.status();
  }
  ASSIGN_OR_RETURN(*response, workflow.ReleaseInstances(order.order_id(), {id}, deadline));
  return absl::OkStatus();
}

absl::Status HandleStopInstance(OrderStore& store, OrderWorkflow& workflow,
                                const std::string& tenant,
                                const provisioning::v1::StopInstanceRequest& request,
                                provisioning::v1::Order* response, absl::Time deadline) {
  ASSIGN_OR_RETURN(Order order, OrderOfInstance(store, tenant, request.instance_id()));
  ASSIGN_OR_RETURN(*response, workflow.StopInstance(order.order_id(), request.instance_id(),
                                                    request.stop_charging(), deadline));
  return absl::OkStatus();
}

absl::Status HandleStartInstance(OrderStore& store, OrderWorkflow& workflow,
                                 const std::string& tenant,
                                 const provisioning::v1::StartInstanceRequest& request,
                                 provisioning::v1::Order* response, absl::Time deadline) {
  ASSIGN_OR_RETURN(Order order, OrderOfInstance(store, tenant, request.instance_id()));
  ASSIGN_OR_RETURN(*response,
                   workflow.StartInstance(order.order_id(), request.instance_id(), deadline));
  return absl::OkStatus();
}

}  // namespace cvm
