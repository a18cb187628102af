// Signs one RunInstances request many times with our TC3 signer; prints the
// body (for the Node side to sign the same bytes), the Authorization header
// and the time per signature. Run by bench/run_signer_bench.sh.
//
// Usage: signer_bench BODY_OUT ITERATIONS
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/tc3_signer.h"
#include "backends/tencentcloud/tencent_backend.h"

int main(int argc, char** argv) {
  int iterations = 0;
  if (argc != 3 || !absl::SimpleAtoi(argv[2], &iterations) || iterations <= 0) {
    std::fprintf(stderr, "usage: %s BODY_OUT ITERATIONS\n", argv[0]);
    return 2;
  }
  provisioning::v1::InstanceSpec spec;
  spec.set_region("ap-guangzhou");
  spec.set_zone("ap-guangzhou-3");
  spec.set_instance_type("S5.MEDIUM4");
  spec.set_image_id("img-pi0ii46r");
  spec.mutable_system_disk()->set_size_gb(50);
  spec.add_data_disks()->set_size_gb(100);
  spec.mutable_network()->set_vpc_id("vpc-2zxxxxxx");
  spec.mutable_network()->set_subnet_id("subnet-xxxxxxxx");
  spec.mutable_internet()->set_public_ip(true);
  spec.mutable_internet()->set_max_bandwidth_out_mbps(10);
  spec.set_instance_name("web");
  auto* tag = spec.add_tags();
  tag->set_key("provisioner:order-id");
  tag->set_value("ord-01a20bfaca230000");
  spec.mutable_pay_as_you_go();
  cvm::tencentcloud::Json params = cvm::tencentcloud::RunInstancesParams(spec, 3);
  params["ClientToken"] = "cvmp-ord-01a20bfaca230000";
  const std::string body = params.dump();
  std::ofstream(argv[1], std::ios::binary) << body;

  cvm::tencentcloud::Tc3Input in;
  in.secret_id = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
  in.secret_key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
  in.service = "cvm";
  in.host = "cvm.tencentcloudapi.com";
  in.payload = body;
  in.timestamp = 1700000000;
  std::string header;
  const absl::Time start = absl::Now();
  for (int i = 0; i < iterations; ++i) header = cvm::tencentcloud::Tc3Authorization(in);
  const double ns = absl::ToDoubleNanoseconds(absl::Now() - start) / iterations;
  std::printf("header %s\nns_per_signature %.1f\nbody_bytes %zu\n", header.c_str(), ns,
              body.size());
  return 0;
}
