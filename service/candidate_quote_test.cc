// RankCandidates and QuoteCandidates on the fake backend with a catalogue:
// zones and instance types resolved from the offers (all_zones,
// requirements), sorted and filtered, the matrix capped, and what a backend
// without a catalogue or without offers gets.
#include "service/candidate_quote.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/fake/fake_backend.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/counting_backend.h"
#include "store/capacity_verdicts.h"

namespace cvm {
namespace {

using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::InstanceRequirements;
using provisioning::v1::QuoteCell;
using provisioning::v1::QuoteRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ap-guangzhou-3, -4 (sold out), -6 and a Shanghai zone; S5 and SA2 types
// of 2-8 vCPUs, a GN7 GPU type.
FakeBackendConfig Catalogue() {
  FakeBackendConfig config;
  for (const char* zone : {"ap-guangzhou-6", "ap-guangzhou-3", "ap-shanghai-2", "ap-guangzhou-4"}) {
    config.add_catalogue_zones(zone);
  }
  config.add_sold_out_zones("ap-guangzhou-4");
  struct Type {
    const char* name;
    int cpu;
    int memory_gb;
    int gpu;
  };
  for (const Type& t : {Type{"S5.LARGE8", 4, 8, 0}, Type{"S5.MEDIUM4", 2, 4, 0},
                        Type{"S5.2XLARGE16", 8, 16, 0}, Type{"SA2.MEDIUM4", 2, 4, 0},
                        Type{"GN7.LARGE20", 4, 20, 1}}) {
    auto* type = config.add_catalogue_types();
    type->set_instance_type(t.name);
    type->set_cpu(t.cpu);
    type->set_memory_gb(t.memory_gb);
    type->set_gpu(t.gpu);
  }
  return config;
}

// 1 instance of S5.MEDIUM2 in ap-guangzhou-3, spot up to 0.05, then
// pay-as-you-go; every zone, 2-4 vCPUs, no GPU, family S5.
QuoteRequest Request() {
  QuoteRequest request;
  auto* spec = request.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone("ap-guangzhou-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-1");
  spec->mutable_pay_as_you_go();
  request.set_instance_count(1);
  auto* candidates = request.mutable_candidates();
  candidates->set_all_zones(true);
  candidates->add_billing()->mutable_spot()->set_max_price_per_hour("0.05");
  candidates->add_billing()->mutable_pay_as_you_go();
  InstanceRequirements* req = candidates->mutable_requirements();
  req->set_min_cpu(2);
  req->set_max_cpu(4);
  req->add_families("S5");
  req->set_gpu(InstanceRequirements::GPU_NONE);
  return request;
}

std::string Key(const QuoteCell& cell) {
  return absl::StrCat(cell.zone(), "/", cell.instance_type(), "/",
                      cell.billing().has_spot() ? "spot" : "payg", "/", cell.verdict());
}

std::set<std::string> Fields(const absl::Status& status) {
  std::set<std::string> fields;
  if (auto bad = GetDetail<google::rpc::BadRequest>(status)) {
    for (const auto& violation : bad->field_violations()) fields.insert(violation.field());
  }
  return fields;
}

class CandidateQuoteTest : public ::testing::Test {
 protected:
  std::unique_ptr<FakeBackend> Fake(const FakeBackendConfig& config) {
    auto fake = FakeBackend::Create(config, &clock_);
    EXPECT_TRUE(fake.ok()) << fake.status();
    return fake.ok() ? *std::move(fake) : nullptr;
  }

  absl::StatusOr<provisioning::v1::Quote> Quote(Backend& backend, const QuoteRequest& request) {
    return QuoteCandidates(backend, "fake", request, &memory_, absl::InfiniteFuture());
  }

