// Tencent answers -> results, on answers shaped like the real API's.
#include "backends/tencentcloud/response_parsing.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::v1::Instance;

Json Parse(const char* text) { return Json::parse(text); }

TEST(ParseApiAnswerTest, ReturnsTheResponseWithoutRequestId) {
  absl::StatusOr<Json> answer = ParseApiAnswer(
      "RunInstances", R"({"Response": {"InstanceIdSet": ["ins-1"], "RequestId": "r-1"}})");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, Parse(R"({"InstanceIdSet": ["ins-1"]})"));
}

TEST(ParseApiAnswerTest, MapsTheErrorWithCodeAndRequestId) {
  absl::StatusOr<Json> answer = ParseApiAnswer(
      "RunInstances",
      R"({"Response": {"Error": {"Code": "LimitExceeded.InstanceQuota", "Message": "no"},
                       "RequestId": "r-2"}})");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(answer.status()), "QUOTA_EXCEEDED");
  auto info = GetDetail<google::rpc::ErrorInfo>(answer.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at(kCloudErrorCodeKey), "LimitExceeded.InstanceQuota");
  EXPECT_EQ(info->metadata().at(kCloudRequestIdKey), "r-2");
}

TEST(ParseApiAnswerTest, NotJsonOrNoResponseObjectIsMalformed) {
  for (const char* body : {"", "<html>", "[]", R"({"Response": 1})", R"({"response": {}})"}) {
    absl::StatusOr<Json> answer = ParseApiAnswer("DescribeInstances", body);
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << body;
    EXPECT_EQ(ErrorReason(answer.status()), "MALFORMED_ANSWER") << body;
  }
}

TEST(ParseZoneOfferTest, ReadsTheFirstOffer) {
  absl::StatusOr<ZoneOffer> offer = ParseZoneOffer(Parse(R"({"InstanceTypeQuotaSet": [
      {"Status": "SELL", "InstanceQuota": 3, "Cpu": 2, "Price": {"UnitPrice": 0.35}}]})"));
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_TRUE(offer->sells);
  EXPECT_EQ(offer->instance_quota, 3);
  EXPECT_EQ(offer->cpu, 2);
  EXPECT_EQ(offer->unit_price_micros, 350000);
}

TEST(ParseZoneOfferTest, NoOfferOrSoldOutDoesNotSell) {
  for (const char* text : {R"({})", R"({"InstanceTypeQuotaSet": []})",
                           R"({"InstanceTypeQuotaSet": [{"Status": "SOLD_OUT"}]})"}) {
    absl::StatusOr<ZoneOffer> offer = ParseZoneOffer(Parse(text));
    ASSERT_TRUE(offer.ok()) << text << ": " << offer.status();
    EXPECT_FALSE(offer->sells) << text;
  }
}

TEST(ParseRemainingQuotaTest, SmallestForTheZone) {
  const Json quota = Parse(R"({"AccountQuotaOverview": {"AccountQuota": {"PostPaidQuotaSet": [
      {"Zone": "ap-guangzhou-3", "RemainingQuota": 7},
      {"Zone": "ap-guangzhou-4", "RemainingQuota": 1},
      {"Zone": "ap-guangzhou-3", "RemainingQuota": 5}]}}})");
  EXPECT_EQ(*ParseRemainingQuota(quota, "PostPaidQuotaSet", "ap-guangzhou-3"), 5);
  EXPECT_EQ(*ParseRemainingQuota(quota, "PostPaidQuotaSet", "ap-shanghai-1"), std::nullopt);
  EXPECT_EQ(*ParseRemainingQuota(quota, "SpotPaidQuotaSet", "ap-guangzhou-3"), std::nullopt);
}

TEST(ParseBalanceMicrosTest, CentsToMicros) {
  EXPECT_EQ(*ParseBalanceMicros(Parse(R"({"Balance": 1234})")), 12340000);
  EXPECT_EQ(*ParseBalanceMicros(Parse(R"({})")), 0);
}

TEST(ParseInstanceIdSetTest, KeepsTheStrings) {
  EXPECT_EQ(*ParseInstanceIdSet(Parse(R"({"InstanceIdSet": ["ins-1", "ins-2"]})")),
            (std::vector<std::string>{"ins-1", "ins-2"}));
  EXPECT_TRUE(ParseInstanceIdSet(Parse(R"({})"))->empty());
}

