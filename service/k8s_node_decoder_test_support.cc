#include "service/k8s_node_decoder_test_support.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cvm {
namespace {

struct Field {
  int number = 0;
  int wire_type = 0;
  uint64_t varint = 0;
  std::string bytes;
};

bool ReadVarint(const std::string& in, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const uint8_t byte = static_cast<uint8_t>(in[pos++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// Every field of one message, in order. Wire types 0 (varint) and 2
// (length-delimited) only: a Node's fields use nothing else here.
absl::StatusOr<std::vector<Field>> Fields(const std::string& in, const std::string& what) {
  std::vector<Field> fields;
  size_t pos = 0;
  while (pos < in.size()) {
    uint64_t tag = 0;
    if (!ReadVarint(in, pos, tag)) return absl::InvalidArgumentError(what + ": truncated tag");
    Field field;
    field.number = static_cast<int>(tag >> 3);
    field.wire_type = static_cast<int>(tag & 7);
    if (field.wire_type == 0) {
      if (!ReadVarint(in, pos, field.varint)) {
        return absl::InvalidArgumentError(what + ": truncated varint");
      }
    } else if (field.wire_type == 2) {
      uint64_t length = 0;
      if (!ReadVarint(in, pos, length) || length > in.size() - pos) {
        return absl::InvalidArgumentError(what + ": truncated length-delimited field");
      }
      field.bytes = in.substr(pos, length);
      pos += length;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(what, ": wire type ", field.wire_type));
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

absl::Status NeedBytes(const Field& field, const std::string& what) {
  if (field.wire_type == 2) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, ".", field.number, " is not length-delimited"));
}

// One map entry: key 1, value 2 (a string, or a Quantity when `quantity`).
absl::Status ReadEntry(const std::string& bytes, bool quantity, const std::string& what,
                       std::map<std::string, std::string>& into, DecodedNode& node) {
  auto fields = Fields(bytes, what);
  if (!fields.ok()) return fields.status();
  std::string key, value;
  bool has_key = false;
  for (const Field& f : *fields) {
    if (auto ok = NeedBytes(f, what); !ok.ok()) return ok;
    if (f.number == 1) {
      key = f.bytes;
      has_key = true;
    } else if (f.number == 2 && !quantity) {
      value = f.bytes;
    } else if (f.number == 2) {
      auto q = Fields(f.bytes, what + ".Quantity");
      if (!q.ok()) return q.status();
      for (const Field& qf : *q) {
        if (qf.number == 1 && qf.wire_type == 2) {
          value = qf.bytes;
        } else {
          node.unexpected.push_back(absl::StrCat("Quantity.", qf.number));
        }
      }
    } else {
      node.unexpected.push_back(absl::StrCat(what, ".", f.number));
    }
  }
  if (!has_key) return absl::InvalidArgumentError(what + ": map entry without a key");
  into[key] = value;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DecodedNode> DecodeK8sNode(const std::string& bytes) {
  DecodedNode node;
  auto top = Fields(bytes, "Node");
  if (!top.ok()) return top.status();
  for (const Field& f : *top) {
    if (auto ok = NeedBytes(f, "Node"); !ok.ok()) return ok;
    if (f.number == 1) {
      auto meta = Fields(f.bytes, "ObjectMeta");
      if (!meta.ok()) return meta.status();
      for (const Field& m : *meta) {
        if (auto ok = NeedBytes(m, "ObjectMeta"); !ok.ok()) return ok;
        if (m.number == 1) {
          node.name = m.bytes;
        } else if (m.number == 11) {
          if (auto ok = ReadEntry(m.bytes, false, "ObjectMeta.labels", node.labels, node);
              !ok.ok()) {
            return ok;
          }
        } else {
          node.unexpected.push_back(absl::StrCat("ObjectMeta.", m.number));
        }
      }
    } else if (f.number == 2) {
      node.has_spec = true;
    } else if (f.number == 3) {
      auto status = Fields(f.bytes, "NodeStatus");
      if (!status.ok()) return status.status();
      for (const Field& s : *status) {
        if (auto ok = NeedBytes(s, "NodeStatus"); !ok.ok()) return ok;
        if (s.number == 1 || s.number == 2) {
          auto& into = s.number == 1 ? node.capacity : node.allocatable;
          if (auto ok = ReadEntry(s.bytes, true, "NodeStatus.resources", into, node); !ok.ok()) {
            return ok;
          }
        } else {
          node.unexpected.push_back(absl::StrCat("NodeStatus.", s.number));
        }
      }
    } else {
      node.unexpected.push_back(absl::StrCat("Node.", f.number));
    }
  }
  return node;
}

}  // namespace cvm
