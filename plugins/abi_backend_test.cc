// The sample out-of-tree backend (plugins/sample/libcvm_sample_backend.so),
// loaded through the plugin ABI, passes the backend conformance suite.
#include "plugins/abi_backend.h"

#include <dlfcn.h>

#include <cstdlib>

#include "backends/conformance/backend_conformance.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"

namespace cvm {
namespace {

using ::testing::HasSubstr;

std::string SampleLibrary() {
  return std::string(std::getenv("TEST_SRCDIR")) +
         "/cvm_provisioner/plugins/sample/libcvm_sample_backend.so";
}

std::shared_ptr<const PluginLibrary> Sample() {
  static auto* library = new std::shared_ptr<const PluginLibrary>([] {
    auto loaded = PluginLibrary::Load(SampleLibrary());
    return loaded.ok() ? *loaded : nullptr;
  }());
  return *library;
}

google::protobuf::Struct SoldOut(const std::string& zone) {
  google::protobuf::Struct config;
  (*config.mutable_fields())["sold_out_zones"].mutable_list_value()->add_values()->set_string_value(
      zone);
  return config;
}

ConformanceEnv SampleEnv() {
  ConformanceEnv env;
  env.name = "SamplePluginThroughAbi";
  env.make_backend = []() -> std::unique_ptr<Backend> {
    if (Sample() == nullptr) return nullptr;
    AbiBackendFactory factory(Sample());
    BackendContext context;
    context.name = "sample";
    auto backend = factory.Create(SoldOut("ap-guangzhou-1"), context);
    return backend.ok() ? *std::move(backend) : nullptr;
  };
  // The sample's instances run at once and are gone once released.
  env.advance_time = [](absl::Duration) {};
  // Its books, read through a hook outside the ABI.
  env.instances_bought = [](Backend&) {
    void* handle = dlopen(SampleLibrary().c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) return -1;
    auto created = reinterpret_cast<int (*)()>(dlsym(handle, "cvm_sample_instances_created"));
    const int count = created == nullptr ? -1 : created();
    dlclose(handle);
    return count;
  };
  env.buyable_spec = GuangzhouSpec();
  env.sold_out_spec = env.buyable_spec;
  env.sold_out_spec.set_zone("ap-guangzhou-1");
  return env;
}

INSTANTIATE_TEST_SUITE_P(Plugin, BackendConformanceTest, ::testing::Values(SampleEnv()),
                         [](const auto& info) { return info.param.name; });

TEST(AbiBackendFactoryTest, IsNamedByThePluginAndTakesAStruct) {
  ASSERT_NE(Sample(), nullptr);
  AbiBackendFactory factory(Sample());
  EXPECT_EQ(factory.name(), "sample");
  EXPECT_EQ(factory.CreateEmptyConfig()->GetDescriptor()->full_name(), "google.protobuf.Struct");
}

TEST(AbiBackendFactoryTest, ThePluginsConfigErrorNamesItsField) {
  ASSERT_NE(Sample(), nullptr);
  AbiBackendFactory factory(Sample());
  google::protobuf::Struct config;
  (*config.mutable_fields())["spot_market_price"].set_string_value("-1");
  auto backend = factory.Create(config, BackendContext());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad = GetDetail<google::rpc::BadRequest>(backend.status());
  ASSERT_TRUE(bad.has_value()) << backend.status();
  EXPECT_EQ(bad->field_violations(0).field(), "spot_market_price");
}

TEST(AbiBackendTest, QuotesWithTheConfiguredPrice) {
  ASSERT_NE(Sample(), nullptr);
  AbiBackendFactory factory(Sample());
  google::protobuf::Struct config;
  (*config.mutable_fields())["price_per_hour"].set_string_value("0.25");
  (*config.mutable_fields())["currency"].set_string_value("USD");
  auto backend = factory.Create(config, BackendContext());
  ASSERT_TRUE(backend.ok()) << backend.status();
  auto quote = (*backend)->Quote(GuangzhouSpec(), 4);
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->currency(), "USD");
  EXPECT_EQ(quote->unit_price_per_hour(), "0.25");
  EXPECT_EQ(quote->total_price_per_hour(), "1.00");
}

TEST(AbiBackendTest, ASpotBidBelowTheMarketFailsWithThePluginsDetails) {
  ASSERT_NE(Sample(), nullptr);
  AbiBackendFactory factory(Sample());
  auto backend = factory.Create(google::protobuf::Struct(), BackendContext());
  ASSERT_TRUE(backend.ok()) << backend.status();
  CreateRequest request;
  request.spec = GuangzhouSpec();
  request.spec.mutable_spot()->set_max_price_per_hour("0.01");
  request.count = 1;
  absl::Status status = (*backend)->Preflight(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(status), "SPOT_PRICE_TOO_LOW");
  EXPECT_THAT(status.message(), HasSubstr("below the market price 0.03"));
}

}  // namespace
}  // namespace cvm
