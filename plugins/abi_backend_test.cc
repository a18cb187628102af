// The sample out-of-tree backend (plugins/sample/libcvm_sample_backend.so,
// ABI v2, and its v1 build), loaded through the plugin ABI, passes the
// backend conformance suite, and stops at the caller's deadline: the v2
// plugin by itself, the v1 plugin because the service stops waiting.
#include "plugins/abi_backend.h"

#include <cstdio>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backends/conformance/backend_conformance.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "plugins/sample/sample_test_hooks.h"

namespace cvm {
namespace {

using ::testing::HasSubstr;

constexpr char kV2[] = "libcvm_sample_backend.so";
constexpr char kV1[] = "libcvm_sample_backend_v1.so";

// Each library loaded once for the whole test.
std::shared_ptr<const PluginLibrary> Sample(const std::string& library = kV2) {
  static auto* loaded = new std::map<std::string, std::shared_ptr<const PluginLibrary>>;
  auto it = loaded->find(library);
  if (it == loaded->end()) {
    auto load = PluginLibrary::Load(SamplePluginPath(library));
    EXPECT_TRUE(load.ok()) << load.status();
    it = loaded->emplace(library, load.ok() ? *load : nullptr).first;
  }
  return it->second;
}

google::protobuf::Struct SoldOut(const std::string& zone) {
  google::protobuf::Struct config;
  (*config.mutable_fields())["sold_out_zones"].mutable_list_value()->add_values()->set_string_value(
      zone);
  return config;
}

// Gives every call that takes a deadline one 30 s away, as a waiting client
// would: a v1 plugin's calls then run on threads of their own.
class WithDeadlines : public Backend {
 public:
  explicit WithDeadlines(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}
  absl::Status Preflight(const CreateRequest& request) override {
    return inner_->Preflight(Bounded(request));
  }
  absl::StatusOr<std::vector<std::string>> Create(const CreateRequest& request) override {
    return inner_->Create(Bounded(request));
  }
  absl::StatusOr<std::vector<InstanceStatus>> Describe(const std::string& region,
                                                       absl::Span<const std::string> ids) override {
    return inner_->Describe(region, ids);
  }
  absl::StatusOr<std::vector<std::string>> FindByOrder(const std::string& region,
                                                       const std::string& order_id) override {
    return inner_->FindByOrder(region, order_id);
  }
  absl::StatusOr<std::vector<TaggedInstance>> ListTagged(const std::string& region) override {
    return inner_->ListTagged(region);
  }
  absl::Status Terminate(const std::string& region, absl::Span<const std::string> ids,
                         absl::Time) override {
    return inner_->Terminate(region, ids, Deadline());
  }
  absl::StatusOr<provisioning::v1::Quote> Quote(const provisioning::v1::InstanceSpec& spec,
                                                int count, absl::Time) override {
    return inner_->Quote(spec, count, Deadline());
  }

