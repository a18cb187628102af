#include "service/request_validation.h"

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/validation_test_support.h"

namespace cvm {
namespace {

using provisioning::v1::Disk;
using provisioning::v1::InternetAccess;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

PurchaseRequest ValidPurchase() {
  PurchaseRequest r;
  r.set_request_id("req-1");
  r.set_instance_count(3);
  auto* spec = r.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone("ap-guangzhou-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-pi0ii46r");
  spec->mutable_system_disk()->set_type(Disk::CLOUD_PREMIUM);
  spec->mutable_system_disk()->set_size_gb(50);
  spec->add_data_disks()->set_size_gb(100);
  spec->mutable_network()->set_vpc_id("vpc-1");
  spec->mutable_network()->set_subnet_id("subnet-1");
  spec->mutable_internet()->set_public_ip(true);
  spec->mutable_internet()->set_max_bandwidth_out_mbps(10);
  spec->mutable_internet()->set_charge_type(InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
  spec->set_instance_name("web");
  auto* tag = spec->add_tags();
  tag->set_key("team");
  tag->set_value("infra");
  spec->add_security_group_ids("sg-1");
  spec->add_login_key_ids("skey-1");
  spec->mutable_pay_as_you_go();
  return r;
}

class InvalidPurchaseTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidPurchaseTest, IsInvalidArgumentNamingTheField) {
  PurchaseRequest request = ValidPurchase();
  GetParam().mutate(request);
  ExpectOnlyFieldNamed(ValidatePurchaseRequest(request), GetParam().field);
}

std::string Repeat(char c, int n) { return std::string(n, c); }

const InvalidCase kInvalidCases[] = {
    {"RequestIdMissing", [](auto& r) { r.clear_request_id(); }, "request_id"},
    {"RequestIdTooLong", [](auto& r) { r.set_request_id(Repeat('a', 65)); }, "request_id"},
    {"RequestIdBadChars", [](auto& r) { r.set_request_id("a b/c"); }, "request_id"},
    {"CountZero", [](auto& r) { r.set_instance_count(0); }, "instance_count"},
    {"CountNegative", [](auto& r) { r.set_instance_count(-1); }, "instance_count"},
    {"CountOverMax", [](auto& r) { r.set_instance_count(101); }, "instance_count"},
    {"SpecMissing", [](auto& r) { r.clear_spec(); }, "spec"},
    {"RegionMissing",
     [](auto& r) {
       r.mutable_spec()->clear_region();
     },
     "spec.region"},
    {"RegionBadChars", [](auto& r) { r.mutable_spec()->set_region("ap guangzhou"); },
     "spec.region"},
    {"ZoneMissing", [](auto& r) { r.mutable_spec()->clear_zone(); }, "spec.zone"},
    {"ZoneNotInRegion", [](auto& r) { r.mutable_spec()->set_zone("ap-shanghai-2"); },
     "spec.zone"},
    {"InstanceTypeMissing", [](auto& r) { r.mutable_spec()->clear_instance_type(); },
     "spec.instance_type"},
    {"ImageMissing", [](auto& r) { r.mutable_spec()->clear_image_id(); }, "spec.image_id"},
    {"SystemDiskTooSmall",
     [](auto& r) { r.mutable_spec()->mutable_system_disk()->set_size_gb(19); },
     "spec.system_disk.size_gb"},
    {"SystemDiskTooLarge",
     [](auto& r) { r.mutable_spec()->mutable_system_disk()->set_size_gb(1025); },
     "spec.system_disk.size_gb"},
    {"SystemDiskUnknownType",
     [](auto& r) {
       r.mutable_spec()->mutable_system_disk()->set_type(static_cast<Disk::Type>(99));
     },
     "spec.system_disk.type"},
    {"TooManyDataDisks",
     [](auto& r) {
       for (int i = 0; i < 20; ++i) r.mutable_spec()->add_data_disks()->set_size_gb(10);
     },
     "spec.data_disks"},
    {"DataDiskSizeZero",
     [](auto& r) { r.mutable_spec()->add_data_disks()->set_size_gb(0); },
     "spec.data_disks[1].size_gb"},
    {"VpcMissing", [](auto& r) { r.mutable_spec()->mutable_network()->clear_vpc_id(); },
     "spec.network.vpc_id"},
    {"SubnetMissing",
     [](auto& r) { r.mutable_spec()->mutable_network()->clear_subnet_id(); },
     "spec.network.subnet_id"},
    {"BandwidthZero",
     [](auto& r) { r.mutable_spec()->mutable_internet()->set_max_bandwidth_out_mbps(0); },
     "spec.internet.max_bandwidth_out_mbps"},
    {"BandwidthOverMax",
     [](auto& r) {
       r.mutable_spec()->mutable_internet()->set_max_bandwidth_out_mbps(1001);
     },
     "spec.internet.max_bandwidth_out_mbps"},
    {"ChargeTypeMissing",
     [](auto& r) { r.mutable_spec()->mutable_internet()->clear_charge_type(); },
     "spec.internet.charge_type"},
    {"BandwidthWithoutPublicIp",
     [](auto& r) { r.mutable_spec()->mutable_internet()->set_public_ip(false); },
     "spec.internet.max_bandwidth_out_mbps"},
    {"PrepaidBandwidthWithoutPrepaidBilling",
     [](auto& r) {
       r.mutable_spec()->mutable_internet()->set_charge_type(
           InternetAccess::BANDWIDTH_PREPAID);
     },
     "spec.internet.charge_type"},
    {"NameTooLong", [](auto& r) { r.mutable_spec()->set_instance_name(Repeat('n', 61)); },
     "spec.instance_name"},
    {"NameInvalidUtf8", [](auto& r) { r.mutable_spec()->set_instance_name("web\xff"); },
     "spec.instance_name"},
    {"NameControlCharacter",
     [](auto& r) { r.mutable_spec()->set_instance_name("web\n1"); },
     "spec.instance_name"},
    {"TagKeyEmpty", [](auto& r) { r.mutable_spec()->mutable_tags(0)->clear_key(); },
     "spec.tags[0].key"},
    {"TagKeyReserved",
     [](auto& r) { r.mutable_spec()->mutable_tags(0)->set_key("provisioner:order-id"); },
     "spec.tags[0].key"},
    {"TagKeyDuplicate",
     [](auto& r) { r.mutable_spec()->add_tags()->set_key("team"); }, "spec.tags[1].key"},
    {"TagValueTooLong",
     [](auto& r) { r.mutable_spec()->mutable_tags(0)->set_value(Repeat('v', 256)); },
     "spec.tags[0].value"},
    {"TooManyTags",
     [](auto& r) {
       for (int i = 0; i < 40; ++i) {
         r.mutable_spec()->add_tags()->set_key(absl::StrCat("k", i));
       }
     },
     "spec.tags"},
    {"TooManySecurityGroups",
     [](auto& r) {
       for (int i = 2; i <= 6; ++i) {
         r.mutable_spec()->add_security_group_ids(absl::StrCat("sg-", i));
       }
     },
     "spec.security_group_ids"},
    {"DuplicateSecurityGroup",
     [](auto& r) { r.mutable_spec()->add_security_group_ids("sg-1"); },
     "spec.security_group_ids[1]"},
    {"EmptyLoginKey", [](auto& r) { r.mutable_spec()->add_login_key_ids(""); },
     "spec.login_key_ids[1]"},
    {"TooManyLoginKeys",
     [](auto& r) {
       for (int i = 2; i <= 6; ++i) {
         r.mutable_spec()->add_login_key_ids(absl::StrCat("skey-", i));
       }
     },
     "spec.login_key_ids"},
    {"BillingMissing", [](auto& r) { r.mutable_spec()->clear_billing(); }, "spec.billing"},
    {"SpotPriceEmpty", [](auto& r) { r.mutable_spec()->mutable_spot(); },
     "spec.spot.max_price_per_hour"},
    {"SpotPriceNotANumber",
     [](auto& r) { r.mutable_spec()->mutable_spot()->set_max_price_per_hour("abc"); },
     "spec.spot.max_price_per_hour"},
    {"SpotPriceNegative",
     [](auto& r) { r.mutable_spec()->mutable_spot()->set_max_price_per_hour("-1"); },
     "spec.spot.max_price_per_hour"},
    {"SpotPriceZero",
     [](auto& r) { r.mutable_spec()->mutable_spot()->set_max_price_per_hour("0.00"); },
     "spec.spot.max_price_per_hour"},
    {"PrepaidPeriodZero", [](auto& r) { r.mutable_spec()->mutable_prepaid(); },
     "spec.prepaid.period_months"},
    {"PrepaidPeriodThirteen",
     [](auto& r) { r.mutable_spec()->mutable_prepaid()->set_period_months(13); },
     "spec.prepaid.period_months"},
    {"PrepaidPeriodTwentyFive",
     [](auto& r) { r.mutable_spec()->mutable_prepaid()->set_period_months(25); },
     "spec.prepaid.period_months"},
};

INSTANTIATE_TEST_SUITE_P(Table, InvalidPurchaseTest, ::testing::ValuesIn(kInvalidCases),
                         [](const auto& info) { return info.param.name; });

TEST(PurchaseValidationTest, ValidRequestPasses) {
  EXPECT_TRUE(ValidatePurchaseRequest(ValidPurchase()).ok());
}

TEST(PurchaseValidationTest, SpotAndPrepaidVariantsPass) {
  PurchaseRequest spot = ValidPurchase();
  spot.mutable_spec()->mutable_spot()->set_max_price_per_hour("0.12");
  EXPECT_TRUE(ValidatePurchaseRequest(spot).ok());
  PurchaseRequest prepaid = ValidPurchase();
  prepaid.mutable_spec()->mutable_prepaid()->set_period_months(36);
  prepaid.mutable_spec()->mutable_internet()->set_charge_type(
      InternetAccess::BANDWIDTH_PREPAID);
  EXPECT_TRUE(ValidatePurchaseRequest(prepaid).ok());
}

TEST(PurchaseValidationTest, ReportsEveryBadFieldAtOnce) {
  PurchaseRequest request = ValidPurchase();
  request.clear_request_id();
  request.set_instance_count(0);
  request.mutable_spec()->clear_image_id();
  absl::Status status = ValidatePurchaseRequest(request);
  EXPECT_THAT(BadFields(status),
              ElementsAreArray({"request_id", "spec.image_id", "instance_count"}));
}

TEST(PurchaseValidationTest, CandidatesAreCheckedFieldByField) {
  PurchaseRequest r = ValidPurchase();
  auto* candidates = r.mutable_candidates();
  candidates->add_zones("ap-guangzhou-4");
  candidates->add_instance_types("S5.LARGE8");
  candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.10");
  candidates->add_billing()->mutable_pay_as_you_go();
  EXPECT_TRUE(ValidatePurchaseRequest(r).ok());

  candidates->add_zones("ap-shanghai-2");
  candidates->add_instance_types("S5.LARGE8");
  candidates->mutable_billing(0)->mutable_spot()->set_max_price_per_hour("cheap");
  candidates->add_billing();
  EXPECT_THAT(BadFields(ValidatePurchaseRequest(r)),
              ElementsAreArray({"candidates.zones[1]", "candidates.instance_types[1]",
                                "candidates.billing[0].spot.max_price_per_hour",
                                "candidates.billing[2]"}));

  PurchaseRequest templated = ValidPurchase();
  templated.mutable_spec()->mutable_launch_template()->set_launch_template_id("lt-1");
  templated.mutable_candidates()->add_zones("ap-guangzhou-4");
  EXPECT_THAT(BadFields(ValidatePurchaseRequest(templated)), ::testing::Contains("candidates"));
}

TEST(PurchaseValidationTest, AllZonesAndRequirementsAreCheckedFieldByField) {
  PurchaseRequest r = ValidPurchase();
  auto* candidates = r.mutable_candidates();
  candidates->set_all_zones(true);
  auto* req = candidates->mutable_requirements();
  req->set_min_cpu(2);
  req->set_max_cpu(4);
  req->set_min_memory_gb(4);
  req->add_families("S5");
  req->add_excluded_families("SA2");
  req->set_gpu(provisioning::v1::InstanceRequirements::GPU_NONE);
  EXPECT_TRUE(ValidatePurchaseRequest(r).ok());
  candidates->add_instance_types("S5.LARGE8");  // the listed types that meet them
  EXPECT_TRUE(ValidatePurchaseRequest(r).ok());

  candidates->add_zones("ap-guangzhou-4");
  req->set_min_cpu(8);
  req->set_min_memory_gb(-1);
  req->set_max_memory_gb(-2);
  req->add_families("S5");
  req->add_excluded_families("S5");
  req->set_gpu(static_cast<provisioning::v1::InstanceRequirements::GpuRequirement>(9));
  EXPECT_THAT(BadFields(ValidatePurchaseRequest(r)),
              ElementsAreArray(
                  {"candidates.all_zones", "candidates.requirements.max_cpu",
                   "candidates.requirements.min_memory_gb", "candidates.requirements.max_memory_gb",
                   "candidates.requirements.families[1]",
                   "candidates.requirements.excluded_families[1]", "candidates.requirements.gpu"}));

  provisioning::v1::QuoteRequest templated;
  *templated.mutable_spec() = ValidPurchase().spec();
  templated.set_instance_count(1);
  templated.mutable_spec()->mutable_launch_template()->set_launch_template_id("lt-1");
  templated.mutable_candidates()->mutable_requirements()->set_min_cpu(2);
  EXPECT_THAT(BadFields(ValidateQuoteRequest(templated)),
              ::testing::Contains("candidates.requirements"));
}

TEST(OtherValidationTest, DescribeRejectsBadCombinationsAndSizes) {
  provisioning::v1::DescribeRequest both;
  both.add_order_ids("ord-1");
  both.add_instance_ids("ins-1");
  EXPECT_THAT(BadFields(ValidateDescribeRequest(both)), ElementsAreArray({"instance_ids"}));

  provisioning::v1::DescribeRequest too_many;
  for (int i = 0; i <= 100; ++i) too_many.add_order_ids(absl::StrCat("ord-", i));
  EXPECT_THAT(BadFields(ValidateDescribeRequest(too_many)), ElementsAreArray({"order_ids"}));

  for (int size : {-1, 501}) {
    provisioning::v1::DescribeRequest paged;
    paged.set_page_size(size);
    EXPECT_THAT(BadFields(ValidateDescribeRequest(paged)), ElementsAreArray({"page_size"}));
  }

  provisioning::v1::DescribeRequest unspecified;
  unspecified.add_states(Order::STATE_UNSPECIFIED);
  EXPECT_THAT(BadFields(ValidateDescribeRequest(unspecified)),
              ElementsAreArray({"states[0]"}));

  provisioning::v1::DescribeRequest filtered_lookup;
  filtered_lookup.add_order_ids("ord-1");
  filtered_lookup.set_region("ap-guangzhou");
  EXPECT_THAT(BadFields(ValidateDescribeRequest(filtered_lookup)),
              ElementsAreArray({"region"}));

  provisioning::v1::DescribeRequest list;
  list.add_states(Order::ACTIVE);
  list.set_page_size(500);
  EXPECT_TRUE(ValidateDescribeRequest(list).ok());
}

TEST(OtherValidationTest, WatchTerminateAndQuote) {
  provisioning::v1::WatchRequest watch;
  watch.set_start_revision(-1);
  EXPECT_THAT(BadFields(ValidateWatchRequest(watch)), ElementsAreArray({"start_revision"}));
  watch.set_start_revision(0);
  EXPECT_TRUE(ValidateWatchRequest(watch).ok());

  provisioning::v1::TerminateRequest terminate;
  EXPECT_THAT(BadFields(ValidateTerminateRequest(terminate)), ElementsAreArray({"order_id"}));
  terminate.set_order_id("ord-1");
  EXPECT_TRUE(ValidateTerminateRequest(terminate).ok());

  provisioning::v1::QuoteRequest quote;
  *quote.mutable_spec() = ValidPurchase().spec();
  quote.set_instance_count(0);
  EXPECT_THAT(BadFields(ValidateQuoteRequest(quote)), ElementsAreArray({"instance_count"}));
  quote.set_instance_count(1);
  EXPECT_TRUE(ValidateQuoteRequest(quote).ok());
}

}  // namespace
}  // namespace cvm
