// The sample out-of-tree backend: a tiny in-memory cloud behind the C plugin
// ABI (plugins/plugin_abi.h), built as libcvm_sample_backend.so.
//
// Instances are RUNNING, with a private IP and (when asked for) a public IP,
// as soon as they are bought, and gone as soon as they are released. Config
// (JSON, every field optional):
//   {"price_per_hour": "0.10", "spot_market_price": "0.03",
//    "currency": "CNY", "sold_out_zones": ["ap-guangzhou-1"]}
// It implements the Backend contract (backends/backend.h) through the ABI:
// idempotent by client token, ZONE_SOLD_OUT and SPOT_PRICE_TOO_LOW pre-flight
// failures, unknown ids reported TERMINATED, at most 100 ids per Describe.
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "plugins/sample/sample_plugin_util.h"

namespace cvm_sample {
namespace {

constexpr char kDomain[] = "sample.cvm.dev";
constexpr char kOrderTag[] = "provisioner:order-id";
constexpr int kMaxDescribe = 100;

std::atomic<int> instances_created{0};

struct Instance {
  std::string region, zone, order_id;
  int index = 0;
  bool public_ip = false;
  bool terminated = false;
};

class SampleCloud {
 public:
  int32_t Init(const json& config, cvm_plugin_sink error, void* context) {
    for (const char* field : {"price_per_hour", "spot_market_price"}) {
      const json* value = Field(config, field);
      if (value == nullptr) continue;
      auto micros = value->is_string() ? ParseMicros(value->get<std::string>()) : std::nullopt;
      if (!micros.has_value() || *micros == 0) {
        return Fail(error, context, kInvalidArgument,
                    std::string(field) + ": must be a positive decimal string such as \"0.10\"",
                    json::array({BadRequest(field, "must be a positive decimal string")}));
      }
      (std::string(field) == "price_per_hour" ? price_ : spot_price_) = *micros;
    }
    if (!String(config, "currency").empty()) currency_ = String(config, "currency");
    if (const json* zones = Field(config, "sold_out_zones"); zones && zones->is_array()) {
      for (const json& zone : *zones) sold_out_.insert(zone.get<std::string>());
    }
    return kOk;
  }

  int32_t Call(uint32_t method, const json& in, cvm_plugin_sink sink, void* context) {
    std::lock_guard<std::mutex> lock(mu_);
    switch (method) {
      case CVM_BACKEND_PREFLIGHT:
        return Check(in, sink, context);
      case CVM_BACKEND_CREATE:
        return Create(in, sink, context);
      case CVM_BACKEND_DESCRIBE:
        return Describe(in, sink, context);
      case CVM_BACKEND_FIND_BY_ORDER:
      case CVM_BACKEND_LIST_TAGGED:
        return Tagged(method, in, sink, context);
      case CVM_BACKEND_TERMINATE:
        for (const json& id : in.value("instance_ids", json::array())) {
          auto it = instances_.find(id.get<std::string>());
          if (it != instances_.end()) it->second.terminated = true;
        }
        return kOk;
      case CVM_BACKEND_QUOTE:
        return Quote(in, sink, context);
      default:
        return Fail(sink, context, kUnimplemented, "the sample backend has no such method");
    }
  }

 private:
  // Pre-flight: the zone sells and a spot bid reaches the market price.
  int32_t Check(const json& in, cvm_plugin_sink sink, void* context) {
    const json spec = in.value("spec", json::object());
    const std::string zone = String(spec, "zone");
    if (sold_out_.count(zone) > 0) {
      const std::string what =
          "zone " + zone + " has no " + String(spec, "instance_type") + " left";
      return Fail(sink, context, kFailedPrecondition, what,
                  json::array({PreconditionFailure("ZONE_SOLD_OUT", zone, what),
                               ErrorInfo("ZONE_SOLD_OUT", kDomain)}));
    }
    if (const json* spot = Field(spec, "spot")) {
      auto bid = ParseMicros(String(*spot, "max_price_per_hour"));
      if (!bid.has_value() || *bid < spot_price_) {
        const std::string what = "max price " + String(*spot, "max_price_per_hour") +
                                 " is below the market price " + FormatMicros(spot_price_);
        return Fail(sink, context, kFailedPrecondition, what,
                    json::array({PreconditionFailure("SPOT_PRICE_TOO_LOW", zone, what),
                                 ErrorInfo("SPOT_PRICE_TOO_LOW", kDomain)}));
      }
    }
    return kOk;
  }

  int32_t Create(const json& in, cvm_plugin_sink sink, void* context) {
    const std::string token = String(in, "client_token");
    auto known = tokens_.find(token);
    if (!token.empty() && known != tokens_.end()) {
      Send(sink, context, {{"instance_ids", known->second}});
      return kOk;
    }
    if (int32_t code = Check(in, sink, context); code != kOk) return code;
    const json spec = in.value("spec", json::object());
    Instance instance;
    instance.region = String(spec, "region");
    instance.zone = String(spec, "zone");
    const json* internet = Field(spec, "internet");
    instance.public_ip = internet != nullptr && internet->value("public_ip", false);
    for (const json& tag : spec.value("tags", json::array())) {
      if (String(tag, "key") == kOrderTag) instance.order_id = String(tag, "value");
    }
    std::vector<std::string> ids;
    for (int64_t i = 0; i < Int(in, "count"); ++i) {
      instance.index = ++next_index_;
      char id[32];
      std::snprintf(id, sizeof(id), "smp-%08d", instance.index);
      instances_[id] = instance;
      ids.push_back(id);
      ++instances_created;
    }
    if (!token.empty()) tokens_[token] = ids;
    Send(sink, context, {{"instance_ids", ids}});
    return kOk;
  }

