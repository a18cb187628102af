#include "common/candidate_cells.h"

#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::InstanceSpec;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;

PurchaseRequest Request() {
  PurchaseRequest request;
  InstanceSpec* spec = request.mutable_spec();
  spec->set_region("ap-guangzhou");
  spec->set_zone("ap-guangzhou-3");
  spec->set_instance_type("S5.MEDIUM2");
  spec->set_image_id("img-1");
  spec->mutable_pay_as_you_go();
  return request;
}

TEST(CandidateCellsTest, WithoutCandidatesTheOneCellIsTheSpec) {
  const std::vector<InstanceSpec> cells = CellSpecs(Request());
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].zone(), "ap-guangzhou-3");
  EXPECT_TRUE(cells[0].has_pay_as_you_go());
}

TEST(CandidateCellsTest, EveryCellInTheOrderGivenListsDefaultingToTheSpec) {
  PurchaseRequest request = Request();
  request.mutable_candidates()->add_zones("ap-guangzhou-4");
  request.mutable_candidates()->add_zones("ap-guangzhou-6");
  request.mutable_candidates()->add_billing()->mutable_spot()->set_max_price_per_hour("0.10");
  request.mutable_candidates()->add_billing()->mutable_pay_as_you_go();
  const std::vector<InstanceSpec> cells = CellSpecs(request);
  ASSERT_EQ(cells.size(), 4u);  // 2 billings x 2 zones x the spec's type
  EXPECT_EQ(cells[0].zone(), "ap-guangzhou-4");
  EXPECT_EQ(cells[0].spot().max_price_per_hour(), "0.10");
  EXPECT_FALSE(cells[0].has_pay_as_you_go());
  EXPECT_EQ(cells[1].zone(), "ap-guangzhou-6");
  EXPECT_TRUE(cells[2].has_pay_as_you_go());
  for (const InstanceSpec& cell : cells) {
    EXPECT_EQ(cell.instance_type(), "S5.MEDIUM2");
    EXPECT_EQ(cell.image_id(), "img-1");
  }
}

TEST(CandidateCellsTest, AnInstanceLandedWhereItSaysElseWhereTheSpecSays) {
  Order order;
  *order.mutable_spec() = Request().spec();
  Instance plain;
  EXPECT_EQ(LandedSpec(order, plain).zone(), "ap-guangzhou-3");
  Instance landed;
  landed.set_zone("ap-guangzhou-6");
  landed.set_instance_type("SA2.MEDIUM2");
  landed.mutable_billing()->mutable_spot()->set_max_price_per_hour("0.10");
  const InstanceSpec spec = LandedSpec(order, landed);
  EXPECT_EQ(spec.zone(), "ap-guangzhou-6");
  EXPECT_EQ(spec.instance_type(), "SA2.MEDIUM2");
  EXPECT_TRUE(spec.has_spot());
  EXPECT_EQ(spec.image_id(), "img-1");
}

TEST(CandidateCellsTest, RequirementsBoundCpuMemoryFamiliesAndGpus) {
  provisioning::v1::InstanceRequirements req;
  const TypeTraits s5{2, 4, "S5", 0};
  EXPECT_TRUE(MeetsRequirements(req, s5));  // no bound
  req.set_min_cpu(2);
  req.set_max_cpu(4);
  req.set_min_memory_gb(4);
  EXPECT_TRUE(MeetsRequirements(req, s5));  // bounds are inclusive
  EXPECT_FALSE(MeetsRequirements(req, {8, 16, "S5", 0}));
  EXPECT_FALSE(MeetsRequirements(req, {2, 3.5, "S5", 0}));
  req.set_max_memory_gb(8);
  EXPECT_FALSE(MeetsRequirements(req, {4, 16, "S5", 0}));
  req.add_families("S5");
  req.add_families("SA2");
  EXPECT_TRUE(MeetsRequirements(req, {4, 8, "SA2", 0}));
  EXPECT_FALSE(MeetsRequirements(req, {4, 8, "S6", 0}));
  req.clear_families();
  req.add_excluded_families("SA2");
  EXPECT_FALSE(MeetsRequirements(req, {4, 8, "SA2", 0}));
  EXPECT_TRUE(MeetsRequirements(req, {4, 8, "GN7", 1}));
  req.set_gpu(provisioning::v1::InstanceRequirements::GPU_NONE);
  EXPECT_FALSE(MeetsRequirements(req, {4, 8, "GN7", 1}));
  EXPECT_TRUE(MeetsRequirements(req, s5));
  req.set_gpu(provisioning::v1::InstanceRequirements::GPU_REQUIRED);
  EXPECT_TRUE(MeetsRequirements(req, {4, 8, "GN7", 0.25}));  // a vGPU share
  EXPECT_FALSE(MeetsRequirements(req, s5));
}

TEST(CandidateCellsTest, CatalogueListsAreNamedByTheirFields) {
  provisioning::v1::Candidates candidates;
  EXPECT_FALSE(ZonesFromCatalogue(candidates));
  EXPECT_FALSE(TypesFromCatalogue(candidates));
  candidates.set_all_zones(true);
  candidates.mutable_requirements();  // an empty one: every type
  EXPECT_TRUE(ZonesFromCatalogue(candidates));
  EXPECT_TRUE(TypesFromCatalogue(candidates));
}

}  // namespace
}  // namespace cvm
