// Client-side helpers shared by the C++ end-to-end tests.
#ifndef CVM_PROVISIONER_TESTS_TEST_CLIENT_H_
#define CVM_PROVISIONER_TESTS_TEST_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/provisioning.grpc.pb.h"

namespace cvm::testing {

std::unique_ptr<provisioning::v1::Provisioning::Stub> NewStub(const std::string& target);

// A valid pay-as-you-go purchase of `count` instances with a public IP.
provisioning::v1::PurchaseRequest PurchaseOf(const std::string& request_id, int count);

// A client context with a deadline `seconds` from now.
std::unique_ptr<grpc::ClientContext> ContextWithDeadline(int seconds);

// Describes `order_id` until `done(order)` holds; the last order seen, or
// DEADLINE_EXCEEDED (with the last state) after `timeout`.
absl::StatusOr<provisioning::v1::Order> AwaitOrder(
    provisioning::v1::Provisioning::Stub& stub, const std::string& order_id,
    const std::function<bool(const provisioning::v1::Order&)>& done,
    absl::Duration timeout);

// AwaitOrder until the order is ACTIVE, FAILED, CANCELLED or TERMINATED.
absl::StatusOr<provisioning::v1::Order> AwaitFinal(
    provisioning::v1::Provisioning::Stub& stub, const std::string& order_id,
    absl::Duration timeout);

// Every order the caller may see, paging through Describe (failures are
// EXPECTed, and end the listing).
std::vector<provisioning::v1::Order> AllOrders(provisioning::v1::Provisioning::Stub& stub);

// Purchases, waits until the order is final, and returns how it ended: OK
// with `final` ACTIVE, or the order's failure as a retry of the same
// request returns it (code and details), or the Purchase call's own error.
grpc::Status PurchaseToTheEnd(provisioning::v1::Provisioning::Stub& stub,
                              const provisioning::v1::PurchaseRequest& request,
                              provisioning::v1::Order* final, absl::Duration timeout);

// The detail of type T among a gRPC error's details (empty when it has none).
template <typename T>
T DetailOf(const grpc::Status& status) {
  google::rpc::Status rich;
  T detail;
  if (!rich.ParseFromString(status.error_details())) return detail;
  for (const auto& any : rich.details()) {
    if (any.UnpackTo(&detail)) return detail;
  }
  return detail;
}

// The ErrorInfo among a gRPC error's details (empty when it has none).
inline google::rpc::ErrorInfo ErrorInfoOf(const grpc::Status& status) {
  return DetailOf<google::rpc::ErrorInfo>(status);
}

// The value of the sample whose line starts with `name{` and contains every
// `label="value"` pair given; -1 when absent.
double MetricValue(const std::string& scrape, const std::string& name,
                   const std::vector<std::string>& label_pairs);

}  // namespace cvm::testing

#endif  // CVM_PROVISIONER_TESTS_TEST_CLIENT_H_
