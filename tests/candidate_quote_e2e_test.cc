// A Quote over candidates through the real provisioner binary and the CVM
// emulator: 3 zones x 5 instance types x 2 billings (spot up to a max, then
// pay-as-you-go) are 30 cells, priced and judged with at most 4 cloud calls
// (counted at the emulator), ranked cheapest available first, naming the cell
// a purchase would take. One cell is sold out (stock 0), one type's spot
// market is above the max in one zone. What the Quote found sold out is in
// the sold-out memory afterwards: a purchase into it fails with no call, and
// a purchase of the chosen cell is bought.
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
  return world;
}

class CandidateQuoteE2eTest : public EmulatorE2eTest {
 protected:
  void SetUp() override { Start(World()); }

  // The calls the emulator answered for pricing and judging cells (the
  // arrears guard's balance reads run beside them and are not counted).
  int64_t Calls() {
    int64_t calls = 0;
    const tencentcloud::Json per_action = emulator_->Books().value(
        "/RateLimits/CallsPerSecond"_json_pointer, tencentcloud::Json::object());
    for (const char* action : {"DescribeZoneInstanceConfigInfos", "DescribeAccountQuota",
                               "InquiryPriceRunInstances", "RunInstances"}) {
      if (!per_action.contains(action)) continue;
      for (const auto& [second, n] : per_action[action].items()) calls += n.get<int64_t>();
    }
    return calls;
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

TEST_F(CandidateQuoteE2eTest, BadCandidatesAreNamed) {
  provisioning::v1::QuoteRequest request = Matrix();
  request.mutable_candidates()->add_zones("ap-shanghai-2");
  request.mutable_candidates()->add_instance_types("S5.MEDIUM2");
  request.mutable_candidates()->mutable_billing(0)->mutable_spot()->set_max_price_per_hour("x");
  provisioning::v1::Quote quote;
  grpc::Status status = stub_->Quote(ContextWithDeadline(30).get(), request, &quote);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const auto bad = DetailOf<google::rpc::BadRequest>(status);
  std::set<std::string> fields;
  for (const auto& violation : bad.field_violations()) fields.insert(violation.field());
  EXPECT_EQ(fields, (std::set<std::string>{"candidates.zones[3]", "candidates.instance_types[5]",
                                           "candidates.billing[0].spot.max_price_per_hour"}));
}

}  // namespace
}  // namespace cvm::testing
