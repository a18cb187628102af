// A Quote over candidates through the real provisioner binary and the CVM
// emulator: 3 zones x 5 instance types x 2 billings (spot up to a max, then
// pay-as-you-go) are 30 cells, priced and judged with at most 4 cloud calls
// (counted at the emulator), ranked cheapest available first, naming the cell
// a purchase would take. One cell is sold out (stock 0), one type's spot
// market is above the max in one zone. What the Quote found sold out is in
// the sold-out memory afterwards: a purchase into it fails with no call, and
// a purchase of the chosen cell is bought. With all_zones and requirements
// the zones and types are resolved from the same two calls' listing, for a
// Quote and a Purchase alike.
#include <cstdio>
#include <map>
#include <set>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "tests/emulator_fixture.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;
using provisioning::v1::QuoteCell;

constexpr const char* kZones[] = {"ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"};
constexpr const char* kTypes[] = {"S5.MEDIUM2", "S5.MEDIUM4", "S5.LARGE8", "SA2.MEDIUM2",
                                  "SA2.LARGE8"};

// 3 zones x 5 types; prices differ by zone and type. ap-guangzhou-4 has no
// SA2.LARGE8 left; SA2.MEDIUM2's spot market in ap-guangzhou-6 is above 0.10.
// Beside them, for all_zones: ap-guangzhou-7 sells only a GPU type, and
// ap-shanghai-2 (another region) the S5 types.
tencentcloud::EmulatorConfig World() {
  tencentcloud::EmulatorConfig world = tencentcloud::TestWorld();
  world.clear_zones();
  for (int z = 0; z < 3; ++z) {
    auto* zone = world.add_zones();
    zone->set_zone(kZones[z]);
    zone->set_region("ap-guangzhou");
    for (int t = 0; t < 5; ++t) {
      auto* type = zone->add_types();
      type->set_instance_type(kTypes[t]);
      type->set_cpu(2 + 2 * (t % 3));
      type->set_memory_gb(4 * (1 + t % 3));
      // Cents: pay-as-you-go 20 + 10t + z, spot 5 + 2t + z (+ 10 for the
      // expensive market).
      type->set_price_per_hour(absl::StrFormat("0.%02d", 20 + 10 * t + z));
      const bool dear = z == 2 && t == 3;
      type->set_spot_price_per_hour(absl::StrFormat("0.%02d", dear ? 15 : 5 + 2 * t + z));
      type->set_stock(z == 1 && t == 4 ? 0 : -1);
    }
  }
  auto* gpu_zone = world.add_zones();
  gpu_zone->set_zone("ap-guangzhou-7");
  gpu_zone->set_region("ap-guangzhou");
  auto* gpu = gpu_zone->add_types();
  gpu->set_instance_type("GN7.LARGE20");
  gpu->set_cpu(4);
  gpu->set_memory_gb(20);
  gpu->set_gpu(1);
  gpu->set_price_per_hour("1.50");
  gpu->set_spot_price_per_hour("0.01");  // the cheapest of all, but a GPU
  gpu->set_stock(-1);
  auto* shanghai = world.add_zones();
  shanghai->set_zone("ap-shanghai-2");
  shanghai->set_region("ap-shanghai");
  *shanghai->add_types() = world.zones(0).types(0);
  return world;
}

class CandidateQuoteE2eTest : public EmulatorE2eTest {
 protected:
  void SetUp() override { Start(World()); }

  // The calls the emulator answered for pricing and judging cells (the
  // arrears guard's balance reads run beside them and are not counted), or
  // for `actions`.
  int64_t Calls(std::initializer_list<const char*> actions = {
                    "DescribeZoneInstanceConfigInfos", "DescribeAccountQuota",
                    "InquiryPriceRunInstances", "RunInstances"}) {
    int64_t calls = 0;
    const tencentcloud::Json per_action = emulator_->Books().value(
        "/RateLimits/CallsPerSecond"_json_pointer, tencentcloud::Json::object());
    for (const char* action : actions) {
      if (!per_action.contains(action)) continue;
      for (const auto& [second, n] : per_action[action].items()) calls += n.get<int64_t>();
    }
    return calls;
  }