  FakeClock clock_;
  LocalCapacityVerdicts verdicts_;
  CapacityMemory memory_{&verdicts_, CapacityMemory::Options{absl::Minutes(3), &clock_}};
};

TEST_F(CandidateQuoteTest, AllZonesAndRequirementsResolveToTheCataloguesMatchingCells) {
  auto fake = Fake(Catalogue());
  absl::StatusOr<provisioning::v1::Quote> quote = Quote(*fake, Request());
  ASSERT_TRUE(quote.ok()) << quote.status();
  std::vector<std::string> cells;
  for (const QuoteCell& cell : quote->cells()) cells.push_back(Key(cell));
  // Zones of the region, sorted (not Shanghai); S5 types of 2-4 vCPUs,
  // sorted (not S5.2XLARGE16, SA2 or the GPU type); spot (0.03) before
  // pay-as-you-go (0.10); the sold-out zone last.
  EXPECT_THAT(cells, ElementsAre("ap-guangzhou-3/S5.LARGE8/spot/AVAILABLE",
                                 "ap-guangzhou-3/S5.MEDIUM4/spot/AVAILABLE",
                                 "ap-guangzhou-6/S5.LARGE8/spot/AVAILABLE",
                                 "ap-guangzhou-6/S5.MEDIUM4/spot/AVAILABLE",
                                 "ap-guangzhou-3/S5.LARGE8/payg/AVAILABLE",
                                 "ap-guangzhou-3/S5.MEDIUM4/payg/AVAILABLE",
                                 "ap-guangzhou-6/S5.LARGE8/payg/AVAILABLE",
                                 "ap-guangzhou-6/S5.MEDIUM4/payg/AVAILABLE",
                                 "ap-guangzhou-4/S5.LARGE8/spot/ZONE_SOLD_OUT",
                                 "ap-guangzhou-4/S5.MEDIUM4/spot/ZONE_SOLD_OUT",
                                 "ap-guangzhou-4/S5.LARGE8/payg/ZONE_SOLD_OUT",
                                 "ap-guangzhou-4/S5.MEDIUM4/payg/ZONE_SOLD_OUT"));
  EXPECT_EQ(Key(quote->chosen()), "ap-guangzhou-3/S5.LARGE8/spot/AVAILABLE");
}

TEST_F(CandidateQuoteTest, ListedTypesAreKeptInTheOrderGivenWhenTheyMeetTheRequirements) {
  auto fake = Fake(Catalogue());
  QuoteRequest request = Request();
  auto* candidates = request.mutable_candidates();
  candidates->set_all_zones(false);
  candidates->add_zones("ap-guangzhou-6");
  candidates->clear_billing();
  candidates->set_strategy(provisioning::v1::Candidates::PRIORITIZED);
  for (const char* type : {"S5.MEDIUM4", "SA2.MEDIUM4", "S5.2XLARGE16", "S5.LARGE8", "X1.NONE"}) {
    candidates->add_instance_types(type);
  }
  absl::StatusOr<provisioning::v1::Quote> quote = Quote(*fake, request);
  ASSERT_TRUE(quote.ok()) << quote.status();
  std::vector<std::string> cells;
  for (const QuoteCell& cell : quote->cells()) cells.push_back(Key(cell));
  // X1.NONE: not in the catalogue (2 vCPUs, 0 GB) but family X1.
  EXPECT_THAT(cells, ElementsAre("ap-guangzhou-6/S5.MEDIUM4/payg/AVAILABLE",
                                 "ap-guangzhou-6/S5.LARGE8/payg/AVAILABLE"));
}

TEST_F(CandidateQuoteTest, NothingMatchingOrTooManyCellsIsNamed) {
  auto fake = Fake(Catalogue());
  QuoteRequest gpu = Request();
  gpu.mutable_candidates()->mutable_requirements()->set_gpu(InstanceRequirements::GPU_REQUIRED);
  absl::Status none = Quote(*fake, gpu).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kFailedPrecondition) << none;
  EXPECT_EQ(ErrorReason(none), "NO_MATCHING_INSTANCE_TYPE");
  EXPECT_THAT(none.message(), HasSubstr("candidates.requirements"));

  // 10 zones x 41 types x 2 billings: 820 cells.
  FakeBackendConfig big;
  for (int z = 1; z <= 10; ++z) big.add_catalogue_zones(absl::StrCat("ap-guangzhou-", z));
  for (int t = 0; t < 41; ++t) {
    auto* type = big.add_catalogue_types();
    type->set_instance_type(absl::StrCat("S5.T", t));
    type->set_cpu(2);
  }
  QuoteRequest wide = Request();
  wide.mutable_candidates()->mutable_requirements()->Clear();  // any type
  absl::Status capped = Quote(*Fake(big), wide).status();
  EXPECT_EQ(capped.code(), absl::StatusCode::kInvalidArgument) << capped;
  EXPECT_EQ(Fields(capped),
            (std::set<std::string>{"candidates.all_zones", "candidates.requirements"}));
  EXPECT_THAT(capped.message(), HasSubstr("820 cells (10 zones x 41 instance types x 2 billings)"));
  big.mutable_catalogue_types()->RemoveLast();  // 800: at the limit
  ASSERT_TRUE(Quote(*Fake(big), wide).ok());
}

TEST_F(CandidateQuoteTest, ABackendThatCannotListSaysWhat) {
  // The fake without a catalogue names what it lacks.
  auto bare = Fake(FakeBackendConfig());
  absl::Status no_catalogue = Quote(*bare, Request()).status();
  EXPECT_EQ(no_catalogue.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Fields(no_catalogue), std::set<std::string>{"catalogue_zones"});

  // A backend without offers: the fields that need them, for a purchase too.
  CountingBackend unlisted(Fake(Catalogue()));
  for (const bool purchase : {false, true}) {
    const QuoteRequest request = Request();
    absl::Status status =
        RankCandidates(unlisted, "counting", request.spec(), request.candidates(), 1, &memory_,
                       purchase, absl::InfiniteFuture())
            .status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << purchase;
    EXPECT_EQ(Fields(status),
              (std::set<std::string>{"candidates.all_zones", "candidates.requirements"}));
  }
  // Without them a purchase still gets every cell, blind.
  QuoteRequest listed = Request();
  listed.mutable_candidates()->set_all_zones(false);
  listed.mutable_candidates()->clear_requirements();
  absl::StatusOr<RankedCells> blind =
      RankCandidates(unlisted, "counting", listed.spec(), listed.candidates(), 1, &memory_,
                     /*purchase=*/true, absl::InfiniteFuture());
  ASSERT_TRUE(blind.ok()) << blind.status();
  EXPECT_EQ(blind->cells.size(), 2u);  // the spec's zone and type, 2 billings
}

}  // namespace
}  // namespace cvm