TEST(ParseInstanceStatusesTest, OneStatusPerIdAndMissingIdsAreTerminated) {
  const Json answer = Parse(R"({"InstanceSet": [{
      "InstanceId": "ins-1", "InstanceState": "RUNNING", "RestrictState": "NORMAL",
      "IsolatedSource": "NOTISOLATED", "PublicIpAddresses": ["198.51.100.2"],
      "PrivateIpAddresses": ["10.0.0.2"], "Placement": {"Zone": "ap-guangzhou-3"},
      "CreatedTime": "2024-05-01T10:00:00Z"}]})");
  const std::vector<std::string> ids = {"ins-1", "ins-gone"};
  absl::StatusOr<std::vector<InstanceStatus>> statuses = ParseInstanceStatuses(answer, ids);
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  ASSERT_EQ(statuses->size(), 2u);
  const InstanceStatus& live = (*statuses)[0];
  EXPECT_EQ(live.instance_id, "ins-1");
  EXPECT_EQ(live.state, Instance::RUNNING);
  EXPECT_EQ(live.restriction, Instance::NORMAL);
  EXPECT_EQ(live.isolated_source, Instance::NOT_ISOLATED);
  EXPECT_EQ(live.public_ips, std::vector<std::string>{"198.51.100.2"});
  EXPECT_EQ(live.private_ips, std::vector<std::string>{"10.0.0.2"});
  EXPECT_EQ(live.zone, "ap-guangzhou-3");
  EXPECT_EQ(live.create_time, absl::FromUnixSeconds(1714557600));
  EXPECT_EQ((*statuses)[1].instance_id, "ins-gone");
  EXPECT_EQ((*statuses)[1].state, Instance::TERMINATED);
}

TEST(ParseInstanceStatusesTest, ArrearsAndExpiry) {
  const Json answer = Parse(R"({"InstanceSet": [
      {"InstanceId": "a", "InstanceState": "STOPPED", "IsolatedSource": "ARREAR"},
      {"InstanceId": "b", "InstanceState": "SHUTDOWN", "RestrictState": "EXPIRED"}]})");
  const std::vector<std::string> ids = {"a", "b"};
  absl::StatusOr<std::vector<InstanceStatus>> statuses = ParseInstanceStatuses(answer, ids);
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  EXPECT_EQ((*statuses)[0].restriction, Instance::ISOLATED_ARREARS);
  EXPECT_EQ((*statuses)[0].isolated_source, Instance::ISOLATED_BY_ARREARS);
  EXPECT_EQ((*statuses)[1].state, Instance::SHUTDOWN);
  EXPECT_EQ((*statuses)[1].restriction, Instance::EXPIRED);
}

TEST(ParseLiveInstanceIdsTest, SkipsTerminating) {
  EXPECT_EQ(*ParseLiveInstanceIds(Parse(R"({"InstanceSet": [
                {"InstanceId": "a", "InstanceState": "RUNNING"},
                {"InstanceId": "b", "InstanceState": "TERMINATING"}]})")),
            std::vector<std::string>{"a"});
}

TEST(ParseTaggedPageTest, OrderTagsOfLiveInstances) {
  absl::StatusOr<TaggedPage> page = ParseTaggedPage(Parse(R"({"TotalCount": 250, "InstanceSet": [
      {"InstanceId": "a", "InstanceState": "RUNNING",
       "Tags": [{"Key": "team", "Value": "x"}, {"Key": "provisioner:order-id", "Value": "o-1"}]},
      {"InstanceId": "b", "InstanceState": "TERMINATING",
       "Tags": [{"Key": "provisioner:order-id", "Value": "o-2"}]},
      {"InstanceId": "c", "InstanceState": "SHUTDOWN", "IsolatedSource": "MANMADE",
       "Tags": [{"Key": "provisioner:order-id", "Value": "o-3"}]}]})"));
  // b is being released, c is in the recycle bin (returned prepaid): neither
  // is an orphan to adopt or terminate.
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->tagged.size(), 1u);
  EXPECT_EQ(page->tagged[0].instance_id, "a");
  EXPECT_EQ(page->tagged[0].order_id, "o-1");
  EXPECT_EQ(page->listed, 3);
  EXPECT_EQ(page->total_count, 250);
}

