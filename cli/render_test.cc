#include "cli/render.h"

#include "absl/strings/str_cat.h"
#include "cli/render_candidates.h"
#include "cli/test_orders.h"
#include "common/order_states.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using provisioning::v1::DescribeResponse;
using provisioning::v1::Order;
using ::testing::HasSubstr;
using testing::kCandidatesOrder;
using ::testing::Not;

template <typename T>
T FromText(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

constexpr char kActiveOrder[] = R"pb(
  name: "orders/ord-1"
  order_id: "ord-1"
  request_id: "req-1"
  instance_count: 2
  state: ACTIVE
  backend: "fake"
  revision: 7
  create_time { seconds: 1714557600 }
  update_time { seconds: 1714557605 nanos: 500000000 }
  spec {
    region: "ap-guangzhou"
    zone: "ap-guangzhou-3"
    instance_type: "S5.MEDIUM2"
    image_id: "img-1"
    internet { public_ip: true max_bandwidth_out_mbps: 10 }
    pay_as_you_go {}
  }
  instances {
    instance_id: "ins-1"
    state: RUNNING
    zone: "ap-guangzhou-3"
    public_ips: "203.0.113.1"
    private_ips: "10.0.0.1"
  }
  instances {
    instance_id: "ins-22"
    state: RUNNING
    restriction: SPOT_RECLAIMED
    zone: "ap-guangzhou-3"
    private_ips: "10.0.0.2"
  })pb";

TEST(RenderOrderTest, SpecSummaryNamesTheLaunchTemplate) {
  provisioning::v1::InstanceSpec spec;
  spec.set_zone("ap-guangzhou-3");
  spec.mutable_launch_template()->set_launch_template_id("lt-abc");
  spec.mutable_pay_as_you_go();
  EXPECT_EQ(SpecSummary(spec, 2), "2 x - in ap-guangzhou-3, launch template lt-abc, pay-as-you-go");
}

TEST(RenderOrderTest, FieldsThenAnAlignedInstanceTable) {
  EXPECT_EQ(RenderOrder(FromText<Order>(kActiveOrder)),
            "Order ord-1  ACTIVE\n"
            "  request id  req-1\n"
            "  spec        2 x S5.MEDIUM2 in ap-guangzhou-3, image img-1, pay-as-you-go, "
            "public IP 10 Mbps\n"
            "  backend     fake\n"
            "  created     2024-05-01T10:00:00Z\n"
            "  updated     2024-05-01T10:00:05Z\n"
            "  revision    7\n"
            "\n"
            "  INSTANCE  STATE                     ZONE            PUBLIC IP    PRIVATE IP\n"
            "  ins-1     RUNNING                   ap-guangzhou-3  203.0.113.1  10.0.0.1\n"
            "  ins-22    RUNNING (SPOT_RECLAIMED)  ap-guangzhou-3  -            10.0.0.2\n");
}

