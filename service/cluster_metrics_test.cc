#include "service/cluster_metrics.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "prometheus/gauge.h"
#include "store/fake_work_leases.h"

namespace cvm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A replica's /metrics: its own registry always, the cluster's while it
// exports it.
class ClusterMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    exposer_ = std::make_unique<prometheus::Exposer>("127.0.0.1:0");
    exposer_->RegisterCollectable(replica_);
    prometheus::BuildGauge()
        .Name("provisioner_orders")
        .Help("test")
        .Register(*cluster_)
        .Add({{"state", "ACTIVE"}})
        .Set(7);
  }

  std::string Scrape() {
    httplib::Client client("127.0.0.1", exposer_->GetListeningPorts().at(0));
    auto answer = client.Get("/metrics");
    EXPECT_TRUE(answer && answer->status == 200);
    return answer ? answer->body : "";
  }

  std::shared_ptr<prometheus::Registry> replica_ = std::make_shared<prometheus::Registry>();
  std::shared_ptr<prometheus::Registry> cluster_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<prometheus::Exposer> exposer_;
  FakeWorkLeases leases_;
};

TEST_F(ClusterMetricsTest, AProcessSharingNothingExportsFromTheStart) {
  auto metrics = ClusterMetrics::Create(cluster_, *replica_, exposer_.get(), nullptr);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_TRUE((*metrics)->exporting());
  const std::string scrape = Scrape();
  EXPECT_THAT(scrape, HasSubstr("provisioner_orders{state=\"ACTIVE\"} 7"));
  EXPECT_THAT(scrape, HasSubstr("provisioner_cluster_metrics_exporter 1"));
  EXPECT_TRUE((*metrics)->Check().ok());
  EXPECT_TRUE((*metrics)->exporting());
}

TEST_F(ClusterMetricsTest, OnlyTheClaimHolderExportsAndTakesOverWhenItGoes) {
  {
    absl::MutexLock lock(&leases_.mu);
    leases_.others.insert(ClusterMetrics::kClaim);  // another replica exports
  }
  auto metrics = ClusterMetrics::Create(cluster_, *replica_, exposer_.get(), &leases_);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_TRUE((*metrics)->Check().ok());
  EXPECT_FALSE((*metrics)->exporting());
  std::string scrape = Scrape();
  EXPECT_THAT(scrape, Not(HasSubstr("provisioner_orders{")));
  EXPECT_THAT(scrape, HasSubstr("provisioner_cluster_metrics_exporter 0"));

  {
    absl::MutexLock lock(&leases_.mu);
    leases_.others.clear();  // the exporter died: its claim is free
  }
  EXPECT_TRUE((*metrics)->Check().ok());
  EXPECT_TRUE((*metrics)->exporting());
  scrape = Scrape();
  EXPECT_THAT(scrape, HasSubstr("provisioner_orders{state=\"ACTIVE\"} 7"));
  EXPECT_THAT(scrape, HasSubstr("provisioner_cluster_metrics_exporter 1"));

  // A claim that cannot be checked stops the export: two exporters would
  // double every sum, none only leaves a gap.
  {
    absl::MutexLock lock(&leases_.mu);
    leases_.failures = 1;
  }
  EXPECT_EQ((*metrics)->Check().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE((*metrics)->exporting());
  EXPECT_THAT(Scrape(), Not(HasSubstr("provisioner_orders{")));

  EXPECT_TRUE((*metrics)->Check().ok());
  metrics->reset();  // shutting down gives the claim back
  absl::MutexLock lock(&leases_.mu);
  EXPECT_EQ(leases_.held.count(ClusterMetrics::kClaim), 0u);
  EXPECT_THAT(Scrape(), Not(HasSubstr("provisioner_orders{")));
}

}  // namespace
}  // namespace cvm