TEST(ParseQuoteTest, AnEmptyBandwidthPriceAddsNoPrepaidPartToAnHourlyOrder) {
  const Json answer = Parse(R"({"Price": {"InstancePrice": {
      "UnitPrice": 0.5, "ChargeUnit": "HOUR"}, "BandwidthPrice": {}}})");
  absl::StatusOr<provisioning::v1::Quote> hourly = ParseQuote(answer, /*prepaid=*/false, 2, "CNY");
  ASSERT_TRUE(hourly.ok()) << hourly.status();
  EXPECT_EQ(hourly->total_price_per_hour(), "1.00");
  EXPECT_EQ(hourly->total_price_prepaid(), "");
  EXPECT_EQ(hourly->bandwidth_price_prepaid(), "");
}

TEST(ParseQuoteTest, DiscountedPricesWin) {
  const Json answer = Parse(R"({"Price": {"InstancePrice": {
      "UnitPrice": 0.5, "UnitPriceDiscount": 0.35, "OriginalPrice": 300, "DiscountPrice": 240.5}}})");
  absl::StatusOr<provisioning::v1::Quote> hourly =
      ParseQuote(answer, /*prepaid=*/false, 3, "CNY");
  ASSERT_TRUE(hourly.ok()) << hourly.status();
  EXPECT_EQ(hourly->unit_price_per_hour(), "0.35");
  EXPECT_EQ(hourly->total_price_per_hour(), "1.05");
  absl::StatusOr<provisioning::v1::Quote> prepaid = ParseQuote(answer, /*prepaid=*/true, 3, "CNY");
  ASSERT_TRUE(prepaid.ok()) << prepaid.status();
  EXPECT_EQ(prepaid->total_price_prepaid(), "240.50");
}

TEST(ParseQuoteTest, TheCurrencyIsTheConfiguredOneNeverAGuess) {
  // Tencent's answer carries amounts only (ItemPrice has no currency field).
  const Json answer = Parse(R"({"Price": {"InstancePrice": {"UnitPrice": 0.5}}})");
  EXPECT_EQ(ParseQuote(answer, false, 1, "USD")->currency(), "USD");
  EXPECT_EQ(ParseQuote(answer, false, 1, "CNY")->currency(), "CNY");
}

TEST(ParseQuoteTest, HourlyBandwidthIsAddedToTheInstancePrice) {
  // BANDWIDTH_POSTPAID_BY_HOUR: BandwidthPrice is one instance's bandwidth
  // for an hour (ChargeUnit HOUR).
  const Json answer = Parse(R"({"Price": {
      "InstancePrice": {"UnitPrice": 0.2, "UnitPriceDiscount": 0.16, "ChargeUnit": "HOUR"},
      "BandwidthPrice": {"UnitPrice": 0.5, "UnitPriceDiscount": 0.3, "ChargeUnit": "HOUR"}}})");
  absl::StatusOr<provisioning::v1::Quote> quote = ParseQuote(answer, false, 2, "CNY");
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->instance_price_per_hour(), "0.32");
  EXPECT_EQ(quote->bandwidth_price_per_hour(), "0.60");
  EXPECT_EQ(quote->unit_price_per_hour(), "0.46");
  EXPECT_EQ(quote->total_price_per_hour(), "0.92");
  EXPECT_EQ(quote->traffic_price_per_gb(), "");
}

TEST(ParseQuoteTest, TrafficIsPricedPerGbAndInNoTotal) {
  // Tencent's own example (tccli, InquiryPriceRunInstances): a prepaid
  // instance with TRAFFIC_POSTPAID_BY_HOUR.
  const Json answer = Parse(R"({"Price": {
      "InstancePrice": {"DiscountPrice": 1804.9, "OriginalInstanceTypePrice": 8832,
                        "OriginalPrice": 8884.5, "Discount": 20},
      "BandwidthPrice": {"ChargeUnit": "GB", "UnitPrice": 0.8, "UnitPriceDiscount": 0.52,
                         "Discount": 65}}})");
  absl::StatusOr<provisioning::v1::Quote> quote = ParseQuote(answer, true, 1, "CNY");
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->instance_price_prepaid(), "1804.90");
  EXPECT_EQ(quote->total_price_prepaid(), "1804.90");
  EXPECT_EQ(quote->traffic_price_per_gb(), "0.52");
  EXPECT_EQ(quote->total_price_per_hour(), "");
}

