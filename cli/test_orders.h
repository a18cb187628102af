// Orders for the client's tests (render, progress view), in protobuf text
// format.
#ifndef CVM_PROVISIONER_CLI_TEST_ORDERS_H_
#define CVM_PROVISIONER_CLI_TEST_ORDERS_H_

namespace cvm::cli::testing {

// ord-5, ACTIVE: 4 instances over candidates (ap-guangzhou-3, -4, -6; spot up
// to 0.10, then pay-as-you-go). ap-guangzhou-3's spot was skipped (market
// 0.15); attempt 1 bought 3 spot instances in ap-guangzhou-4 (all it had),
// attempt 2 (spot in ap-guangzhou-6) was refused ZONE_SOLD_OUT, attempt 3
// bought 1 pay-as-you-go there. Created 2024-05-01T10:00:00Z, updated 12 s
// later.
// An Order in protobuf text format.
inline constexpr char kCandidatesOrder[] = R"pb(
  name: "orders/ord-5"
  order_id: "ord-5"
  request_id: "req-5"
  instance_count: 4
  state: ACTIVE
  backend: "tencent"
  revision: 31
  create_time { seconds: 1714557600 }
  update_time { seconds: 1714557612 }
  spec {
    region: "ap-guangzhou"
    zone: "ap-guangzhou-3"
    instance_type: "S5.MEDIUM2"
    image_id: "img-1"
    pay_as_you_go {}
  }
  candidates {
    zones: [ "ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6" ]
    billing { spot { max_price_per_hour: "0.10" } }
    billing { pay_as_you_go {} }
  }
  instances {
    instance_id: "ins-a"
    state: RUNNING
    zone: "ap-guangzhou-4"
    instance_type: "S5.MEDIUM2"
    billing { spot { max_price_per_hour: "0.10" } }
    unit_price_per_hour: "0.04"
    attempt: 1
    private_ips: "10.0.0.1"
  }
  instances {
    instance_id: "ins-b"
    state: RUNNING
    zone: "ap-guangzhou-4"
    instance_type: "S5.MEDIUM2"
    billing { spot { max_price_per_hour: "0.10" } }
    unit_price_per_hour: "0.04"
    attempt: 1
    private_ips: "10.0.0.2"
  }
  instances {
    instance_id: "ins-c"
    state: RUNNING
    zone: "ap-guangzhou-4"
    instance_type: "S5.MEDIUM2"
    billing { spot { max_price_per_hour: "0.10" } }
    unit_price_per_hour: "0.04"
    attempt: 1
    private_ips: "10.0.0.3"
  }
  instances {
    instance_id: "ins-d"
    state: RUNNING
    zone: "ap-guangzhou-6"
    instance_type: "S5.MEDIUM2"
    billing { pay_as_you_go {} }
    unit_price_per_hour: "0.16"
    attempt: 3
    private_ips: "10.0.0.4"
  }
  attempts {
    number: 1
    cell {
      zone: "ap-guangzhou-4"
      instance_type: "S5.MEDIUM2"
      billing { spot { max_price_per_hour: "0.10" } }
      unit_price_per_hour: "0.04"
      stock: 3
    }
    instance_count: 3
    outcome: BOUGHT
  }
  attempts {
    number: 2
    cell {
      zone: "ap-guangzhou-6"
      instance_type: "S5.MEDIUM2"
      billing { spot { max_price_per_hour: "0.10" } }
      unit_price_per_hour: "0.05"
    }
    instance_count: 1
    outcome: REFUSED
    reason: "ZONE_SOLD_OUT"
    message: "ResourcesSoldOut.SpecifiedInstanceType"
  }
  attempts {
    number: 3
    cell {
      zone: "ap-guangzhou-6"
      instance_type: "S5.MEDIUM2"
      billing { pay_as_you_go {} }
      unit_price_per_hour: "0.16"
    }
    instance_count: 1
    outcome: BOUGHT
  }
  skipped {
    zone: "ap-guangzhou-3"
    instance_type: "S5.MEDIUM2"
    billing { spot { max_price_per_hour: "0.10" } }
    unit_price_per_hour: "0.15"
    stock: -1
    quota_headroom: 1000
    verdict: "SPOT_PRICE_TOO_LOW"
  })pb";

}  // namespace cvm::cli::testing

#endif  // CVM_PROVISIONER_CLI_TEST_ORDERS_H_
