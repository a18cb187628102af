#include "cli/progress_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/test_orders.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const absl::Time kStart = absl::FromUnixSeconds(1714557600);

void SetTime(google::protobuf::Timestamp* timestamp, absl::Time t) {
  const int64_t nanos = absl::ToUnixNanos(t);
  timestamp->set_seconds(nanos / 1000000000);
  timestamp->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

// Order ord-1 with two instances in `state`, last changed `after` the start.
Order OrderAt(Order::State state, absl::Duration after, Instance::State instances,
              bool public_ips) {
  Order order;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        order_id: "ord-1"
        instance_count: 2
        spec {
          zone: "ap-guangzhou-3"
          instance_type: "S5.MEDIUM2"
          internet { public_ip: true max_bandwidth_out_mbps: 10 }
          pay_as_you_go {}
        })pb",
      &order));
  order.set_state(state);
  SetTime(order.mutable_create_time(), kStart);
  SetTime(order.mutable_update_time(), kStart + after);
  for (int i = 1; i <= 2; ++i) {
    Instance* instance = order.add_instances();
    instance->set_instance_id(absl::StrCat("ins-", i));
    instance->set_state(instances);
    instance->add_private_ips(absl::StrCat("10.0.0.", i));
    if (public_ips) instance->add_public_ips(absl::StrCat("203.0.113.", i));
  }
  return order;
}

TEST(ProgressViewLinesTest, OneLinePerChangeDatedByTheServer) {
  ProgressView view(ProgressView::Mode::kLines);
  const absl::Time far_later = kStart + absl::Hours(5);  // the client's clock is ignored
  view.Update(OrderAt(Order::PROVISIONING, absl::Milliseconds(100), Instance::PENDING, false),
              far_later);
  EXPECT_EQ(view.Render(far_later),
            "+0.1s    order ord-1 PROVISIONING: 2 x S5.MEDIUM2 in ap-guangzhou-3, pay-as-you-go, "
            "public IP 10 Mbps\n"
            "+0.1s    ins-1  PENDING        public -                private 10.0.0.1\n"
            "+0.1s    ins-2  PENDING        public -                private 10.0.0.2\n");
  // The same state again: nothing new.
  view.Update(OrderAt(Order::PROVISIONING, absl::Milliseconds(200), Instance::PENDING, false),
              far_later);
  EXPECT_EQ(view.Render(far_later), "");
  view.Update(OrderAt(Order::PROVISIONING, absl::Milliseconds(300), Instance::RUNNING, false),
              far_later);
  view.Update(OrderAt(Order::ACTIVE, absl::Milliseconds(2500), Instance::RUNNING, true), far_later);
  EXPECT_EQ(view.Render(far_later),
            "+0.3s    ins-1  RUNNING        public -                private 10.0.0.1\n"
            "+0.3s    ins-2  RUNNING        public -                private 10.0.0.2\n"
            "+2.5s    ins-1  RUNNING        public 203.0.113.1      private 10.0.0.1\n"
            "+2.5s    ins-2  RUNNING        public 203.0.113.2      private 10.0.0.2\n"
            "+2.5s    order ord-1 ACTIVE: 2/2 running\n");
  EXPECT_EQ(view.order().state(), Order::ACTIVE);
}

TEST(ProgressViewLinesTest, FailedOrderNamesTheCause) {
  ProgressView view(ProgressView::Mode::kLines);
  Order order = OrderAt(Order::FAILED, absl::Seconds(3), Instance::LAUNCH_FAILED, false);
  order.mutable_failure()->set_reason("LAUNCH_FAILED");
  order.mutable_failure()->set_message("2 instances did not start");
  view.Update(order, kStart);
  const std::string out = view.Render(kStart);
  EXPECT_THAT(out, HasSubstr("ins-1  LAUNCH_FAILED  public -"));
  EXPECT_THAT(out, HasSubstr("+3.0s    order ord-1 FAILED: LAUNCH_FAILED: 2 instances did not "
                             "start\n"));
  EXPECT_THAT(out, Not(HasSubstr("\x1b")));
}

TEST(ProgressViewLinesTest, OrderWithoutInstancesYet) {
  ProgressView view(ProgressView::Mode::kLines);
  Order order = OrderAt(Order::SUBMITTED, absl::ZeroDuration(), Instance::PENDING, false);
  order.clear_instances();
  view.Update(order, kStart);
  EXPECT_THAT(view.Render(kStart), StartsWith("+0.0s    order ord-1 SUBMITTED: 2 x S5.MEDIUM2"));
}