TEST(ParseQuoteTest, PrepaidBandwidthIsAddedToThePrepaidTotal) {
  const Json answer = Parse(R"({"Price": {
      "InstancePrice": {"OriginalPrice": 233.6, "DiscountPrice": 186.88},
      "BandwidthPrice": {"OriginalPrice": 7.3, "DiscountPrice": 5.84}}})");
  absl::StatusOr<provisioning::v1::Quote> quote = ParseQuote(answer, true, 2, "CNY");
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->bandwidth_price_prepaid(), "5.84");
  EXPECT_EQ(quote->total_price_prepaid(), "192.72");
}

TEST(ParseQuoteTest, ABandwidthPriceOfUnknownUnitIsNeverLeftOut) {
  for (const char* bandwidth :
       {R"({"UnitPrice": 0.3, "ChargeUnit": "MONTH"})", R"({"UnitPriceDiscount": 0.3})"}) {
    const Json answer = Json::parse(absl::StrCat(
        R"({"Price": {"InstancePrice": {"UnitPrice": 0.2}, "BandwidthPrice": )", bandwidth,
        "}}"));
    EXPECT_EQ(ErrorReason(ParseQuote(answer, false, 1, "CNY").status()), "MALFORMED_ANSWER")
        << bandwidth;
  }
  EXPECT_EQ(ErrorReason(ParseQuote(Parse(R"({"Price": {}})"), false, 1, "CNY").status()),
            "MALFORMED_ANSWER");
}

TEST(ParseInstanceStatusesTest, PrepaidInstancesCarryTheirExpiredTime) {
  const std::vector<std::string> ids = {"ins-1", "ins-2"};
  absl::StatusOr<std::vector<InstanceStatus>> statuses = ParseInstanceStatuses(
      Parse(R"({"InstanceSet": [
          {"InstanceId": "ins-1", "InstanceState": "SHUTDOWN", "IsolatedSource": "MANMADE",
           "RestrictState": "NORMAL", "ExpiredTime": "2024-01-14T22:13:20Z"},
          {"InstanceId": "ins-2", "InstanceState": "RUNNING", "ExpiredTime": null}]})"),
      ids);
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  ASSERT_TRUE((*statuses)[0].expire_time.has_value());
  EXPECT_EQ(absl::ToUnixSeconds(*(*statuses)[0].expire_time), 1705270400);
  EXPECT_EQ((*statuses)[0].state, provisioning::v1::Instance::SHUTDOWN);
  EXPECT_EQ((*statuses)[0].isolated_source, provisioning::v1::Instance::ISOLATED_MANUALLY);
  EXPECT_EQ((*statuses)[0].restriction, provisioning::v1::Instance::NORMAL);
  EXPECT_FALSE((*statuses)[1].expire_time.has_value());
}

TEST(ParseCellOffersTest, EveryCellAtThePriceTheAccountPays) {
  absl::StatusOr<std::vector<CellOffer>> cells = ParseCellOffers(Parse(R"({"InstanceTypeQuotaSet": [
      {"Zone": "z1", "InstanceType": "S5.MEDIUM2", "InstanceChargeType": "SPOTPAID",
       "Status": "SELL", "InstanceQuota": 7, "Cpu": 2,
       "Price": {"UnitPrice": 0.16, "UnitPriceDiscount": 0.04}},
      {"Zone": "z2", "InstanceType": "S5.MEDIUM2", "InstanceChargeType": "POSTPAID_BY_HOUR",
       "Status": "SOLD_OUT", "Price": {"UnitPrice": 0.17}},
      {"Zone": "z2", "InstanceType": "S5.MEDIUM2", "InstanceChargeType": "PREPAID",
       "Status": "SELL", "Price": {"UnitPrice": 90}}]})"));
  ASSERT_TRUE(cells.ok()) << cells.status();
  ASSERT_EQ(cells->size(), 2u);  // prepaid is not a candidate billing
  EXPECT_TRUE((*cells)[0].spot);
  EXPECT_TRUE((*cells)[0].sells);
  EXPECT_EQ((*cells)[0].unit_price_micros, 40000);  // the discounted price wins
  EXPECT_EQ((*cells)[0].stock, 7);
  EXPECT_FALSE((*cells)[1].sells);
  EXPECT_EQ((*cells)[1].unit_price_micros, 170000);
  EXPECT_FALSE((*cells)[1].stock.has_value());
}

