#include "cli/request_builder.h"

#include <cstdlib>
#include <fstream>

#include "cli/test_flags.h"
#include "cli/usage.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;
using ::testing::ElementsAre;
using testing::FlagsOf;
using ::testing::HasSubstr;

template <typename T>
T FromText(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

MATCHER_P(EqualsProto, expected, "") {
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  if (differencer.Compare(expected, arg)) return true;
  *result_listener << diff;
  return false;
}

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << contents;
  return path;
}

std::string FixedId() { return "generated-id"; }

TEST(PurchaseRequestTest, EverySpecFlagLandsInItsField) {
  auto built = BuildPurchaseRequest(FlagsOf({"purchase",
                                             "--region=ap-guangzhou",
                                             "--zone=ap-guangzhou-3",
                                             "--instance_type=S5.MEDIUM2",
                                             "--image=img-pi0ii46r",
                                             "--system_disk=ssd:50",
                                             "--data_disk=CLOUD_PREMIUM:100,200",
                                             "--data_disk=cloud_hssd:300",
                                             "--vpc=vpc-1",
                                             "--subnet=subnet-1",
                                             "--public_ip",
                                             "--bandwidth_mbps=10",
                                             "--internet_charge=bandwidth",
                                             "--name=web",
                                             "--tag=team=infra",
                                             "--tag=note=a=b",
                                             "--security_group=sg-1,sg-2",
                                             "--login_key=skey-1",
                                             "--count=3",
                                             "--request_id=retry-me",
                                             "--dry_run"}),
                                    FixedId);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_FALSE(built->generated_request_id);
  EXPECT_THAT(built->request, EqualsProto(FromText<PurchaseRequest>(R"pb(
                request_id: "retry-me"
                instance_count: 3
                dry_run: true
                spec {
                  region: "ap-guangzhou"
                  zone: "ap-guangzhou-3"
                  instance_type: "S5.MEDIUM2"
                  image_id: "img-pi0ii46r"
                  system_disk { type: CLOUD_SSD size_gb: 50 }
                  data_disks { type: CLOUD_PREMIUM size_gb: 100 }
                  data_disks { size_gb: 200 }
                  data_disks { type: CLOUD_HSSD size_gb: 300 }
                  network { vpc_id: "vpc-1" subnet_id: "subnet-1" }
                  internet {
                    public_ip: true
                    max_bandwidth_out_mbps: 10
                    charge_type: BANDWIDTH_POSTPAID_BY_HOUR
                  }
                  instance_name: "web"
                  tags { key: "team" value: "infra" }
                  tags { key: "note" value: "a=b" }
                  security_group_ids: [ "sg-1", "sg-2" ]
                  login_key_ids: "skey-1"
                  pay_as_you_go {}
                })pb")));
}

TEST(PurchaseRequestTest, DefaultsAreOneInstancePayAsYouGoAndANewRequestId) {
  auto built = BuildPurchaseRequest(FlagsOf({"purchase", "--region=r"}), FixedId);
  ASSERT_TRUE(built.ok());
  EXPECT_TRUE(built->generated_request_id);
  EXPECT_EQ(built->request.request_id(), "generated-id");
  EXPECT_EQ(built->request.instance_count(), 1);
  EXPECT_TRUE(built->request.spec().has_pay_as_you_go());
  EXPECT_FALSE(built->request.spec().has_internet());
  EXPECT_FALSE(built->request.dry_run());
}

TEST(PurchaseRequestTest, BandwidthImpliesAPublicIpBilledByTraffic) {
  auto built = BuildPurchaseRequest(FlagsOf({"purchase", "--bandwidth_mbps=5"}), FixedId);
  ASSERT_TRUE(built.ok());
  EXPECT_TRUE(built->request.spec().internet().public_ip());
  EXPECT_EQ(built->request.spec().internet().max_bandwidth_out_mbps(), 5);
  EXPECT_EQ(built->request.spec().internet().charge_type(),
            provisioning::v1::InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
}

TEST(PurchaseRequestTest, CountZeroIsSentForTheServiceToReject) {
  auto built = BuildPurchaseRequest(FlagsOf({"purchase", "--count=0"}), FixedId);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->request.instance_count(), 0);
}

TEST(PurchaseRequestTest, BillingFlags) {
  auto spot = BuildPurchaseRequest(FlagsOf({"purchase", "--spot_max_price=0.05"}), FixedId);
  ASSERT_TRUE(spot.ok());
  EXPECT_EQ(spot->request.spec().spot().max_price_per_hour(), "0.05");

  auto prepaid = BuildPurchaseRequest(
      FlagsOf({"purchase", "--billing=prepaid", "--period_months=12", "--auto_renew"}), FixedId);
  ASSERT_TRUE(prepaid.ok());
  EXPECT_EQ(prepaid->request.spec().prepaid().period_months(), 12);
  EXPECT_TRUE(prepaid->request.spec().prepaid().auto_renew());

  auto implied = BuildPurchaseRequest(FlagsOf({"purchase", "--period_months=3"}), FixedId);
  ASSERT_TRUE(implied.ok());
  EXPECT_EQ(implied->request.spec().prepaid().period_months(), 3);

  auto clash =
      BuildPurchaseRequest(FlagsOf({"purchase", "--billing=payg", "--spot_max_price=1"}), FixedId);
  ASSERT_FALSE(clash.ok());
  EXPECT_THAT(std::string(clash.status().message()), HasSubstr("--billing=spot"));
  auto unknown = BuildPurchaseRequest(FlagsOf({"purchase", "--billing=free"}), FixedId);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("--billing=free"));
}

TEST(PurchaseRequestTest, MalformedValuesNameTheirFlag) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--system_disk=floppy:1", "--system_disk=floppy:1"},
      {"--data_disk=big", "expected [TYPE:]SIZE_GB"},
      {"--tag==x", "--tag==x: expected KEY=VALUE"},
      {"--internet_charge=free", "--internet_charge=free"},
  };
  for (const auto& [flag, message] : cases) {
    auto built = BuildPurchaseRequest(FlagsOf({"purchase", flag}), FixedId);
    ASSERT_FALSE(built.ok()) << flag;
    EXPECT_EQ(built.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(built.status().message()), HasSubstr(message)) << flag;
  }
}