TEST(RenderOrderTest, CandidatesShowWhereEachInstanceLandedTheAttemptsAndTheSkippedCells) {
  EXPECT_EQ(RenderOrder(FromText<Order>(kCandidatesOrder)),
            "Order ord-5  ACTIVE\n"
            "  request id  req-5\n"
            "  spec        4 x S5.MEDIUM2 in ap-guangzhou-3, image img-1, pay-as-you-go\n"
            "  candidates  zones ap-guangzhou-3,ap-guangzhou-4,ap-guangzhou-6; types the spec's; "
            "try spot<=0.10,payg; cheapest first\n"
            "  backend     tencent\n"
            "  created     2024-05-01T10:00:00Z\n"
            "  updated     2024-05-01T10:00:12Z\n"
            "  revision    31\n"
            "\n"
            "  INSTANCE  STATE    ZONE            TYPE        BILLING  PRICE/H  PUBLIC IP  "
            "PRIVATE IP\n"
            "  ins-a     RUNNING  ap-guangzhou-4  S5.MEDIUM2  spot     0.04     -          "
            "10.0.0.1\n"
            "  ins-b     RUNNING  ap-guangzhou-4  S5.MEDIUM2  spot     0.04     -          "
            "10.0.0.2\n"
            "  ins-c     RUNNING  ap-guangzhou-4  S5.MEDIUM2  spot     0.04     -          "
            "10.0.0.3\n"
            "  ins-d     RUNNING  ap-guangzhou-6  S5.MEDIUM2  payg     0.16     -          "
            "10.0.0.4\n"
            "\n"
            "  ATTEMPT  ZONE            TYPE        BILLING     PRICE/H  COUNT  OUTCOME  REASON\n"
            "  1        ap-guangzhou-4  S5.MEDIUM2  spot<=0.10  0.04     3      BOUGHT   -\n"
            "  2        ap-guangzhou-6  S5.MEDIUM2  spot<=0.10  0.05     1      REFUSED  "
            "ZONE_SOLD_OUT\n"
            "  3        ap-guangzhou-6  S5.MEDIUM2  payg        0.16     1      BOUGHT   -\n"
            "\n"
            "  SKIPPED ZONE    TYPE        BILLING     PRICE/H  STOCK  QUOTA  VERDICT\n"
            "  ap-guangzhou-3  S5.MEDIUM2  spot<=0.10  0.15     -      1000   "
            "SPOT_PRICE_TOO_LOW\n");
}

TEST(RenderOrderTest, ACandidatesOrdersSummaryNamesEveryCandidate) {
  Order order = FromText<Order>(kCandidatesOrder);
  EXPECT_EQ(OrderSummary(order),
            "4 x S5.MEDIUM2 in ap-guangzhou-3 or ap-guangzhou-4 or ap-guangzhou-6, image img-1, "
            "spot (max 0.10/h) then pay-as-you-go");
  order.mutable_candidates()->clear_zones();
  order.mutable_candidates()->add_instance_types("S5.MEDIUM2");
  order.mutable_candidates()->add_instance_types("S5.LARGE8");
  order.mutable_candidates()->clear_billing();
  EXPECT_EQ(OrderSummary(order),
            "4 x S5.MEDIUM2 or S5.LARGE8 in ap-guangzhou-3, image img-1, pay-as-you-go");
  EXPECT_EQ(OrderSummary(FromText<Order>(kActiveOrder)),
            "2 x S5.MEDIUM2 in ap-guangzhou-3, image img-1, pay-as-you-go, public IP 10 Mbps");
}

TEST(RenderOrderTest, LongCandidateListsAreCutSayingHowManyMore) {
  Order order = FromText<Order>(kCandidatesOrder);
  order.set_state(Order::FAILED);
  order.clear_instances();
  for (int i = 0; i < 12; ++i) {
    provisioning::v1::QuoteCell* cell = order.add_skipped();
    cell->set_zone(absl::StrCat("ap-guangzhou-", 10 + i));
    cell->set_instance_type("S5.MEDIUM2");
    cell->set_stock(0);
    cell->set_quota_headroom(-1);
    cell->set_verdict("ZONE_SOLD_OUT");
    cell->set_remembered(i % 2 == 0);
  }
  const std::string text = RenderOrder(order);
  EXPECT_THAT(text, Not(HasSubstr("INSTANCE")));
  EXPECT_THAT(text, HasSubstr("  3        ap-guangzhou-6  S5.MEDIUM2  payg"));
  EXPECT_THAT(text, HasSubstr("ap-guangzhou-18  S5.MEDIUM2  payg        -        0      -      "
                              "ZONE_SOLD_OUT (remembered)\n"));
  EXPECT_THAT(text, Not(HasSubstr("ap-guangzhou-19 ")));  // the 11th of 13 skipped cells
  EXPECT_THAT(text, HasSubstr("\n  ... and 3 more skipped cells (describe --output=json shows "
                              "all)\n"));
  EXPECT_THAT(text, Not(HasSubstr("more attempts")));
  EXPECT_EQ(RenderAttempts(FromText<Order>(kActiveOrder)), "");
}

