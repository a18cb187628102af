// PostgresOrderStore: the reads (see postgres_order_store.h).
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "store/postgres_order_store.h"

namespace cvm {
namespace {

absl::StatusOr<Order> Parse(const std::string& bytes) {
  Order order;
  if (!order.ParseFromString(bytes)) return absl::InternalError("postgres: unparsable order row");
  return order;
}

std::string StateList(const std::vector<Order::State>& states) {
  std::vector<int> numbers(states.begin(), states.end());
  return absl::StrJoin(numbers, ",");
}

}  // namespace

absl::StatusOr<Order> PostgresOrderStore::OneOrder(const std::string& sql,
                                                   const std::string& arg,
                                                   const std::string& what) {
  ASSIGN_OR_RETURN(pg::Result result, connection_.Exec("reading an order", sql, {pg::Text(arg)}));
  if (result.rows() == 0) {
    return absl::NotFoundError(what.empty() ? "not found" : absl::StrCat(what, " not found"));
  }
  return Parse(result.Bytes(0, 0));
}

absl::StatusOr<std::vector<Order>> PostgresOrderStore::QueryOrders(
    const std::string& sql, const std::vector<pg::Param>& params) {
  ASSIGN_OR_RETURN(pg::Result result, connection_.Exec("listing orders", sql, params));
  std::vector<Order> orders;
  orders.reserve(result.rows());
  for (int row = 0; row < result.rows(); ++row) {
    ASSIGN_OR_RETURN(Order order, Parse(result.Bytes(row, 0)));
    orders.push_back(std::move(order));
  }
  return orders;
}

absl::Status PostgresOrderStore::ReadTransaction(pg::Connection& connection,
                                                 const std::function<absl::Status()>& read) {
  absl::Status status =
      connection.ExecScript("beginning a read", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (status.ok()) status = read();
  if (status.ok()) status = connection.ExecScript("ending a read", "COMMIT");
  if (!status.ok()) connection.Rollback();
  return status;
}

absl::StatusOr<int64_t> PostgresOrderStore::LastRevision(pg::Connection& connection) {
  ASSIGN_OR_RETURN(pg::Result result, connection.Exec("reading the revision",
                                                      "SELECT revision FROM store_revision"));
  if (result.rows() != 1) return absl::InternalError("postgres: store_revision has no row");
  return result.Int(0, 0);
}

absl::StatusOr<Order> PostgresOrderStore::GetOrder(const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  return OneOrder("SELECT body FROM orders WHERE order_id = $1", order_id,
                  absl::StrCat("order ", order_id));
}

absl::StatusOr<Order> PostgresOrderStore::FindByRequestId(const std::string& tenant,
                                                          const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  return OneOrder("SELECT body FROM orders WHERE request_key = $1",
                  RequestKey(tenant, request_id),
                  absl::StrCat("the order with request_id ", request_id));
}

absl::StatusOr<Order> PostgresOrderStore::GetOrderByInstanceId(const std::string& instance_id) {
  absl::MutexLock lock(&mu_);
  return OneOrder(
      "SELECT o.body FROM instances i JOIN orders o ON o.order_id = i.order_id"
      " WHERE i.instance_id = $1",
      instance_id, absl::StrCat("instance ", instance_id));
}

absl::StatusOr<OrderPage> PostgresOrderStore::ListOrders(const ListQuery& query) {
  std::string sql = "SELECT body FROM orders WHERE tenant = $1";
  std::vector<pg::Param> params = {pg::Text(query.tenant)};
  if (!query.after_order_id.empty()) {
    params.push_back(pg::Text(query.after_order_id));
    sql += absl::StrCat(" AND order_id < $", params.size());
  }
  if (!query.region.empty()) {
    params.push_back(pg::Text(query.region));
    sql += absl::StrCat(" AND region = $", params.size());
  }
  if (!query.states.empty()) sql += absl::StrCat(" AND state IN (", StateList(query.states), ")");
  sql += absl::StrCat(" ORDER BY order_id DESC LIMIT ", query.page_size + 1);
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::vector<Order> orders, QueryOrders(sql, params));
  OrderPage page;
  page.more = static_cast<int>(orders.size()) > query.page_size;
  if (page.more) orders.pop_back();
  page.orders = std::move(orders);
  return page;
}

absl::StatusOr<OrderSnapshot> PostgresOrderStore::Snapshot(const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  OrderSnapshot snapshot;
  // The orders and the revision from one snapshot of the database.
  RETURN_IF_ERROR(ReadTransaction(connection_, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    ASSIGN_OR_RETURN(snapshot.revision, LastRevision(connection_));
    if (!order_id.empty()) {
      ASSIGN_OR_RETURN(Order order, OneOrder("SELECT body FROM orders WHERE order_id = $1",
                                             order_id, absl::StrCat("order ", order_id)));
      snapshot.orders.push_back(std::move(order));
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(snapshot.orders, QueryOrders("SELECT body FROM orders ORDER BY order_id", {}));
    return absl::OkStatus();
  }));
  return snapshot;
}

absl::StatusOr<OrderSnapshot> PostgresOrderStore::SnapshotOfTenant(const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  OrderSnapshot snapshot;
  RETURN_IF_ERROR(
      ReadTransaction(connection_, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
        ASSIGN_OR_RETURN(snapshot.revision, LastRevision(connection_));
        // orders_by_tenant (tenant, order_id): this tenant's rows, in order.
        ASSIGN_OR_RETURN(snapshot.orders,
                         QueryOrders("SELECT body FROM orders WHERE tenant = $1 ORDER BY order_id",
                                     {pg::Text(tenant)}));
        return absl::OkStatus();
      }));
  return snapshot;
}

