// The call the purchase benchmarks hammer: Purchase i of one instance under
// request id prefix + i, spread over the stubs (channels or replicas).
#ifndef CVM_PROVISIONER_BENCH_PURCHASE_CALLS_H_
#define CVM_PROVISIONER_BENCH_PURCHASE_CALLS_H_

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/test_client.h"

namespace cvm {

// `stubs`: a container of (smart) pointers to Provisioning stubs; it must
// outlive the returned call. The call is true when the Purchase succeeded.
template <typename Stubs>
std::function<bool(int)> PurchaseCalls(Stubs& stubs, const std::string& prefix) {
  return [&stubs, prefix](int i) {
    provisioning::v1::Order order;
    return stubs[i % stubs.size()]
        ->Purchase(testing::ContextWithDeadline(30).get(),
                   testing::PurchaseOf(absl::StrCat(prefix, i), 1), &order)
        .ok();
  };
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_BENCH_PURCHASE_CALLS_H_