// The candidates order of cli/test_orders.h as it ends (ACTIVE 12 s after
// the start) or, when `falling_back`, 1 s after the start: attempt 3 in
// flight, announced by a FELL_BACK change, the 3 spot instances PENDING.
Order Candidates(bool falling_back) {
  Order order;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(testing::kCandidatesOrder, &order));
  if (!falling_back) return order;
  order.set_state(Order::SUBMITTED);
  SetTime(order.mutable_update_time(), kStart + absl::Seconds(1));
  order.mutable_instances()->RemoveLast();  // attempt 3's, not bought yet
  for (Instance& instance : *order.mutable_instances()) instance.set_state(Instance::PENDING);
  order.mutable_attempts(2)->set_outcome(provisioning::v1::CandidateAttempt::IN_FLIGHT);
  auto* change = order.add_last_changes();
  change->set_kind(provisioning::v1::OrderChange::FELL_BACK);
  *change->mutable_attempt() = order.attempts(2);
  return order;
}

TEST(ProgressViewLinesTest, CandidatesSayWhereEachInstanceLandedAndWhenTheOrderFellBack) {
  ProgressView view(ProgressView::Mode::kLines);
  view.Update(Candidates(/*falling_back=*/true), kStart);
  const std::string pending = "  PENDING        public -                private ";
  EXPECT_EQ(view.Render(kStart),
            "+1.0s    order ord-5 SUBMITTED: 4 x S5.MEDIUM2 in ap-guangzhou-3 or ap-guangzhou-4 or "
            "ap-guangzhou-6, image img-1, spot (max 0.10/h) then pay-as-you-go\n"
            "+1.0s    order ord-5 fell back to ap-guangzhou-6 S5.MEDIUM2 pay-as-you-go at 0.16/h "
            "(attempt 3, 1 instance)\n"
            "+1.0s    ins-a" +
                pending +
                "10.0.0.1         in ap-guangzhou-4 S5.MEDIUM2 spot at 0.04/h\n"
                "+1.0s    ins-b" +
                pending +
                "10.0.0.2         in ap-guangzhou-4 S5.MEDIUM2 spot at 0.04/h\n"
                "+1.0s    ins-c" +
                pending + "10.0.0.3         in ap-guangzhou-4 S5.MEDIUM2 spot at 0.04/h\n");
  // The same change again (a resumed stream replays it): printed once.
  view.Update(Candidates(/*falling_back=*/true), kStart);
  EXPECT_EQ(view.Render(kStart), "");
  view.Update(Candidates(/*falling_back=*/false), kStart);
  const std::string last = view.Render(kStart);
  EXPECT_THAT(last, HasSubstr("+12.0s   ins-d  RUNNING        public -                private "
                              "10.0.0.4         in ap-guangzhou-6 S5.MEDIUM2 pay-as-you-go at "
                              "0.16/h\n"));
  EXPECT_THAT(last, HasSubstr("+12.0s   order ord-5 ACTIVE: 4/4 running\n"
                              "  ATTEMPT  ZONE            TYPE        BILLING     PRICE/H  COUNT  "
                              "OUTCOME  REASON\n"
                              "  1        ap-guangzhou-4  S5.MEDIUM2  spot<=0.10  0.04     3      "
                              "BOUGHT   -\n"));
  EXPECT_THAT(last, HasSubstr("  SKIPPED ZONE    TYPE        BILLING     PRICE/H  STOCK  QUOTA  "
                              "VERDICT\n"
                              "  ap-guangzhou-3  S5.MEDIUM2  spot<=0.10  0.15     -      1000   "
                              "SPOT_PRICE_TOO_LOW\n"));
  EXPECT_THAT(last, Not(HasSubstr("fell back")));
}

TEST(ProgressViewTerminalTest, CandidatesFramesShowWhereEachInstanceLandedAndTheAttempts) {
  ProgressView view(ProgressView::Mode::kTerminal);
  view.Update(Candidates(/*falling_back=*/false), kStart);
  const std::vector<std::string> lines =
      absl::StrSplit(view.Render(kStart + absl::Seconds(30)), '\n');
  // head, summary, table header, 4 instances, 4 lines of attempts, 2 of
  // skipped cells, erase-below.
  ASSERT_EQ(lines.size(), 14u) << absl::StrJoin(lines, "\n");
  EXPECT_EQ(lines[2],
            "\x1b[2K  INSTANCE  STATE    ELAPSED  ZONE            TYPE        BILLING  PRICE/H  "
            "PUBLIC IP  PRIVATE IP");
  EXPECT_EQ(lines[6],
            "\x1b[2K  ins-d     RUNNING  12.0s    ap-guangzhou-6  S5.MEDIUM2  payg     0.16     "
            "-          10.0.0.4");
  EXPECT_THAT(lines[7], HasSubstr("  ATTEMPT  ZONE"));
  EXPECT_THAT(lines[9], HasSubstr("  2        ap-guangzhou-6  S5.MEDIUM2  spot<=0.10  0.05     1 "
                                  "     REFUSED  ZONE_SOLD_OUT"));
  EXPECT_THAT(lines[12], HasSubstr("SPOT_PRICE_TOO_LOW"));
}