TEST(PurchaseRequestTest, SpecFileInTextFormatWithFlagsOnTop) {
  const std::string path = WriteTempFile("spec.textproto", R"pb(
    request_id: "from-file"
    instance_count: 2
    spec {
      region: "ap-guangzhou"
      zone: "ap-guangzhou-3"
      instance_type: "S5.MEDIUM2"
      tags { key: "a" value: "1" }
      spot { max_price_per_hour: "0.04" }
    })pb");
  auto built = BuildPurchaseRequest(
      FlagsOf({"purchase", "--spec_file=" + path, "--count=5", "--tag=b=2", "--image=img-x"}),
      FixedId);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_FALSE(built->generated_request_id);
  EXPECT_EQ(built->request.request_id(), "from-file");
  EXPECT_EQ(built->request.instance_count(), 5);
  EXPECT_EQ(built->request.spec().zone(), "ap-guangzhou-3");
  EXPECT_EQ(built->request.spec().image_id(), "img-x");
  ASSERT_EQ(built->request.spec().tags_size(), 1);  // --tag replaces the file's tags
  EXPECT_EQ(built->request.spec().tags(0).key(), "b");
  // The file's billing stays when no billing flag is given.
  EXPECT_EQ(built->request.spec().spot().max_price_per_hour(), "0.04");
}

TEST(PurchaseRequestTest, SpecFileInJsonAcceptsBothFieldNameStyles) {
  const std::string path = WriteTempFile(
      "spec.json",
      R"({"instanceCount": 4, "spec": {"region": "ap-shanghai", "instance_type": "SA2.MEDIUM4",
          "payAsYouGo": {}, "internet": {"publicIp": true, "chargeType": "TRAFFIC_POSTPAID_BY_HOUR"}}})");
  auto built = BuildPurchaseRequest(FlagsOf({"purchase", "--spec_file", path}), FixedId);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_TRUE(built->generated_request_id);
  EXPECT_EQ(built->request.instance_count(), 4);
  EXPECT_EQ(built->request.spec().region(), "ap-shanghai");
  EXPECT_EQ(built->request.spec().instance_type(), "SA2.MEDIUM4");
  EXPECT_TRUE(built->request.spec().internet().public_ip());
}

TEST(PurchaseRequestTest, SpecFileErrorsSayWhereAndWhat) {
  auto text = ParseSpecFile("x.textproto", "spec { regoin: \"r\" }");
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(std::string(text.status().message()), HasSubstr("text format: 1:14:"));
  EXPECT_THAT(std::string(text.status().message()), HasSubstr("regoin"));
  auto json = ParseSpecFile("x.json", "{\"spec\": 3}");
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(std::string(json.status().message()), HasSubstr("not a PurchaseRequest in JSON"));
  auto missing = BuildPurchaseRequest(FlagsOf({"purchase", "--spec_file=/nonexistent/x"}), FixedId);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("cannot read --spec_file=/nonexistent/x"));
}

