#include "tests/test_client.h"

#include "gtest/gtest.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "google/rpc/status.pb.h"

namespace cvm::testing {

std::unique_ptr<provisioning::v1::Provisioning::Stub> NewStub(const std::string& target) {
  return provisioning::v1::Provisioning::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

provisioning::v1::PurchaseRequest PurchaseOf(const std::string& request_id, int count) {
  provisioning::v1::PurchaseRequest request;
  request.set_request_id(request_id);
  request.set_instance_count(count);
  auto* spec = request.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone("ap-guangzhou-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-pi0ii46r");
  spec->mutable_internet()->set_public_ip(true);
  spec->mutable_internet()->set_max_bandwidth_out_mbps(10);
  spec->mutable_internet()->set_charge_type(
      provisioning::v1::InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
  spec->mutable_pay_as_you_go();
  return request;
}

std::unique_ptr<grpc::ClientContext> ContextWithDeadline(int seconds) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

double MetricValue(const std::string& scrape, const std::string& name,
                   const std::vector<std::string>& label_pairs) {
  for (absl::string_view line : absl::StrSplit(scrape, '\n')) {
    if (!absl::StartsWith(line, name + "{")) continue;
    bool all = true;
    for (const std::string& pair : label_pairs) all = all && absl::StrContains(line, pair);
    if (!all) continue;
    double value = -1;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) return value;
  }
  return -1;
}

absl::StatusOr<provisioning::v1::Order> AwaitOrder(
    provisioning::v1::Provisioning::Stub& stub, const std::string& order_id,
    const std::function<bool(const provisioning::v1::Order&)>& done,
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  provisioning::v1::Order last;
  while (true) {
    provisioning::v1::DescribeRequest request;
    request.add_order_ids(order_id);
    provisioning::v1::DescribeResponse response;
    grpc::Status status = stub.Describe(ContextWithDeadline(10).get(), request, &response);
    if (status.ok() && response.orders_size() == 1) {
      last = response.orders(0);
      if (done(last)) return last;
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "order ", order_id, " is still ", provisioning::v1::Order::State_Name(last.state()),
          status.ok() ? "" : absl::StrCat(" (", status.error_message(), ")")));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

absl::StatusOr<provisioning::v1::Order> AwaitFinal(
    provisioning::v1::Provisioning::Stub& stub, const std::string& order_id,
    absl::Duration timeout) {
  using provisioning::v1::Order;
  return AwaitOrder(
      stub, order_id,
      [](const Order& order) {
        return order.state() == Order::ACTIVE || order.state() == Order::FAILED ||
               order.state() == Order::CANCELLED || order.state() == Order::TERMINATED;
      },
      timeout);
}

std::vector<provisioning::v1::Order> AllOrders(provisioning::v1::Provisioning::Stub& stub) {
  std::vector<provisioning::v1::Order> orders;
  std::string token;
  do {
    provisioning::v1::DescribeRequest request;
    request.set_page_size(500);
    request.set_page_token(token);
    provisioning::v1::DescribeResponse response;
    grpc::Status status = stub.Describe(ContextWithDeadline(30).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    orders.insert(orders.end(), response.orders().begin(), response.orders().end());
    token = response.next_page_token();
  } while (!token.empty());
  return orders;
}

grpc::Status PurchaseToTheEnd(provisioning::v1::Provisioning::Stub& stub,
                              const provisioning::v1::PurchaseRequest& request,
                              provisioning::v1::Order* final, absl::Duration timeout) {
  provisioning::v1::Order accepted;
  grpc::Status status = stub.Purchase(ContextWithDeadline(30).get(), request, &accepted);
  if (!status.ok()) return status;
  absl::StatusOr<provisioning::v1::Order> done = AwaitFinal(stub, accepted.order_id(), timeout);
  if (!done.ok()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        std::string(done.status().message()));
  }
  *final = *done;
  if (done->state() == provisioning::v1::Order::ACTIVE) return grpc::Status::OK;
  provisioning::v1::Order again;
  status = stub.Purchase(ContextWithDeadline(30).get(), request, &again);
  if (status.ok()) {
    return grpc::Status(grpc::StatusCode::UNKNOWN,
                        absl::StrCat("order ended ",
                                     provisioning::v1::Order::State_Name(done->state())));
  }
  return status;
}

}  // namespace cvm::testing