TEST(ProgressViewTerminalTest, RedrawsInPlaceWithTickingAndFrozenTimes) {
  ProgressView view(ProgressView::Mode::kTerminal);
  EXPECT_EQ(view.Render(kStart), "");  // nothing to show yet
  Order order = OrderAt(Order::PROVISIONING, absl::Seconds(1), Instance::PENDING, false);
  order.mutable_instances(0)->set_state(Instance::RUNNING);
  order.mutable_instances(0)->add_public_ips("203.0.113.1");  // ins-1 settled at +1s
  view.Update(order, kStart + absl::Seconds(1));

  const std::string first = view.Render(kStart + absl::Seconds(2));
  EXPECT_THAT(first, StartsWith("\x1b[2KOrder ord-1  PROVISIONING  elapsed 2.0s\n"));
  EXPECT_THAT(first, Not(HasSubstr("F\x1b[2K")));  // no cursor movement on the first frame
  const std::vector<std::string> lines = absl::StrSplit(first, '\n');
  ASSERT_EQ(lines.size(), 6u);  // head, spec, table header, 2 instances, erase-below
  EXPECT_EQ(lines[1],
            "\x1b[2K  2 x S5.MEDIUM2 in ap-guangzhou-3, pay-as-you-go, public IP 10 Mbps");
  EXPECT_EQ(lines[2], "\x1b[2K  INSTANCE  STATE    ELAPSED  PUBLIC IP    PRIVATE IP");
  EXPECT_EQ(lines[3], "\x1b[2K  ins-1     RUNNING  1.0s     203.0.113.1  10.0.0.1");
  EXPECT_EQ(lines[4], "\x1b[2K  ins-2     PENDING  2.0s     -            10.0.0.2");
  EXPECT_EQ(lines[5], "\x1b[J");

  // A second later: back up five lines; ins-2 ticks, ins-1 stays at 1.0s.
  const std::string second = view.Render(kStart + absl::Seconds(3));
  EXPECT_THAT(second, StartsWith("\x1b[5F\x1b[2KOrder ord-1  PROVISIONING  elapsed 3.0s\n"));
  EXPECT_THAT(second, HasSubstr("ins-1     RUNNING  1.0s"));
  EXPECT_THAT(second, HasSubstr("ins-2     PENDING  3.0s"));

  // Final: every time stops at the order's last change.
  view.Update(OrderAt(Order::ACTIVE, absl::Seconds(4), Instance::RUNNING, true),
              kStart + absl::Seconds(4));
  const std::string last = view.Render(kStart + absl::Seconds(60));
  EXPECT_THAT(last, HasSubstr("Order ord-1  ACTIVE  elapsed 4.0s"));
  EXPECT_THAT(last, HasSubstr("ins-1     RUNNING  1.0s     203.0.113.1"));
  EXPECT_THAT(last, HasSubstr("ins-2     RUNNING  4.0s     203.0.113.2"));
}

TEST(ProgressViewTerminalTest, LinesAreCutToTheTerminalWidth) {
  ProgressView view(ProgressView::Mode::kTerminal);
  view.set_width(20);
  view.Update(OrderAt(Order::PROVISIONING, absl::Seconds(1), Instance::PENDING, false), kStart);
  for (absl::string_view line : absl::StrSplit(view.Render(kStart), '\n')) {
    EXPECT_LE(line.size(), std::string("\x1b[2K").size() + 19) << line;
  }
}

TEST(ProgressViewTerminalTest, WaitingForInstanceIds) {
  ProgressView view(ProgressView::Mode::kTerminal);
  Order order = OrderAt(Order::SUBMITTED, absl::ZeroDuration(), Instance::PENDING, false);
  order.clear_instances();
  view.Update(order, kStart);
  EXPECT_THAT(view.Render(kStart), HasSubstr("(waiting for the cloud to name the instances)"));
}

}  // namespace
}  // namespace cvm::cli
