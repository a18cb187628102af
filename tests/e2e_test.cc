// End-to-end: the real provisioner binary on free ports, driven over gRPC and
// HTTP from C++ (health, reflection, purchase + watch, metrics, start-up
// errors).
#include <algorithm>
#include <cstdio>
#include <fstream>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using ::testing::HasSubstr;
using provisioning::v1::Instance;
using provisioning::v1::Order;
using provisioning::v1::WatchEvent;

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ServerProcess::Start(RunfilePath("tests/testdata/fast_fake.textproto"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = NewStub(server_->target());
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    EXPECT_EQ(server_->Stop(absl::Seconds(30)).value_or(-1), 0);
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
};

TEST_F(EndToEndTest, PurchaseThreeInstancesAndWatchThemBecomeActive) {
  Order order;
  grpc::Status status =
      stub_->Purchase(ContextWithDeadline(30).get(), PurchaseOf("e2e-buy-3", 3), &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // Answered once durably accepted; the cloud call follows in the background.
  EXPECT_EQ(order.state(), Order::ACCEPTED);
  EXPECT_EQ(order.instances_size(), 0);

  provisioning::v1::WatchRequest request;
  request.set_order_id(order.order_id());
  auto context = ContextWithDeadline(30);
  auto reader = stub_->Watch(context.get(), request);
  WatchEvent event;
  int64_t last_revision = 0;
  std::vector<Order::State> states;
  bool first = true;
  while (reader->Read(&event)) {
    EXPECT_EQ(event.type(), first ? WatchEvent::SNAPSHOT : WatchEvent::CHANGE);
    first = false;
    EXPECT_GT(event.revision(), last_revision);
    last_revision = event.revision();
    ASSERT_EQ(event.orders_size(), 1);
    const Order& seen = event.orders(0);
    if (states.empty() || states.back() != seen.state()) states.push_back(seen.state());
    if (seen.state() == Order::ACTIVE) {
      for (const Instance& instance : seen.instances()) {
        EXPECT_EQ(instance.state(), Instance::RUNNING);
        EXPECT_EQ(instance.public_ips_size(), 1);
        EXPECT_EQ(instance.private_ips_size(), 1);
      }
      context->TryCancel();
    }
  }
  // Whatever state the snapshot caught, the rest follow in order to ACTIVE.
  const std::vector<Order::State> life = {Order::ACCEPTED, Order::CHECKING, Order::SUBMITTED,
                                          Order::PROVISIONING, Order::ACTIVE};
  ASSERT_FALSE(states.empty());
  auto first_seen = std::find(life.begin(), life.end(), states.front());
  ASSERT_NE(first_seen, life.end());
  EXPECT_EQ(states, std::vector<Order::State>(first_seen, life.end()));
}

TEST_F(EndToEndTest, OversizedRequestsAreRefusedNamingTheLimit) {
  auto request = PurchaseOf("e2e-huge", 1);
  auto* tag = request.mutable_spec()->add_tags();
  tag->set_key("padding");
  tag->set_value(std::string(300 * 1024, 'x'));  // over the 256 KiB request limit
  Order order;
  grpc::Status status = stub_->Purchase(ContextWithDeadline(30).get(), request, &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("262144"));
}

TEST_F(EndToEndTest, HealthIsServingForServerAndService) {
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials()));
  for (const std::string service : {"", "provisioning.v1.Provisioning"}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(ContextWithDeadline(10).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING)
        << "service \"" << service << "\"";
  }
}

TEST_F(EndToEndTest, ReflectionListsTheProvisioningService) {
  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(
      grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials()));
  auto context = ContextWithDeadline(10);
  auto stream = reflection->ServerReflectionInfo(context.get());
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, ::testing::Contains("provisioning.v1.Provisioning"));

  // The service's descriptor is served too, so tools like grpcurl work.
  request.set_file_containing_symbol("provisioning.v1.Provisioning");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(EndToEndTest, MetricsPassPromtoolAndCountOnePurchase) {
  const std::vector<std::string> purchase_ok = {"grpc_method=\"Purchase\"",
                                                "grpc_code=\"OK\""};
  auto before = HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(MetricValue(*before, "grpc_server_handled_total", purchase_ok), 0);

  Order order;
  ASSERT_TRUE(stub_->Purchase(ContextWithDeadline(30).get(), PurchaseOf("e2e-metrics", 1),
                              &order)
                  .ok());
  ASSERT_EQ(AwaitFinal(*stub_, order.order_id(), absl::Seconds(30)).value_or(Order()).state(),
            Order::ACTIVE);
  auto after = HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(MetricValue(*after, "grpc_server_handled_total", purchase_ok), 1);
  EXPECT_EQ(MetricValue(*after, "grpc_server_started_total", {"grpc_method=\"Purchase\""}), 1);
  EXPECT_EQ(MetricValue(*after, "grpc_server_msg_sent_total", {"grpc_method=\"Purchase\""}), 1);
  EXPECT_EQ(MetricValue(*after, "grpc_server_handling_seconds_count",
                        {"grpc_method=\"Purchase\""}),
            1);
  EXPECT_EQ(MetricValue(*after, "provisioner_purchases_total", {"outcome=\"OK\""}), 1);
  EXPECT_EQ(MetricValue(*after, "provisioner_orders", {"state=\"ACTIVE\""}), 1);

  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/scrape.txt";
  std::ofstream(path) << *after;
  auto promtool = RunProcess({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + path},
                             absl::Seconds(60));
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  EXPECT_EQ(promtool->exit_code, 0) << promtool->output;
}