TEST(RenderOrderTest, SingleCellOrdersHaveNoCandidateColumns) {
  Order order = FromText<Order>(kActiveOrder);
  order.mutable_instances(0)->set_instance_type("S5.MEDIUM2");  // the spec's, as the service says
  order.mutable_instances(0)->mutable_billing()->mutable_pay_as_you_go();
  const std::string text = RenderOrder(order);
  EXPECT_THAT(text, HasSubstr("  INSTANCE  STATE                     ZONE            PUBLIC IP"));
  EXPECT_THAT(text, Not(HasSubstr("BILLING")));
  EXPECT_THAT(text, Not(HasSubstr("candidates")));
}

TEST(RenderOrderTest, AFellBackLineNamesTheCellTheAttemptAndItsCount) {
  const Order order = FromText<Order>(kCandidatesOrder);
  EXPECT_EQ(FellBackText(order.attempts(2)),
            "fell back to ap-guangzhou-6 S5.MEDIUM2 pay-as-you-go at 0.16/h (attempt 3, 1 "
            "instance)");
  EXPECT_EQ(FellBackText(order.attempts(0)),
            "fell back to ap-guangzhou-4 S5.MEDIUM2 spot at 0.04/h (attempt 1, 3 instances)");
  provisioning::v1::CandidateAttempt unpriced;
  unpriced.set_number(2);
  unpriced.set_instance_count(1);
  unpriced.mutable_cell()->set_zone("z");
  unpriced.mutable_cell()->set_instance_type("T");
  unpriced.mutable_cell()->mutable_billing()->mutable_pay_as_you_go();
  EXPECT_EQ(FellBackText(unpriced), "fell back to z T pay-as-you-go (attempt 2, 1 instance)");
}

TEST(RenderOrderTest, FailureCauseWithTheCloudsCodeAndRequestId) {
  Order order = FromText<Order>(R"pb(
    name: "orders/ord-2"
    order_id: "ord-2"
    state: FAILED
    instance_count: 1
    spec {
      region: "r"
      instance_type: "T"
      spot { max_price_per_hour: "0.05" }
    }
    failure {
      reason: "LAUNCH_FAILED"
      message: "instances did not start"
      cloud_error_code: "ResourceInsufficient"
      cloud_request_id: "rq-9"
    })pb");
  const std::string text = RenderOrder(order);
  EXPECT_THAT(text, HasSubstr("Order ord-2  FAILED\n"));
  EXPECT_THAT(text, HasSubstr("1 x T in r, spot (max 0.05/h)"));
  EXPECT_THAT(text, HasSubstr("  failure     LAUNCH_FAILED: instances did not start (cloud error "
                              "ResourceInsufficient, cloud request id rq-9)\n"));
  EXPECT_THAT(text, HasSubstr("created     -\n"));
  EXPECT_THAT(text, Not(HasSubstr("INSTANCE")));
}

TEST(RenderOrderTest, DryRunSaysNothingWasBought) {
  Order order = FromText<Order>(R"pb(
    instance_count: 3
    backend: "fake"
    spec {
      zone: "z-1"
      instance_type: "T"
      prepaid { period_months: 12 auto_renew: true }
    })pb");
  EXPECT_EQ(RenderOrder(order),
            "Dry run passed: nothing was bought.\n"
            "  spec     3 x T in z-1, prepaid 12 months, auto-renew\n"
            "  backend  fake\n");
}

TEST(RenderOrderListTest, OneRowPerOrderAndTheNextPageToken) {
  DescribeResponse response;
  *response.add_orders() = FromText<Order>(kActiveOrder);
  *response.add_orders() = FromText<Order>(R"pb(
    order_id: "ord-0"
    state: PROVISIONING
    instance_count: 1
    backend: "fake"
    spec { instance_type: "S5.LARGE8" zone: "ap-guangzhou-4" }
    instances { instance_id: "ins-0" state: PENDING })pb");
  response.set_next_page_token("cDEKb3JkLTA");
  EXPECT_EQ(RenderOrderList(response),
            "ORDER  STATE         RUNNING  TYPE        ZONE            BACKEND  CREATED\n"
            "ord-1  ACTIVE        2/2      S5.MEDIUM2  ap-guangzhou-3  fake     "
            "2024-05-01T10:00:00Z\n"
            "ord-0  PROVISIONING  0/1      S5.LARGE8   ap-guangzhou-4  fake     -\n"
            "More orders: describe --page_token=cDEKb3JkLTA\n");
  EXPECT_EQ(RenderOrderList(DescribeResponse()), "No orders.\n");
}

