// PluginInstance with the sample backend built for ABI v2 and for v1: when a
// call runs in the caller's thread and when on its own, and that a v1 call
// abandoned at its deadline keeps its instance and library until it returns.
#include "plugins/plugin_instance.h"

#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugins/plugin_abi.pb.h"
#include "plugins/sample/sample_test_hooks.h"

namespace cvm {
namespace {

using ::testing::HasSubstr;
namespace abi = provisioning::plugin::v1;

constexpr char kV1[] = "libcvm_sample_backend_v1.so";
constexpr char kV2[] = "libcvm_sample_backend.so";

abi::QuoteRequest QuoteOfOne() {
  abi::QuoteRequest request;
  request.mutable_spec()->mutable_pay_as_you_go();
  request.set_count(1);
  return request;
}

std::shared_ptr<PluginInstance> Slow(std::shared_ptr<const PluginLibrary> library, int delay_ms) {
  auto instance = PluginInstance::Create(std::move(library), "slow",
                                         absl::StrCat(R"({"delay_ms": )", delay_ms, "}"));
  EXPECT_TRUE(instance.ok()) << instance.status();
  return instance.ok() ? *instance : nullptr;
}

std::shared_ptr<const PluginLibrary> Load(const char* name) {
  auto library = PluginLibrary::Load(SamplePluginPath(name));
  EXPECT_TRUE(library.ok()) << library.status();
  return library.ok() ? *library : nullptr;
}

TEST(PluginInstanceTest, TheServiceSpeaksV1AndV2) {
  EXPECT_EQ(CVM_PLUGIN_ABI_VERSION, 2u);
  EXPECT_EQ(CVM_PLUGIN_ABI_MIN_VERSION, 1u);
  auto v1 = Load(kV1), v2 = Load(kV2);
  ASSERT_NE(v1, nullptr);
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v1->abi_version(), 1u);
  EXPECT_EQ(v1->name(), "sample_v1");
  EXPECT_FALSE(Slow(v1, 0)->TakesDeadlines());
  EXPECT_EQ(v2->abi_version(), 2u);
  EXPECT_TRUE(Slow(v2, 0)->TakesDeadlines());
}

// Eight concurrent v1 calls stopped at 100 ms, then the instance and the
// library dropped by their owners: destroy() waits for the last call (600 ms).
TEST(PluginInstanceTest, AV1CallPastItsDeadlineHoldsTheInstanceAndLibraryUntilItReturns) {
  SampleHooks hooks(SamplePluginPath(kV1));
  const int destroyed = hooks.Get("cvm_sample_clouds_destroyed");
  const int returned = hooks.Get("cvm_sample_calls_returned");
  ASSERT_GE(destroyed, 0);
  std::shared_ptr<const PluginLibrary> library = Load(kV1);
  ASSERT_NE(library, nullptr);
  std::weak_ptr<const PluginLibrary> weak_library = library;
  std::shared_ptr<PluginInstance> instance = Slow(library, 600);
  library.reset();

  const absl::Time start = absl::Now();
  const absl::Time deadline = start + absl::Milliseconds(100);
  std::vector<absl::Status> statuses(8);
  std::vector<absl::Duration> took(statuses.size());
  std::vector<std::thread> callers;
  for (size_t i = 0; i < statuses.size(); ++i) {
    callers.emplace_back([&, i] {
      provisioning::v1::Quote quote;
      statuses[i] = instance->Call(CVM_BACKEND_QUOTE, QuoteOfOne(), &quote, deadline);
      took[i] = absl::Now() - start;
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (size_t i = 0; i < statuses.size(); ++i) {
    EXPECT_EQ(statuses[i].code(), absl::StatusCode::kDeadlineExceeded) << statuses[i];
    EXPECT_THAT(statuses[i].message(),
                HasSubstr("plugin \"sample_v1\" Quote did not answer by the caller's deadline"));
    EXPECT_GE(took[i], absl::Milliseconds(100));
    EXPECT_LT(took[i], absl::Milliseconds(450));
  }
  // The owners let go while the calls still run: nothing is destroyed yet.
  instance.reset();
  EXPECT_EQ(hooks.Get("cvm_sample_clouds_destroyed"), destroyed);
  EXPECT_EQ(hooks.Get("cvm_sample_calls_returned"), returned);
  EXPECT_FALSE(weak_library.expired());

  while (!weak_library.expired() && absl::Now() - start < absl::Seconds(10)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const absl::Duration released = absl::Now() - start;
  EXPECT_TRUE(weak_library.expired());
  EXPECT_GE(released, absl::Milliseconds(600));
  EXPECT_EQ(hooks.Get("cvm_sample_calls_returned"), returned + 8);
  EXPECT_EQ(hooks.Get("cvm_sample_clouds_destroyed"), destroyed + 1);
  EXPECT_EQ(hooks.Get("cvm_sample_destroyed_while_busy"), 0);
  std::printf(
      "v1 plugin, 8 Quotes of 600 ms with a 100 ms deadline: callers back after %s..%s, "
      "instance destroyed and library released after %s\n",
      absl::FormatDuration(*std::min_element(took.begin(), took.end())).c_str(),
      absl::FormatDuration(*std::max_element(took.begin(), took.end())).c_str(),
      absl::FormatDuration(released).c_str());
}

TEST(PluginInstanceTest, WithoutADeadlineAV1CallRunsToItsEnd) {
  SampleHooks hooks(SamplePluginPath(kV1));
  auto instance = Slow(Load(kV1), 300);
  ASSERT_NE(instance, nullptr);
  const int returned = hooks.Get("cvm_sample_calls_returned");
  const absl::Time start = absl::Now();
  provisioning::v1::Quote quote;
  absl::Status status = instance->Call(CVM_BACKEND_QUOTE, QuoteOfOne(), &quote);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  EXPECT_EQ(quote.total_price_per_hour(), "0.10");
  EXPECT_EQ(hooks.Get("cvm_sample_calls_returned"), returned + 1);
}

// The service does not bound a v2 plugin's call: it trusts the plugin to
// read the deadline, and here the request carries none.
TEST(PluginInstanceTest, AV2CallRunsInTheCallersThreadTrustingThePlugin) {
  auto instance = Slow(Load(kV2), 300);
  ASSERT_NE(instance, nullptr);
  const absl::Time start = absl::Now();
  provisioning::v1::Quote quote;
  absl::Status status =
      instance->Call(CVM_BACKEND_QUOTE, QuoteOfOne(), &quote, start + absl::Milliseconds(50));
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
}

TEST(PluginInstanceTest, ACallWhoseDeadlineHasPassedIsNotMade) {
  for (const char* name : {kV1, kV2}) {
    SampleHooks hooks(SamplePluginPath(name));
    auto instance = Slow(Load(name), 0);
    ASSERT_NE(instance, nullptr);
    const int returned = hooks.Get("cvm_sample_calls_returned");
    absl::Status status = instance->Call(CVM_BACKEND_QUOTE, QuoteOfOne(), nullptr,
                                         absl::Now() - absl::Milliseconds(1));
    EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << name;
    EXPECT_THAT(status.message(), HasSubstr("Quote was not called: the caller's deadline"));
    EXPECT_EQ(hooks.Get("cvm_sample_calls_returned"), returned) << name;
  }
}

TEST(PluginInstanceTest, AV1CallThatAnswersInTimeKeepsItsResultAndErrors) {
  auto instance = Slow(Load(kV1), 0);
  ASSERT_NE(instance, nullptr);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  provisioning::v1::Quote quote;
  absl::Status status = instance->Call(CVM_BACKEND_QUOTE, QuoteOfOne(), &quote, deadline);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(quote.unit_price_per_hour(), "0.10");
  EXPECT_EQ(instance->Call(999, abi::Empty(), nullptr, deadline).code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace cvm
