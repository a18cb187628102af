#include "backends/conformance/backend_conformance.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/money.h"
#include "common/status_details.h"
#include "gmock/gmock.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using ::testing::SizeIs;

TEST_P(BackendConformanceTest, PreflightPassesForABuyableSpec) {
  EXPECT_TRUE(backend_->Preflight(Request("preflight-ok", 1)).ok());
}

TEST_P(BackendConformanceTest, PreflightOfASoldOutZoneFailsNamingTheCheck) {
  CreateRequest request = Request("sold-out", 1);
  request.spec = GetParam().sold_out_spec;
  absl::Status status = backend_->Preflight(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  auto failure = GetDetail<google::rpc::PreconditionFailure>(status);
  ASSERT_TRUE(failure.has_value()) << status;
  ASSERT_THAT(failure->violations(), SizeIs(1));
  EXPECT_FALSE(failure->violations(0).type().empty());
}

TEST_P(BackendConformanceTest, SpotPriceBelowTheMarketFailsPreflight) {
  CreateRequest request = Request("spot-low", 1);
  request.spec.mutable_spot()->set_max_price_per_hour("0.000001");
  absl::Status status = backend_->Preflight(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_TRUE(GetDetail<google::rpc::PreconditionFailure>(status).has_value());
}

TEST_P(BackendConformanceTest, CreateReturnsExactlyCountDistinctIds) {
  auto ids = backend_->Create(Request("count-3", 3));
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, SizeIs(3));
  EXPECT_EQ(std::set<std::string>(ids->begin(), ids->end()).size(), 3u);
}

TEST_P(BackendConformanceTest, SameClientTokenReturnsTheSameIdsAndBuysNothing) {
  auto first = backend_->Create(Request("same-token", 2));
  ASSERT_TRUE(first.ok()) << first.status();
  const int bought = Bought();
  auto second = backend_->Create(Request("same-token", 2));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(Bought(), bought);
  if (GetParam().instances_bought) EXPECT_GE(bought, 2);
}

TEST_P(BackendConformanceTest, CreateInASoldOutZoneFailsAndBuysNothing) {
  CreateRequest request = Request("sold-out-create", 1);
  request.spec = GetParam().sold_out_spec;
  const int bought = Bought();
  auto ids = backend_->Create(request);
  EXPECT_FALSE(ids.ok()) << "bought " << ids->size() << " in a sold-out zone";
  EXPECT_EQ(Bought(), bought);
}

TEST_P(BackendConformanceTest, DifferentClientTokensBuyDifferentInstances) {
  auto a = backend_->Create(Request("token-a", 2));
  auto b = backend_->Create(Request("token-b", 2));
  ASSERT_TRUE(a.ok() && b.ok());
  std::set<std::string> all(a->begin(), a->end());
  all.insert(b->begin(), b->end());
  EXPECT_EQ(all.size(), 4u);
}

TEST_P(BackendConformanceTest, InstancesBecomeRunningWithPublicAndPrivateIps) {
  auto ids = backend_->Create(Request("lifecycle", 2));
  ASSERT_TRUE(ids.ok()) << ids.status();
  auto early = backend_->Describe(Region(), *ids);
  ASSERT_TRUE(early.ok()) << early.status();
  ASSERT_THAT(*early, SizeIs(2));
  for (const InstanceStatus& s : *early) {
    EXPECT_TRUE(s.state == Instance::PENDING || s.state == Instance::RUNNING)
        << Instance::State_Name(s.state);
  }
  GetParam().advance_time(GetParam().time_to_active);
  auto later = backend_->Describe(Region(), *ids);
  ASSERT_TRUE(later.ok()) << later.status();
  ASSERT_THAT(*later, SizeIs(2));
  for (const InstanceStatus& s : *later) {
    EXPECT_EQ(s.state, Instance::RUNNING) << s.instance_id;
    EXPECT_THAT(s.public_ips, SizeIs(1)) << s.instance_id;
    EXPECT_THAT(s.private_ips, SizeIs(1)) << s.instance_id;
    EXPECT_EQ(s.zone, GetParam().buyable_spec.zone());
  }
}

// Every node-bootstrap field set (docs/node-bootstrap.md): bought like any
// spec; a backend may ignore what it cannot use, but must not fail on it.
TEST_P(BackendConformanceTest, SpecWithEveryBootstrapFieldBuysAndQuotes) {
  CreateRequest request = Request("bootstrap", 2);
  auto& spec = request.spec;
  spec.set_user_data("I2Nsb3VkLWNvbmZpZwo=");  // "#cloud-config\n"
  spec.set_host_name("conformance-node");
  spec.set_cam_role_name("ConformanceRole");
  spec.set_project_id(7);
  spec.add_placement_group_ids("ps-conform1");
  spec.mutable_network()->set_vpc_id("vpc-conform1");
  spec.mutable_network()->set_subnet_id("subnet-conform1");
  spec.mutable_network()->add_private_ip_addresses("10.9.0.11");
  spec.mutable_network()->add_private_ip_addresses("10.9.0.12");
  auto* disk = spec.add_data_disks();
  disk->set_size_gb(50);
  disk->set_encrypt(true);
  disk->set_kms_key_id("kms-conform1");
  disk->set_delete_with_instance(false);
  ASSERT_TRUE(backend_->Preflight(request).ok());
  auto quote = backend_->Quote(spec, 2);
  ASSERT_TRUE(quote.ok()) << quote.status();
  auto ids = backend_->Create(request);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, SizeIs(2));
  GetParam().advance_time(GetParam().time_to_active);
  auto described = backend_->Describe(Region(), *ids);
  ASSERT_TRUE(described.ok()) << described.status();
  for (const InstanceStatus& status : *described) {
    EXPECT_EQ(status.state, provisioning::v1::Instance::RUNNING) << status.instance_id;
  }
}

