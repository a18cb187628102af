#include "cli/commands.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "cli/command_test_support.h"
#include "cli/exit_codes.h"
#include "cli/fake_service.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using provisioning::v1::DescribeResponse;
using provisioning::v1::Order;
using testing::BadFieldStatus;
using ::testing::ElementsAre;
using testing::FakeProvisioningService;
using ::testing::HasSubstr;
using testing::InProcessServer;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using testing::WatchScript;

Order ProvisioningOrder() {
  Order order;
  order.set_name("orders/ord-7");
  order.set_order_id("ord-7");
  order.set_request_id("req-7");
  order.set_state(Order::PROVISIONING);
  order.set_instance_count(1);
  order.set_backend("fake");
  order.mutable_spec()->set_instance_type("S5.MEDIUM2");
  order.mutable_spec()->set_zone("ap-guangzhou-3");
  order.mutable_spec()->mutable_pay_as_you_go();
  auto* instance = order.add_instances();
  instance->set_instance_id("ins-7");
  instance->set_state(provisioning::v1::Instance::PENDING);
  return order;
}

class CommandsTest : public ::testing::Test {
 protected:
  // Runs provisionctl against the fake service; returns the exit code.
  int Run(std::vector<std::string> args) { return cli_.Run(std::move(args)); }
  std::string out() const { return cli_.out(); }
  std::string err() const { return cli_.err(); }

  FakeProvisioningService service_;
  InProcessServer server_{&service_};
  testing::ProvisionctlRunner cli_{server_.target()};
};

TEST_F(CommandsTest, HelpGoesToStdoutAndExitsZero) {
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_THAT(out(), HasSubstr("Exit codes:"));
  EXPECT_EQ(Run({"purchase", "--help"}), kExitOk);
  EXPECT_THAT(out(), HasSubstr("Usage: provisionctl purchase [FLAGS]"));
  EXPECT_EQ(Run({"help", "watch"}), kExitOk);
  EXPECT_THAT(out(), HasSubstr("Usage: provisionctl watch [ORDER_ID] [FLAGS]"));
  EXPECT_EQ(Run({}), kExitUsage);  // no command: the help, as an error
  EXPECT_THAT(err(), HasSubstr("Commands:"));
}

TEST_F(CommandsTest, UsageErrorsExitOneAndPointAtTheCommandsHelp) {
  EXPECT_EQ(Run({"purchase", "--colour=red"}), kExitUsage);
  EXPECT_EQ(err(),
            "provisionctl: unknown flag --colour for purchase\n"
            "Run `provisionctl purchase --help` for usage.\n");
  EXPECT_EQ(Run({"--output=yaml", "describe"}), kExitUsage);
  EXPECT_THAT(err(), HasSubstr("--output=yaml: expected table or json"));
  EXPECT_EQ(Run({"purchase", "extra"}), kExitUsage);
  EXPECT_THAT(err(), HasSubstr("purchase takes flags only"));
  EXPECT_EQ(Run({"purchase", "--system_disk=floppy:1"}), kExitUsage);
  EXPECT_EQ(Run({"terminate"}), kExitUsage);
  EXPECT_EQ(Run({"launch"}), kExitUsage);
  EXPECT_THAT(err(), HasSubstr("unknown command \"launch\""));
  // Nothing reached the service.
  EXPECT_THAT(service_.purchases(), IsEmpty());
  EXPECT_THAT(service_.terminates(), IsEmpty());
}

TEST_F(CommandsTest, PurchaseSendsTheFlagsAndPrintsTheGeneratedRequestId) {
  service_.SetPurchase(grpc::Status::OK, ProvisioningOrder());
  EXPECT_EQ(Run({"purchase", "--region=ap-guangzhou", "--zone=ap-guangzhou-3",
                 "--instance_type=S5.MEDIUM2", "--image=img-1", "--count=2"}),
            kExitOk);
  ASSERT_EQ(service_.purchases().size(), 1u);
  const provisioning::v1::PurchaseRequest request = service_.purchases()[0];
  EXPECT_EQ(request.instance_count(), 2);
  EXPECT_EQ(request.spec().image_id(), "img-1");
  EXPECT_THAT(request.request_id(), MatchesRegex("[0-9a-f-]{36}"));
  EXPECT_EQ(err(), absl::StrCat("provisionctl: request id ", request.request_id(),
                                " (to retry this purchase safely: --request_id=",
                                request.request_id(), ")\n"));
  EXPECT_THAT(out(), HasSubstr("Order ord-7  PROVISIONING\n"));
  EXPECT_THAT(out(), HasSubstr("  ins-7     PENDING"));
}

