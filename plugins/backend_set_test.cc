#include "plugins/backend_set.h"

#include <cstdlib>

#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::config::v1::ServiceConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Testdata(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/cvm_provisioner/plugins/testdata/" + name;
}

absl::StatusOr<std::unique_ptr<BackendSet>> Build(const ServiceConfig& config) {
  return BackendSet::Create(config, BackendRegistry::Global(), BackendContext());
}

std::string BadField(const absl::Status& status) {
  auto bad = GetDetail<google::rpc::BadRequest>(status);
  return bad.has_value() && bad->field_violations_size() > 0
             ? bad->field_violations(0).field()
             : "";
}

TEST(BackendSetTest, LoadsTextConfigAndRoutesFirstMatchWins) {
  auto config = LoadServiceConfig(Testdata("routing.textproto"));
  ASSERT_TRUE(config.ok()) << config.status();
  auto set = Build(*config);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT((*set)->Names(), ElementsAre("gz", "rest"));
  EXPECT_EQ((*set)->Route("ap-guangzhou")->name, "gz");
  EXPECT_EQ((*set)->Route("ap-shenzhen")->name, "gz");
  EXPECT_EQ((*set)->Route("ap-singapore")->name, "rest");
  // The typed config reached the plugin: gz quotes its own price.
  auto quote = (*set)->Route("ap-guangzhou")->backend->Quote(
      provisioning::v1::InstanceSpec(), 1);
  ASSERT_TRUE(quote.ok());
  EXPECT_EQ(quote->unit_price_per_hour(), "0.20");
  EXPECT_TRUE((*set)->Get("rest").ok());
  EXPECT_EQ((*set)->Get("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(BackendSetTest, LoadsJsonConfigWithTypedAny) {
  auto config = LoadServiceConfig(Testdata("single.json"));
  ASSERT_TRUE(config.ok()) << config.status();
  auto set = Build(*config);
  ASSERT_TRUE(set.ok()) << set.status();
  auto routed = (*set)->Route("anywhere");
  ASSERT_TRUE(routed.ok());
  EXPECT_EQ(routed->name, "only");
  EXPECT_EQ(routed->backend->Quote(provisioning::v1::InstanceSpec(), 1)->unit_price_per_hour(),
            "0.30");
}

TEST(BackendSetTest, UnknownPluginListsTheRegisteredOnes) {
  ServiceConfig config;
  auto* b = config.add_backends();
  b->set_name("cloud");
  b->set_plugin("tencentcloud-typo");
  absl::Status status = Build(config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(status), "backends[0].plugin");
  EXPECT_THAT(std::string(status.message()), HasSubstr("registered plugins: fake"));
}

TEST(BackendSetTest, RejectsStructuralMistakes) {
  ServiceConfig empty;
  EXPECT_EQ(BadField(Build(empty).status()), "backends");

  ServiceConfig unnamed;
  unnamed.add_backends()->set_plugin("fake");
  EXPECT_EQ(BadField(Build(unnamed).status()), "backends[0].name");

  ServiceConfig duplicate;
  for (int i = 0; i < 2; ++i) {
    auto* b = duplicate.add_backends();
    b->set_name("same");
    b->set_plugin("fake");
  }
  EXPECT_EQ(BadField(Build(duplicate).status()), "backends[1].name");

  ServiceConfig wrong_type;
  auto* b = wrong_type.add_backends();
  b->set_name("fake");
  b->set_plugin("fake");
  b->mutable_config()->PackFrom(ServiceConfig());
  absl::Status status = Build(wrong_type).status();
  EXPECT_EQ(BadField(status), "backends[0].config");
  EXPECT_THAT(std::string(status.message()), HasSubstr("FakeBackendConfig"));

  ServiceConfig bad_route = wrong_type;
  bad_route.mutable_backends(0)->clear_config();
  bad_route.add_routes()->set_backend("missing");
  EXPECT_EQ(BadField(Build(bad_route).status()), "routes[0].backend");

  ServiceConfig two_without_routes = duplicate;
  two_without_routes.mutable_backends(1)->set_name("other");
  EXPECT_EQ(BadField(Build(two_without_routes).status()), "routes");
}

TEST(BackendSetTest, RegionWithoutRouteNamesSpecRegion) {
  ServiceConfig config;
  auto* b = config.add_backends();
  b->set_name("gz");
  b->set_plugin("fake");
  config.add_routes()->add_regions("ap-guangzhou");
  config.mutable_routes(0)->set_backend("gz");
  auto set = Build(config);
  ASSERT_TRUE(set.ok());
  absl::Status status = (*set)->Route("eu-frankfurt").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(status), "spec.region");
}

TEST(BackendSetTest, FileErrors) {
  absl::Status syntax = LoadServiceConfig(Testdata("syntax_error.textproto")).status();
  EXPECT_EQ(syntax.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(syntax.message()), HasSubstr("line 4"));
  EXPECT_EQ(LoadServiceConfig(Testdata("missing.textproto")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(BadField(LoadServiceConfig("").status()), "config");
}

}  // namespace
}  // namespace cvm