TEST_P(BackendConformanceTest, FindByOrderReturnsTheOrdersLiveInstances) {
  CreateRequest request = Request("find-by-order", 2);
  auto* tag = request.spec.add_tags();  // the workflow tags every order so
  tag->set_key(kOrderTagKey);
  tag->set_value(request.order_id);
  auto ids = backend_->Create(request);
  ASSERT_TRUE(ids.ok()) << ids.status();
  auto found = backend_->FindByOrder(Region(), request.order_id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(std::set<std::string>(found->begin(), found->end()),
            std::set<std::string>(ids->begin(), ids->end()));
  auto none = backend_->FindByOrder(Region(), "ord-never-placed");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(backend_->Terminate(Region(), *ids).ok());
  GetParam().advance_time(GetParam().time_to_active);
  EXPECT_TRUE(backend_->FindByOrder(Region(), request.order_id)->empty());
}

TEST_P(BackendConformanceTest, ListTaggedNamesEachLiveInstancesOrder) {
  std::map<std::string, std::string> want;  // instance id -> order id
  std::vector<std::string> first_ids;
  for (const auto& [name, count] : {std::pair<std::string, int>{"tagged-a", 2}, {"tagged-b", 1}}) {
    CreateRequest request = Request(name, count);
    auto* tag = request.spec.add_tags();
    tag->set_key(kOrderTagKey);
    tag->set_value(request.order_id);
    auto ids = backend_->Create(request);
    ASSERT_TRUE(ids.ok()) << ids.status();
    for (const std::string& id : *ids) want[id] = request.order_id;
    if (first_ids.empty()) first_ids = *ids;
  }
  auto listed = backend_->ListTagged(Region());
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::map<std::string, std::string> got;
  for (const TaggedInstance& t : *listed) got[t.instance_id] = t.order_id;
  for (const auto& [id, order_id] : want) EXPECT_EQ(got[id], order_id) << id;
  // Released instances are no longer listed.
  ASSERT_TRUE(backend_->Terminate(Region(), first_ids).ok());
  GetParam().advance_time(GetParam().time_to_active);
  listed = backend_->ListTagged(Region());
  ASSERT_TRUE(listed.ok()) << listed.status();
  for (const TaggedInstance& t : *listed) {
    EXPECT_EQ(std::count(first_ids.begin(), first_ids.end(), t.instance_id), 0) << t.instance_id;
  }
}

TEST_P(BackendConformanceTest, UnknownInstanceIsReportedTerminated) {
  const std::vector<std::string> ids = {"ins-doesnotexist"};
  auto statuses = backend_->Describe(Region(), ids);
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  ASSERT_THAT(*statuses, SizeIs(1));
  EXPECT_EQ((*statuses)[0].instance_id, "ins-doesnotexist");
  EXPECT_EQ((*statuses)[0].state, Instance::TERMINATED);
}

TEST_P(BackendConformanceTest, DescribeReportsEveryIdKnownOrNot) {
  auto bought = backend_->Create(Request("known-and-unknown", 1));
  ASSERT_TRUE(bought.ok()) << bought.status();
  const std::vector<std::string> ids = {"ins-unknown1", (*bought)[0], "ins-unknown2"};
  auto statuses = backend_->Describe(Region(), ids);
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  ASSERT_THAT(*statuses, SizeIs(3));
  std::map<std::string, Instance::State> by_id;
  for (const InstanceStatus& s : *statuses) by_id[s.instance_id] = s.state;
  ASSERT_THAT(by_id, SizeIs(3));
  EXPECT_EQ(by_id["ins-unknown1"], Instance::TERMINATED);
  EXPECT_EQ(by_id["ins-unknown2"], Instance::TERMINATED);
  EXPECT_TRUE(by_id[(*bought)[0]] == Instance::PENDING ||
              by_id[(*bought)[0]] == Instance::RUNNING)
      << Instance::State_Name(by_id[(*bought)[0]]);
}

TEST_P(BackendConformanceTest, DescribeTakesAFullBatchButNoMore) {
  std::vector<std::string> ids;
  for (int i = 0; i < kMaxDescribeBatch; ++i) ids.push_back(absl::StrCat("ins-batch", i));
  auto full = backend_->Describe(Region(), ids);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_THAT(*full, SizeIs(kMaxDescribeBatch));
  ids.push_back("ins-one-too-many");
  EXPECT_EQ(backend_->Describe(Region(), ids).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(BackendConformanceTest, TerminateReleasesAndIsIdempotent) {
  auto ids = backend_->Create(Request("terminate", 2));
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_TRUE(backend_->Terminate(Region(), *ids).ok());
  GetParam().advance_time(GetParam().time_to_active);
  auto statuses = backend_->Describe(Region(), *ids);
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  for (const InstanceStatus& s : *statuses) EXPECT_EQ(s.state, Instance::TERMINATED);
  EXPECT_TRUE(backend_->Terminate(Region(), *ids).ok());
  const std::vector<std::string> unknown = {"ins-neverexisted"};
  EXPECT_TRUE(backend_->Terminate(Region(), unknown).ok());
}

TEST_P(BackendConformanceTest, StopAndStartShowInDescribeAndAreIdempotent) {
  auto ids = backend_->Create(Request("power", 1));
  ASSERT_TRUE(ids.ok()) << ids.status();
  GetParam().advance_time(GetParam().time_to_active);
  auto state = [&] {
    auto statuses = backend_->Describe(Region(), *ids);
    EXPECT_TRUE(statuses.ok()) << statuses.status();
    return statuses.ok() ? (*statuses)[0].state : Instance::STATE_UNSPECIFIED;
  };
  const absl::Status stop = backend_->Stop(Region(), *ids, /*stop_charging=*/true,
                                           absl::InfiniteFuture());
  if (stop.code() == absl::StatusCode::kUnimplemented) GTEST_SKIP() << "no power control";
  ASSERT_TRUE(stop.ok()) << stop;
  EXPECT_EQ(state(), Instance::STOPPED);  // stopping already describes so
  EXPECT_TRUE(backend_->Stop(Region(), *ids, true, absl::InfiniteFuture()).ok());
  GetParam().advance_time(GetParam().time_to_active);
  EXPECT_EQ(state(), Instance::STOPPED);
  ASSERT_TRUE(backend_->Start(Region(), *ids, absl::InfiniteFuture()).ok());
  EXPECT_TRUE(backend_->Start(Region(), *ids, absl::InfiniteFuture()).ok());
  GetParam().advance_time(GetParam().time_to_active);
  EXPECT_EQ(state(), Instance::RUNNING);
  EXPECT_TRUE(backend_->Start(Region(), *ids, absl::InfiniteFuture()).ok());
  const std::vector<std::string> unknown = {"ins-neverexisted"};
  EXPECT_EQ(backend_->Stop(Region(), unknown, false, absl::InfiniteFuture()).code(),
            absl::StatusCode::kNotFound);
}

TEST_P(BackendConformanceTest, QuoteHasACurrencyAndAPositivePrice) {
  auto quote = backend_->Quote(GetParam().buyable_spec, 2);
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_FALSE(quote->currency().empty());
  auto unit = ParseMoneyMicros(quote->unit_price_per_hour());
  auto total = ParseMoneyMicros(quote->total_price_per_hour());
  ASSERT_TRUE(unit.ok() && total.ok()) << quote->DebugString();
  EXPECT_GT(*unit, 0);
  EXPECT_EQ(*total, *unit * 2);
}

TEST_P(BackendConformanceTest, PrepaidQuoteHasATotalForThePeriod) {
  provisioning::v1::InstanceSpec spec = GetParam().buyable_spec;
  spec.mutable_prepaid()->set_period_months(3);
  auto quote = backend_->Quote(spec, 1);
  ASSERT_TRUE(quote.ok()) << quote.status();
  auto total = ParseMoneyMicros(quote->total_price_prepaid());
  ASSERT_TRUE(total.ok()) << quote->DebugString();
  EXPECT_GT(*total, 0);
}

TEST_P(BackendConformanceTest, ConcurrentCreatesWithDistinctTokensNeverShareIds) {
  absl::Mutex mu;
  std::vector<std::string> all;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto ids = backend_->Create(Request(absl::StrCat("concurrent-", t), 2));
      ASSERT_TRUE(ids.ok()) << ids.status();
      absl::MutexLock lock(&mu);
      all.insert(all.end(), ids->begin(), ids->end());
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(all, SizeIs(16));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 16u);
}

TEST_P(BackendConformanceTest, ConcurrentCreatesWithOneTokenBuyOnce) {
  absl::Mutex mu;
  std::set<std::vector<std::string>> answers;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto ids = backend_->Create(Request("one-token", 3));
      ASSERT_TRUE(ids.ok()) << ids.status();
      absl::MutexLock lock(&mu);
      answers.insert(*ids);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(answers, SizeIs(1));
}

}  // namespace
}  // namespace cvm
