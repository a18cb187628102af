#include "cli/follow.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/exit_codes.h"
#include "cli/fake_service.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;
using provisioning::v1::WatchEvent;
using provisioning::v1::WatchRequest;
using testing::FakeProvisioningService;
using ::testing::HasSubstr;
using testing::InProcessServer;
using ::testing::Not;
using testing::WatchScript;

// ord-1 in `state` with one instance ins-1 in `instance_state`.
Order OrderOf(Order::State state, Instance::State instance_state, bool public_ip = false) {
  Order order;
  order.set_order_id("ord-1");
  order.set_name("orders/ord-1");
  order.set_instance_count(1);
  order.set_state(state);
  order.mutable_spec()->set_instance_type("S5.MEDIUM2");
  order.mutable_spec()->set_zone("ap-guangzhou-3");
  order.mutable_spec()->mutable_internet()->set_public_ip(true);
  order.mutable_create_time()->set_seconds(1000);
  Instance* instance = order.add_instances();
  instance->set_instance_id("ins-1");
  instance->set_state(instance_state);
  instance->add_private_ips("10.0.0.1");
  if (public_ip) instance->add_public_ips("203.0.113.1");
  return order;
}

WatchEvent EventOf(int64_t revision, Order order, int64_t seconds) {
  WatchEvent event;
  event.set_revision(revision);
  event.set_type(revision == 1 ? WatchEvent::SNAPSHOT : WatchEvent::CHANGE);
  order.mutable_update_time()->set_seconds(seconds);
  *event.add_orders() = std::move(order);
  return event;
}

// PENDING, RUNNING, then ACTIVE with a public IP; the stream stays open.
WatchScript Activation(Order::State last = Order::ACTIVE) {
  WatchScript script;
  script.steps = {
      {absl::ZeroDuration(), EventOf(1, OrderOf(Order::PROVISIONING, Instance::PENDING), 1000)},
      {absl::Milliseconds(20), EventOf(2, OrderOf(Order::PROVISIONING, Instance::RUNNING), 1002)},
      {absl::Milliseconds(20), EventOf(3, OrderOf(last, Instance::RUNNING, true), 1003)},
  };
  script.hold_open = true;
  return script;
}

WatchRequest ForOrder(const std::string& id) {
  WatchRequest request;
  request.set_order_id(id);
  return request;
}

class FollowTest : public ::testing::Test {
 protected:
  Session MakeSession(OutputFormat output = OutputFormat::kTable, bool terminal = false) {
    Session session;
    session.stub = stub_.get();
    session.server = server_.target();
    session.output = output;
    session.out = &out_;
    session.err = &err_;
    session.terminal = terminal;
    session.refresh = absl::Milliseconds(5);
    return session;
  }