 private:
  static absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }
  static CreateRequest Bounded(CreateRequest request) {
    request.deadline = Deadline();
    return request;
  }
  const std::unique_ptr<Backend> inner_;
};

ConformanceEnv SampleEnv(const std::string& name, const std::string& library,
                         bool with_deadlines = false) {
  ConformanceEnv env;
  env.name = name;
  env.make_backend = [library, with_deadlines]() -> std::unique_ptr<Backend> {
    if (Sample(library) == nullptr) return nullptr;
    AbiBackendFactory factory(Sample(library));
    BackendContext context;
    context.name = "sample";
    auto backend = factory.Create(SoldOut("ap-guangzhou-1"), context);
    if (!backend.ok()) return nullptr;
    if (with_deadlines) return std::make_unique<WithDeadlines>(*std::move(backend));
    return *std::move(backend);
  };
  // The sample's instances run at once and are gone once released.
  env.advance_time = [](absl::Duration) {};
  // Its books, read through a hook outside the ABI.
  env.instances_bought = [library](Backend&) {
    return SampleHooks(SamplePluginPath(library)).Get("cvm_sample_instances_created");
  };
  env.buyable_spec = GuangzhouSpec();
  env.sold_out_spec = env.buyable_spec;
  env.sold_out_spec.set_zone("ap-guangzhou-1");
  return env;
}

INSTANTIATE_TEST_SUITE_P(Plugin, BackendConformanceTest,
                         ::testing::Values(SampleEnv("SamplePluginThroughAbi", kV2),
                                           SampleEnv("SampleV1PluginThroughAbi", kV1),
                                           SampleEnv("SampleV1PluginWithDeadlines", kV1, true)),
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

// The methods that carry the caller's deadline (backends/backend.h rule 7).
struct DeadlineCase {
  const char* method;
  std::function<absl::Status(Backend&, absl::Time)> call;
};

std::vector<DeadlineCase> DeadlineCases() {
  auto create = [](absl::Time deadline) {
    CreateRequest request;
    request.spec = GuangzhouSpec();
    request.count = 1;
    request.client_token = "deadline-" + absl::FormatTime(absl::Now());
    request.deadline = deadline;
    return request;
  };
  return {
      {"Preflight", [=](Backend& b, absl::Time d) { return b.Preflight(create(d)); }},
      {"Create", [=](Backend& b, absl::Time d) { return b.Create(create(d)).status(); }},
      {"Terminate",
       [](Backend& b, absl::Time d) { return b.Terminate("ap-guangzhou", {"smp-00000001"}, d); }},
      {"Quote", [](Backend& b, absl::Time d) { return b.Quote(GuangzhouSpec(), 1, d).status(); }},
  };
}

// Every call takes 1 s in the plugin; the caller gives it 200 ms.
TEST(AbiBackendTest, ASlowCallStopsAtTheCallersDeadlineInV2AndV1) {
  std::string report;
  for (const char* library : {kV2, kV1}) {
    const bool v2 = std::string(library) == kV2;
    SampleHooks hooks(SamplePluginPath(library));
    google::protobuf::Struct config;
    (*config.mutable_fields())["delay_ms"].set_number_value(1000);
    auto backend = AbiBackendFactory(Sample(library)).Create(config, BackendContext());
    ASSERT_TRUE(backend.ok()) << backend.status();
    for (const DeadlineCase& c : DeadlineCases()) {
      const int returned = hooks.Get("cvm_sample_calls_returned");
      const int deadlines = hooks.Get("cvm_sample_deadlines_seen");
      const absl::Time start = absl::Now();
      const absl::Status status = c.call(**backend, start + absl::Milliseconds(200));
      const absl::Duration took = absl::Now() - start;
      // v2: the plugin stopped and returned; v1: it still runs.
      EXPECT_EQ(hooks.Get("cvm_sample_calls_returned") - returned, v2 ? 1 : 0) << c.method;
      while (hooks.Get("cvm_sample_calls_returned") == returned &&
             absl::Now() - start < absl::Seconds(10)) {
        absl::SleepFor(absl::Milliseconds(5));
      }
      const absl::Duration plugin_took = absl::Now() - start;
      EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << library << " " << c.method;
      EXPECT_GE(took, absl::Milliseconds(200)) << library << " " << c.method;
      EXPECT_LT(took, absl::Milliseconds(700)) << library << " " << c.method;
      // Only a v2 plugin is sent the deadline.
      EXPECT_EQ(hooks.Get("cvm_sample_deadlines_seen") - deadlines, v2 ? 1 : 0) << c.method;
      if (v2) {
        EXPECT_THAT(status.message(), HasSubstr("sample backend: the caller's deadline"));
      } else {
        EXPECT_THAT(status.message(), HasSubstr(std::string("plugin \"sample_v1\" ") + c.method +
                                                " did not answer by the caller's deadline"));
        EXPECT_GE(plugin_took, absl::Milliseconds(1000)) << c.method;
      }
      absl::StrAppend(&report, report.empty() ? "" : "; ", v2 ? "v2 " : "v1 ", c.method, " ",
                      absl::StatusCodeToString(status.code()), " after ",
                      absl::FormatDuration(absl::Trunc(took, absl::Milliseconds(1))),
                      " (plugin returned after ",
                      absl::FormatDuration(absl::Trunc(plugin_took, absl::Milliseconds(1))), ")");
    }
  }
  std::printf("deadline 200 ms, plugin delay 1 s: %s\n", report.c_str());
}

}  // namespace
}  // namespace cvm
