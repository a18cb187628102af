// End-to-end on the embedded default path: the provisioner binary with the
// tencentcloud backend, buying from the CVM emulator over signed HTTP.


#include <fstream>

#include "absl/strings/str_cat.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;
using provisioning::v1::WatchEvent;

class TencentEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emulator = tencentcloud::EmulatorServer::Start(tencentcloud::TestWorld(), "127.0.0.1", 0);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    auto server = ServerProcess::Start(
        WriteEmulatorConfig("tencent.textproto", emulator_->port(), tencentcloud::kTestSecretId,
                            tencentcloud::kTestSecretKey));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = NewStub(server_->target());
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    EXPECT_EQ(server_->Stop(absl::Seconds(30)).value_or(-1), 0);
  }

  // Watches the order until it is in `state`, moving the emulator's clock
  // forward so instances come up without waiting.
  Order WatchUntil(const std::string& order_id, Order::State state) {
    provisioning::v1::WatchRequest request;
    request.set_order_id(order_id);
    auto context = ContextWithDeadline(60);
    auto reader = stub_->Watch(context.get(), request);
    WatchEvent event;
    Order last;
    while (reader->Read(&event)) {
      if (event.orders_size() == 0) continue;  // PROGRESS
      last = event.orders(0);
      if (last.state() == state) {
        context->TryCancel();
        break;
      }
      emulator_->clock().Advance(absl::Minutes(10));
    }
    reader->Finish().IgnoreError();
    return last;
  }

  int Bought() {
    return emulator_->emulator().Books()[tencentcloud::kTestSecretId]["Created"].get<int>();
  }

  std::unique_ptr<tencentcloud::EmulatorServer> emulator_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
};

TEST_F(TencentEndToEndTest, PayAsYouGoInstancesBecomeActiveWithIps) {
  Order order;
  grpc::Status status =
      stub_->Purchase(ContextWithDeadline(30).get(), PurchaseOf("tc-payg", 2), &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(order.backend(), "tencent");
  Order active = WatchUntil(order.order_id(), Order::ACTIVE);
  ASSERT_EQ(active.state(), Order::ACTIVE);
  ASSERT_EQ(active.instances_size(), 2);
  EXPECT_THAT(active.instances(0).instance_id(), ::testing::StartsWith("ins-"));
  for (const Instance& instance : active.instances()) {
    EXPECT_EQ(instance.state(), Instance::RUNNING);
    EXPECT_EQ(instance.public_ips_size(), 1);
  }
  EXPECT_EQ(Bought(), 2);

  // The cloud calls are on /metrics, and the scrape still passes promtool.
  auto scrape = HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(scrape.ok()) << scrape.status();
  EXPECT_EQ(MetricValue(*scrape, "provisioner_cloud_calls_total",
                        {"action=\"RunInstances\"", "outcome=\"OK\"", "backend=\"tencent\""}),
            1);
  EXPECT_GE(MetricValue(*scrape, "provisioner_cloud_calls_total",
                        {"action=\"DescribeInstances\"", "outcome=\"OK\""}),
            1);
  EXPECT_EQ(MetricValue(*scrape, "provisioner_cloud_call_duration_seconds_count",
                        {"action=\"RunInstances\""}),
            1);
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/scrape.txt";
  std::ofstream(path) << *scrape;
  auto promtool = RunProcess({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + path},
                             absl::Seconds(60));
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  EXPECT_EQ(promtool->exit_code, 0) << promtool->output;
}

TEST_F(TencentEndToEndTest, SpotInstanceAtOrAboveTheMarketPriceIsBought) {
  auto request = PurchaseOf("tc-spot", 1);
  request.mutable_spec()->mutable_spot()->set_max_price_per_hour("0.05");
  Order order;
  grpc::Status status = stub_->Purchase(ContextWithDeadline(30).get(), request, &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(WatchUntil(order.order_id(), Order::ACTIVE).state(), Order::ACTIVE);
}

TEST_F(TencentEndToEndTest, SpotBelowTheMarketFailsPreflightAndBuysNothing) {
  auto request = PurchaseOf("tc-spot-low", 1);
  request.mutable_spec()->mutable_spot()->set_max_price_per_hour("0.01");
  Order order;
  grpc::Status status = PurchaseToTheEnd(*stub_, request, &order, absl::Seconds(30));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(order.state(), Order::FAILED);
  EXPECT_EQ(order.failure().reason(), "SPOT_PRICE_TOO_LOW");
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(status.error_details()));
  google::rpc::PreconditionFailure failure;
  bool found = false;
  for (const auto& any : rich.details()) found = found || any.UnpackTo(&failure);
  ASSERT_TRUE(found);
  EXPECT_EQ(failure.violations(0).type(), "SPOT_PRICE_TOO_LOW");
  EXPECT_EQ(Bought(), 0);
}

TEST_F(TencentEndToEndTest, TerminateReleasesTheInstances) {
  Order order;
  ASSERT_TRUE(
      stub_->Purchase(ContextWithDeadline(30).get(), PurchaseOf("tc-term", 1), &order).ok());
  // Once the cloud named the instances there is something to release.
  ASSERT_EQ(WatchUntil(order.order_id(), Order::ACTIVE).state(), Order::ACTIVE);
  provisioning::v1::TerminateRequest request;
  request.set_order_id(order.order_id());
  Order terminating;
  grpc::Status status = stub_->Terminate(ContextWithDeadline(30).get(), request, &terminating);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Order done = WatchUntil(order.order_id(), Order::TERMINATED);
  EXPECT_EQ(done.state(), Order::TERMINATED);
  EXPECT_EQ(emulator_->emulator().Books()[tencentcloud::kTestSecretId]["Live"].get<int>(), 0);
}

}  // namespace
}  // namespace cvm::testing
