// A burst of 200 purchases through the service against the CVM emulator: the
// client-side pacing keeps every action within Tencent's per-second limits
// (the emulator refuses nothing), and every purchase ends ACTIVE with exactly
// one instance bought for it.

#include <atomic>
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

using provisioning::v1::Order;

constexpr int kPurchases = 200;
constexpr int kClientThreads = 50;

TEST(TencentBurstTest, TwoHundredPurchasesStayWithinTheRateLimitsAndAllActivate) {
  auto emulator = tencentcloud::EmulatorServer::Start(tencentcloud::TestWorld(), "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  auto server = ServerProcess::Start(
      WriteEmulatorConfig("burst.textproto", (*emulator)->port(), tencentcloud::kTestSecretId,
                          tencentcloud::kTestSecretKey));
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = NewStub((*server)->target());

  const absl::Time start = absl::Now();
  std::atomic<int> ok{0};
  std::vector<std::string> errors(kPurchases);
  std::vector<std::thread> threads;
  for (int t = 0; t < kClientThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kPurchases; i += kClientThreads) {
        Order order;
        grpc::Status status = stub->Purchase(ContextWithDeadline(240).get(),
                                             PurchaseOf(absl::StrCat("burst-", i), 1), &order);
        if (status.ok()) {
          ok.fetch_add(1);
        } else {
          errors[i] = status.error_message();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const absl::Duration burst = absl::Now() - start;
  for (int i = 0; i < kPurchases; ++i) EXPECT_EQ(errors[i], "") << "purchase " << i;
  ASSERT_EQ(ok.load(), kPurchases);

  // Bring the instances up and wait for the poller to see every order ACTIVE.
  int active = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (absl::Now() < deadline) {
    (*emulator)->clock().Advance(absl::Minutes(10));
    provisioning::v1::DescribeRequest request;
    request.add_states(Order::ACTIVE);
    request.set_page_size(500);
    provisioning::v1::DescribeResponse response;
    ASSERT_TRUE(stub->Describe(ContextWithDeadline(30).get(), request, &response).ok());
    active = response.orders_size();
    if (active == kPurchases) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(active, kPurchases);

  const tencentcloud::Json books = (*emulator)->emulator().Books();
  const tencentcloud::Json& limits = books["RateLimits"];
  std::printf("burst of %d purchases took %s; busiest second per action: %s\n", kPurchases,
              absl::FormatDuration(burst).c_str(), limits["BusiestSecond"].dump().c_str());
  EXPECT_EQ(limits["Refused"].get<int>(), 0);
  EXPECT_LE(limits["BusiestSecond"]["RunInstances"].get<int>(), 10);
  EXPECT_LE(limits["BusiestSecond"]["DescribeInstances"].get<int>(), 40);
  EXPECT_EQ(books[tencentcloud::kTestSecretId]["Created"].get<int>(), kPurchases);

  EXPECT_EQ((*server)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

}  // namespace
}  // namespace cvm::testing
