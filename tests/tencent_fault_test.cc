// 100 purchases through the service while the CVM emulator fails 20 % of the
// requests: server errors, timeouts, and responses lost after the instances
// were created. Every order ends ACTIVE with exactly the instances it asked
// for: none missing, none bought twice (the ClientToken makes retries safe).

#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::tencentcloud::emulator::v1::Fault;
using provisioning::v1::Order;

constexpr int kPurchases = 100;

TEST(TencentFaultTest, TwentyPercentFaultsStillBuyExactlyWhatWasOrdered) {
  tencentcloud::EmulatorConfig world = tencentcloud::TestWorld();
  // RunInstances: 20 % of calls fail, half of them after buying.
  tencentcloud::AddFault(world, "RunInstances", Fault::LOST_RESPONSE, 0.10);
  tencentcloud::AddFault(world, "RunInstances", Fault::SERVER_ERROR, 0.05 / 0.90);
  tencentcloud::AddFault(world, "RunInstances", Fault::TIMEOUT, 0.05 / 0.85);
  // Every other action: 20 % server errors and timeouts.
  for (const char* action : {"DescribeZoneInstanceConfigInfos", "DescribeAccountQuota",
                             "DescribeAccountBalance", "DescribeInstances"}) {
    tencentcloud::AddFault(world, action, Fault::SERVER_ERROR, 0.15);
    tencentcloud::AddFault(world, action, Fault::TIMEOUT, 0.05 / 0.85);
  }
  auto emulator = tencentcloud::EmulatorServer::Start(world, "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  auto server = ServerProcess::Start(WriteEmulatorConfig(
      "faults.textproto", (*emulator)->port(), tencentcloud::kTestSecretId,
      tencentcloud::kTestSecretKey, "request_timeout { nanos: 500000000 }"));
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = NewStub((*server)->target());

  // Orders of 1 or 2 instances, 25 client threads.
  std::vector<Order> orders(kPurchases);
  std::vector<std::string> errors(kPurchases);
  std::vector<std::thread> threads;
  for (int t = 0; t < 25; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kPurchases; i += 25) {
        grpc::Status status = stub->Purchase(ContextWithDeadline(240).get(),
                                             PurchaseOf(absl::StrCat("fault-", i), 1 + i % 2),
                                             &orders[i]);
        if (!status.ok()) errors[i] = status.error_message();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  int ordered = 0;
  for (int i = 0; i < kPurchases; ++i) {
    EXPECT_EQ(errors[i], "") << "purchase " << i;
    ordered += 1 + i % 2;
  }

  // Everything comes up; every order holds exactly its own instances.
  provisioning::v1::DescribeResponse active;
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (absl::Now() < deadline) {
    (*emulator)->clock().Advance(absl::Minutes(10));
    provisioning::v1::DescribeRequest request;
    request.add_states(Order::ACTIVE);
    request.set_page_size(500);
    active.Clear();
    ASSERT_TRUE(stub->Describe(ContextWithDeadline(30).get(), request, &active).ok());
    if (active.orders_size() == kPurchases) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  ASSERT_EQ(active.orders_size(), kPurchases);
  std::set<std::string> instance_ids;
  for (const Order& order : active.orders()) {
    EXPECT_EQ(order.instances_size(), order.instance_count()) << order.order_id();
    for (const auto& instance : order.instances()) instance_ids.insert(instance.instance_id());
  }
  EXPECT_EQ(static_cast<int>(instance_ids.size()), ordered);

  const tencentcloud::Json books = (*emulator)->Books();
  std::printf("ordered %d instances; emulator created %d; faults injected %s\n", ordered,
              books[tencentcloud::kTestSecretId]["Created"].get<int>(),
              books["FaultsInjected"].dump().c_str());
  EXPECT_EQ(books[tencentcloud::kTestSecretId]["Created"].get<int>(), ordered);
  EXPECT_GT(books["FaultsInjected"].value("LOST_RESPONSE", 0), 0);

  EXPECT_EQ((*server)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
