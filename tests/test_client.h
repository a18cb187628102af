// Client-side helpers shared by the C++ end-to-end tests.
#ifndef CVM_PROVISIONER_TESTS_TEST_CLIENT_H_
#define CVM_PROVISIONER_TESTS_TEST_CLIENT_H_

#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "provisioning/v1/provisioning.grpc.pb.h"

namespace cvm::testing {

std::unique_ptr<provisioning::v1::Provisioning::Stub> NewStub(const std::string& target);

// A valid pay-as-you-go purchase of `count` instances with a public IP.
provisioning::v1::PurchaseRequest PurchaseOf(const std::string& request_id, int count);

// A client context with a deadline `seconds` from now.
std::unique_ptr<grpc::ClientContext> ContextWithDeadline(int seconds);

// The value of the sample whose line starts with `name{` and contains every
// `label="value"` pair given; -1 when absent.
double MetricValue(const std::string& scrape, const std::string& name,
                   const std::vector<std::string>& label_pairs);

}  // namespace cvm::testing

#endif  // CVM_PROVISIONER_TESTS_TEST_CLIENT_H_