TEST(ParseCellOffersTest, TheTypeAsTheCatalogueDescribesIt) {
  absl::StatusOr<std::vector<CellOffer>> cells = ParseCellOffers(Parse(R"({"InstanceTypeQuotaSet": [
      {"Zone": "z1", "InstanceType": "S5.MEDIUM4", "InstanceChargeType": "POSTPAID_BY_HOUR",
       "Status": "SELL", "Cpu": 2, "Memory": 4, "InstanceFamily": "S5", "Gpu": 0,
       "Price": {"UnitPrice": 0.22}},
      {"Zone": "z1", "InstanceType": "GN7.2XLARGE32", "InstanceChargeType": "SPOTPAID",
       "Status": "SELL", "Cpu": 8, "Memory": 32, "InstanceFamily": "GN7", "Gpu": 1,
       "GpuCount": 1, "Price": {"UnitPrice": 2.1}},
      {"Zone": "z1", "InstanceType": "GI1.SMALL1", "InstanceChargeType": "SPOTPAID",
       "Status": "SELL", "Cpu": 1, "Memory": 0.5, "GpuCount": 0.25,
       "Price": {"UnitPrice": 0.3}}]})"));
  ASSERT_TRUE(cells.ok()) << cells.status();
  ASSERT_EQ(cells->size(), 3u);
  EXPECT_EQ((*cells)[0].memory_gb, 4);
  EXPECT_EQ((*cells)[0].family, "S5");
  EXPECT_EQ((*cells)[0].gpu, 0);
  EXPECT_EQ((*cells)[1].cpu, 8);
  EXPECT_EQ((*cells)[1].family, "GN7");
  EXPECT_EQ((*cells)[1].gpu, 1);
  EXPECT_EQ((*cells)[2].memory_gb, 0.5);  // not a whole number of GB
  EXPECT_EQ((*cells)[2].family, "");      // not said
  EXPECT_EQ((*cells)[2].gpu, 0.25);       // a vGPU share
  for (const char* bad : {R"("Memory": "4")", R"("Memory": -1)", R"("InstanceFamily": 5)",
                          R"("Gpu": true)", R"("GpuCount": -0.5)"}) {
    const std::string answer = absl::StrCat(
        R"({"InstanceTypeQuotaSet": [{"Zone": "z1", "InstanceType": "S5.MEDIUM4",
            "InstanceChargeType": "SPOTPAID", "Status": "SELL", )",
        bad, "}]}");
    EXPECT_EQ(ErrorReason(ParseCellOffers(Json::parse(answer)).status()), "MALFORMED_ANSWER")
        << bad;
  }
}

TEST(ParseInstanceStatusesTest, ATerminateInstancesThatDidNotFailIsAReleaseRequest) {
  const std::vector<std::string> ids = {"ins-1", "ins-2", "ins-3", "ins-4"};
  absl::StatusOr<std::vector<InstanceStatus>> statuses = ParseInstanceStatuses(
      Parse(R"({"InstanceSet": [
          {"InstanceId": "ins-1", "InstanceState": "TERMINATING",
           "LatestOperation": "TerminateInstances", "LatestOperationState": "SUCCESS"},
          {"InstanceId": "ins-2", "InstanceState": "RUNNING",
           "LatestOperation": "TerminateInstances", "LatestOperationState": "FAILED"},
          {"InstanceId": "ins-3", "InstanceState": "SHUTDOWN",
           "LatestOperation": "RunInstances", "LatestOperationState": "SUCCESS"}]})"),
      ids);
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  EXPECT_TRUE((*statuses)[0].release_requested);
  EXPECT_FALSE((*statuses)[1].release_requested);  // the release failed
  EXPECT_FALSE((*statuses)[2].release_requested);  // shut down by the cloud
  EXPECT_FALSE((*statuses)[3].release_requested);  // gone: no evidence left
}

// Regressions from fuzz/tencent_response_fuzzer: each answer used to throw
// out of the parser (an uncaught nlohmann::json exception: the service
// terminates) or hit undefined behaviour (UBSan). Now each is malformed.
struct HostileCase {
  const char* what;
  const char* answer;
  std::function<absl::Status(const Json&)> parse;
};

