#include "service/template_node.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_details.h"

namespace cvm {
namespace {

// Wire format: a varint; a length-delimited field (tag, length, bytes).
void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void PutBytes(std::string& out, int field, absl::string_view bytes) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  PutVarint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

// A map<string, string> entry (key 1, value 2), `value` already encoded as
// the message or string it is.
std::string MapEntry(absl::string_view key, absl::string_view value) {
  std::string entry;
  PutBytes(entry, 1, key);
  PutBytes(entry, 2, value);
  return entry;
}

// map<string, Quantity>, each Quantity {string = 1}.
std::string ResourceList(const std::map<std::string, std::string>& quantities, int field) {
  std::string out;
  for (const auto& [name, amount] : quantities) {
    std::string quantity;
    PutBytes(quantity, 1, amount);
    PutBytes(out, field, MapEntry(name, quantity));
  }
  return out;
}

constexpr int kNodeMetadata = 1;
constexpr int kNodeStatus = 3;
constexpr int kMetaName = 1;
constexpr int kMetaLabels = 11;
constexpr int kStatusCapacity = 1;
constexpr int kStatusAllocatable = 2;

}  // namespace

std::string EncodeTemplateNode(const TemplateNode& node) {
  std::string meta;
  PutBytes(meta, kMetaName, node.name);
  for (const auto& [key, value] : node.labels) PutBytes(meta, kMetaLabels, MapEntry(key, value));

  std::map<std::string, std::string> resources = {
      {"cpu", absl::StrCat(node.shape.cpu)},
      {"memory", absl::StrCat(node.shape.memory_gib, "Gi")},
      {"pods", absl::StrCat(node.max_pods)},
  };
  if (node.shape.gpus > 0) resources["nvidia.com/gpu"] = absl::StrCat(node.shape.gpus);
  std::string status = ResourceList(resources, kStatusCapacity);
  status += ResourceList(resources, kStatusAllocatable);

  std::string out;
  PutBytes(out, kNodeMetadata, meta);
  PutBytes(out, kNodeStatus, status);
  return out;
}

std::optional<int> MemoryGibOfTypeName(absl::string_view type) {
  size_t digits = type.size();
  while (digits > 0 && absl::ascii_isdigit(type[digits - 1])) --digits;
  int gib = 0;
  if (digits == type.size() || digits == 0 || !absl::SimpleAtoi(type.substr(digits), &gib) ||
      gib <= 0) {
    return std::nullopt;
  }
  return gib;
}

std::optional<int> CpuOfTypeName(absl::string_view type) {
  const size_t dot = type.find('.');
  if (dot == absl::string_view::npos) return std::nullopt;
  absl::string_view size = type.substr(dot + 1);
  while (!size.empty() && absl::ascii_isdigit(size.back())) size.remove_suffix(1);
  if (size == "SMALL") return 1;
  if (size == "MEDIUM") return 2;
  if (size == "LARGE") return 4;
  int times = 0;
  if (absl::ConsumeSuffix(&size, "XLARGE") && absl::SimpleAtoi(size, &times) && times > 0) {
    return 4 * times;
  }
  return std::nullopt;
}

absl::StatusOr<NodeShape> ShapeOfType(Backend& backend, const std::string& region,
                                      const std::string& zone, const std::string& type,
                                      absl::Time deadline) {
  NodeShape shape;
  const std::vector<std::string> zones = {zone};
  const std::vector<std::string> types = {type};
  absl::StatusOr<CellOffers> offers = backend.Offers(region, zones, types, deadline);
  if (offers.ok()) {
    // The catalogue's figures when it gives them.
    for (const CellOffer& cell : offers->cells) {
      if (cell.zone != zone || cell.instance_type != type) continue;
      if (cell.cpu > 0) shape.cpu = cell.cpu;
      if (cell.memory_gb >= 1) shape.memory_gib = static_cast<int>(cell.memory_gb);
      if (cell.gpu >= 1) shape.gpus = static_cast<int>(cell.gpu);
    }
  } else if (offers.status().code() != absl::StatusCode::kUnimplemented) {
    return offers.status();
  }
  if (shape.cpu == 0) shape.cpu = CpuOfTypeName(type).value_or(0);
  if (shape.memory_gib == 0) shape.memory_gib = MemoryGibOfTypeName(type).value_or(0);
  if (shape.cpu == 0 || shape.memory_gib == 0) {
    return PreconditionFailed("INSTANCE_TYPE_SHAPE", type,
                              absl::StrCat("cannot tell the ", shape.cpu == 0 ? "vCPUs" : "memory",
                                           " of instance type ", type, " in ", zone));
  }
  return shape;
}

}  // namespace cvm
