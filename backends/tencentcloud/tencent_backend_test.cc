// The tencentcloud backend against the CVM emulator over real HTTP:
// pre-flight failures each give their own status and details and buy
// nothing; cloud errors keep Tencent's code; credentials never leak.
#include "backends/tencentcloud/tencent_backend.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "backends/backend_registry.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "backends/tencentcloud/tencent_test_backend.h"
#include "backends/tencentcloud/tencentcloud_config.pb.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

class TencentBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = EmulatorServer::Start(TestWorld(), "127.0.0.1", 0);
    ASSERT_TRUE(server.ok()) << server.status();
    emulator_ = *std::move(server);
  }

  std::unique_ptr<Backend> BackendFor(const std::string& id, const std::string& key) {
    return BackendAt(emulator_->port(), id, key);
  }

  std::unique_ptr<Backend> BackendAt(int port, const std::string& id, const std::string& key) {
    auto backend = TencentBackendOn(port, id, key, currency_);
    EXPECT_TRUE(backend.ok()) << backend.status();
    return backend.ok() ? *std::move(backend) : nullptr;
  }

  static CreateRequest Request(int count, const std::string& zone = "ap-guangzhou-3") {
    CreateRequest request;
    request.spec.set_region("ap-guangzhou");
    request.spec.set_zone(zone);
    request.spec.set_instance_type("S5.MEDIUM2");
    request.spec.set_image_id("img-pi0ii46r");
    request.spec.mutable_pay_as_you_go();
    request.count = count;
    request.client_token = "token-" + zone + "-" + std::to_string(count);
    return request;
  }

  // Two instances with every node-bootstrap field set, `script` their user
  // data (docs/node-bootstrap.md).
  static CreateRequest NodeRequest(const std::string& script);

  // Instances the emulator's books say the account bought.
  int Bought(const std::string& id) {
    const Json books = emulator_->emulator().Books();
    return books.contains(id) ? books[id]["Created"].get<int>() : 0;
  }

  std::unique_ptr<EmulatorServer> emulator_;
  // What the backends made by BackendAt() say the account is billed in.
  std::string currency_ = "CNY";
};

TEST_F(TencentBackendTest, SoldOutZoneFailsPreflightAndBuysNothing) {
  auto backend = BackendFor(kTestSecretId, kTestSecretKey);
  absl::Status status = backend->Preflight(Request(1, "ap-guangzhou-1"));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  auto failure = GetDetail<google::rpc::PreconditionFailure>(status);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->violations(0).type(), "ZONE_SOLD_OUT");
  EXPECT_EQ(failure->violations(0).subject(), "ap-guangzhou-1");
  EXPECT_EQ(Bought(kTestSecretId), 0);
}

TEST_F(TencentBackendTest, TooLittleStockFailsPreflight) {
  auto backend = BackendFor(kTestSecretId, kTestSecretKey);
  CreateRequest request = Request(4);
  request.spec.set_instance_type("S5.LARGE8");  // 3 left
  absl::Status status = backend->Preflight(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ErrorReason(status), "INSUFFICIENT_STOCK");
  EXPECT_THAT(std::string(status.message()), HasSubstr("3 left"));
}

TEST_F(TencentBackendTest, NoQuotaIsResourceExhaustedWithTheNumbers) {
  auto backend = BackendFor("AKIDcramped", "cramped-key");
  absl::Status status = backend->Preflight(Request(2));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  auto quota = GetDetail<google::rpc::QuotaFailure>(status);
  ASSERT_TRUE(quota.has_value());
  EXPECT_THAT(quota->violations(0).subject(), HasSubstr("ap-guangzhou-3"));
  EXPECT_THAT(quota->violations(0).description(), HasSubstr("1 remaining, 2 needed"));
  EXPECT_EQ(Bought("AKIDcramped"), 0);
}

TEST_F(TencentBackendTest, SpotQuotaCountsVcpus) {
  auto backend = BackendFor("AKIDcramped", "cramped-key");  // 2 spot vCPUs
  CreateRequest request = Request(2);
  request.spec.mutable_spot()->set_max_price_per_hour("0.10");
  absl::Status status = backend->Preflight(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("2 remaining, 4 needed"));
}