TEST(QuoteRequestTest, SameSpecFlagsAndCount) {
  auto quote = BuildQuoteRequest(
      FlagsOf({"quote", "--region=r", "--count=7", "--billing=spot", "--spot_max_price=0.1"}));
  ASSERT_TRUE(quote.ok());
  EXPECT_EQ(quote->spec().region(), "r");
  EXPECT_EQ(quote->instance_count(), 7);
  EXPECT_EQ(quote->spec().spot().max_price_per_hour(), "0.1");
  auto one = BuildQuoteRequest(FlagsOf({"quote"}));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->instance_count(), 1);
  EXPECT_TRUE(one->spec().has_pay_as_you_go());
}

TEST(QuoteRequestTest, CandidatesFromZonesTypesAndABillingLadder) {
  auto quote = BuildQuoteRequest(FlagsOf({"quote", "--region=ap-guangzhou",
                                          "--zones=ap-guangzhou-3,ap-guangzhou-4",
                                          "--types=S5.MEDIUM2", "--try=spot:0.10,payg",
                                          "--strategy=prioritized"}));
  ASSERT_TRUE(quote.ok()) << quote.status();
  const provisioning::v1::Candidates& c = quote->candidates();
  EXPECT_THAT(c.zones(), ElementsAre("ap-guangzhou-3", "ap-guangzhou-4"));
  EXPECT_THAT(c.instance_types(), ElementsAre("S5.MEDIUM2"));
  ASSERT_EQ(c.billing_size(), 2);
  EXPECT_EQ(c.billing(0).spot().max_price_per_hour(), "0.10");
  EXPECT_TRUE(c.billing(1).has_pay_as_you_go());
  EXPECT_EQ(c.strategy(), provisioning::v1::Candidates::PRIORITIZED);
  EXPECT_FALSE(BuildQuoteRequest(FlagsOf({"quote"}))->has_candidates());

  auto bad = BuildQuoteRequest(FlagsOf({"quote", "--try=spot"}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("--try=spot"));
  auto strategy = BuildQuoteRequest(FlagsOf({"quote", "--strategy=fast"}));
  ASSERT_FALSE(strategy.ok());
  EXPECT_THAT(std::string(strategy.status().message()), HasSubstr("--strategy=fast"));
}

TEST(PurchaseRequestTest, CandidateFlagsAsInAQuote) {
  const std::vector<std::string> candidate_flags = {
      "--region=ap-guangzhou",  "--zones=ap-guangzhou-3,ap-guangzhou-4",
      "--zones=ap-guangzhou-6", "--types=S5.MEDIUM2,S5.LARGE8",
      "--try=spot:0.10,payg",   "--strategy=prioritized"};
  std::vector<std::string> purchase_args = {"purchase", "--count=4"};
  purchase_args.insert(purchase_args.end(), candidate_flags.begin(), candidate_flags.end());
  auto built = BuildPurchaseRequest(FlagsOf(purchase_args), FixedId);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_THAT(built->request.candidates(), EqualsProto(FromText<provisioning::v1::Candidates>(R"pb(
                zones: [ "ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6" ]
                instance_types: [ "S5.MEDIUM2", "S5.LARGE8" ]
                billing { spot { max_price_per_hour: "0.10" } }
                billing { pay_as_you_go {} }
                strategy: PRIORITIZED)pb")));
  EXPECT_EQ(built->request.instance_count(), 4);
  // The quote's builder reads the same flags into the same message.
  std::vector<std::string> quote_args = {"quote"};
  quote_args.insert(quote_args.end(), candidate_flags.begin(), candidate_flags.end());
  auto quote = BuildQuoteRequest(FlagsOf(quote_args));
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_THAT(quote->candidates(), EqualsProto(built->request.candidates()));

  // Without candidate flags: no candidates (a single-cell order).
  auto plain = BuildPurchaseRequest(FlagsOf({"purchase", "--region=r"}), FixedId);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->request.has_candidates());
}

TEST(PurchaseRequestTest, BadCandidateFlagsNameTheFlag) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--try=spot:0.10,free", "--try=free: each billing is spot:PRICE or payg"},
      {"--try=spot:", "--try=spot:: each billing is spot:PRICE or payg"},
      {"--strategy=fastest", "--strategy=fastest: cheapest or prioritized"},
  };
  for (const auto& [flag, message] : cases) {
    auto built = BuildPurchaseRequest(FlagsOf({"purchase", "--zones=z1", flag}), FixedId);
    ASSERT_FALSE(built.ok()) << flag;
    EXPECT_EQ(built.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(built.status().message()), HasSubstr(message)) << flag;
  }
}