// Watch counts its own gRPC series (the interceptor skips it): one stream
// that reads its SNAPSHOT and is cancelled is started, received, sent and
// handled CANCELLED once, in the real server's scrape.
TEST_F(EndToEndTest, WatchCountsItsOwnSeries) {
  // Health has a Watch too.
  const std::vector<std::string> watch = {"grpc_service=\"provisioning.v1.Provisioning\"",
                                          "grpc_method=\"Watch\""};
  {
    auto context = ContextWithDeadline(30);
    auto reader = stub_->Watch(context.get(), provisioning::v1::WatchRequest());
    WatchEvent snapshot;
    ASSERT_TRUE(reader->Read(&snapshot));
    EXPECT_EQ(snapshot.type(), WatchEvent::SNAPSHOT);
    context->TryCancel();
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  std::vector<std::string> cancelled = watch;
  cancelled.push_back("grpc_code=\"Canceled\"");
  absl::StatusOr<std::string> scrape;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {  // the server counts the status once the stream is done on its side
    scrape = HttpGet(server_->metrics_port(), "/metrics");
    ASSERT_TRUE(scrape.ok()) << scrape.status();
  } while (MetricValue(*scrape, "grpc_server_handled_total", cancelled) < 1 &&
           absl::Now() < deadline && (absl::SleepFor(absl::Milliseconds(50)), true));
  EXPECT_EQ(MetricValue(*scrape, "grpc_server_handled_total", cancelled), 1);
  EXPECT_EQ(MetricValue(*scrape, "grpc_server_started_total", watch), 1);
  EXPECT_EQ(MetricValue(*scrape, "grpc_server_msg_received_total", watch), 1);
  EXPECT_GE(MetricValue(*scrape, "grpc_server_msg_sent_total", watch), 1);
  EXPECT_EQ(MetricValue(*scrape, "grpc_server_handling_seconds_count", watch), 1);
}

// --watch_progress_interval: an idle Watch stream gets PROGRESS messages
// whose revision never goes backwards and never passes an unsent change.
TEST(WatchProgressTest, IdleStreamsGetProgressAtTheLatestRevision) {
  auto server = ServerProcess::Start(RunfilePath("tests/testdata/fast_fake.textproto"),
                                     {"--watch_progress_interval=200ms"});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = NewStub((*server)->target());
  auto context = ContextWithDeadline(30);
  auto reader = stub->Watch(context.get(), provisioning::v1::WatchRequest());
  WatchEvent snapshot, event;
  ASSERT_TRUE(reader->Read(&snapshot));
  ASSERT_EQ(snapshot.type(), WatchEvent::SNAPSHOT);
  ASSERT_TRUE(reader->Read(&event));  // nothing happens: progress
  EXPECT_EQ(event.type(), WatchEvent::PROGRESS);
  EXPECT_EQ(event.revision(), snapshot.revision());
  EXPECT_EQ(event.orders_size(), 0);

  Order order;
  ASSERT_TRUE(
      stub->Purchase(ContextWithDeadline(30).get(), PurchaseOf("e2e-progress", 1), &order).ok());
  int64_t last = snapshot.revision();
  int64_t last_change = 0;
  bool active = false;
  int progress_after_active = 0;
  while (progress_after_active < 2 && reader->Read(&event)) {
    if (event.type() == WatchEvent::CHANGE) {
      EXPECT_GT(event.revision(), last);
      last_change = event.revision();
      active = active || event.orders(0).state() == Order::ACTIVE;
    } else {
      ASSERT_EQ(event.type(), WatchEvent::PROGRESS);
      EXPECT_GE(event.revision(), last);
      if (active) ++progress_after_active;
    }
    last = event.revision();
  }
  ASSERT_TRUE(active);
  EXPECT_EQ(progress_after_active, 2);
  EXPECT_EQ(last, last_change);  // idle after ACTIVE: progress at its revision
  context->TryCancel();
  reader->Finish().IgnoreError();
  EXPECT_EQ((*server)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

TEST(StartupTest, UnknownBackendPluginFailsListingTheRegisteredOnes) {
  auto result = RunProcess({RunfilePath("service/provisioner"), "--listen=127.0.0.1:0",
                            "--metrics_listen=",
                            "--config=" + RunfilePath("tests/testdata/unknown_plugin.textproto")},
                           absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->output, HasSubstr("backends[0].plugin"));
  EXPECT_THAT(result->output, HasSubstr("unknown backend plugin \"tencentcloud-typo\""));
  EXPECT_THAT(result->output, HasSubstr("registered plugins: fake"));
}

TEST(StartupTest, MissingConfigFailsNamingTheFlag) {
  auto result = RunProcess({RunfilePath("service/provisioner"), "--listen=127.0.0.1:0",
                            "--metrics_listen="},
                           absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->output, HasSubstr("config: is required"));
}

TEST(StartupTest, UnknownStoreFailsNamingTheSupportedOnes) {
  auto result = RunProcess({RunfilePath("service/provisioner"), "--listen=127.0.0.1:0",
                            "--metrics_listen=", "--store=cassandra",
                            "--config=" + RunfilePath("tests/testdata/fast_fake.textproto")},
                           absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->output,
              HasSubstr("unknown store \"cassandra\"; supported: memory, sqlite:PATH"));
}

TEST(StartupTest, ANonPositiveReplicaCheckIntervalFailsNamingTheFlag) {
  auto result = RunProcess({RunfilePath("service/provisioner"), "--listen=127.0.0.1:0",
                            "--metrics_listen=", "--store=memory", "--replica_check_interval=0s",
                            "--config=" + RunfilePath("tests/testdata/fast_fake.textproto")},
                           absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->output, HasSubstr("replica_check_interval: must be positive"));
}

}  // namespace
}  // namespace cvm::testing
