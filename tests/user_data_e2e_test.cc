// User data reaches the cloud and nothing else: the provisioner binary buys
// two nodes from the CVM emulator with cloud-init user data holding a
// marker; the instances' metadata service has it, while no Purchase,
// Describe or Watch answer, error, /metrics scrape, audit log line or line
// of the server's output does (answers carry its SHA-256 instead).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::DescribeRequest;
using provisioning::v1::DescribeResponse;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;
using provisioning::v1::WatchEvent;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kMarker[] = "secret-marker";
constexpr char kScript[] =
    "#cloud-config\nwrite_files:\n- path: /etc/kubernetes/join-token\n"
    "  content: secret-marker\nruncmd: [kubeadm join 10.0.0.1:6443]\n";
// sha256sum of kScript.
constexpr char kScriptSha256[] = "9611033a2f3877ddf362045fed4c24e93862c6e85ffa32c18ad92a8913b66fc4";

PurchaseRequest NodePurchase(const std::string& request_id) {
  PurchaseRequest request = PurchaseOf(request_id, 2);
  auto* spec = request.mutable_spec();
  spec->set_user_data(absl::Base64Escape(kScript));
  spec->set_host_name("node");
  spec->set_cam_role_name("NodeRole");
  spec->mutable_network()->set_vpc_id("vpc-1");
  spec->mutable_network()->set_subnet_id("subnet-1");
  spec->mutable_network()->add_private_ip_addresses("10.0.1.8");
  spec->mutable_network()->add_private_ip_addresses("10.0.1.9");
  return request;
}

// Neither the marker nor the data as sent (base64) is in `text`.
void ExpectNoUserData(const std::string& where, const std::string& text) {
  EXPECT_THAT(text, Not(HasSubstr(kMarker))) << where << " holds the user data";
  EXPECT_THAT(text, Not(HasSubstr(absl::Base64Escape(kScript)))) << where << " holds it (base64)";
}

TEST(UserDataEndToEndTest, ReachesTheCloudAndNeverComesBack) {
  auto emulator = tencentcloud::EmulatorServer::Start(tencentcloud::TestWorld(), "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  auto server = ServerProcess::Start(
      WriteEmulatorConfig("tencent.textproto", (*emulator)->port(), tencentcloud::kTestSecretId,
                          tencentcloud::kTestSecretKey),
      {absl::StrCat("--audit_log=", TmpPath("audit.jsonl"))}, /*capture_stderr=*/true);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = NewStub((*server)->target());
  std::vector<std::string> answers;  // every answer, serialized
  auto expect_hash_only = [&](const Order& order) {
    EXPECT_TRUE(order.spec().user_data().empty());
    EXPECT_EQ(order.spec().user_data_sha256(), kScriptSha256);
    answers.push_back(order.SerializeAsString());
  };

  // A dry run, the purchase, and its retry.
  PurchaseRequest dry = NodePurchase("nodes-dry");
  dry.set_dry_run(true);
  Order preview;
  ASSERT_TRUE(stub->Purchase(ContextWithDeadline(30).get(), dry, &preview).ok());
  expect_hash_only(preview);
  Order order;
  grpc::Status bought =
      stub->Purchase(ContextWithDeadline(30).get(), NodePurchase("nodes"), &order);
  ASSERT_TRUE(bought.ok()) << bought.error_message();
  expect_hash_only(order);
  Order again;
  ASSERT_TRUE(stub->Purchase(ContextWithDeadline(30).get(), NodePurchase("nodes"), &again).ok());
  EXPECT_EQ(again.order_id(), order.order_id());
  expect_hash_only(again);

  // Every Watch event until the nodes run.
  provisioning::v1::WatchRequest watch;
  watch.set_order_id(order.order_id());
  auto context = ContextWithDeadline(60);
  auto reader = stub->Watch(context.get(), watch);
  WatchEvent event;
  int events = 0;
  Order last;
  while (last.state() != Order::ACTIVE && reader->Read(&event)) {
    answers.push_back(event.SerializeAsString());
    ++events;
    if (event.orders_size() == 0) continue;  // PROGRESS
    last = event.orders(0);
    EXPECT_EQ(last.spec().user_data_sha256(), kScriptSha256);
    (*emulator)->clock().Advance(absl::Minutes(10));
  }
  context->TryCancel();
  reader->Finish().IgnoreError();
  ASSERT_EQ(last.state(), Order::ACTIVE);

  // Describe, by id and listed.
  for (const bool by_id : {true, false}) {
    DescribeRequest request;
    if (by_id) request.add_order_ids(order.order_id());
    DescribeResponse response;
    ASSERT_TRUE(stub->Describe(ContextWithDeadline(30).get(), request, &response).ok());
    ASSERT_EQ(response.orders_size(), 1);
    expect_hash_only(response.orders(0));
    ASSERT_EQ(response.orders(0).instances_size(), 2);
    EXPECT_THAT(response.orders(0).instances(0).private_ips(), ::testing::ElementsAre("10.0.1.8"));
  }

  // The cloud has it: what each node's metadata service serves.
  for (const auto& instance : last.instances()) {
    auto served = HttpGet((*emulator)->port(), absl::StrCat("/_emulator/metadata/",
                                                            instance.instance_id(), "/user-data"));
    ASSERT_TRUE(served.ok()) << served.status();
    EXPECT_EQ(*served, kScript);
  }

  // A refusal does not quote it.
  PurchaseRequest bad = NodePurchase("nodes-bad");
  bad.mutable_spec()->set_user_data(kScript);  // not base64
  Order refused;
  grpc::Status error = stub->Purchase(ContextWithDeadline(30).get(), bad, &refused);
  EXPECT_EQ(error.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(error.error_message(), HasSubstr("spec.user_data"));

  auto metrics = HttpGet((*server)->metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_EQ((*server)->Stop(absl::Seconds(30)).value_or(-1), 0);
  const std::string audit = ReadFile(TmpPath("audit.jsonl"));
  const std::string output = (*server)->Output();
  const std::string all_answers = absl::StrJoin(answers, "\n");
  const std::vector<std::pair<std::string, std::string>> places = {
      {"answers", all_answers},
      {"error", error.error_message() + error.error_details()},
      {"metrics", *metrics},
      {"audit log", audit},
      {"server output", output}};
  for (const auto& [where, text] : places) {
    EXPECT_FALSE(text.empty()) << where << " is empty: nothing was checked";
    ExpectNoUserData(where, text);
  }
  EXPECT_THAT(audit, HasSubstr(order.order_id()));  // the purchase was audited
  std::printf(
      "user data e2e: %d Watch events and %zu answers (%zu bytes), audit log %zu bytes, server "
      "output %zu bytes, /metrics %zu bytes: 0 copies of the user data; the cloud served it to "
      "%d instances\n",
      events, answers.size(), all_answers.size(), audit.size(), output.size(), metrics->size(),
      last.instances_size());
}

}  // namespace
}  // namespace cvm::testing
