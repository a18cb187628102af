// Request validation (service/request_validation.h) on hostile requests.
//
// Input: one selector byte (which request type, modulo 5), then the request
// in protobuf binary format, as gRPC would hand it to the service. Inputs
// that do not parse are skipped (gRPC rejects them before the service).
//
// Checked: the validator never crashes; it answers OK or INVALID_ARGUMENT,
// and INVALID_ARGUMENT always names at least one field in a BadRequest
// detail; a request it accepts satisfies the limits the rest of the service
// relies on (counts, id lengths, page sizes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "common/status_details.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/stubs/logging.h"
#include "provisioning/v1/provisioning.pb.h"
#include "service/request_validation.h"

namespace cvm {
namespace {

using provisioning::v1::DescribeRequest;
using provisioning::v1::PurchaseRequest;
using provisioning::v1::QuoteRequest;
using provisioning::v1::TerminateRequest;
using provisioning::v1::WatchRequest;

// The contract of every validator: OK, or INVALID_ARGUMENT naming fields.
void CheckVerdict(const absl::Status& status) {
  if (status.ok()) return;
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  auto bad = GetDetail<google::rpc::BadRequest>(status);
  FUZZ_CHECK(bad.has_value());
  FUZZ_CHECK(bad->field_violations_size() > 0);
  for (const auto& violation : bad->field_violations()) {
    FUZZ_CHECK(!violation.field().empty());
    FUZZ_CHECK(!violation.description().empty());
  }
}

bool ValidId(const std::string& id) { return !id.empty() && id.size() <= 64; }

void CheckAcceptedSpec(const provisioning::v1::InstanceSpec& spec, int count) {
  FUZZ_CHECK(count >= 1 && count <= kMaxInstancesPerOrder);
  FUZZ_CHECK(ValidId(spec.region()) && ValidId(spec.zone()));
  FUZZ_CHECK(spec.zone().rfind(spec.region() + "-", 0) == 0);
  if (!spec.has_launch_template()) {
    FUZZ_CHECK(ValidId(spec.instance_type()) && ValidId(spec.image_id()));
  }
  FUZZ_CHECK(spec.user_data().size() <= kMaxUserDataChars);
  FUZZ_CHECK(spec.network().private_ip_addresses().empty() ||
             spec.network().private_ip_addresses_size() == count);
  FUZZ_CHECK(spec.placement_group_ids_size() <= kMaxPlacementGroups);
  FUZZ_CHECK(spec.billing_case() != provisioning::v1::InstanceSpec::BILLING_NOT_SET);
  FUZZ_CHECK(spec.data_disks_size() <= 20 && spec.tags_size() <= 40);
  FUZZ_CHECK(spec.security_group_ids_size() <= 5 && spec.login_key_ids_size() <= 5);
}

template <typename Request>
bool Parse(const uint8_t* data, size_t size, Request* request) {
  // Protobuf logs each string field with invalid UTF-8 it refuses.
  static const bool kQuiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)kQuiet;
  return request->ParseFromArray(data, static_cast<int>(size));
}

}  // namespace
}  // namespace cvm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cvm;  // NOLINT: a fuzzer entry point outside the namespace
  if (size < 1 || size > 1 << 20) return 0;
  const int selector = data[0] % 5;
  ++data;
  --size;
  switch (selector) {
    case 0: {
      PurchaseRequest request;
      if (!Parse(data, size, &request)) return 0;
      const absl::Status status = ValidatePurchaseRequest(request);
      CheckVerdict(status);
      if (status.ok()) {
        FUZZ_CHECK(ValidId(request.request_id()));
        CheckAcceptedSpec(request.spec(), request.instance_count());
      }
      break;
    }
    case 1: {
      QuoteRequest request;
      if (!Parse(data, size, &request)) return 0;
      const absl::Status status = ValidateQuoteRequest(request);
      CheckVerdict(status);
      if (status.ok()) CheckAcceptedSpec(request.spec(), request.instance_count());
      break;
    }
    case 2: {
      DescribeRequest request;
      if (!Parse(data, size, &request)) return 0;
      const absl::Status status = ValidateDescribeRequest(request);
      CheckVerdict(status);
      if (status.ok()) {
        FUZZ_CHECK(request.order_ids_size() <= kMaxIdsPerDescribe);
        FUZZ_CHECK(request.instance_ids_size() <= kMaxIdsPerDescribe);
        FUZZ_CHECK(request.page_size() >= 0 && request.page_size() <= kMaxPageSize);
      }
      break;
    }
    case 3: {
      WatchRequest request;
      if (!Parse(data, size, &request)) return 0;
      const absl::Status status = ValidateWatchRequest(request);
      CheckVerdict(status);
      if (status.ok()) FUZZ_CHECK(request.start_revision() >= 0);
      break;
    }
    default: {
      TerminateRequest request;
      if (!Parse(data, size, &request)) return 0;
      const absl::Status status = ValidateTerminateRequest(request);
      CheckVerdict(status);
      if (status.ok()) FUZZ_CHECK(ValidId(request.order_id()));
      break;
    }
  }
  return 0;
}