  int32_t Describe(const json& in, cvm_plugin_sink sink, void* context) {
    const json ids = in.value("instance_ids", json::array());
    if (ids.size() > kMaxDescribe) {
      return Fail(sink, context, kInvalidArgument, "at most 100 instance ids per call",
                  json::array({BadRequest("instance_ids", "at most 100")}));
    }
    json out = json::array();
    for (const json& id_json : ids) {
      const std::string id = id_json.get<std::string>();
      auto it = instances_.find(id);
      if (it == instances_.end() || it->second.terminated) {
        out.push_back({{"instance_id", id}, {"state", "TERMINATED"}});
        continue;
      }
      const Instance& instance = it->second;
      const int n = instance.index;
      json status = {
          {"instance_id", id},
          {"state", "RUNNING"},
          {"restriction", "NORMAL"},
          {"zone", instance.zone},
          {"private_ips", {"10.1." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1)}}};
      if (instance.public_ip) {
        status["public_ips"] = {"203.0.113." + std::to_string(n % 250 + 1)};
      }
      out.push_back(status);
    }
    Send(sink, context, {{"instances", out}});
    return kOk;
  }

  // FindByOrder (ids of one order) and ListTagged (every tagged instance).
  int32_t Tagged(uint32_t method, const json& in, cvm_plugin_sink sink, void* context) {
    const std::string region = String(in, "region");
    const std::string order_id = String(in, "order_id");
    json ids = json::array(), tagged = json::array();
    for (const auto& [id, instance] : instances_) {
      if (instance.terminated || instance.region != region || instance.order_id.empty()) continue;
      if (instance.order_id == order_id) ids.push_back(id);
      tagged.push_back({{"instance_id", id}, {"order_id", instance.order_id}});
    }
    if (method == CVM_BACKEND_FIND_BY_ORDER) {
      Send(sink, context, {{"instance_ids", ids}});
    } else {
      Send(sink, context, {{"instances", tagged}});
    }
    return kOk;
  }

  int32_t Quote(const json& in, cvm_plugin_sink sink, void* context) {
    const json spec = in.value("spec", json::object());
    const int64_t count = Int(in, "count");
    const int64_t unit = Field(spec, "spot") != nullptr ? spot_price_ : price_;
    json quote = {{"currency", currency_}};
    if (const json* prepaid = Field(spec, "prepaid")) {
      quote["total_price_prepaid"] =
          FormatMicros(unit * 730 * Int(*prepaid, "period_months") * count);
    } else {
      quote["unit_price_per_hour"] = FormatMicros(unit);
      quote["total_price_per_hour"] = FormatMicros(unit * count);
    }
    Send(sink, context, quote);
    return kOk;
  }

  int64_t price_ = 100000;      // 0.10 per instance-hour
  int64_t spot_price_ = 30000;  // 0.03
  std::string currency_ = "CNY";
  std::set<std::string> sold_out_;

  std::mutex mu_;
  int next_index_ = 0;
  std::map<std::string, Instance> instances_;
  std::map<std::string, std::vector<std::string>> tokens_;
};

int32_t CreateCloud(const char* /*instance_name*/, const char* config, size_t config_size,
                    void** instance, cvm_plugin_sink error, void* error_context) {
  try {
    auto cloud = std::make_unique<SampleCloud>();
    const json parsed = json::parse(std::string(config, config_size));
    if (int32_t code = cloud->Init(parsed, error, error_context); code != kOk) return code;
    *instance = cloud.release();
    return kOk;
  } catch (const std::exception& e) {
    return Fail(error, error_context, kInvalidArgument, std::string("sample config: ") + e.what());
  }
}

int32_t CallCloud(void* instance, uint32_t method, const char* request, size_t request_size,
                  cvm_plugin_sink sink, void* sink_context) {
  try {
    return static_cast<SampleCloud*>(instance)->Call(
        method, json::parse(std::string(request, request_size)), sink, sink_context);
  } catch (const std::exception& e) {
    return Fail(sink, sink_context, kInternal, std::string("sample backend: ") + e.what());
  }
}

void DestroyCloud(void* instance) { delete static_cast<SampleCloud*>(instance); }

const cvm_plugin kPlugin = {
    CVM_PLUGIN_ABI_VERSION, CVM_PLUGIN_KIND_BACKEND, "sample", &CreateCloud, &CallCloud,
    &DestroyCloud};

}  // namespace
}  // namespace cvm_sample

extern "C" {

__attribute__((visibility("default"))) const cvm_plugin* cvm_plugin_entry(void) {
  return &cvm_sample::kPlugin;
}

// Not part of the ABI: the instances every sample cloud in the process has
// bought, for the conformance suite's "a repeated token buys nothing" checks.
__attribute__((visibility("default"))) int cvm_sample_instances_created(void) {
  return cvm_sample::instances_created.load();
}

}  // extern "C"
