#include "tests/candidate_world.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "tests/test_client.h"

namespace cvm::testing {

provisioning::tencentcloud::emulator::v1::EmulatorConfig CandidateWorld(int cheapest_stock,
                                                                int second_stock,
                                                                int third_stock) {
  auto world = tencentcloud::TestWorld();
  for (auto& account : *world.mutable_accounts()) {
    account.set_postpaid_quota_per_zone(1000000);
    account.set_spot_vcpu_quota_per_zone(1000000);
  }
  world.clear_zones();
  const char* zones[] = {kZoneA, kZoneB, kZoneC};
  // Cents per hour by zone and type.
  const int pay_as_you_go[3][3] = {{20, 30, 25}, {21, 31, 26}, {22, 32, 27}};
  const int spot[3][3] = {{4, 5, 6}, {12, 13, 14}, {6, 9, 7}};
  for (int z = 0; z < 3; ++z) {
    auto* zone = world.add_zones();
    zone->set_zone(zones[z]);
    zone->set_region("ap-guangzhou");
    for (int t = 0; t < 3; ++t) {
      auto* type = zone->add_types();
      type->set_instance_type(kCandidateTypes[t]);
      type->set_cpu(t == 1 ? 4 : 2);
      type->set_memory_gb(t == 1 ? 8 : 4);
      type->set_price_per_hour(absl::StrFormat("0.%02d", pay_as_you_go[z][t]));
      type->set_spot_price_per_hour(absl::StrFormat("0.%02d", spot[z][t]));
      type->set_spot_sold_out(z == 0);
      const int stock_in_c[3] = {cheapest_stock, third_stock, second_stock};
      type->set_stock(z == 2 ? stock_in_c[t] : -1);
    }
  }
  return world;
}

provisioning::v1::PurchaseRequest CandidatesPurchase(const std::string& request_id, int count) {
  provisioning::v1::PurchaseRequest request = PurchaseOf(request_id, count);
  auto* candidates = request.mutable_candidates();
  for (const char* zone : {kZoneA, kZoneB, kZoneC}) candidates->add_zones(zone);
  for (const char* type : kCandidateTypes) candidates->add_instance_types(type);
  candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.10");
  candidates->add_billing()->mutable_pay_as_you_go();
  return request;
}

std::string CellKey(const std::string& zone, const std::string& type, bool spot) {
  return absl::StrCat(zone, "/", type, "/", spot ? "spot" : "payg");
}

}  // namespace cvm::testing
