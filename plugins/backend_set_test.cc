#include "plugins/backend_set.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/fake/fake_backend_config.pb.h"
#include "common/clock.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::config::v1::ServiceConfig;
using provisioning::fake::v1::FakeBackendConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Testdata(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/cvm_provisioner/plugins/testdata/" +
         name;
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

void AddBackend(ServiceConfig& config, const std::string& name,
                const std::string& plugin = "fake") {
  auto* backend = config.add_backends();
  backend->set_name(name);
  backend->set_plugin(plugin);
}

void AddRoute(ServiceConfig& config, const std::string& backend,
              const std::vector<std::string>& regions) {
  auto* route = config.add_routes();
  route->set_backend(backend);
  for (const std::string& region : regions) route->add_regions(region);
}

std::string UnitPrice(Backend* backend) {
  auto quote = backend->Quote(provisioning::v1::InstanceSpec(), 1);
  return quote.ok() ? quote->unit_price_per_hour() : quote.status().ToString();
}

// A plugin for a private registry: records the context it was given and
// builds a fake backend through the global "fake" plugin.
class RecordingFactory : public BackendFactory {
 public:
  RecordingFactory(std::string name, std::vector<BackendContext>* seen,
                   absl::Status error = absl::OkStatus())
      : name_(std::move(name)), seen_(seen), error_(std::move(error)) {}
  std::string name() const override { return name_; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return std::make_unique<FakeBackendConfig>();
  }
  absl::StatusOr<std::unique_ptr<Backend>> Create(
      const google::protobuf::Message& config,
      const BackendContext& context) const override {
    if (seen_ != nullptr) seen_->push_back(context);
    if (!error_.ok()) return error_;
    return BackendRegistry::Global().Find("fake")->Create(config, context);
  }

 private:
  const std::string name_;
  std::vector<BackendContext>* const seen_;
  const absl::Status error_;
};

TEST(BackendSetTest, LoadsTextConfigWithTypedAnyAndRoutesFirstMatchWins) {
  auto config = LoadServiceConfig(Testdata("routing.textproto"));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->backends_size(), 2);
  FakeBackendConfig typed;
  ASSERT_TRUE(config->backends(0).config().UnpackTo(&typed));
  EXPECT_EQ(typed.price_per_hour(), "0.20");
  auto set = Build(*config);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT((*set)->Names(), ElementsAre("gz", "rest"));
  // ap-guangzhou matches both routes: the first one wins.
  EXPECT_EQ((*set)->Route("ap-guangzhou")->name, "gz");
  EXPECT_EQ((*set)->Route("ap-shenzhen")->name, "gz");
  EXPECT_EQ((*set)->Route("ap-singapore")->name, "rest");
  EXPECT_EQ((*set)->Route("")->name, "rest");
  // The typed config reached the plugin; "rest" runs on the defaults.
  EXPECT_EQ(UnitPrice((*set)->Route("ap-guangzhou")->backend), "0.20");
  EXPECT_EQ(UnitPrice((*set)->Route("ap-singapore")->backend), "0.10");
  auto rest = (*set)->Get("rest");
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, (*set)->Route("ap-singapore")->backend);
  EXPECT_EQ((*set)->Get("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(BackendSetTest, LoadsJsonConfigWithTypedAny) {
  auto config = LoadServiceConfig(Testdata("single.json"));
  ASSERT_TRUE(config.ok()) << config.status();
  auto set = Build(*config);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT((*set)->Names(), ElementsAre("only"));
  // Without routes the only backend serves every region.
  for (const char* region : {"anywhere", "ap-guangzhou", ""}) {
    auto routed = (*set)->Route(region);
    ASSERT_TRUE(routed.ok()) << region;
    EXPECT_EQ(routed->name, "only");
    EXPECT_EQ(UnitPrice(routed->backend), "0.30");
  }
}

TEST(BackendSetTest, CatchAllRouteFirstShadowsLaterRoutes) {
  auto config = LoadServiceConfig(Testdata("catch_all_first.textproto"));
  ASSERT_TRUE(config.ok()) << config.status();
  auto set = Build(*config);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->Route("ap-guangzhou")->name, "everything");
  EXPECT_EQ((*set)->Route("eu-frankfurt")->name, "everything");
  EXPECT_EQ(UnitPrice((*set)->Route("ap-guangzhou")->backend), "1.50");
}

