#include "plugins/policy_registry.h"

#include "gmock/gmock.h"
#include "google/protobuf/empty.pb.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using ::testing::ElementsAre;

class NamedFactory : public PolicyFactory {
 public:
  explicit NamedFactory(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return std::make_unique<google::protobuf::Empty>();
  }
  absl::StatusOr<std::unique_ptr<Policy>> Create(const google::protobuf::Message&,
                                                 const PolicyContext&) const override {
    return absl::UnimplementedError("not here");
  }

 private:
  std::string name_;
};

TEST(PolicyRegistryTest, FindsRegisteredFactoriesAndListsThemSorted) {
  PolicyRegistry registry;
  ASSERT_TRUE(registry.Register(std::make_unique<NamedFactory>("zeta")).ok());
  ASSERT_TRUE(registry.Register(std::make_unique<NamedFactory>("alpha")).ok());
  ASSERT_NE(registry.Find("zeta"), nullptr);
  EXPECT_EQ(registry.Find("zeta")->name(), "zeta");
  EXPECT_EQ(registry.Find("missing"), nullptr);
  EXPECT_THAT(registry.Names(), ElementsAre("alpha", "zeta"));
}

TEST(PolicyRegistryTest, ANameRegisteredTwiceIsAlreadyExists) {
  PolicyRegistry registry;
  ASSERT_TRUE(registry.Register(std::make_unique<NamedFactory>("once")).ok());
  absl::Status again = registry.Register(std::make_unique<NamedFactory>("once"));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "policy plugin \"once\" is registered twice");
}

TEST(PolicyRegistryTest, TheGlobalRegistryIsOneInstance) {
  EXPECT_EQ(&PolicyRegistry::Global(), &PolicyRegistry::Global());
}

}  // namespace
}  // namespace cvm