TEST(PurchaseRequestTest, CandidateFlagsReplaceTheirPartOfTheSpecFiles) {
  const std::string path = WriteTempFile("candidates.textproto", R"pb(
    instance_count: 4
    spec { region: "ap-guangzhou" zone: "ap-guangzhou-3" instance_type: "S5.MEDIUM2" }
    candidates {
      zones: [ "ap-guangzhou-3", "ap-guangzhou-4" ]
      instance_types: "S5.LARGE8"
      billing { pay_as_you_go {} }
    })pb");
  auto from_file = BuildPurchaseRequest(FlagsOf({"purchase", "--spec_file=" + path}), FixedId);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_THAT(from_file->request.candidates().zones(),
              ElementsAre("ap-guangzhou-3", "ap-guangzhou-4"));
  auto on_top = BuildPurchaseRequest(
      FlagsOf({"purchase", "--spec_file=" + path, "--try=spot:0.08"}), FixedId);
  ASSERT_TRUE(on_top.ok()) << on_top.status();
  const provisioning::v1::Candidates& c = on_top->request.candidates();
  EXPECT_THAT(c.zones(), ElementsAre("ap-guangzhou-3", "ap-guangzhou-4"));  // the file's
  EXPECT_THAT(c.instance_types(), ElementsAre("S5.LARGE8"));
  ASSERT_EQ(c.billing_size(), 1);  // --try replaced the file's ladder
  EXPECT_EQ(c.billing(0).spot().max_price_per_hour(), "0.08");
  auto quote = BuildQuoteRequest(FlagsOf({"quote", "--spec_file=" + path}));
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_THAT(quote->candidates(), EqualsProto(from_file->request.candidates()));
}

TEST(DescribeRequestTest, ByIdsByInstancesOrAFilteredPage) {
  auto by_id = BuildDescribeRequest({"ord-1", "orders/ord-2"}, FlagsOf({"describe"}));
  ASSERT_TRUE(by_id.ok());
  EXPECT_THAT(by_id->order_ids(), ElementsAre("ord-1", "ord-2"));

  auto by_instance =
      BuildDescribeRequest({}, FlagsOf({"describe", "--instance=ins-1,ins-2", "--instance=ins-3"}));
  ASSERT_TRUE(by_instance.ok());
  EXPECT_THAT(by_instance->instance_ids(), ElementsAre("ins-1", "ins-2", "ins-3"));

  auto page = BuildDescribeRequest(
      {}, FlagsOf({"describe", "--state=active,Provisioning", "--region=ap-guangzhou",
                   "--page_size=10", "--page_token=tok"}));
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(page->states(), ElementsAre(Order::ACTIVE, Order::PROVISIONING));
  EXPECT_EQ(page->region(), "ap-guangzhou");
  EXPECT_EQ(page->page_size(), 10);
  EXPECT_EQ(page->page_token(), "tok");
}

TEST(DescribeRequestTest, UnknownStateListsTheKnownOnes) {
  auto bad = BuildDescribeRequest({}, FlagsOf({"describe", "--state=RUNNING"}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("--state=RUNNING"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("ACCEPTED, CHECKING"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("TERMINATED"));
}

TEST(WatchAndTerminateRequestTest, PositionalOrderIds) {
  auto one = BuildWatchRequest({"orders/ord-9"}, FlagsOf({"watch", "--start_revision=42"}));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->order_id(), "ord-9");
  EXPECT_EQ(one->start_revision(), 42);
  auto all = BuildWatchRequest({}, FlagsOf({"watch"}));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->order_id(), "");
  EXPECT_FALSE(BuildWatchRequest({"a", "b"}, FlagsOf({"watch"})).ok());

  auto terminate = BuildTerminateRequest({"ord-3"});
  ASSERT_TRUE(terminate.ok());
  EXPECT_EQ(terminate->order_id(), "ord-3");
  auto none = BuildTerminateRequest({});
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("exactly one ORDER_ID"));
}

TEST(RequestIdTest, UuidShapedValidForTheServiceAndFresh) {
  const std::string a = NewRequestId();
  const std::string b = NewRequestId();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  for (size_t i : {8, 13, 18, 23}) EXPECT_EQ(a[i], '-') << a;
  EXPECT_EQ(a[14], '4') << a;  // version 4
  EXPECT_THAT(std::string("89ab"), HasSubstr(std::string(1, a[19]))) << a;
  for (char c : a) EXPECT_TRUE(c == '-' || std::isxdigit(c)) << a;
}

}  // namespace
}  // namespace cvm::cli