TEST_F(TencentBackendTest, LowBalanceFailsPreflightAndBuysNothing) {
  auto backend = BackendFor("AKIDpoor", "poor-key");
  absl::Status status = backend->Preflight(Request(2));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  auto failure = GetDetail<google::rpc::PreconditionFailure>(status);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->violations(0).type(), "INSUFFICIENT_BALANCE");
  EXPECT_THAT(failure->violations(0).description(), HasSubstr("0.32"));  // 2 x 0.16
  EXPECT_EQ(Bought("AKIDpoor"), 0);
}

TEST_F(TencentBackendTest, SpotPriceBelowMarketFailsPreflight) {
  auto backend = BackendFor(kTestSecretId, kTestSecretKey);
  CreateRequest request = Request(1);
  request.spec.mutable_spot()->set_max_price_per_hour("0.03");
  absl::Status status = backend->Preflight(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ErrorReason(status), "SPOT_PRICE_TOO_LOW");
  EXPECT_THAT(std::string(status.message()), HasSubstr("0.04"));
  request.spec.mutable_spot()->set_max_price_per_hour("0.04");
  EXPECT_TRUE(backend->Preflight(request).ok());
}

TEST_F(TencentBackendTest, CloudErrorsKeepTencentsCodeAndRequestId) {
  auto backend = BackendFor("AKIDpoor", "poor-key");
  absl::Status status = backend->Create(Request(1)).status();  // skipping pre-flight
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "INSUFFICIENT_BALANCE");
  EXPECT_EQ(info->metadata().at(kCloudErrorCodeKey), "InvalidAccount.InsufficientBalance");
  EXPECT_FALSE(info->metadata().at(kCloudRequestIdKey).empty());
  EXPECT_EQ(Bought("AKIDpoor"), 0);
}

