// A minimal reader of a serialized k8s.io/api core/v1 Node, written apart
// from the encoder (service/template_node.h) so tests check its bytes by the
// Kubernetes field numbers: Node.metadata 1, .spec 2, .status 3;
// ObjectMeta.name 1, .labels 11; NodeStatus.capacity 1, .allocatable 2;
// Quantity.string 1; map entries key 1, value 2.
#ifndef CVM_PROVISIONER_SERVICE_K8S_NODE_DECODER_TEST_SUPPORT_H_
#define CVM_PROVISIONER_SERVICE_K8S_NODE_DECODER_TEST_SUPPORT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cvm {

struct DecodedNode {
  std::string name;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> capacity;
  std::map<std::string, std::string> allocatable;
  bool has_spec = false;
  // "<message>.<field number>" of every field the reader does not expect.
  std::vector<std::string> unexpected;
};

// INVALID_ARGUMENT for bytes that are not well-formed protobuf, a wire type
// that does not fit the field, or a map entry without its key.
absl::StatusOr<DecodedNode> DecodeK8sNode(const std::string& bytes);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_K8S_NODE_DECODER_TEST_SUPPORT_H_
