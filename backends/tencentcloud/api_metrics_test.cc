#include "backends/tencentcloud/api_metrics.h"

#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace cvm::tencentcloud {
namespace {

std::string Scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(ApiMetricsTest, CountsCallsByOutcomeRetriesAndWaits) {
  prometheus::Registry registry;
  auto metrics = ApiMetrics::Create(&registry, "tencent-gz");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  // Known actions exist at 0 before any call.
  EXPECT_NE(Scrape(registry).find("provisioner_cloud_calls_total{action=\"RunInstances\","
                                  "backend=\"tencent-gz\",outcome=\"OK\"} 0"),
            std::string::npos);
  (*metrics)->RecordCall("RunInstances", "OK", absl::Milliseconds(30));
  (*metrics)->RecordCall("RunInstances", "RequestLimitExceeded", absl::Milliseconds(5));
  (*metrics)->RecordRetry("RunInstances");
  (*metrics)->RecordRateWait("RunInstances", absl::Milliseconds(250));
  const std::string text = Scrape(registry);
  EXPECT_NE(text.find("provisioner_cloud_calls_total{action=\"RunInstances\","
                      "backend=\"tencent-gz\",outcome=\"OK\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("outcome=\"RequestLimitExceeded\"} 1"), std::string::npos);
  EXPECT_NE(text.find("provisioner_cloud_call_retries_total{action=\"RunInstances\","
                      "backend=\"tencent-gz\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("provisioner_cloud_rate_limit_wait_seconds_total{action=\"RunInstances\","
                      "backend=\"tencent-gz\"} 0.25"),
            std::string::npos);
  EXPECT_NE(text.find("provisioner_cloud_call_duration_seconds_count{action=\"RunInstances\","
                      "backend=\"tencent-gz\"} 2"),
            std::string::npos);
}

TEST(ApiMetricsTest, WithoutARegistryEverythingIsANoOp) {
  auto metrics = ApiMetrics::Create(nullptr, "x");
  ASSERT_TRUE(metrics.ok());
  (*metrics)->RecordCall("RunInstances", "OK", absl::Milliseconds(1));
  (*metrics)->RecordRetry("RunInstances");
  (*metrics)->RecordRateWait("RunInstances", absl::Seconds(1));
}

TEST(ApiMetricsTest, TwoBackendsShareFamiliesWithTheirOwnSeries) {
  prometheus::Registry registry;
  auto a = ApiMetrics::Create(&registry, "a");
  auto b = ApiMetrics::Create(&registry, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  (*a)->RecordCall("DescribeInstances", "OK", absl::Milliseconds(1));
  const std::string text = Scrape(registry);
  EXPECT_NE(text.find("action=\"DescribeInstances\",backend=\"a\",outcome=\"OK\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("action=\"DescribeInstances\",backend=\"b\",outcome=\"OK\"} 0"),
            std::string::npos);
}

}  // namespace
}  // namespace cvm::tencentcloud
