// Requests shared by the backends' own tests (not conformance cases): one
// CreateRequest per billing mode, as the power and billing tests of the fake
// and the tencentcloud backend buy them.
//
// Header-only, test-only; no state.
#ifndef CVM_PROVISIONER_BACKENDS_CONFORMANCE_BILLING_REQUESTS_H_
#define CVM_PROVISIONER_BACKENDS_CONFORMANCE_BILLING_REQUESTS_H_

#include <string>

#include "backends/backend.h"

namespace cvm {

// `count` S5.MEDIUM2 in ap-guangzhou-3 (image img-pi0ii46r, which the fake
// and the emulator both sell) billed `billing`: "payg", "spot" (bidding up
// to `spot_max_price_per_hour`) or "prepaid" (one month), with `token` as
// the client token.
inline CreateRequest BillingRequest(const std::string& token, const std::string& billing, int count,
                                    const std::string& spot_max_price_per_hour) {
  CreateRequest request;
  request.spec.set_region("ap-guangzhou");
  request.spec.set_zone("ap-guangzhou-3");
  request.spec.set_instance_type("S5.MEDIUM2");
  request.spec.set_image_id("img-pi0ii46r");
  if (billing == "spot") {
    request.spec.mutable_spot()->set_max_price_per_hour(spot_max_price_per_hour);
  } else if (billing == "prepaid") {
    request.spec.mutable_prepaid()->set_period_months(1);
  } else {
    request.spec.mutable_pay_as_you_go();
  }
  request.count = count;
  request.client_token = token;
  return request;
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_BACKENDS_CONFORMANCE_BILLING_REQUESTS_H_
