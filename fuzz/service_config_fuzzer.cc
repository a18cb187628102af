// Service config parsing on hostile config files: ParseServiceConfig (text
// format or proto JSON, plugins/backend_set.h), then BackendSet::Create with
// the registered plugins ("fake", "tencentcloud"), as the server does at
// start-up. No network: creating a tencentcloud backend contacts nothing.
//
// Input: a config file; one starting with '{' (after spaces) is JSON, any
// other text format, as a .json or .textproto file would be.
//
// Checked: nothing crashes or throws; a rejected config is INVALID_ARGUMENT
// (or the plugin's error); an accepted one routes every region to a backend
// it holds, and its fake backends price and pre-check an order of the
// largest size the API allows without overflowing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "backends/fake/fake_backend.h"
#include "common/clock.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/stubs/logging.h"
#include "plugins/backend_set.h"

namespace cvm {
namespace {

using provisioning::config::v1::ServiceConfig;

// The largest order validation lets through (request_validation.cc).
CreateRequest LargestOrder(bool prepaid, bool spot) {
  CreateRequest request;
  request.spec.set_region("ap-guangzhou");
  request.spec.set_zone("ap-guangzhou-3");
  request.spec.set_instance_type("S5.MEDIUM2");
  request.spec.set_image_id("img-1");
  if (prepaid) {
    request.spec.mutable_prepaid()->set_period_months(60);
  } else if (spot) {
    request.spec.mutable_spot()->set_max_price_per_hour("999999999999.999999");
  } else {
    request.spec.mutable_pay_as_you_go();
  }
  request.count = 100;
  request.client_token = "fuzz-token";
  return request;
}

void Exercise(const ServiceConfig& config, const BackendSet& set) {
  for (const char* region : {"ap-guangzhou", "ap-shanghai", ""}) {
    absl::StatusOr<RoutedBackend> routed = set.Route(region);
    if (routed.ok()) {
      FUZZ_CHECK(routed->backend != nullptr);
      FUZZ_CHECK(set.Get(routed->name).ok());
    } else {
      FUZZ_CHECK(routed.status().code() == absl::StatusCode::kInvalidArgument);
    }
  }
  for (const auto& instance : config.backends()) {
    if (instance.plugin() != "fake") continue;  // the others would call out
    absl::StatusOr<Backend*> backend = set.Get(instance.name());
    FUZZ_CHECK(backend.ok());
    for (bool prepaid : {false, true}) {
      for (bool spot : {false, true}) {
        const CreateRequest request = LargestOrder(prepaid, spot);
        (void)(*backend)->Quote(request.spec, request.count);
        (void)(*backend)->Preflight(request);
      }
    }
  }
}

}  // namespace
}  // namespace cvm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvm;  // NOLINT: a fuzzer entry point
  if (size > 1 << 16) return 0;
  // Protobuf logs each string field with invalid UTF-8 it meets.
  static const bool kQuiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)kQuiet;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const bool json = absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{");
  absl::StatusOr<ServiceConfig> config =
      ParseServiceConfig(text, json ? ConfigFormat::kJson : ConfigFormat::kTextProto, "fuzz");
  if (!config.ok()) {
    FUZZ_CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  static FakeClock* const clock = new FakeClock();
  BackendContext context;
  context.clock = clock;
  absl::StatusOr<std::unique_ptr<BackendSet>> set =
      BackendSet::Create(*config, BackendRegistry::Global(), context);
  if (!set.ok()) {
    FUZZ_CHECK(set.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  Exercise(*config, **set);
  return 0;
}
