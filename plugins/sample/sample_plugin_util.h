// Helpers shared by the sample plugins: JSON in, JSON out, google.rpc errors.
// Out-of-tree code: it uses only the C ABI header, the C++ standard library
// and nlohmann/json, never the service's own libraries (no Abseil, no
// protobuf), as a plugin built elsewhere would.
#ifndef CVM_PROVISIONER_PLUGINS_SAMPLE_SAMPLE_PLUGIN_UTIL_H_
#define CVM_PROVISIONER_PLUGINS_SAMPLE_SAMPLE_PLUGIN_UTIL_H_

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

#include "nlohmann/json.hpp"
#include "plugins/plugin_abi.h"

namespace cvm_sample {

using json = nlohmann::json;

// google.rpc.Code values used here.
enum Code : int32_t {
  kOk = 0,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kPermissionDenied = 7,
  kFailedPrecondition = 9,
  kUnimplemented = 12,
  kInternal = 13,
};

inline constexpr char kTypePrefix[] = "type.googleapis.com/google.rpc.";

inline void Send(cvm_plugin_sink sink, void* context, const json& message) {
  const std::string text = message.dump();
  sink(context, text.data(), text.size());
}

// Sends a google.rpc.Status and returns its code (ABI rule 4).
inline int32_t Fail(cvm_plugin_sink sink, void* context, int32_t code, const std::string& message,
                    json details = json::array()) {
  Send(sink, context, {{"code", code}, {"message", message}, {"details", details}});
  return code;
}

inline json ErrorInfo(const std::string& reason, const std::string& domain,
                      json metadata = json::object()) {
  return {{"@type", std::string(kTypePrefix) + "ErrorInfo"},
          {"reason", reason},
          {"domain", domain},
          {"metadata", metadata}};
}

inline json PreconditionFailure(const std::string& type, const std::string& subject,
                                const std::string& description) {
  return {{"@type", std::string(kTypePrefix) + "PreconditionFailure"},
          {"violations",
           json::array({{{"type", type}, {"subject", subject}, {"description", description}}})}};
}

inline json BadRequest(const std::string& field, const std::string& description) {
  return {{"@type", std::string(kTypePrefix) + "BadRequest"},
          {"field_violations", json::array({{{"field", field}, {"description", description}}})}};
}

// Reads a field by its .proto name or its lowerCamelCase JSON name.
inline const json* Field(const json& object, const std::string& snake) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(snake);
  if (it != object.end()) return &*it;
  std::string camel;
  for (size_t i = 0; i < snake.size(); ++i) {
    if (snake[i] == '_' && i + 1 < snake.size()) {
      camel += static_cast<char>(std::toupper(static_cast<unsigned char>(snake[++i])));
    } else {
      camel += snake[i];
    }
  }
  it = object.find(camel);
  return it == object.end() ? nullptr : &*it;
}

inline std::string String(const json& object, const std::string& name) {
  const json* value = Field(object, name);
  return value != nullptr && value->is_string() ? value->get<std::string>() : "";
}

inline int64_t Int(const json& object, const std::string& name) {
  const json* value = Field(object, name);
  if (value == nullptr) return 0;
  if (value->is_number_integer()) return value->get<int64_t>();
  if (value->is_string()) return std::stoll(value->get<std::string>());  // int64 as string
  return 0;
}

// "0.35" -> 350000 micro-units; nullopt unless a plain non-negative decimal
// with at most 6 fractional digits.
inline std::optional<int64_t> ParseMicros(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  int64_t whole = 0, fraction = 0;
  int digits = 0;
  bool point = false;
  for (char c : text) {
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      if (point) {
        if (++digits > 6) return std::nullopt;
        fraction = fraction * 10 + (c - '0');
      } else {
        whole = whole * 10 + (c - '0');
      }
    } else {
      return std::nullopt;
    }
  }
  while (digits++ < 6) fraction *= 10;
  return whole * 1000000 + fraction;
}

inline std::string FormatMicros(int64_t micros) {
  std::string fraction = std::to_string(1000000 + micros % 1000000).substr(1);
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return std::to_string(micros / 1000000) + "." + fraction;
}

// A proto3 JSON Timestamp, such as the `deadline` of ABI v2 requests
// ("2025-01-02T03:04:05.678Z"; an offset such as "+08:00" is read too), as a
// system_clock time; nullopt when malformed.
inline std::optional<std::chrono::system_clock::time_point> ParseTimestamp(
    const std::string& text) {
  std::tm tm{};
  const char* p = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (p == nullptr) return std::nullopt;
  int64_t nanos = 0;
  if (*p == '.') {
    int digits = 0;
    for (++p; *p >= '0' && *p <= '9'; ++p) {
      if (++digits > 9) return std::nullopt;
      nanos = nanos * 10 + (*p - '0');
    }
    if (digits == 0) return std::nullopt;
    while (digits++ < 9) nanos *= 10;
  }
  int64_t offset = 0;
  if (*p == 'Z') {
    ++p;
  } else if (*p == '+' || *p == '-') {
    int hours = 0, minutes = 0, length = 0;
    if (std::sscanf(p + 1, "%2d:%2d%n", &hours, &minutes, &length) != 2 || length != 5) {
      return std::nullopt;
    }
    offset = (*p == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
    p += 6;
  } else {
    return std::nullopt;
  }
  if (*p != '\0') return std::nullopt;
  const std::chrono::seconds since_epoch(static_cast<int64_t>(timegm(&tm)) - offset);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          since_epoch + std::chrono::nanoseconds(nanos)));
}

}  // namespace cvm_sample

#endif  // CVM_PROVISIONER_PLUGINS_SAMPLE_SAMPLE_PLUGIN_UTIL_H_