absl::StatusOr<std::vector<OrderEvent>> PostgresOrderStore::EventsAfter(
    int64_t revision, const std::string& order_id) {
  absl::MutexLock lock(&mu_);
  return ReadEventsLocked(connection_, revision,
                          order_id.empty() ? EventFilter() : EventFilter{"order_id", order_id}, 0,
                          0);
}

absl::StatusOr<std::vector<OrderEvent>> PostgresOrderStore::EventsOfTenantAfter(
    const std::string& tenant, int64_t revision) {
  absl::MutexLock lock(&mu_);
  // events_by_tenant (tenant, revision): this tenant's rows after `revision`.
  return ReadEventsLocked(connection_, revision, EventFilter{"tenant", tenant}, 0, 0);
}

absl::StatusOr<std::vector<OrderEvent>> PostgresOrderStore::ReadEventsLocked(
    pg::Connection& connection, int64_t revision, const EventFilter& filter, int64_t last,
    int64_t limit) {
  std::vector<OrderEvent> events;
  RETURN_IF_ERROR(ReadTransaction(connection, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    ASSIGN_OR_RETURN(const int64_t newest, LastRevision(connection));
    ASSIGN_OR_RETURN(pg::Result oldest_row,
                     connection.Exec("reading the event log",
                                      "SELECT COALESCE(MIN(revision), 0) FROM events"));
    const int64_t oldest = oldest_row.Int(0, 0) == 0 ? newest + 1 : oldest_row.Int(0, 0);
    if (revision > newest || revision < oldest - 1) {
      return absl::OutOfRangeError(absl::StrFormat(
          "revision %d is not available: the event log holds %d to %d", revision, oldest - 1,
          newest));
    }
    std::vector<pg::Param> params = {pg::Int(revision), pg::Int(last > 0 ? last : newest)};
    std::string sql =
        "SELECT revision, previous_state, body FROM events WHERE revision > $1 AND revision <= $2";
    if (filter.column != nullptr) {
      params.push_back(pg::Text(filter.value));
      sql += absl::StrCat(" AND ", filter.column, " = $3");
    }
    sql += " ORDER BY revision";
    if (limit > 0) sql += absl::StrCat(" LIMIT ", limit);
    ASSIGN_OR_RETURN(pg::Result rows, connection.Exec("reading events", sql, params));
    for (int row = 0; row < rows.rows(); ++row) {
      ASSIGN_OR_RETURN(Order order, Parse(rows.Bytes(row, 2)));
      events.push_back({rows.Int(row, 0), static_cast<Order::State>(rows.Int(row, 1)),
                        std::move(order)});
    }
    return absl::OkStatus();
  }));
  return events;
}

absl::StatusOr<std::vector<Order>> PostgresOrderStore::OrdersInStates(
    const std::vector<Order::State>& states) {
  if (states.empty()) return std::vector<Order>();
  absl::MutexLock lock(&mu_);
  return QueryOrders(absl::StrCat("SELECT body FROM orders WHERE state IN (", StateList(states),
                                  ") ORDER BY order_id"),
                     {});
}

}  // namespace cvm