  FakeProvisioningService service_;
  InProcessServer server_{&service_};
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_ = server_.NewStub();
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(FollowTest, AppendedLinesUntilActiveThenExitZero) {
  service_.AddWatch(Activation());
  EXPECT_EQ(FollowOrder(MakeSession(), ForOrder("ord-1"), nullptr, absl::ZeroDuration()), kExitOk);
  EXPECT_EQ(out_.str(),
            "+0.0s    order ord-1 PROVISIONING: 1 x S5.MEDIUM2 in ap-guangzhou-3, no billing, "
            "public IP 0 Mbps\n"
            "+0.0s    ins-1  PENDING        public -                private 10.0.0.1\n"
            "+2.0s    ins-1  RUNNING        public -                private 10.0.0.1\n"
            "+3.0s    ins-1  RUNNING        public 203.0.113.1      private 10.0.0.1\n"
            "+3.0s    order ord-1 ACTIVE: 1/1 running\n");
  EXPECT_EQ(err_.str(), "");
  ASSERT_EQ(service_.watches().size(), 1u);
  EXPECT_EQ(service_.watches()[0].order_id(), "ord-1");
}

TEST_F(FollowTest, FailedOrderExitsSix) {
  WatchScript script = Activation(Order::FAILED);
  Order* last = script.steps.back().event.mutable_orders(0);
  last->mutable_failure()->set_reason("LAUNCH_FAILED");
  last->mutable_failure()->set_message("the cloud gave up");
  service_.AddWatch(script);
  EXPECT_EQ(FollowOrder(MakeSession(), ForOrder("ord-1"), nullptr, absl::ZeroDuration()),
            kExitOrderFailed);
  EXPECT_THAT(out_.str(), HasSubstr("order ord-1 FAILED: LAUNCH_FAILED: the cloud gave up\n"));
}

TEST_F(FollowTest, JsonIsOneWatchEventPerLine) {
  service_.AddWatch(Activation());
  EXPECT_EQ(FollowOrder(MakeSession(OutputFormat::kJson), ForOrder("ord-1"), nullptr,
                        absl::ZeroDuration()),
            kExitOk);
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  for (size_t i = 0; i < lines.size(); ++i) {
    WatchEvent event;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &event).ok()) << lines[i];
    EXPECT_EQ(event.revision(), static_cast<int64_t>(i + 1));
  }
  EXPECT_THAT(lines.back(), HasSubstr("\"state\":\"ACTIVE\""));
}

TEST_F(FollowTest, TerminalRedrawsInPlaceAndEndsOnTheFinalFrame) {
  service_.AddWatch(Activation());
  const Order initial = OrderOf(Order::PROVISIONING, Instance::PENDING);
  Session session = MakeSession(OutputFormat::kTable, /*terminal=*/true);
  session.now = [] { return absl::FromUnixSeconds(1001); };  // one second after create_time
  EXPECT_EQ(FollowOrder(session, ForOrder("ord-1"), &initial, absl::ZeroDuration()), kExitOk);
  const std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("\x1b[2KOrder ord-1  PROVISIONING  elapsed 1.0s\n"));
  EXPECT_THAT(out, HasSubstr("\x1b[2K  ins-1     PENDING  1.0s     -          10.0.0.1\n"));
  const size_t redraw = out.rfind("\x1b[4F");  // back over the previous four-line frame
  ASSERT_NE(redraw, std::string::npos);
  const std::string last_frame = out.substr(redraw);
  EXPECT_THAT(last_frame, HasSubstr("Order ord-1  ACTIVE  elapsed 3.0s"));
  EXPECT_THAT(last_frame, HasSubstr("ins-1     RUNNING  3.0s     203.0.113.1  10.0.0.1"));
}

TEST_F(FollowTest, AfterTheResponseEveryChangeIsReplayedFromItsRevision) {
  WatchScript script;
  Order fell_back = OrderOf(Order::SUBMITTED, Instance::PENDING);
  fell_back.mutable_candidates()->add_zones("ap-guangzhou-3");
  auto* change = fell_back.add_last_changes();
  change->set_kind(provisioning::v1::OrderChange::FELL_BACK);
  change->mutable_attempt()->set_number(2);
  change->mutable_attempt()->set_instance_count(1);
  change->mutable_attempt()->mutable_cell()->set_zone("ap-guangzhou-4");
  change->mutable_attempt()->mutable_cell()->set_instance_type("S5.MEDIUM2");
  script.steps = {{absl::ZeroDuration(), EventOf(6, fell_back, 1001)}, Activation().steps.back()};
  script.hold_open = true;
  service_.AddWatch(script);
  Order initial = OrderOf(Order::ACCEPTED, Instance::PENDING);
  initial.clear_instances();
  initial.set_revision(5);
  EXPECT_EQ(FollowOrder(MakeSession(), ForOrder("ord-1"), &initial, absl::ZeroDuration()), kExitOk);
  ASSERT_EQ(service_.watches().size(), 1u);
  EXPECT_EQ(service_.watches()[0].start_revision(), 5);
  EXPECT_THAT(out_.str(), HasSubstr("+1.0s    order ord-1 fell back to ap-guangzhou-4 S5.MEDIUM2 "
                                    "pay-as-you-go (attempt 2, 1 instance)\n"));
}