TEST(RenderOrderListTest, ACandidatesOrderListsWhereItsInstancesLanded) {
  DescribeResponse response;
  *response.add_orders() = FromText<Order>(kCandidatesOrder);
  EXPECT_THAT(RenderOrderList(response),
              HasSubstr("ord-5  ACTIVE  4/4      S5.MEDIUM2  ap-guangzhou-4,ap-guangzhou-6  "
                        "tencent"));
}

TEST(RenderQuoteTest, PricesWithCurrencyAndBackend) {
  provisioning::v1::Quote quote;
  quote.set_currency("CNY");
  quote.set_unit_price_per_hour("0.10");
  quote.set_total_price_per_hour("0.30");
  quote.set_backend("fake");
  EXPECT_EQ(RenderQuote(quote),
            "per instance-hour        0.10 CNY\n"
            "per hour, all instances  0.30 CNY\n"
            "backend                  fake\n");
}

TEST(RenderQuoteTest, CandidateCellsThenTheChosenOne) {
  provisioning::v1::Quote quote;
  quote.set_currency("CNY");
  auto* cheap = quote.add_cells();
  cheap->set_zone("z3");
  cheap->set_instance_type("S5.MEDIUM2");
  cheap->mutable_billing()->mutable_spot()->set_max_price_per_hour("0.10");
  cheap->set_unit_price_per_hour("0.05");
  cheap->set_stock(-1);
  cheap->set_quota_headroom(1000);
  cheap->set_verdict("AVAILABLE");
  auto* gone = quote.add_cells();
  gone->set_zone("z4");
  gone->set_instance_type("S5.MEDIUM2");
  gone->mutable_billing()->mutable_pay_as_you_go();
  gone->set_stock(-1);
  gone->set_quota_headroom(-1);
  gone->set_verdict("ZONE_SOLD_OUT");
  gone->set_remembered(true);
  *quote.mutable_chosen() = *cheap;
  EXPECT_EQ(RenderQuote(quote),
            "ZONE  TYPE        BILLING     PRICE/H  STOCK  QUOTA  VERDICT\n"
            "z3    S5.MEDIUM2  spot<=0.10  0.05     -      1000   AVAILABLE\n"
            "z4    S5.MEDIUM2  payg        -        -      -      ZONE_SOLD_OUT (remembered)\n"
            "a purchase would take: z3 S5.MEDIUM2 spot<=0.10 at 0.05 CNY/h\n");
}

TEST(RenderWatchEventTest, OneLinePerOrder) {
  provisioning::v1::WatchEvent event;
  event.set_revision(12);
  event.set_type(provisioning::v1::WatchEvent::CHANGE);
  *event.add_orders() = FromText<Order>(kActiveOrder);
  EXPECT_EQ(RenderWatchEvent(event),
            "rev 12  CHANGE  ord-1  ACTIVE  2/2 running  S5.MEDIUM2  ap-guangzhou-3\n");
  event.clear_orders();
  event.set_type(provisioning::v1::WatchEvent::SNAPSHOT);
  EXPECT_EQ(RenderWatchEvent(event), "rev 12  SNAPSHOT  (no orders)\n");
}

