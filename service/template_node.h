// The node a node group would add, for Cluster Autoscaler's
// NodeGroupTemplateNodeInfo: a k8s.io/api core/v1 Node serialized by hand in
// protobuf wire format (no Kubernetes protos in the build), and the vCPUs,
// memory and GPUs of an instance type.
//
// Field numbers (k8s.io/api core/v1 and apimachinery generated.proto):
// Node.metadata 1, Node.status 3; ObjectMeta.name 1, ObjectMeta.labels 11;
// NodeStatus.capacity 1, NodeStatus.allocatable 2 (map<string, Quantity>);
// Quantity.string 1. Maps are written sorted by key, as Kubernetes does.
//
// Contract: EncodeTemplateNode and the name parsers are pure and thread-safe;
// ShapeOfType calls the backend (thread-safe by its contract).
#ifndef CVM_PROVISIONER_SERVICE_TEMPLATE_NODE_H_
#define CVM_PROVISIONER_SERVICE_TEMPLATE_NODE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "backends/backend.h"

namespace cvm {

// What one instance of a type offers a kubelet.
struct NodeShape {
  int cpu = 0;
  int memory_gib = 0;
  int gpus = 0;  // 0: none or not known
};

struct TemplateNode {
  std::string name;
  std::map<std::string, std::string> labels;
  NodeShape shape;
  int max_pods = 110;
};

// The Node's bytes: metadata (name, labels) and status.capacity =
// status.allocatable = cpu, memory ("<n>Gi"), pods and, when gpus > 0,
// nvidia.com/gpu.
std::string EncodeTemplateNode(const TemplateNode& node);

// Tencent instance type names end in the memory in GiB ("S5.LARGE8": 8);
// nullopt for a name that does not.
std::optional<int> MemoryGibOfTypeName(absl::string_view type);
// The vCPUs a Tencent size word means ("S5.SMALL1" 1, MEDIUM 2, LARGE 4,
// "<n>XLARGE" 4n); nullopt for another name.
std::optional<int> CpuOfTypeName(absl::string_view type);

// The shape of `type` in `zone` of `region`: vCPUs from the backend's
// offers (Backend::Offers; the type name when the backend cannot list offers
// or gives no figure), memory from the type name (CellOffer has no memory
// on this branch), GPUs unknown (0). FAILED_PRECONDITION naming the type
// when either figure cannot be told; the backend's other errors.
absl::StatusOr<NodeShape> ShapeOfType(Backend& backend, const std::string& region,
                                      const std::string& zone, const std::string& type,
                                      absl::Time deadline);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_TEMPLATE_NODE_H_
