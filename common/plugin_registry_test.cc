#include "common/plugin_registry.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using ::testing::ElementsAre;

// A kind of plugin of its own, as backends and policies are.
class GadgetFactory {
 public:
  static constexpr char kPluginKind[] = "gadget";
  explicit GadgetFactory(std::string name = "default") : name_(std::move(name)) {}
  std::string name() const { return name_; }

 private:
  std::string name_;
};

using GadgetRegistry = PluginRegistry<GadgetFactory>;

TEST(PluginRegistryTest, FindsRegisteredFactoriesAndListsThemSorted) {
  GadgetRegistry registry;
  ASSERT_TRUE(registry.Register(std::make_unique<GadgetFactory>("zeta")).ok());
  ASSERT_TRUE(registry.Register(std::make_unique<GadgetFactory>("alpha")).ok());
  ASSERT_NE(registry.Find("zeta"), nullptr);
  EXPECT_EQ(registry.Find("zeta")->name(), "zeta");
  EXPECT_EQ(registry.Find("missing"), nullptr);
  EXPECT_THAT(registry.Names(), ElementsAre("alpha", "zeta"));
}

TEST(PluginRegistryTest, ANameRegisteredTwiceIsAlreadyExistsNamingTheKind) {
  GadgetRegistry registry;
  ASSERT_TRUE(registry.Register(std::make_unique<GadgetFactory>("once")).ok());
  absl::Status again = registry.Register(std::make_unique<GadgetFactory>("once"));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "gadget plugin \"once\" is registered twice");
}

TEST(PluginRegistryTest, TheGlobalRegistryIsOneInstanceFilledByRegistration) {
  EXPECT_EQ(&GadgetRegistry::Global(), &GadgetRegistry::Global());
  EXPECT_EQ(GadgetRegistry::Global().Find("default"), nullptr);
  PluginRegistration<GadgetFactory, GadgetFactory> registration;
  ASSERT_NE(GadgetRegistry::Global().Find("default"), nullptr);
  EXPECT_THAT(GadgetRegistry::Global().Names(), ElementsAre("default"));
}

using GadgetRegistration = PluginRegistration<GadgetFactory, GadgetFactory>;

TEST(PluginRegistryDeathTest, ARegistrationOfATakenNameAborts) {
  EXPECT_DEATH(
      {
        GadgetRegistration first;
        GadgetRegistration second;
      },
      "gadget plugin \"default\" is registered twice");
}

}  // namespace
}  // namespace cvm