TEST_F(CommandsTest, PurchaseAsJsonKeepsStdoutPure) {
  service_.SetPurchase(grpc::Status::OK, ProvisioningOrder());
  EXPECT_EQ(Run({"purchase", "--request_id=mine", "--output=json"}), kExitOk);
  EXPECT_EQ(err(), "");  // the id was given, so nothing to tell
  Order order;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out(), &order).ok()) << out();
  EXPECT_EQ(order.order_id(), "ord-7");
  EXPECT_EQ(service_.purchases()[0].request_id(), "mine");
}

TEST_F(CommandsTest, InvalidArgumentExitsTwoNamingTheField) {
  service_.SetPurchase(BadFieldStatus("instance_count", "must be between 1 and 100"));
  EXPECT_EQ(Run({"purchase", "--count=0", "--request_id=r"}), kExitInvalidArgument);
  EXPECT_EQ(service_.purchases()[0].instance_count(), 0);
  EXPECT_EQ(err(),
            "provisionctl: purchase failed: INVALID_ARGUMENT: instance_count: must be between 1 "
            "and 100\n"
            "  field instance_count: must be between 1 and 100\n"
            "  reason INVALID_ARGUMENT (provisioner.cvm.dev)\n");
  EXPECT_EQ(out(), "");
}

TEST_F(CommandsTest, UnavailablePurchaseSaysHowToRetrySafely) {
  service_.SetPurchase(grpc::Status(grpc::StatusCode::UNAVAILABLE, "cloud timed out"));
  EXPECT_EQ(Run({"purchase", "--request_id=abc"}), kExitUnavailable);
  EXPECT_THAT(err(), HasSubstr("UNAVAILABLE: cloud timed out"));
  EXPECT_THAT(err(), HasSubstr("retrying with --request_id=abc returns this order"));
}

TEST_F(CommandsTest, PurchaseWatchFollowsTheNewOrder) {
  service_.SetPurchase(grpc::Status::OK, ProvisioningOrder());
  Order active = ProvisioningOrder();
  active.set_state(Order::ACTIVE);
  active.mutable_instances(0)->set_state(provisioning::v1::Instance::RUNNING);
  active.mutable_instances(0)->add_private_ips("10.0.0.7");
  WatchScript script;
  provisioning::v1::WatchEvent event;
  event.set_revision(9);
  *event.add_orders() = active;
  script.steps.push_back({absl::ZeroDuration(), event});
  script.hold_open = true;
  service_.AddWatch(script);
  EXPECT_EQ(Run({"purchase", "--request_id=r", "--watch"}), kExitOk);
  ASSERT_EQ(service_.watches().size(), 1u);
  EXPECT_EQ(service_.watches()[0].order_id(), "ord-7");
  EXPECT_THAT(out(), HasSubstr("order ord-7 PROVISIONING"));
  EXPECT_THAT(out(), HasSubstr("ins-7  RUNNING        public -                private "
                               "10.0.0.7\n"));
  EXPECT_THAT(out(), HasSubstr("order ord-7 ACTIVE: 1/1 running\n"));
  EXPECT_THAT(out(), Not(HasSubstr("request id")));  // no order table before the view
}

TEST_F(CommandsTest, DryRunHasNothingToWatch) {
  Order dry = ProvisioningOrder();
  dry.clear_name();
  dry.clear_order_id();
  service_.SetPurchase(grpc::Status::OK, dry);
  EXPECT_EQ(Run({"purchase", "--request_id=r", "--dry_run", "--watch"}), kExitOk);
  EXPECT_TRUE(service_.purchases()[0].dry_run());
  EXPECT_THAT(out(), HasSubstr("Dry run passed: nothing was bought."));
  EXPECT_THAT(service_.watches(), IsEmpty());
}