TEST_F(TencentBackendTest, WrongKeyIsUnauthenticatedAndTheKeyNeverShows) {
  auto backend = BackendFor(kTestSecretId, "a-wrong-secret-key");
  absl::Status status = backend->Preflight(Request(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
  EXPECT_EQ(GetDetail<google::rpc::ErrorInfo>(status)->metadata().at(kCloudErrorCodeKey),
            "AuthFailure.SignatureFailure");
  EXPECT_THAT(status.ToString(), Not(HasSubstr("a-wrong-secret-key")));
}

TEST_F(TencentBackendTest, UnreachableEndpointIsUnavailable) {
  const int port = emulator_->port();
  emulator_.reset();  // nothing listens there any more
  auto backend = BackendAt(port, kTestSecretId, kTestSecretKey);
  EXPECT_EQ(backend->Preflight(Request(1)).code(), absl::StatusCode::kUnavailable);
}

TEST_F(TencentBackendTest, CreateTagsInstancesAndReusesTheClientToken) {
  auto backend = BackendFor(kTestSecretId, kTestSecretKey);
  CreateRequest request = Request(2);
  auto* tag = request.spec.add_tags();
  tag->set_key("provisioner:order-id");
  tag->set_value("ord-1");
  auto first = backend->Create(request);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = backend->Create(request);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(Bought(kTestSecretId), 2);
  // The order's tag is on the instances, so they can be found by tag.
  const Json found = emulator_->emulator().Handle(
      kTestSecretId, "cvm", "DescribeInstances", "ap-guangzhou",
      {{"Filters", {{{"Name", "tag:provisioner:order-id"}, {"Values", {"ord-1"}}}}}});
  EXPECT_EQ(found["TotalCount"], 2);
  // DescribeInstances' IsolatedSource comes through.
  auto described = backend->Describe("ap-guangzhou", *first);
  ASSERT_TRUE(described.ok()) << described.status();
  for (const InstanceStatus& status : *described) {
    EXPECT_EQ(status.isolated_source, provisioning::v1::Instance::NOT_ISOLATED);
  }
}

TEST_F(TencentBackendTest, OffersOfEveryZoneAndTypeOfTheRegionWithoutFilters) {
  auto backend = BackendFor(kTestSecretId, kTestSecretKey);
  absl::StatusOr<CellOffers> offers =
      backend->Offers("ap-guangzhou", {}, {}, absl::InfiniteFuture());
  ASSERT_TRUE(offers.ok()) << offers.status();
  // ap-guangzhou-3: S5.MEDIUM2, S5.LARGE8; ap-guangzhou-1: S5.MEDIUM2; 2 billings each.
  ASSERT_THAT(offers->cells, SizeIs(6));
  for (const CellOffer& cell : offers->cells) {
    EXPECT_NE(cell.zone, "ap-shanghai-2");
    EXPECT_EQ(cell.family, "S5");
    EXPECT_EQ(cell.memory_gb, 2 * cell.cpu);  // TestWorld()'s types
    EXPECT_TRUE(cell.quota_headroom.has_value()) << cell.zone;
  }
}

TEST_F(TencentBackendTest, QuotesPayAsYouGoAndPrepaid) {
  auto backend = BackendFor(kTestSecretId, kTestSecretKey);
  CreateRequest request = Request(3);
  auto hourly = backend->Quote(request.spec, 3);
  ASSERT_TRUE(hourly.ok()) << hourly.status();
  EXPECT_EQ(hourly->unit_price_per_hour(), "0.16");
  EXPECT_EQ(hourly->total_price_per_hour(), "0.48");
  request.spec.mutable_prepaid()->set_period_months(1);
  auto prepaid = backend->Quote(request.spec, 1);
  ASSERT_TRUE(prepaid.ok()) << prepaid.status();
  EXPECT_EQ(prepaid->total_price_prepaid(), "93.44");  // 0.16 x 730 h x 0.8
}

TEST_F(TencentBackendTest, ABackendWithoutItsCurrencyDoesNotStart) {
  for (const char* currency : {"", "yuan", "usd"}) {
    provisioning::tencentcloud::v1::TencentCloudConfig config;
    config.set_endpoint_override(absl::StrCat("http://127.0.0.1:", emulator_->port()));
    config.set_currency(currency);
    auto backend = BackendRegistry::Global().Find("tencentcloud")->Create(config, {});
    EXPECT_EQ(backend.status().code(), absl::StatusCode::kInvalidArgument) << currency;
    EXPECT_THAT(std::string(backend.status().message()), HasSubstr("currency")) << currency;
  }
}

TEST_F(TencentBackendTest, QuotesInstancesAndBandwidthInTheAccountsCurrency) {
  EmulatorConfig world = TestWorld();
  world.set_bandwidth_price_per_mbps_hour("0.05");
  world.set_traffic_price_per_gb("0.80");
  auto priced = EmulatorServer::Start(world, "127.0.0.1", 0);
  ASSERT_TRUE(priced.ok()) << priced.status();
  currency_ = "USD";  // an international-site account
  auto backend = BackendAt((*priced)->port(), kTestSecretId, kTestSecretKey);
  CreateRequest request = Request(3);
  auto* internet = request.spec.mutable_internet();
  internet->set_public_ip(true);
  internet->set_max_bandwidth_out_mbps(4);
  internet->set_charge_type(provisioning::v1::InternetAccess::BANDWIDTH_POSTPAID_BY_HOUR);
  auto hourly = backend->Quote(request.spec, 3);
  ASSERT_TRUE(hourly.ok()) << hourly.status();
  EXPECT_EQ(hourly->currency(), "USD");
  EXPECT_EQ(hourly->instance_price_per_hour(), "0.48");   // 3 x 0.16
  EXPECT_EQ(hourly->bandwidth_price_per_hour(), "0.60");  // 3 x 4 Mbps x 0.05
  EXPECT_EQ(hourly->unit_price_per_hour(), "0.36");
  EXPECT_EQ(hourly->total_price_per_hour(), "1.08");

  internet->set_charge_type(provisioning::v1::InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
  auto traffic = backend->Quote(request.spec, 3);
  ASSERT_TRUE(traffic.ok()) << traffic.status();
  EXPECT_EQ(traffic->traffic_price_per_gb(), "0.80");
  EXPECT_EQ(traffic->total_price_per_hour(), "0.48");  // traffic is in no total

  internet->set_charge_type(provisioning::v1::InternetAccess::BANDWIDTH_PREPAID);
  request.spec.mutable_prepaid()->set_period_months(2);
  auto prepaid = backend->Quote(request.spec, 3);
  ASSERT_TRUE(prepaid.ok()) << prepaid.status();
  // 0.16 and 4 x 0.05 an hour, 730 h a month, 2 months, 3 instances, 20 % off.
  EXPECT_EQ(prepaid->instance_price_prepaid(), "560.64");
  EXPECT_EQ(prepaid->bandwidth_price_prepaid(), "700.80");
  EXPECT_EQ(prepaid->total_price_prepaid(), "1261.44");
  EXPECT_EQ(prepaid->total_price_per_hour(), "");
}

TEST_F(TencentBackendTest, BalanceIsTheAccountsSettledBalance) {
  auto backend = BackendFor(kTestSecretId, kTestSecretKey);
  auto books = [&] { return emulator_->emulator().Books()[kTestSecretId]; };
  auto before = backend->Balance();
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->micros, books()["BalanceCents"].get<int64_t>() * 10000);
  EXPECT_EQ(before->currency, "CNY");  // the configured one: Tencent does not say
  ASSERT_TRUE(backend->Create(Request(2)).ok());
  // Two hourly settlements: a partial hour (down to nothing when the instance
  // is created just before a whole hour of the clock) and a full 2 x 0.16.
  emulator_->clock().Advance(absl::Hours(2));
  auto after = backend->Balance();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->micros, books()["BalanceCents"].get<int64_t>() * 10000);
  EXPECT_EQ(before->micros - after->micros, books()["ChargedCents"].get<int64_t>() * 10000);
  EXPECT_GE(before->micros - after->micros, 320000);
  EXPECT_LE(before->micros - after->micros, 640000);
}

CreateRequest TencentBackendTest::NodeRequest(const std::string& script) {
  CreateRequest request = Request(2);
  auto& spec = request.spec;
  spec.set_user_data(absl::Base64Escape(script));
  spec.set_host_name("node");
  spec.set_cam_role_name("NodeRole");
  spec.set_project_id(1002);
  spec.add_placement_group_ids("ps-1a2b3c4d");
  spec.mutable_network()->set_vpc_id("vpc-1");
  spec.mutable_network()->set_subnet_id("subnet-1");
  spec.mutable_network()->add_private_ip_addresses("10.0.1.8");
  spec.mutable_network()->add_private_ip_addresses("10.0.1.9");
  auto* disk = spec.add_data_disks();
  disk->set_type(provisioning::v1::Disk::CLOUD_SSD);
  disk->set_size_gb(100);
  disk->set_encrypt(true);
  disk->set_kms_key_id("kms-abcd1234");
  disk->set_delete_with_instance(false);
  spec.add_data_disks()->set_size_gb(50);  // Tencent's defaults
  return request;
}

TEST_F(TencentBackendTest, EveryBootstrapFieldRoundTripsRunInstancesToDescribeInstances) {
  auto backend = BackendFor(kTestSecretId, kTestSecretKey);
  const CreateRequest request = NodeRequest("#cloud-config\nruncmd: [kubeadm join]\n");
  ASSERT_TRUE(backend->Preflight(request).ok());
  auto ids = backend->Create(request);
  ASSERT_TRUE(ids.ok()) << ids.status();
  const Json answer = emulator_->emulator().Handle(kTestSecretId, "cvm", "DescribeInstances",
                                                   "ap-guangzhou", {{"InstanceIds", *ids}});
  ASSERT_EQ(answer["InstanceSet"].size(), 2) << answer.dump();
  for (int i = 0; i < 2; ++i) {
    const Json& instance = answer["InstanceSet"][i];
    EXPECT_EQ(instance["ImageId"], "img-pi0ii46r");
    EXPECT_EQ(instance["Placement"]["ProjectId"], 1002);
    EXPECT_EQ(instance["HostName"], absl::StrCat("node", i + 1));
    EXPECT_EQ(instance["CamRoleName"], "NodeRole");
    EXPECT_EQ(instance["DisasterRecoverGroupId"], "ps-1a2b3c4d");
    EXPECT_EQ(instance["PrivateIpAddresses"], Json({i == 0 ? "10.0.1.8" : "10.0.1.9"}));
    const Json& disks = instance["DataDisks"];
    ASSERT_EQ(disks.size(), 2);
    EXPECT_EQ(disks[0]["DiskType"], "CLOUD_SSD");
    EXPECT_EQ(disks[0]["Encrypt"], true);
    EXPECT_EQ(disks[0]["KmsKeyId"], "kms-abcd1234");
    EXPECT_EQ(disks[0]["DeleteWithInstance"], false);
    EXPECT_EQ(disks[1]["Encrypt"], false);
    EXPECT_EQ(disks[1]["DeleteWithInstance"], true);
    EXPECT_EQ(emulator_->emulator().UserData((*ids)[i]).value_or(""),
              "#cloud-config\nruncmd: [kubeadm join]\n");
  }
  // The requested private IPs are what the backend reports.
  auto described = backend->Describe("ap-guangzhou", *ids);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ((*described)[0].private_ips, std::vector<std::string>{"10.0.1.8"});
  EXPECT_EQ((*described)[1].private_ips, std::vector<std::string>{"10.0.1.9"});
}

TEST_F(TencentBackendTest, QuotesLeaveOutWhatInquiryPriceRunInstancesLacks) {
  const CreateRequest request = NodeRequest("#!/bin/sh\n");
  const Json run = RunInstancesParams(request.spec, 2);
  const Json inquiry = InquiryPriceParams(request.spec, 2);
  for (const char* name : {"UserData", "CamRoleName", "DisasterRecoverGroupIds"}) {
    EXPECT_TRUE(run.contains(name)) << name;
    EXPECT_FALSE(inquiry.contains(name)) << name;  // the emulator would say UnknownParameter
  }
  EXPECT_EQ(inquiry["HostName"], "node");
  EXPECT_EQ(inquiry["DataDisks"], run["DataDisks"]);
  auto backend = BackendFor(kTestSecretId, kTestSecretKey);
  auto quote = backend->Quote(request.spec, 2);
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->total_price_per_hour(), "0.32");
}

