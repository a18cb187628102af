// The sample out-of-tree backend: a tiny in-memory cloud behind the C plugin
// ABI (plugins/plugin_abi.h), built as libcvm_sample_backend.so.
//
// Instances are RUNNING, with a private IP and (when asked for) a public IP,
// as soon as they are bought, and gone as soon as they are released. Config
// (JSON, every field optional):
//   {"price_per_hour": "0.10", "spot_market_price": "0.03",
//    "currency": "CNY", "sold_out_zones": ["ap-guangzhou-1"],
//    "delay_ms": 0}
// delay_ms makes every call that long (a slow cloud). It implements the
// Backend contract (backends/backend.h) through the ABI: idempotent by client
// token, ZONE_SOLD_OUT and SPOT_PRICE_TOO_LOW pre-flight failures, unknown ids
// reported TERMINATED, at most 100 ids per Describe.
//
// It speaks ABI v2: a request's `deadline` (rule 7) cuts the delay short with
// DEADLINE_EXCEEDED. Built with -DCVM_SAMPLE_ABI_V1 it is
// libcvm_sample_backend_v1.so, plugin "sample_v1": a v1 plugin, which
// ignores deadlines and always waits the whole delay.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "plugins/sample/sample_plugin_util.h"

namespace cvm_sample {
namespace {

constexpr char kDomain[] = "sample.cvm.dev";
constexpr char kOrderTag[] = "provisioner:order-id";
constexpr int kMaxDescribe = 100;
#ifdef CVM_SAMPLE_ABI_V1
constexpr uint32_t kAbiVersion = 1;
constexpr char kPluginName[] = "sample_v1";
#else
constexpr uint32_t kAbiVersion = CVM_PLUGIN_ABI_VERSION;
constexpr char kPluginName[] = "sample";
#endif

// Books of every sample cloud in the process, for tests (hooks below).
std::atomic<int> instances_created{0};
std::atomic<int> calls_returned{0};
std::atomic<int> deadlines_seen{0};  // requests carrying a `deadline`
std::atomic<int> clouds_destroyed{0};
std::atomic<int> destroyed_while_busy{0};  // ABI rule 5 broken by the host

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
    if (const json* delay = Field(config, "delay_ms")) {
      if (!delay->is_number_integer() || delay->get<int64_t>() < 0) {
        return Fail(error, context, kInvalidArgument, "delay_ms: must be a non-negative integer",
                    json::array({BadRequest("delay_ms", "must be a non-negative integer")}));
      }
      delay_ = std::chrono::milliseconds(delay->get<int64_t>());
    }
    if (!String(config, "currency").empty()) currency_ = String(config, "currency");
    if (const json* zones = Field(config, "sold_out_zones"); zones && zones->is_array()) {
      for (const json& zone : *zones) sold_out_.insert(zone.get<std::string>());
    }
    return kOk;
  }

  // The configured delay, cut short by the request's deadline (ABI rule 7)
  // in the v2 build.
  int32_t Delay(const json& in, cvm_plugin_sink sink, void* context) const {
    const auto end = std::chrono::system_clock::now() + delay_;
    const json* deadline = Field(in, "deadline");
    if (deadline != nullptr) ++deadlines_seen;
#ifndef CVM_SAMPLE_ABI_V1
    if (deadline != nullptr) {
      auto at = deadline->is_string() ? ParseTimestamp(deadline->get<std::string>()) : std::nullopt;
      if (!at.has_value()) {
        return Fail(sink, context, kInvalidArgument, "deadline: not an RFC 3339 timestamp",
                    json::array({BadRequest("deadline", "not an RFC 3339 timestamp")}));
      }
      if (*at < end) {
        std::this_thread::sleep_until(*at);
        return Fail(sink, context, kDeadlineExceeded,
                    "sample backend: the caller's deadline " + deadline->get<std::string>() +
                        " passed before the cloud answered");
      }
    }
#else
    (void)sink, (void)context;
#endif
    std::this_thread::sleep_until(end);
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

  // call()s in progress on this cloud (DestroyCloud checks ABI rule 5).
  std::atomic<int> calls_running{0};

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
  std::chrono::milliseconds delay_{0};

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

// Counts a call() running on a cloud, and its return.
class Running {
 public:
  explicit Running(SampleCloud* cloud) : cloud_(cloud) { ++cloud_->calls_running; }
  ~Running() {
    --cloud_->calls_running;
    ++calls_returned;
  }

 private:
  SampleCloud* const cloud_;
};

int32_t CallCloud(void* instance, uint32_t method, const char* request, size_t request_size,
                  cvm_plugin_sink sink, void* sink_context) {
  auto* cloud = static_cast<SampleCloud*>(instance);
  Running running(cloud);
  try {
    const json in = json::parse(std::string(request, request_size));
    if (int32_t code = cloud->Delay(in, sink, sink_context); code != kOk) return code;
    return cloud->Call(method, in, sink, sink_context);
  } catch (const std::exception& e) {
    return Fail(sink, sink_context, kInternal, std::string("sample backend: ") + e.what());
  }
}

void DestroyCloud(void* instance) {
  auto* cloud = static_cast<SampleCloud*>(instance);
  if (cloud->calls_running.load() != 0) ++destroyed_while_busy;
  delete cloud;
  ++clouds_destroyed;
}

const cvm_plugin kPlugin = {
    kAbiVersion, CVM_PLUGIN_KIND_BACKEND, kPluginName, &CreateCloud, &CallCloud, &DestroyCloud};

}  // namespace
}  // namespace cvm_sample

extern "C" {

__attribute__((visibility("default"))) const cvm_plugin* cvm_plugin_entry(void) {
  return &cvm_sample::kPlugin;
}

// Not part of the ABI, for tests: the instances every sample cloud in the
// process has bought (the conformance suite's "a repeated token buys
// nothing" checks), the call()s that have returned, the requests that
// carried a deadline, the clouds destroyed and those destroyed while a
// call() on them was running (ABI rule 5 broken).
__attribute__((visibility("default"))) int cvm_sample_instances_created(void) {
  return cvm_sample::instances_created.load();
}
__attribute__((visibility("default"))) int cvm_sample_calls_returned(void) {
  return cvm_sample::calls_returned.load();
}
__attribute__((visibility("default"))) int cvm_sample_deadlines_seen(void) {
  return cvm_sample::deadlines_seen.load();
}
__attribute__((visibility("default"))) int cvm_sample_clouds_destroyed(void) {
  return cvm_sample::clouds_destroyed.load();
}
__attribute__((visibility("default"))) int cvm_sample_destroyed_while_busy(void) {
  return cvm_sample::destroyed_while_busy.load();
}

}  // extern "C"