TEST_F(CommandsTest, DescribeByIdsOrAsAList) {
  DescribeResponse response;
  *response.add_orders() = ProvisioningOrder();
  service_.SetDescribe(grpc::Status::OK, response);
  EXPECT_EQ(Run({"describe", "orders/ord-7"}), kExitOk);
  EXPECT_THAT(service_.describes()[0].order_ids(), ElementsAre("ord-7"));
  EXPECT_THAT(out(), HasSubstr("Order ord-7  PROVISIONING\n  request id  req-7\n"));

  response.set_next_page_token("next");
  service_.SetDescribe(grpc::Status::OK, response);
  EXPECT_EQ(Run({"describe", "--state=provisioning", "--page_size=1"}), kExitOk);
  EXPECT_EQ(service_.describes()[1].page_size(), 1);
  EXPECT_THAT(out(), HasSubstr("ord-7  PROVISIONING  0/1"));
  EXPECT_THAT(out(), HasSubstr("More orders: describe --page_token=next\n"));

  EXPECT_EQ(Run({"describe", "--output=json"}), kExitOk);
  DescribeResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out(), &parsed).ok());
  EXPECT_EQ(parsed.next_page_token(), "next");
  EXPECT_EQ(parsed.orders(0).order_id(), "ord-7");
}

TEST_F(CommandsTest, DescribeNotFoundExitsFour) {
  service_.SetDescribe(grpc::Status(grpc::StatusCode::NOT_FOUND, "order ord-x not found"));
  EXPECT_EQ(Run({"describe", "ord-x"}), kExitNotFound);
  EXPECT_EQ(err(), "provisionctl: describe failed: NOT_FOUND: order ord-x not found\n");
}

TEST_F(CommandsTest, QuoteAndTerminate) {
  provisioning::v1::Quote quote;
  quote.set_currency("CNY");
  quote.set_total_price_per_hour("0.30");
  service_.SetQuote(grpc::Status::OK, quote);
  EXPECT_EQ(Run({"quote", "--instance_type=S5.MEDIUM2", "--zone=z-1", "--count=3"}), kExitOk);
  EXPECT_EQ(service_.quotes()[0].instance_count(), 3);
  EXPECT_THAT(out(), HasSubstr("Quote for 3 x S5.MEDIUM2 in z-1, pay-as-you-go\n"));
  EXPECT_THAT(out(), HasSubstr("per hour, all instances  0.30 CNY\n"));

  Order terminating = ProvisioningOrder();
  terminating.set_state(Order::TERMINATING);
  service_.SetTerminate(grpc::Status::OK, terminating);
  EXPECT_EQ(Run({"terminate", "ord-7", "--output=json"}), kExitOk);
  EXPECT_EQ(service_.terminates()[0].order_id(), "ord-7");
  EXPECT_THAT(out(), HasSubstr("\"state\":\"TERMINATING\""));
}

TEST_F(CommandsTest, PreconditionAndQuotaExitThree) {
  service_.SetQuote(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "quota"));
  EXPECT_EQ(Run({"quote"}), kExitPrecondition);
  service_.SetTerminate(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "busy"));
  EXPECT_EQ(Run({"terminate", "ord-1"}), kExitPrecondition);
}

TEST(CommandsWithoutServerTest, UnreachableServerExitsFiveWithAHint) {
  std::ostringstream out, err;
  Environment environment{&out, &err};
  EXPECT_EQ(RunProvisionctl({"--server=127.0.0.1:1", "--timeout=5s", "describe"}, environment),
            kExitUnavailable);
  EXPECT_THAT(err.str(), HasSubstr("provisionctl: describe failed: UNAVAILABLE"));
  EXPECT_THAT(err.str(), HasSubstr("is the service running at 127.0.0.1:1? (see --server)"));
}

}  // namespace
}  // namespace cvm::cli
