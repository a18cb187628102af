// Fake-specific behaviour; the Backend contract itself is checked by the
// conformance suite (fake_backend_conformance_test).
#include "backends/fake/fake_backend.h"

#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::fake::v1::Failure;
using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::Instance;
using ::testing::SizeIs;

CreateRequest Request(const std::string& token, int count, const std::string& type = "S5.SMALL") {
  CreateRequest request;
  request.spec.set_region("ap-guangzhou");
  request.spec.set_zone("ap-guangzhou-3");
  request.spec.set_instance_type(type);
  request.spec.mutable_pay_as_you_go();
  request.count = count;
  request.client_token = token;
  return request;
}

class FakeBackendTest : public ::testing::Test {
 protected:
  std::unique_ptr<FakeBackend> Make(const FakeBackendConfig& config) {
    auto backend = FakeBackend::Create(config, &clock_);
    EXPECT_TRUE(backend.ok()) << backend.status();
    return backend.ok() ? *std::move(backend) : nullptr;
  }
  FakeClock clock_;
};

TEST_F(FakeBackendTest, StockRunsOut) {
  FakeBackendConfig config;
  (*config.mutable_stock())["S5.SMALL"] = 3;
  auto backend = Make(config);
  ASSERT_TRUE(backend->Create(Request("a", 2)).ok());
  absl::Status status = backend->Preflight(Request("b", 2));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(status), "INSUFFICIENT_STOCK");
  EXPECT_EQ(backend->Create(Request("b", 2)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(backend->Create(Request("c", 1)).ok());
  EXPECT_TRUE(backend->Create(Request("d", 5, "S5.LARGE")).ok());  // unlimited type
  EXPECT_EQ(backend->CreatedCount(), 8);
}

TEST_F(FakeBackendTest, QuotaCountsLiveInstances) {
  FakeBackendConfig config;
  config.set_instance_quota(3);
  auto backend = Make(config);
  auto ids = backend->Create(Request("a", 3));
  ASSERT_TRUE(ids.ok());
  absl::Status status = backend->Preflight(Request("b", 1));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(GetDetail<google::rpc::QuotaFailure>(status).has_value());
  ASSERT_TRUE(backend->Terminate("ap-guangzhou", *ids).ok());
  EXPECT_TRUE(backend->Preflight(Request("b", 1)).ok());
}

TEST_F(FakeBackendTest, InjectedFailureCarriesCodeReasonAndCloudCode) {
  FakeBackendConfig config;
  Failure* failure = config.add_failures();
  failure->set_operation(Failure::CREATE);
  failure->set_code(static_cast<int>(absl::StatusCode::kUnavailable));
  failure->set_reason("CLOUD_INTERNAL_ERROR");
  failure->set_cloud_error_code("InternalError");
  auto backend = Make(config);
  absl::Status status = backend->Create(Request("a", 1)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CLOUD_INTERNAL_ERROR");
  EXPECT_EQ(info->metadata().at(kCloudErrorCodeKey), "InternalError");
  EXPECT_EQ(backend->CreatedCount(), 0);
  EXPECT_TRUE(backend->Preflight(Request("a", 1)).ok());
}

TEST_F(FakeBackendTest, FailureLimitedToAZoneSparesOthers) {
  FakeBackendConfig config;
  Failure* failure = config.add_failures();
  failure->set_operation(Failure::PREFLIGHT);
  failure->set_zone("ap-guangzhou-4");
  failure->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
  auto backend = Make(config);
  EXPECT_TRUE(backend->Preflight(Request("a", 1)).ok());
  CreateRequest other = Request("b", 1);
  other.spec.set_zone("ap-guangzhou-4");
  EXPECT_EQ(backend->Preflight(other).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(FakeBackendTest, LaunchFailureShowsAfterThePendingPhase) {
  FakeBackendConfig config;
  config.add_failures()->set_operation(Failure::LAUNCH);
  config.mutable_pending_duration()->set_seconds(5);
  auto backend = Make(config);
  auto ids = backend->Create(Request("a", 1));
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ((*backend->Describe("ap-guangzhou", *ids))[0].state, Instance::PENDING);
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ((*backend->Describe("ap-guangzhou", *ids))[0].state, Instance::LAUNCH_FAILED);
}

TEST_F(FakeBackendTest, PublicIpArrivesAfterItsDelay) {
  FakeBackendConfig config;
  config.mutable_pending_duration()->set_seconds(2);
  config.mutable_public_ip_delay()->set_seconds(3);
  auto backend = Make(config);
  CreateRequest request = Request("a", 1);
  request.spec.mutable_internet()->set_public_ip(true);
  auto ids = backend->Create(request);
  ASSERT_TRUE(ids.ok());
  clock_.Advance(absl::Seconds(2));
  auto running = backend->Describe("ap-guangzhou", *ids);
  EXPECT_EQ((*running)[0].state, Instance::RUNNING);
  EXPECT_THAT((*running)[0].public_ips, SizeIs(0));
  clock_.Advance(absl::Seconds(3));
  EXPECT_THAT((*backend->Describe("ap-guangzhou", *ids))[0].public_ips, SizeIs(1));
}

TEST_F(FakeBackendTest, RejectsBadConfig) {
  FakeBackendConfig bad_price;
  bad_price.set_price_per_hour("cheap");
  EXPECT_EQ(FakeBackend::Create(bad_price, &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  FakeBackendConfig bad_code;
  bad_code.add_failures()->set_operation(Failure::CREATE);
  absl::Status status = FakeBackend::Create(bad_code, &clock_).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("failures[0].code"));
}

TEST_F(FakeBackendTest, QuotesEachBillingModel) {
  FakeBackendConfig config;
  config.set_price_per_hour("0.50");
  config.set_spot_market_price("0.10");
  auto backend = Make(config);
  CreateRequest request = Request("q", 1);
  auto hourly = backend->Quote(request.spec, 2);
  ASSERT_TRUE(hourly.ok());
  EXPECT_EQ(hourly->unit_price_per_hour(), "0.50");
  EXPECT_EQ(hourly->total_price_per_hour(), "1.00");
  request.spec.mutable_spot()->set_max_price_per_hour("0.2");
  EXPECT_EQ(backend->Quote(request.spec, 1)->unit_price_per_hour(), "0.10");
  request.spec.mutable_prepaid()->set_period_months(1);
  // 730 hours at 0.50 with the 20 % prepaid discount.
  EXPECT_EQ(backend->Quote(request.spec, 1)->total_price_prepaid(), "292.00");
}

}  // namespace
}  // namespace cvm