TEST(HostileAnswerTest, WrongTypesAndHugeNumbersAreMalformedAnswers) {
  const std::vector<std::string> ids = {"ins-1"};
  auto tagged = [](const Json& a) { return ParseTaggedPage(a).status(); };
  auto quota = [](const Json& a) {
    return ParseRemainingQuota(a, "PostPaidQuotaSet", "ap-guangzhou-3").status();
  };
  auto statuses = [&ids](const Json& a) { return ParseInstanceStatuses(a, ids).status(); };
  auto offer = [](const Json& a) { return ParseZoneOffer(a).status(); };
  auto balance = [](const Json& a) { return ParseBalanceMicros(a).status(); };
  auto hourly = [](const Json& a) { return ParseQuote(a, false, 100, "CNY").status(); };
  auto live = [](const Json& a) { return ParseLiveInstanceIds(a).status(); };
  auto bought = [](const Json& a) { return ParseInstanceIdSet(a).status(); };
  const HostileCase cases[] = {
      {"TotalCount a string (type_error 302)", R"({"TotalCount": "r"})", tagged},
      {"AccountQuotaOverview an array (json_pointer parse_error 109)",
       R"({"AccountQuotaOverview": [{"AccountQuota": 1}]})", quota},
      {"InstanceState an array (type_error 302)",
       R"({"InstanceSet": [{"InstanceId": "ins-1", "InstanceState": []}]})", statuses},
      {"InstanceId a number", R"({"InstanceSet": [{"InstanceId": 2}]})", statuses},
      {"InstanceSet entries not objects", R"({"InstanceSet": ["ins-1"]})", live},
      {"InstanceSet an object", R"({"InstanceSet": {"InstanceId": "ins-1"}})", statuses},
      {"Tags a string", R"({"InstanceSet": [{"InstanceId": "a", "Tags": "x"}]})", tagged},
      {"InstanceQuota 1e20 (UBSan: float to int overflow)",
       R"({"InstanceTypeQuotaSet": [{"Status": "SELL", "InstanceQuota": 1e20}]})", offer},
      {"first offer not an object", R"({"InstanceTypeQuotaSet": [7]})", offer},
      {"Cpu negative", R"({"InstanceTypeQuotaSet": [{"Status": "SELL", "Cpu": -2}]})", offer},
      {"UnitPrice negative",
       R"({"InstanceTypeQuotaSet": [{"Status": "SELL", "Price": {"UnitPrice": -1}}]})", offer},
      {"Balance 9e17 cents (UBSan: signed overflow x 10000)", R"({"Balance": 9e17})", balance},
      {"Balance a fraction of a cent", R"({"Balance": 0.5})", balance},
      {"UnitPrice 9e12 (UBSan: signed overflow x count)",
       R"({"Price": {"InstancePrice": {"UnitPrice": 9e12}}})", hourly},
      {"UnitPrice a string", R"({"Price": {"InstancePrice": {"UnitPrice": "0.1"}}})", hourly},
      {"InstanceIdSet with a number", R"({"InstanceIdSet": ["ins-1", 2]})", bought},
  };
  for (const HostileCase& c : cases) {
    absl::Status status = c.parse(Json::parse(c.answer));
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << c.what << ": " << status;
    EXPECT_EQ(ErrorReason(status), "MALFORMED_ANSWER") << c.what;
  }
}

TEST(HostileAnswerTest, MalformedErrorObjectsAreMalformedAnswers) {
  for (const char* body :
       {R"({"Response": {"Error": "boom"}})", R"({"Response": {"Error": {"Code": 5}}})",
        R"({"Response": {"RequestId": 5}})"}) {
    absl::StatusOr<Json> answer = ParseApiAnswer("DescribeInstances", body);
    EXPECT_EQ(ErrorReason(answer.status()), "MALFORMED_ANSWER") << body;
  }
}

TEST(HostileAnswerTest, NullIsAbsentAndNegativeBalanceIsADebt) {
  const std::vector<std::string> ids = {"ins-1"};
  absl::StatusOr<std::vector<InstanceStatus>> statuses = ParseInstanceStatuses(
      Json::parse(R"({"InstanceSet": [{"InstanceId": "ins-1", "InstanceState": "RUNNING",
                                       "PublicIpAddresses": null, "Placement": null}]})"),
      ids);
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  EXPECT_TRUE((*statuses)[0].public_ips.empty());
  EXPECT_EQ(*ParseBalanceMicros(Json::parse(R"({"Balance": -250})")), -2500000);
  EXPECT_EQ(*ParseBalanceMicros(Json::parse(R"({"Balance": 1500.0})")), 15000000);
}

}  // namespace
}  // namespace cvm::tencentcloud
