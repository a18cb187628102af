// The template Node's bytes, read back by field number with a reader written
// apart from the encoder; and the shape of an instance type.
#include "service/template_node.h"

#include <memory>

#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/k8s_node_decoder_test_support.h"
#include "service/workflow_test_support.h"

namespace cvm {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(TemplateNodeTest, EveryFieldDecodesByTheKubernetesFieldNumbers) {
  TemplateNode node;
  node.name = "web-template";
  node.labels = {{"node.kubernetes.io/instance-type", "S5.LARGE8"},
                 {"topology.kubernetes.io/zone", "ap-guangzhou-3"},
                 {"team", "a"}};
  node.shape = {4, 8, 2};
  node.max_pods = 64;
  auto decoded = DecodeK8sNode(EncodeTemplateNode(node));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->name, "web-template");
  EXPECT_EQ(decoded->labels, node.labels);
  EXPECT_THAT(decoded->capacity, ElementsAre(Pair("cpu", "4"), Pair("memory", "8Gi"),
                                             Pair("nvidia.com/gpu", "2"), Pair("pods", "64")));
  EXPECT_EQ(decoded->allocatable, decoded->capacity);
  EXPECT_FALSE(decoded->has_spec);
  EXPECT_THAT(decoded->unexpected, IsEmpty());

  // No GPU: no GPU resource; long values need multi-byte lengths.
  node.shape.gpus = 0;
  node.labels["long"] = std::string(200, 'x');
  decoded = DecodeK8sNode(EncodeTemplateNode(node));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->labels.at("long").size(), 200u);
  EXPECT_EQ(decoded->capacity.count("nvidia.com/gpu"), 0u);
  EXPECT_EQ(decoded->capacity.size(), 3u);
}

TEST(TemplateNodeTest, TypeNamesGiveMemoryAndSize) {
  EXPECT_EQ(MemoryGibOfTypeName("S5.MEDIUM4"), 4);
  EXPECT_EQ(MemoryGibOfTypeName("SA2.16XLARGE256"), 256);
  EXPECT_EQ(MemoryGibOfTypeName("S5.LARGE"), std::nullopt);
  EXPECT_EQ(MemoryGibOfTypeName("8"), std::nullopt);
  EXPECT_EQ(CpuOfTypeName("S5.SMALL1"), 1);
  EXPECT_EQ(CpuOfTypeName("S5.MEDIUM2"), 2);
  EXPECT_EQ(CpuOfTypeName("S5.LARGE8"), 4);
  EXPECT_EQ(CpuOfTypeName("S5.2XLARGE16"), 8);
  EXPECT_EQ(CpuOfTypeName("SA2.16XLARGE256"), 64);
  EXPECT_EQ(CpuOfTypeName("S5.HUGE8"), std::nullopt);
  EXPECT_EQ(CpuOfTypeName("XLARGE8"), std::nullopt);
}

// A backend that lists no offers (Backend::Offers' default).
class NoOffersBackend : public Backend {
 public:
  absl::Status Preflight(const CreateRequest&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<std::string>> Create(const CreateRequest&) override {
    return absl::UnimplementedError("no");
  }
  absl::StatusOr<std::vector<InstanceStatus>> Describe(const std::string&,
                                                       absl::Span<const std::string>) override {
    return absl::UnimplementedError("no");
  }
  absl::StatusOr<std::vector<std::string>> FindByOrder(const std::string&,
                                                       const std::string&) override {
    return absl::UnimplementedError("no");
  }
  absl::Status Terminate(const std::string&, absl::Span<const std::string>, absl::Time) override {
    return absl::UnimplementedError("no");
  }
  absl::StatusOr<provisioning::v1::Quote> Quote(const provisioning::v1::InstanceSpec&, int,
                                                absl::Time) override {
    return absl::UnimplementedError("no");
  }
};

TEST(TemplateNodeTest, CpuComesFromTheOffersAndElseFromTheName) {
  FakeClock clock;
  auto backends = FakeBackendSet(provisioning::fake::v1::FakeBackendConfig(), &clock);
  ASSERT_TRUE(backends.ok()) << backends.status();
  Backend* fake = *(*backends)->Get("fake");
  // The fake offers every type with 2 vCPUs: the offer wins over the name (4).
  auto shape =
      ShapeOfType(*fake, "ap-guangzhou", "ap-guangzhou-3", "S5.LARGE8", absl::InfiniteFuture());
  ASSERT_TRUE(shape.ok()) << shape.status();
  EXPECT_EQ(shape->cpu, 2);
  EXPECT_EQ(shape->memory_gib, 8);
  EXPECT_EQ(shape->gpus, 0);

  NoOffersBackend none;
  shape = ShapeOfType(none, "ap-guangzhou", "ap-guangzhou-3", "S5.LARGE8", absl::InfiniteFuture());
  ASSERT_TRUE(shape.ok()) << shape.status();
  EXPECT_EQ(shape->cpu, 4);
  absl::Status unknown =
      ShapeOfType(none, "ap-guangzhou", "ap-guangzhou-3", "X1.ODD", absl::InfiniteFuture())
          .status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(unknown.message()), ::testing::HasSubstr("X1.ODD"));
}

}  // namespace
}  // namespace cvm