TEST(BackendSetTest, UnknownPluginListsTheRegisteredOnes) {
  ServiceConfig config;
  AddBackend(config, "cloud", "tencentcloud-typo");
  absl::Status status = Build(config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(status), "backends[0].plugin");
  EXPECT_THAT(std::string(status.message()), HasSubstr("tencentcloud-typo"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("fake"));
}

TEST(BackendSetTest, UnknownPluginListsAPrivateRegistrySorted) {
  BackendRegistry registry;
  ASSERT_TRUE(registry.Register(std::make_unique<RecordingFactory>("zeta", nullptr)).ok());
  ASSERT_TRUE(registry.Register(std::make_unique<RecordingFactory>("alpha", nullptr)).ok());
  EXPECT_EQ(registry.Register(std::make_unique<RecordingFactory>("alpha", nullptr)).code(),
            absl::StatusCode::kAlreadyExists);
  ServiceConfig config;
  AddBackend(config, "x", "fake");  // registered globally, not here
  absl::Status status = BackendSet::Create(config, registry, BackendContext()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("registered plugins: alpha, zeta"));
}

TEST(BackendSetTest, RejectsNoBackendsAndBadNames) {
  absl::Status empty = Build(ServiceConfig()).status();
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(empty), "backends");

  ServiceConfig unnamed;
  AddBackend(unnamed, "");
  EXPECT_EQ(BadField(Build(unnamed).status()), "backends[0].name");

  ServiceConfig duplicate;
  AddBackend(duplicate, "same");
  AddBackend(duplicate, "other");
  AddBackend(duplicate, "same");
  absl::Status status = Build(duplicate).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(status), "backends[2].name");
  EXPECT_THAT(std::string(status.message()), HasSubstr("duplicate backend name \"same\""));
}

TEST(BackendSetTest, RejectsAConfigOfTheWrongType) {
  ServiceConfig config;
  AddBackend(config, "fake");
  config.mutable_backends(0)->mutable_config()->PackFrom(ServiceConfig());
  absl::Status status = Build(config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(status), "backends[0].config");
  EXPECT_THAT(std::string(status.message()), HasSubstr("FakeBackendConfig"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("provisioning.config.v1.ServiceConfig"));
}

TEST(BackendSetTest, RejectsRoutesToUnknownBackendsAndMissingRoutes) {
  ServiceConfig bad_route;
  AddBackend(bad_route, "gz");
  AddRoute(bad_route, "gz", {"ap-guangzhou"});
  AddRoute(bad_route, "missing", {});
  absl::Status status = Build(bad_route).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(status), "routes[1].backend");
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"missing\""));

  ServiceConfig two_without_routes;
  AddBackend(two_without_routes, "a");
  AddBackend(two_without_routes, "b");
  EXPECT_EQ(BadField(Build(two_without_routes).status()), "routes");
}

TEST(BackendSetTest, PluginErrorNamesTheBackend) {
  auto config = LoadServiceConfig(Testdata("bad_plugin_config.textproto"));
  ASSERT_TRUE(config.ok()) << config.status();
  absl::Status status = Build(*config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("backends[1] (expensive)"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("price_per_hour"));
  // The plugin's details survive, its field named by its path in the config.
  EXPECT_EQ(BadField(status), "backends[1].config.price_per_hour");
  EXPECT_EQ(ErrorReason(status), "INVALID_ARGUMENT");

  BackendRegistry registry;
  ASSERT_TRUE(registry
                  .Register(std::make_unique<RecordingFactory>(
                      "denied", nullptr, absl::PermissionDeniedError("no credentials")))
                  .ok());
  ServiceConfig denied;
  AddBackend(denied, "cloud", "denied");
  status = BackendSet::Create(denied, registry, BackendContext()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), HasSubstr("backends[0] (cloud)"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("no credentials"));
}

TEST(BackendSetTest, EachPluginGetsTheContextUnderItsOwnName) {
  std::vector<BackendContext> seen;
  BackendRegistry registry;
  ASSERT_TRUE(registry.Register(std::make_unique<RecordingFactory>("rec", &seen)).ok());
  ServiceConfig config;
  AddBackend(config, "first", "rec");
  AddBackend(config, "second", "rec");
  AddRoute(config, "second", {});
  FakeClock clock;
  BackendContext context;
  context.clock = &clock;
  context.name = "ignored";
  auto set = BackendSet::Create(config, registry, context);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].name, "first");
  EXPECT_EQ(seen[1].name, "second");
  EXPECT_EQ(seen[0].clock, &clock);

  // The backend lives on the context's clock: RUNNING only once it moves.
  CreateRequest request;
  request.spec.set_region("ap-guangzhou");
  request.spec.set_zone("ap-guangzhou-3");
  request.count = 1;
  request.client_token = "t";
  Backend* backend = (*set)->Route("ap-guangzhou")->backend;
  auto ids = backend->Create(request);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ((*backend->Describe("ap-guangzhou", *ids))[0].state,
            provisioning::v1::Instance::PENDING);
  clock.Advance(absl::Minutes(1));
  EXPECT_EQ((*backend->Describe("ap-guangzhou", *ids))[0].state,
            provisioning::v1::Instance::RUNNING);
}

