// The sample out-of-tree policy, built as libcvm_sample_policy.so: caps the
// instances of one purchase and refuses listed tenants. Config (JSON):
//   {"max_instances_per_purchase": 10, "denied_tenants": ["guest"]}
// Denials are PERMISSION_DENIED with an ErrorInfo naming the rule
// (POLICY_SAMPLE_TOO_MANY_INSTANCES, POLICY_SAMPLE_TENANT_DENIED) and the
// configured policy name, as plugins/policy.h asks of every policy.
#include <memory>
#include <set>
#include <string>

#include "plugins/sample/sample_plugin_util.h"

namespace cvm_sample {
namespace {

constexpr char kDomain[] = "sample.cvm.dev";

struct SamplePolicy {
  std::string name;
  int64_t max_instances = 0;  // 0: no cap
  std::set<std::string> denied_tenants;

  int32_t Check(const json& in, cvm_plugin_sink sink, void* context) const {
    const std::string tenant = String(in, "tenant");
    if (denied_tenants.count(tenant) > 0) {
      return Fail(sink, context, kPermissionDenied,
                  "policy " + name + ": tenant " + tenant + " may not buy instances",
                  json::array({ErrorInfo("POLICY_SAMPLE_TENANT_DENIED", kDomain,
                                         {{"policy", name}, {"tenant", tenant}})}));
    }
    const json request = in.value("request", json::object());
    const int64_t count = Int(request, "instance_count");
    if (max_instances > 0 && count > max_instances) {
      return Fail(sink, context, kPermissionDenied,
                  "policy " + name + ": " + std::to_string(count) +
                      " instances in one purchase, at most " + std::to_string(max_instances),
                  json::array({ErrorInfo("POLICY_SAMPLE_TOO_MANY_INSTANCES", kDomain,
                                         {{"policy", name},
                                          {"limit", std::to_string(max_instances)},
                                          {"requested", std::to_string(count)}})}));
    }
    return kOk;
  }
};

int32_t CreatePolicy(const char* instance_name, const char* config, size_t config_size,
                     void** instance, cvm_plugin_sink error, void* error_context) {
  try {
    const json parsed = json::parse(std::string(config, config_size));
    auto policy = std::make_unique<SamplePolicy>();
    policy->name = instance_name;
    if (const json* max = Field(parsed, "max_instances_per_purchase")) {
      if (!max->is_number() || max->get<double>() < 0) {
        return Fail(error, error_context, kInvalidArgument,
                    "max_instances_per_purchase: must be a non-negative number",
                    json::array({BadRequest("max_instances_per_purchase", "must be >= 0")}));
      }
      policy->max_instances = max->get<int64_t>();
    }
    if (const json* tenants = Field(parsed, "denied_tenants"); tenants && tenants->is_array()) {
      for (const json& tenant : *tenants) policy->denied_tenants.insert(tenant.get<std::string>());
    }
    *instance = policy.release();
    return kOk;
  } catch (const std::exception& e) {
    return Fail(error, error_context, kInvalidArgument,
                std::string("sample policy config: ") + e.what());
  }
}

int32_t CallPolicy(void* instance, uint32_t method, const char* request, size_t request_size,
                   cvm_plugin_sink sink, void* sink_context) {
  try {
    if (method != CVM_POLICY_CHECK) {
      return Fail(sink, sink_context, kUnimplemented, "the sample policy has no such method");
    }
    return static_cast<const SamplePolicy*>(instance)->Check(
        json::parse(std::string(request, request_size)), sink, sink_context);
  } catch (const std::exception& e) {
    return Fail(sink, sink_context, kInternal, std::string("sample policy: ") + e.what());
  }
}

void DestroyPolicy(void* instance) { delete static_cast<SamplePolicy*>(instance); }

const cvm_plugin kPlugin = {
    CVM_PLUGIN_ABI_VERSION, CVM_PLUGIN_KIND_POLICY, "sample_policy", &CreatePolicy, &CallPolicy,
    &DestroyPolicy};

}  // namespace
}  // namespace cvm_sample

extern "C" __attribute__((visibility("default"))) const cvm_plugin* cvm_plugin_entry(void) {
  return &cvm_sample::kPlugin;
}