TEST_F(TencentBackendTest, ALaunchTemplateStandsInForTypeAndImage) {
  CreateRequest request = Request(1);
  request.spec.clear_instance_type();
  request.spec.clear_image_id();
  request.spec.mutable_launch_template()->set_launch_template_id(kTestLaunchTemplateId);
  request.spec.mutable_launch_template()->set_launch_template_version(2);  // S5.LARGE8, 0.44/h
  const Json params = RunInstancesParams(request.spec, 1);
  EXPECT_FALSE(params.contains("InstanceType"));
  EXPECT_FALSE(params.contains("ImageId"));
  EXPECT_EQ(params["LaunchTemplate"],
            Json({{"LaunchTemplateId", kTestLaunchTemplateId}, {"LaunchTemplateVersion", 2}}));
  // Pre-flight prices the template's type: one hour is more than the poor
  // account has, and the rich one buys.
  absl::Status poor = BackendFor("AKIDpoor", "poor-key")->Preflight(request);
  EXPECT_EQ(ErrorReason(poor), "INSUFFICIENT_BALANCE") << poor;
  EXPECT_THAT(std::string(poor.message()), HasSubstr("0.44"));
  auto backend = BackendFor(kTestSecretId, kTestSecretKey);
  ASSERT_TRUE(backend->Preflight(request).ok());
  auto ids = backend->Create(request);
  ASSERT_TRUE(ids.ok()) << ids.status();
  const Json answer = emulator_->emulator().Handle(kTestSecretId, "cvm", "DescribeInstances",
                                                   "ap-guangzhou", {{"InstanceIds", *ids}});
  EXPECT_EQ(answer["InstanceSet"][0]["InstanceType"], "S5.LARGE8");
  EXPECT_EQ(answer["InstanceSet"][0]["ImageId"], "img-template2");
}

}  // namespace
}  // namespace cvm::tencentcloud
