// Fake-specific behaviour; the Backend contract itself is checked by the
// conformance suite (fake_backend_conformance_test).
#include "backends/fake/fake_backend.h"

#include <set>
#include <string>
#include <vector>

#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::fake::v1::Failure;
using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::Instance;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kRegion[] = "ap-guangzhou";

CreateRequest Request(const std::string& token, int count,
                      const std::string& type = "S5.SMALL") {
  CreateRequest request;
  request.spec.set_region(kRegion);
  request.spec.set_zone("ap-guangzhou-3");
  request.spec.set_instance_type(type);
  request.spec.mutable_pay_as_you_go();
  request.count = count;
  request.client_token = token;
  request.order_id = "ord-" + token;
  return request;
}

Failure* AddFailure(FakeBackendConfig& config, Failure::Operation op,
                    absl::StatusCode code) {
  Failure* failure = config.add_failures();
  failure->set_operation(op);
  failure->set_code(static_cast<int>(code));
  return failure;
}

std::string BadField(const absl::Status& status) {
  auto bad = GetDetail<google::rpc::BadRequest>(status);
  return bad.has_value() && bad->field_violations_size() > 0
             ? bad->field_violations(0).field()
             : "";
}

class FakeBackendTest : public ::testing::Test {
 protected:
  std::unique_ptr<FakeBackend> Make(const FakeBackendConfig& config) {
    auto backend = FakeBackend::Create(config, &clock_);
    EXPECT_TRUE(backend.ok()) << backend.status();
    return backend.ok() ? *std::move(backend) : nullptr;
  }
  InstanceStatus DescribeOne(FakeBackend& backend, const std::string& id) {
    auto statuses = backend.Describe(kRegion, {id});
    EXPECT_TRUE(statuses.ok()) << statuses.status();
    return statuses.ok() && statuses->size() == 1 ? (*statuses)[0] : InstanceStatus();
  }
  FakeClock clock_;
};