TEST_F(FollowTest, AFinalInitialOrderNeedsNoWatch) {
  const Order initial = OrderOf(Order::CANCELLED, Instance::TERMINATED);
  EXPECT_EQ(FollowOrder(MakeSession(), ForOrder("ord-1"), &initial, absl::ZeroDuration()), kExitOk);
  EXPECT_TRUE(service_.watches().empty());
}

TEST_F(FollowTest, AStreamErrorIsReportedWithItsExitCode) {
  WatchScript script;
  script.end = grpc::Status(grpc::StatusCode::NOT_FOUND, "order ord-9 not found");
  service_.AddWatch(script);
  EXPECT_EQ(FollowOrder(MakeSession(), ForOrder("ord-9"), nullptr, absl::ZeroDuration()),
            kExitNotFound);
  EXPECT_EQ(err_.str(), "provisionctl: watch failed: NOT_FOUND: order ord-9 not found\n");
}

TEST_F(FollowTest, WatchTimeoutSaysWhereTheOrderWas) {
  WatchScript script = Activation();
  script.steps.pop_back();  // never becomes ACTIVE
  service_.AddWatch(script);
  EXPECT_EQ(FollowOrder(MakeSession(), ForOrder("ord-1"), nullptr, absl::Milliseconds(300)),
            kExitUnavailable);
  EXPECT_THAT(err_.str(), HasSubstr("stopped watching after 300ms; order ord-1 is still "
                                    "PROVISIONING"));
}

TEST_F(FollowTest, ResumesAfterADrainAndSaysSo) {
  WatchScript first = Activation();
  first.steps.pop_back();
  first.hold_open = false;
  first.end = grpc::Status(grpc::StatusCode::UNAVAILABLE, "draining");
  WatchScript second;
  second.steps = {{absl::ZeroDuration(), Activation().steps.back().event}};
  second.hold_open = true;
  service_.AddWatch(first);
  service_.AddWatch(second);
  EXPECT_EQ(FollowOrder(MakeSession(), ForOrder("ord-1"), nullptr, absl::ZeroDuration()), kExitOk);
  EXPECT_THAT(err_.str(), HasSubstr("watch interrupted (UNAVAILABLE: draining); resuming after "
                                    "revision 2"));
  EXPECT_THAT(out_.str(), HasSubstr("order ord-1 ACTIVE"));
  ASSERT_EQ(service_.watches().size(), 2u);
  EXPECT_EQ(service_.watches()[1].start_revision(), 2);
}

TEST_F(FollowTest, WatchAllPrintsEveryOrderUntilTheTimeout) {
  WatchScript script = Activation();
  service_.AddWatch(script);
  EXPECT_EQ(WatchAll(MakeSession(), WatchRequest(), absl::Milliseconds(300)), kExitOk);
  EXPECT_EQ(out_.str(),
            "rev 1  SNAPSHOT  ord-1  PROVISIONING  0/1 running  S5.MEDIUM2  ap-guangzhou-3\n"
            "rev 2  CHANGE  ord-1  PROVISIONING  1/1 running  S5.MEDIUM2  ap-guangzhou-3\n"
            "rev 3  CHANGE  ord-1  ACTIVE  1/1 running  S5.MEDIUM2  ap-guangzhou-3\n");
  EXPECT_EQ(service_.watches()[0].order_id(), "");
}

TEST_F(FollowTest, WatchAllFailsWithTheStreamsError) {
  WatchScript script;
  script.end = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no");
  service_.AddWatch(script);
  EXPECT_EQ(WatchAll(MakeSession(OutputFormat::kJson), WatchRequest(), absl::ZeroDuration()),
            kExitOther);
  EXPECT_THAT(err_.str(), HasSubstr("PERMISSION_DENIED: no"));
}

}  // namespace
}  // namespace cvm::cli