  // Listings of many cells since `calls_before` DescribeZoneInstanceConfigInfos
  // calls and `cell_calls_before` CellCalls: the calls less the one-cell
  // looks of pre-flights (which the emulator logs as CellCalls).
  int64_t Listings(int64_t calls_before, size_t cell_calls_before) {
    const tencentcloud::Json cell_calls = emulator_->Books()["CellCalls"];
    int64_t one_cell = 0;
    for (size_t i = cell_calls_before; i < cell_calls.size(); ++i) {
      one_cell += cell_calls[i]["Action"] == "DescribeZoneInstanceConfigInfos" ? 1 : 0;
    }
    return Calls({"DescribeZoneInstanceConfigInfos"}) - calls_before - one_cell;
  }

  provisioning::v1::QuoteRequest Matrix() {
    provisioning::v1::QuoteRequest request;
    *request.mutable_spec() = PurchaseOf("quote", 2).spec();
    request.set_instance_count(2);
    auto* candidates = request.mutable_candidates();
    for (const char* zone : kZones) candidates->add_zones(zone);
    for (const char* type : kTypes) candidates->add_instance_types(type);
    candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.10");
    candidates->add_billing()->mutable_pay_as_you_go();
    return request;
  }

};

TEST_F(CandidateQuoteE2eTest, ThirtyCellsInAFewCallsCheapestAvailableFirst) {
  const int64_t before = Calls();
  provisioning::v1::Quote quote;
  grpc::Status status = stub_->Quote(ContextWithDeadline(30).get(), Matrix(), &quote);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const int64_t calls = Calls() - before;
  EXPECT_LE(calls, 4);
  ASSERT_EQ(quote.cells_size(), 30);
  EXPECT_EQ(quote.currency(), "CNY");

  std::map<std::string, int> verdicts;
  double last_price = 0;
  bool available_part = true;
  for (const QuoteCell& cell : quote.cells()) {
    ++verdicts[cell.verdict()];
    if (cell.verdict() != "AVAILABLE") {
      available_part = false;
      continue;
    }
    EXPECT_TRUE(available_part) << "an available cell after an unavailable one";
    double price = 0;
    ASSERT_TRUE(absl::SimpleAtod(cell.unit_price_per_hour(), &price));
    EXPECT_GE(price, last_price) << "not cheapest first";
    last_price = price;
  }
  // Sold out: SA2.LARGE8 in ap-guangzhou-4, both billings. Spot markets
  // above the 0.10 max: S5.LARGE8 in ap-guangzhou-6 (0.11), SA2.MEDIUM2
  // everywhere (0.11, 0.12, 0.15) and SA2.LARGE8 where it sells (0.13, 0.15).
  EXPECT_EQ(verdicts["ZONE_SOLD_OUT"], 2);
  EXPECT_EQ(verdicts["SPOT_PRICE_TOO_LOW"], 6);
  EXPECT_EQ(verdicts["AVAILABLE"], 22);
  ASSERT_TRUE(quote.has_chosen());
  EXPECT_EQ(quote.chosen().zone(), "ap-guangzhou-3");
  EXPECT_EQ(quote.chosen().instance_type(), "S5.MEDIUM2");
  EXPECT_TRUE(quote.chosen().billing().has_spot());
  EXPECT_EQ(quote.chosen().unit_price_per_hour(), "0.05");

  // The Quote's findings are remembered: asked again, the sold-out cells
  // say so; a purchase into one fails without a cloud call.
  provisioning::v1::Quote again;
  ASSERT_TRUE(stub_->Quote(ContextWithDeadline(30).get(), Matrix(), &again).ok());
  int remembered = 0;
  for (const QuoteCell& cell : again.cells()) remembered += cell.remembered() ? 1 : 0;
  EXPECT_EQ(remembered, 8);
  provisioning::v1::PurchaseRequest sold_out = PurchaseOf("into-sold-out", 2);
  sold_out.mutable_spec()->set_zone("ap-guangzhou-4");
  sold_out.mutable_spec()->set_instance_type("SA2.LARGE8");
  const int64_t before_purchase = Calls();
  Order order;
  ASSERT_TRUE(stub_->Purchase(ContextWithDeadline(30).get(), sold_out, &order).ok());
  absl::StatusOr<Order> failed = AwaitFinal(*stub_, order.order_id(), absl::Seconds(30));
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->failure().reason(), "ZONE_SOLD_OUT");
  const int64_t sold_out_calls = Calls() - before_purchase;
  EXPECT_EQ(sold_out_calls, 0);

  // The chosen cell is bought.
  provisioning::v1::PurchaseRequest chosen = PurchaseOf("chosen", 2);
  chosen.mutable_spec()->set_zone(quote.chosen().zone());
  chosen.mutable_spec()->set_instance_type(quote.chosen().instance_type());
  *chosen.mutable_spec()->mutable_spot() = quote.chosen().billing().spot();
  ASSERT_TRUE(stub_->Purchase(ContextWithDeadline(30).get(), chosen, &order).ok());
  absl::StatusOr<Order> bought = AwaitFinal(*stub_, order.order_id(), absl::Seconds(60));
  ASSERT_TRUE(bought.ok()) << bought.status();
  EXPECT_EQ(bought->state(), Order::ACTIVE) << bought->failure().message();

  std::printf(
      "candidate quote: %d cells (3 zones x 5 types x 2 billings) in %lld cloud calls; "
      "AVAILABLE %d, ZONE_SOLD_OUT %d, SPOT_PRICE_TOO_LOW %d; chosen %s %s %s at %s; again: %d "
      "remembered; purchase into a sold-out cell: %lld calls; chosen cell bought: %s\n",
      quote.cells_size(), static_cast<long long>(calls), verdicts["AVAILABLE"],
      verdicts["ZONE_SOLD_OUT"], verdicts["SPOT_PRICE_TOO_LOW"], quote.chosen().zone().c_str(),
      quote.chosen().instance_type().c_str(), quote.chosen().billing().has_spot() ? "spot" : "payg",
      quote.chosen().unit_price_per_hour().c_str(), remembered,
      static_cast<long long>(sold_out_calls), Order::State_Name(bought->state()).c_str());
}