TEST_F(FakeBackendTest, StockDecreasesAndRunsOut) {
  FakeBackendConfig config;
  (*config.mutable_stock())["S5.SMALL"] = 3;
  auto backend = Make(config);
  ASSERT_TRUE(backend->Preflight(Request("a", 3)).ok());
  ASSERT_TRUE(backend->Create(Request("a", 2)).ok());
  // One left: asking for two fails, one succeeds.
  absl::Status status = backend->Preflight(Request("b", 2));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(status), "INSUFFICIENT_STOCK");
  auto failure = GetDetail<google::rpc::PreconditionFailure>(status);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->violations(0).subject(), "S5.SMALL");
  EXPECT_THAT(failure->violations(0).description(), HasSubstr("1 left, 2 requested"));
  EXPECT_EQ(backend->Create(Request("b", 2)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(backend->Preflight(Request("c", 1)).ok());
  EXPECT_TRUE(backend->Create(Request("c", 1)).ok());
  EXPECT_EQ(ErrorReason(backend->Preflight(Request("d", 1))), "INSUFFICIENT_STOCK");
  EXPECT_TRUE(backend->Create(Request("e", 5, "S5.LARGE")).ok());  // unlimited type
  EXPECT_EQ(backend->CreatedCount(), 8);
}

TEST_F(FakeBackendTest, RepeatedTokenBuysNothingEvenWhenStockIsGone) {
  FakeBackendConfig config;
  (*config.mutable_stock())["S5.SMALL"] = 2;
  auto backend = Make(config);
  auto first = backend->Create(Request("a", 2));
  ASSERT_TRUE(first.ok());
  auto again = backend->Create(Request("a", 2));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(backend->CreatedCount(), 2);
}

TEST_F(FakeBackendTest, CreateNeedsACountAndAToken) {
  auto backend = Make(FakeBackendConfig());
  EXPECT_EQ(backend->Create(Request("a", 0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(backend->Create(Request("", 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(backend->CreatedCount(), 0);
}

TEST_F(FakeBackendTest, QuotaCountsLiveInstances) {
  FakeBackendConfig config;
  config.set_instance_quota(3);
  auto backend = Make(config);
  auto ids = backend->Create(Request("a", 3));
  ASSERT_TRUE(ids.ok());
  absl::Status status = backend->Preflight(Request("b", 1));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  auto quota = GetDetail<google::rpc::QuotaFailure>(status);
  ASSERT_TRUE(quota.has_value());
  EXPECT_EQ(quota->violations(0).subject(), "instances");
  EXPECT_THAT(quota->violations(0).description(), HasSubstr("3 of 3 in use"));
  EXPECT_EQ(backend->Create(Request("b", 1)).status().code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(backend->Terminate(kRegion, *ids).ok());
  EXPECT_TRUE(backend->Preflight(Request("b", 3)).ok());
  EXPECT_EQ(backend->Preflight(Request("b", 4)).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(backend->Create(Request("b", 3)).ok());
}

TEST_F(FakeBackendTest, SoldOutZoneFailsPreflightAndCreate) {
  FakeBackendConfig config;
  config.add_sold_out_zones("ap-guangzhou-1");
  auto backend = Make(config);
  CreateRequest request = Request("a", 1);
  request.spec.set_zone("ap-guangzhou-1");
  absl::Status status = backend->Preflight(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  auto failure = GetDetail<google::rpc::PreconditionFailure>(status);
  ASSERT_TRUE(failure.has_value());
  ASSERT_THAT(failure->violations(), SizeIs(1));
  EXPECT_EQ(failure->violations(0).type(), "ZONE_SOLD_OUT");
  EXPECT_EQ(failure->violations(0).subject(), "ap-guangzhou-1");
  EXPECT_EQ(backend->Create(request).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(backend->CreatedCount(), 0);
  EXPECT_TRUE(backend->Preflight(Request("b", 1)).ok());  // ap-guangzhou-3
}

TEST_F(FakeBackendTest, SpotPriceIsCheckedAgainstTheMarket) {
  FakeBackendConfig config;
  config.set_spot_market_price("0.05");
  auto backend = Make(config);
  CreateRequest request = Request("a", 1);
  request.spec.mutable_spot()->set_max_price_per_hour("0.049999");
  absl::Status low = backend->Preflight(request);
  EXPECT_EQ(low.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(low), "SPOT_PRICE_TOO_LOW");
  request.spec.mutable_spot()->set_max_price_per_hour("0.05");
  EXPECT_TRUE(backend->Preflight(request).ok());
  request.spec.mutable_spot()->set_max_price_per_hour("cheap");
  absl::Status bad = backend->Preflight(request);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(bad), "spec.spot.max_price_per_hour");
}

TEST_F(FakeBackendTest, InjectedFailureCarriesCodeReasonAndCloudCode) {
  FakeBackendConfig config;
  Failure* failure = AddFailure(config, Failure::CREATE, absl::StatusCode::kUnavailable);
  failure->set_reason("CLOUD_INTERNAL_ERROR");
  failure->set_cloud_error_code("InternalError");
  auto backend = Make(config);
  absl::Status status = backend->Create(Request("a", 1)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CLOUD_INTERNAL_ERROR");
  EXPECT_EQ(info->metadata().at("cloud_error_code"), "InternalError");
  EXPECT_EQ(info->metadata().at(kCloudRequestIdKey), "fake-request");
  EXPECT_EQ(backend->CreatedCount(), 0);
  // Only CREATE was configured to fail.
  EXPECT_TRUE(backend->Preflight(Request("a", 1)).ok());
  EXPECT_TRUE(backend->Describe(kRegion, {"ins-x"}).ok());
  EXPECT_TRUE(backend->Terminate(kRegion, {"ins-x"}).ok());
}

TEST_F(FakeBackendTest, InjectedFailureWithoutReasonIsInjectedFailure) {
  FakeBackendConfig config;
  AddFailure(config, Failure::PREFLIGHT, absl::StatusCode::kPermissionDenied);
  auto backend = Make(config);
  absl::Status status = backend->Preflight(Request("a", 1));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(status), "INJECTED_FAILURE");
  EXPECT_THAT(std::string(status.message()), HasSubstr("PREFLIGHT"));
}

TEST_F(FakeBackendTest, DescribeAndTerminateFailuresAreInjected) {
  FakeBackendConfig config;
  AddFailure(config, Failure::DESCRIBE, absl::StatusCode::kDeadlineExceeded)
      ->set_cloud_error_code("RequestTimeout");
  AddFailure(config, Failure::TERMINATE, absl::StatusCode::kUnauthenticated);
  auto backend = Make(config);
  auto ids = backend->Create(Request("a", 1));
  ASSERT_TRUE(ids.ok());
  absl::Status describe = backend->Describe(kRegion, *ids).status();
  EXPECT_EQ(describe.code(), absl::StatusCode::kDeadlineExceeded);
  auto info = GetDetail<google::rpc::ErrorInfo>(describe);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at(kCloudErrorCodeKey), "RequestTimeout");
  EXPECT_EQ(backend->Terminate(kRegion, *ids).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(FakeBackendTest, FirstMatchingFailureWinsAndZonesAreRespected) {
  FakeBackendConfig config;
  AddFailure(config, Failure::PREFLIGHT, absl::StatusCode::kFailedPrecondition)
      ->set_zone("ap-guangzhou-4");
  AddFailure(config, Failure::CREATE, absl::StatusCode::kResourceExhausted)
      ->set_zone("ap-guangzhou-4");
  AddFailure(config, Failure::CREATE, absl::StatusCode::kUnavailable)->set_probability(1);
  AddFailure(config, Failure::CREATE, absl::StatusCode::kInternal);
  auto backend = Make(config);
  EXPECT_TRUE(backend->Preflight(Request("a", 1)).ok());
  CreateRequest other = Request("b", 1);
  other.spec.set_zone("ap-guangzhou-4");
  EXPECT_EQ(backend->Preflight(other).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(backend->Create(other).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(backend->Create(Request("a", 1)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(FakeBackendTest, LaunchFailureShowsAfterThePendingPhase) {
  FakeBackendConfig config;
  config.add_failures()->set_operation(Failure::LAUNCH);
  config.mutable_pending_duration()->set_seconds(5);
  auto backend = Make(config);
  auto ids = backend->Create(Request("a", 2));
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_THAT(*ids, SizeIs(2));
  EXPECT_EQ(DescribeOne(*backend, (*ids)[0]).state, Instance::PENDING);
  clock_.Advance(absl::Seconds(4));
  EXPECT_EQ(DescribeOne(*backend, (*ids)[0]).state, Instance::PENDING);
  clock_.Advance(absl::Seconds(1));
  auto statuses = backend->Describe(kRegion, *ids);
  ASSERT_TRUE(statuses.ok());
  for (const InstanceStatus& s : *statuses) {
    EXPECT_EQ(s.state, Instance::LAUNCH_FAILED) << s.instance_id;
    EXPECT_TRUE(s.public_ips.empty());
  }
  ASSERT_TRUE(backend->Terminate(kRegion, *ids).ok());
  EXPECT_EQ(DescribeOne(*backend, (*ids)[1]).state, Instance::TERMINATED);
}

TEST_F(FakeBackendTest, InstancesLiveOnTheClock) {
  FakeBackendConfig config;
  config.mutable_pending_duration()->set_seconds(2);
  config.mutable_public_ip_delay()->set_seconds(3);
  auto backend = Make(config);
  CreateRequest request = Request("a", 2);
  request.spec.mutable_internet()->set_public_ip(true);
  const absl::Time bought = clock_.Now();
  auto ids = backend->Create(request);
  ASSERT_TRUE(ids.ok());
  InstanceStatus pending = DescribeOne(*backend, (*ids)[0]);
  EXPECT_EQ(pending.state, Instance::PENDING);
  EXPECT_EQ(pending.zone, "ap-guangzhou-3");
  EXPECT_EQ(pending.create_time, bought);
  EXPECT_THAT(pending.private_ips, SizeIs(1));
  EXPECT_TRUE(pending.public_ips.empty());
  clock_.Advance(absl::Seconds(2));
  InstanceStatus running = DescribeOne(*backend, (*ids)[0]);
  EXPECT_EQ(running.state, Instance::RUNNING);
  EXPECT_THAT(running.public_ips, SizeIs(0));
  clock_.Advance(absl::Seconds(3));
  auto later = backend->Describe(kRegion, *ids);
  ASSERT_TRUE(later.ok());
  ASSERT_THAT(*later, SizeIs(2));
  std::set<std::string> public_ips, private_ips;
  for (const InstanceStatus& s : *later) {
    EXPECT_EQ(s.state, Instance::RUNNING);
    ASSERT_THAT(s.public_ips, SizeIs(1));
    ASSERT_THAT(s.private_ips, SizeIs(1));
    public_ips.insert(s.public_ips[0]);
    private_ips.insert(s.private_ips[0]);
  }
  EXPECT_THAT(public_ips, SizeIs(2));
  EXPECT_THAT(private_ips, SizeIs(2));
}

TEST_F(FakeBackendTest, NoPublicIpUnlessAskedFor) {
  auto backend = Make(FakeBackendConfig());
  auto ids = backend->Create(Request("a", 1));
  ASSERT_TRUE(ids.ok());
  clock_.Advance(absl::Minutes(10));
  InstanceStatus status = DescribeOne(*backend, (*ids)[0]);
  EXPECT_EQ(status.state, Instance::RUNNING);
  EXPECT_TRUE(status.public_ips.empty());
}

TEST_F(FakeBackendTest, RejectsBadConfig) {
  FakeBackendConfig bad_price;
  bad_price.set_price_per_hour("cheap");
  absl::Status price = FakeBackend::Create(bad_price, &clock_).status();
  EXPECT_EQ(price.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(price), "price_per_hour");

  FakeBackendConfig bad_spot;
  bad_spot.set_spot_market_price("-0.01");
  EXPECT_EQ(BadField(FakeBackend::Create(bad_spot, &clock_).status()), "spot_market_price");

  FakeBackendConfig no_code;
  no_code.add_failures()->set_operation(Failure::CREATE);
  absl::Status status = FakeBackend::Create(no_code, &clock_).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("failures[0].code"));

  FakeBackendConfig out_of_range;
  AddFailure(out_of_range, Failure::LAUNCH, absl::StatusCode::kOk);
  out_of_range.add_failures()->set_operation(Failure::DESCRIBE);
  out_of_range.mutable_failures(1)->set_code(17);
  EXPECT_EQ(BadField(FakeBackend::Create(out_of_range, &clock_).status()),
            "failures[1].code");

  FakeBackendConfig bad_probability;
  AddFailure(bad_probability, Failure::CREATE, absl::StatusCode::kInternal)
      ->set_probability(1.5);
  EXPECT_EQ(BadField(FakeBackend::Create(bad_probability, &clock_).status()),
            "failures[0].probability");
}

TEST_F(FakeBackendTest, QuotesEachBillingModel) {
  FakeBackendConfig config;
  config.set_price_per_hour("0.50");
  config.set_spot_market_price("0.10");
  config.set_currency("USD");
  auto backend = Make(config);
  CreateRequest request = Request("q", 1);
  auto hourly = backend->Quote(request.spec, 2);
  ASSERT_TRUE(hourly.ok());
  EXPECT_EQ(hourly->currency(), "USD");
  EXPECT_EQ(hourly->unit_price_per_hour(), "0.50");
  EXPECT_EQ(hourly->total_price_per_hour(), "1.00");
  EXPECT_EQ(hourly->total_price_prepaid(), "");
  EXPECT_EQ(hourly->backend(), "");

  request.spec.mutable_spot()->set_max_price_per_hour("0.2");
  auto spot = backend->Quote(request.spec, 3);
  ASSERT_TRUE(spot.ok());
  EXPECT_EQ(spot->unit_price_per_hour(), "0.10");
  EXPECT_EQ(spot->total_price_per_hour(), "0.30");

  request.spec.mutable_prepaid()->set_period_months(1);
  auto prepaid = backend->Quote(request.spec, 1);
  ASSERT_TRUE(prepaid.ok());
  // 730 hours at 0.50 with the 20 % prepaid discount.
  EXPECT_EQ(prepaid->total_price_prepaid(), "292.00");
  EXPECT_EQ(prepaid->unit_price_per_hour(), "");
  request.spec.mutable_prepaid()->set_period_months(12);
  EXPECT_EQ(backend->Quote(request.spec, 2)->total_price_prepaid(), "7008.00");
}

// Regression (fuzz/service_config_fuzzer): a price of 300000 per hour made
// the prepaid quote of 100 instances for 60 months overflow int64 on the way
// (x 8 before / 10; UBSan). Totals are exact now, and one that does not fit
// is refused.
TEST_F(FakeBackendTest, LargeQuotesAreExactOrRefused) {
  FakeBackendConfig config;
  config.set_price_per_hour("300000");
  auto backend = Make(config);
  CreateRequest request = Request("q", 1);
  request.spec.mutable_prepaid()->set_period_months(60);
  // 300000 x 730 h x 60 months x 100 instances x 0.8.
  EXPECT_EQ(backend->Quote(request.spec, 100)->total_price_prepaid(), "1051200000000.00");
  config.set_price_per_hour("999999999999.999999");
  request.spec.mutable_pay_as_you_go();
  EXPECT_EQ(BadField(Make(config)->Quote(request.spec, 100).status()), "instance_count");
}

TEST_F(FakeBackendTest, QuotesPublicBandwidthByItsChargeType) {
  FakeBackendConfig config;
  config.set_price_per_hour("0.50");
  config.set_bandwidth_price_per_mbps_hour("0.02");
  config.set_traffic_price_per_gb("0.80");
  auto backend = Make(config);
  CreateRequest request = Request("q", 1);
  auto* internet = request.spec.mutable_internet();
  internet->set_public_ip(true);
  internet->set_max_bandwidth_out_mbps(10);
  internet->set_charge_type(provisioning::v1::InternetAccess::BANDWIDTH_POSTPAID_BY_HOUR);
  auto hourly = backend->Quote(request.spec, 2);
  ASSERT_TRUE(hourly.ok()) << hourly.status();
  EXPECT_EQ(hourly->instance_price_per_hour(), "1.00");
  EXPECT_EQ(hourly->bandwidth_price_per_hour(), "0.40");  // 2 x 10 Mbps x 0.02
  EXPECT_EQ(hourly->unit_price_per_hour(), "0.70");
  EXPECT_EQ(hourly->total_price_per_hour(), "1.40");

  internet->set_charge_type(provisioning::v1::InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
  auto traffic = backend->Quote(request.spec, 2);
  ASSERT_TRUE(traffic.ok());
  EXPECT_EQ(traffic->traffic_price_per_gb(), "0.80");
  EXPECT_EQ(traffic->total_price_per_hour(), "1.00");

  internet->set_charge_type(provisioning::v1::InternetAccess::BANDWIDTH_PREPAID);
  request.spec.mutable_prepaid()->set_period_months(1);
  auto prepaid = backend->Quote(request.spec, 2);
  ASSERT_TRUE(prepaid.ok());
  EXPECT_EQ(prepaid->instance_price_prepaid(), "584.00");   // 2 x 0.50 x 730 x 0.8
  EXPECT_EQ(prepaid->bandwidth_price_prepaid(), "233.60");  // 2 x 0.20 x 730 x 0.8
  EXPECT_EQ(prepaid->total_price_prepaid(), "817.60");

  internet->set_public_ip(false);  // no public IP: no network to pay for
  internet->set_max_bandwidth_out_mbps(0);
  EXPECT_EQ(backend->Quote(request.spec, 2)->bandwidth_price_prepaid(), "");
  config.set_currency("yuan");
  EXPECT_EQ(BadField(FakeBackend::Create(config, &clock_).status()), "currency");
}

TEST_F(FakeBackendTest, DefaultQuoteIsTenCentsInCny) {
  auto backend = Make(FakeBackendConfig());
  auto quote = backend->Quote(Request("q", 1).spec, 4);
  ASSERT_TRUE(quote.ok());
  EXPECT_EQ(quote->currency(), "CNY");
  EXPECT_EQ(quote->unit_price_per_hour(), "0.10");
  EXPECT_EQ(quote->total_price_per_hour(), "0.40");
}

TEST_F(FakeBackendTest, OffersEveryZoneAndTypeOnlyFromItsCatalogue) {
  FakeBackendConfig config;
  auto none = Make(config)->Offers(kRegion, {}, {"S5.MEDIUM2"}, absl::InfiniteFuture());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(none.status()), "catalogue_zones");
  auto no_types = Make(config)->Offers(kRegion, {"ap-guangzhou-3"}, {}, absl::InfiniteFuture());
  EXPECT_EQ(BadField(no_types.status()), "catalogue_types");

  for (const char* zone : {"ap-guangzhou-3", "ap-shanghai-2", "ap-guangzhou-6"}) {
    config.add_catalogue_zones(zone);
  }
  auto* s5 = config.add_catalogue_types();
  s5->set_instance_type("S5.LARGE8");
  s5->set_cpu(4);
  s5->set_memory_gb(8);
  auto* gpu = config.add_catalogue_types();
  gpu->set_instance_type("GN7.2XLARGE32");
  gpu->set_cpu(8);
  gpu->set_memory_gb(32);
  gpu->set_family("GN7vw");
  gpu->set_gpu(1);
  absl::StatusOr<CellOffers> all = Make(config)->Offers(kRegion, {}, {}, absl::InfiniteFuture());
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_THAT(all->cells, SizeIs(8));  // 2 zones of the region x 2 types x 2 billings
  std::set<std::string> zones;
  for (const CellOffer& cell : all->cells) zones.insert(cell.zone);
  EXPECT_EQ(zones, (std::set<std::string>{"ap-guangzhou-3", "ap-guangzhou-6"}));
  EXPECT_EQ(all->cells[0].instance_type, "S5.LARGE8");
  EXPECT_EQ(all->cells[0].cpu, 4);
  EXPECT_EQ(all->cells[0].memory_gb, 8);
  EXPECT_EQ(all->cells[0].family, "S5");  // the name's
  EXPECT_EQ(all->cells[2].family, "GN7vw");
  EXPECT_EQ(all->cells[2].gpu, 1);
  // A type named but not in the catalogue: 2 vCPUs, 0 GB, its name's family.
  auto named =
      Make(config)->Offers(kRegion, {"ap-guangzhou-3"}, {"SA2.MEDIUM2"}, absl::InfiniteFuture());
  ASSERT_TRUE(named.ok()) << named.status();
  ASSERT_THAT(named->cells, SizeIs(2));
  EXPECT_EQ(named->cells[0].cpu, 2);
  EXPECT_EQ(named->cells[0].memory_gb, 0);
  EXPECT_EQ(named->cells[0].family, "SA2");
}

}  // namespace
}  // namespace cvm