TEST(BackendSetTest, RegionWithoutRouteNamesSpecRegion) {
  ServiceConfig config;
  AddBackend(config, "gz");
  AddBackend(config, "sh");
  AddRoute(config, "gz", {"ap-guangzhou"});
  AddRoute(config, "sh", {"ap-shanghai", "ap-nanjing"});
  auto set = Build(config);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->Route("ap-nanjing")->name, "sh");
  absl::Status status = (*set)->Route("eu-frankfurt").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(status), "spec.region");
  EXPECT_THAT(std::string(status.message()), HasSubstr("eu-frankfurt"));
}

TEST(BackendSetTest, TenantRoutesKeepEachTenantOnItsOwnAccount) {
  ServiceConfig config;
  AddBackend(config, "team-a-account");
  AddBackend(config, "team-b-account");
  AddRoute(config, "team-a-account", {});
  config.mutable_routes(0)->add_tenants("team-a");
  AddRoute(config, "team-b-account", {"ap-guangzhou"});
  config.mutable_routes(1)->add_tenants("team-b");
  auto set = Build(config);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->Route("ap-guangzhou", "team-a")->name, "team-a-account");
  EXPECT_EQ((*set)->Route("ap-shanghai", "team-a")->name, "team-a-account");
  EXPECT_EQ((*set)->Route("ap-guangzhou", "team-b")->name, "team-b-account");
  // No route for team-b elsewhere, and none at all for a third tenant.
  EXPECT_EQ((*set)->Route("ap-shanghai", "team-b").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*set)->Route("ap-guangzhou", "team-c").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BackendSetTest, SyntaxErrorNamesTheLine) {
  absl::Status syntax = LoadServiceConfig(Testdata("syntax_error.textproto")).status();
  EXPECT_EQ(syntax.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(syntax.message()), HasSubstr("line 4"));
  EXPECT_THAT(std::string(syntax.message()), HasSubstr("unknown_field"));

  absl::Status any = LoadServiceConfig(Testdata("unknown_any_type.textproto")).status();
  EXPECT_EQ(any.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(any.message()), HasSubstr("line 5"));

}

TEST(BackendSetTest, BadJsonIsInvalidArgument) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/bad.json";
  {
    std::ofstream out(path);
    out << R"({"backends": [{"name": "x", "plugin": "fake",)";  // cut short
  }
  absl::Status truncated = LoadServiceConfig(path).status();
  EXPECT_EQ(truncated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(truncated.message()), HasSubstr(path));
  {
    std::ofstream out(path);
    out << R"({"backends": [{"name": "x", "plugin": "fake", "colour": "red"}]})";
  }
  EXPECT_EQ(LoadServiceConfig(path).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BackendSetTest, MissingFileIsNotFound) {
  absl::Status missing = LoadServiceConfig(Testdata("missing.textproto")).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("missing.textproto"));
  EXPECT_EQ(LoadServiceConfig(Testdata("missing.json")).status().code(),
            absl::StatusCode::kNotFound);
  absl::Status no_path = LoadServiceConfig("").status();
  EXPECT_EQ(no_path.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(no_path), "config");
}

// Found with fuzz/service_config_fuzzer: a string that is not UTF-8 in the
// plugin's config was reported as a config of the wrong type.
TEST(BackendSetTest, PluginConfigThatDoesNotUnpackIsNotCalledTheWrongType) {
  auto config = ParseServiceConfig(
      R"(backends { name: "a" plugin: "fake" config {
           [type.googleapis.com/provisioning.fake.v1.FakeBackendConfig] {
             sold_out_zones: "\xff" } } })",
      ConfigFormat::kTextProto, "inline");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::Status status = BackendSet::Create(*config, BackendRegistry::Global(), {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(status), "backends[0].config");
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("does not parse as provisioning.fake.v1.FakeBackendConfig"));
}

TEST(BackendSetTest, ParsesConfigTextInEitherFormat) {
  auto text = ParseServiceConfig(R"(backends { name: "a" plugin: "fake" })",
                                 ConfigFormat::kTextProto, "inline");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->backends(0).name(), "a");
  auto json = ParseServiceConfig(R"({"backends": [{"name": "b", "plugin": "fake"}]})",
                                 ConfigFormat::kJson, "inline.json");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->backends(0).name(), "b");
  absl::Status bad = ParseServiceConfig("backends {", ConfigFormat::kTextProto, "x.textproto")
                         .status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()), HasSubstr("x.textproto"));
}

}  // namespace
}  // namespace cvm