TEST(RenderWatchEventTest, AFellBackChangeIsOneMoreLine) {
  provisioning::v1::WatchEvent event;
  event.set_revision(20);
  event.set_type(provisioning::v1::WatchEvent::CHANGE);
  Order* order = event.add_orders();
  *order = FromText<Order>(kCandidatesOrder);
  order->set_state(Order::SUBMITTED);
  order->clear_instances();
  auto* change = order->add_last_changes();
  change->set_kind(provisioning::v1::OrderChange::FELL_BACK);
  *change->mutable_attempt() = order->attempts(1);
  EXPECT_EQ(RenderWatchEvent(event),
            "rev 20  CHANGE  ord-5  SUBMITTED  0/4 running  S5.MEDIUM2  ap-guangzhou-3\n"
            "rev 20  CHANGE  ord-5  fell back to ap-guangzhou-6 S5.MEDIUM2 spot at 0.05/h "
            "(attempt 2, 1 instance)\n");
  // Once it holds instances: the zones they landed in.
  *order = FromText<Order>(kCandidatesOrder);
  EXPECT_EQ(
      RenderWatchEvent(event),
      "rev 20  CHANGE  ord-5  ACTIVE  4/4 running  S5.MEDIUM2  ap-guangzhou-4,ap-guangzhou-6\n");
}

TEST(RenderWatchEventTest, AccountEventsSayHowLongTheBalanceLasts) {
  provisioning::v1::WatchEvent event;
  event.set_revision(7);
  event.set_type(provisioning::v1::WatchEvent::ACCOUNT);
  auto* account = event.mutable_account();
  account->set_backend("tencent");
  account->set_state(provisioning::v1::AccountForecast::WARNING);
  account->set_balance("5.60");
  account->set_currency("CNY");
  account->set_spend_per_hour("1.60");
  account->mutable_forecast()->set_seconds(12600);
  EXPECT_EQ(RenderWatchEvent(event),
            "rev 7  ACCOUNT  tencent  WARNING  balance 5.60 CNY lasts 3h30m at 1.60 CNY/h\n");
  account->clear_forecast();
  account->set_state(provisioning::v1::AccountForecast::CLEARED);
  EXPECT_THAT(RenderWatchEvent(event), HasSubstr("CLEARED  balance 5.60 CNY lasts indefinitely"));
}

TEST(JsonLineTest, OneLineThatParsesBackToTheSameMessage) {
  const Order order = FromText<Order>(kActiveOrder);
  const std::string line = JsonLine(order);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_THAT(line, HasSubstr("\"orderId\":\"ord-1\""));
  EXPECT_THAT(line, HasSubstr("\"state\":\"ACTIVE\""));
  EXPECT_THAT(line, HasSubstr("\"createTime\":\"2024-05-01T10:00:00Z\""));
  Order parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, order));
}

TEST(RenderHelpersTest, EnumsTimesAndDurations) {
  EXPECT_EQ(OrderStateName(static_cast<Order::State>(42)), "42");  // from a newer server
  EXPECT_EQ(InstanceStateName(provisioning::v1::Instance::LAUNCH_FAILED), "LAUNCH_FAILED");
  EXPECT_TRUE(IsSettled(Order::ACTIVE));
  EXPECT_TRUE(IsSettled(Order::FAILED));
  EXPECT_TRUE(IsSettled(Order::CANCELLED));
  EXPECT_TRUE(IsSettled(Order::TERMINATED));
  EXPECT_FALSE(IsSettled(Order::PROVISIONING));
  EXPECT_FALSE(IsSettled(Order::TERMINATING));
  EXPECT_EQ(ElapsedText(absl::Milliseconds(400)), "0.4s");
  EXPECT_EQ(ElapsedText(absl::Seconds(59.94)), "59.9s");
  EXPECT_EQ(ElapsedText(absl::Seconds(125)), "2m05s");
  EXPECT_EQ(ElapsedText(absl::Minutes(62)), "1h02m");
  EXPECT_EQ(ElapsedText(-absl::Seconds(3)), "0.0s");
  EXPECT_EQ(FormatTable({{"a", "bb", "c"}, {"ddd", "e", ""}}, "> "), "> a    bb  c\n> ddd  e\n");
  EXPECT_EQ(ParseOutputFormat("JSON").value(), OutputFormat::kJson);
  EXPECT_FALSE(ParseOutputFormat("yaml").ok());
}

}  // namespace
}  // namespace cvm::cli