TEST_F(CandidateQuoteE2eTest, AllZonesAndRequirementsResolveFromTheCatalogueInTwoCalls) {
  provisioning::v1::PurchaseRequest purchase = PurchaseOf("resolved", 2);
  auto* candidates = purchase.mutable_candidates();
  candidates->set_all_zones(true);
  candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.10");
  candidates->add_billing()->mutable_pay_as_you_go();
  auto* requirements = candidates->mutable_requirements();
  requirements->set_min_cpu(2);
  requirements->set_max_cpu(4);
  requirements->add_families("S5");
  requirements->set_gpu(provisioning::v1::InstanceRequirements::GPU_NONE);
  provisioning::v1::QuoteRequest request;
  *request.mutable_spec() = purchase.spec();
  request.set_instance_count(2);
  *request.mutable_candidates() = purchase.candidates();

  const int64_t before = Calls();
  provisioning::v1::Quote quote;
  grpc::Status status = stub_->Quote(ContextWithDeadline(30).get(), request, &quote);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const int64_t quote_calls = Calls() - before;
  EXPECT_LE(quote_calls, 2);
  // The zones of ap-guangzhou selling an S5 type (not ap-guangzhou-7, GPU
  // only, nor Shanghai) x the S5 types of 2-4 vCPUs (S5.MEDIUM2: 2,
  // S5.MEDIUM4: 4; not S5.LARGE8: 6) x 2 billings.
  std::set<std::string> zones, types;
  for (const QuoteCell& cell : quote.cells()) {
    zones.insert(cell.zone());
    types.insert(cell.instance_type());
    EXPECT_EQ(cell.verdict(), "AVAILABLE") << cell.ShortDebugString();
  }
  EXPECT_EQ(quote.cells_size(), 12);
  EXPECT_EQ(zones, (std::set<std::string>{kZones[0], kZones[1], kZones[2]}));
  EXPECT_EQ(types, (std::set<std::string>{"S5.MEDIUM2", "S5.MEDIUM4"}));
  ASSERT_TRUE(quote.has_chosen());
  EXPECT_EQ(quote.chosen().zone(), "ap-guangzhou-3");
  EXPECT_EQ(quote.chosen().instance_type(), "S5.MEDIUM2");
  EXPECT_EQ(quote.chosen().unit_price_per_hour(), "0.05");

  // A purchase with the same candidates lands in the chosen cell, from one
  // listing of the matrix (beside its cell's pre-flight).
  const int64_t listings_before = Calls({"DescribeZoneInstanceConfigInfos"});
  const size_t cell_calls_before = emulator_->Books()["CellCalls"].size();
  Order order;
  ASSERT_TRUE(stub_->Purchase(ContextWithDeadline(30).get(), purchase, &order).ok());
  absl::StatusOr<Order> bought = AwaitFinal(*stub_, order.order_id(), absl::Seconds(60));
  ASSERT_TRUE(bought.ok()) << bought.status();
  EXPECT_EQ(bought->state(), Order::ACTIVE) << bought->failure().message();
  ASSERT_EQ(bought->instances_size(), 2);
  for (const provisioning::v1::Instance& instance : bought->instances()) {
    EXPECT_EQ(instance.zone(), "ap-guangzhou-3");
    EXPECT_EQ(instance.instance_type(), "S5.MEDIUM2");
    EXPECT_TRUE(instance.billing().has_spot());
  }
  const int64_t purchase_listings = Listings(listings_before, cell_calls_before);
  EXPECT_EQ(purchase_listings, 1);

  std::printf(
      "candidate requirements: all_zones + 2-4 vCPU, family S5, no GPU resolved to %d cells "
      "(%zu zones x %zu types x 2 billings) in %lld cloud calls; chosen %s %s spot at %s; "
      "purchase of 2: %s in %s %s after %lld DescribeZoneInstanceConfigInfos listing(s)\n",
      quote.cells_size(), zones.size(), types.size(), static_cast<long long>(quote_calls),
      quote.chosen().zone().c_str(), quote.chosen().instance_type().c_str(),
      quote.chosen().unit_price_per_hour().c_str(), Order::State_Name(bought->state()).c_str(),
      bought->instances(0).zone().c_str(), bought->instances(0).instance_type().c_str(),
      static_cast<long long>(purchase_listings));
}

TEST_F(CandidateQuoteE2eTest, BadCandidatesAreNamed) {
  provisioning::v1::QuoteRequest request = Matrix();
  request.mutable_candidates()->add_zones("ap-shanghai-2");
  request.mutable_candidates()->add_instance_types("S5.MEDIUM2");
  request.mutable_candidates()->mutable_billing(0)->mutable_spot()->set_max_price_per_hour("x");
  request.mutable_candidates()->set_all_zones(true);  // beside zones
  request.mutable_candidates()->mutable_requirements()->set_min_cpu(8);
  request.mutable_candidates()->mutable_requirements()->set_max_cpu(4);
  provisioning::v1::Quote quote;
  grpc::Status status = stub_->Quote(ContextWithDeadline(30).get(), request, &quote);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const auto bad = DetailOf<google::rpc::BadRequest>(status);
  std::set<std::string> fields;
  for (const auto& violation : bad.field_violations()) fields.insert(violation.field());
  EXPECT_EQ(fields,
            (std::set<std::string>{"candidates.zones[3]", "candidates.instance_types[5]",
                                   "candidates.billing[0].spot.max_price_per_hour",
                                   "candidates.all_zones", "candidates.requirements.max_cpu"}));
}

}  // namespace
}  // namespace cvm::testing
