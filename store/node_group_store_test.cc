#include "store/node_group_store.h"

#include "store/node_group_store_conformance.h"

namespace cvm {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, NodeGroupStoreConformance,
                         ::testing::Values([]() -> std::unique_ptr<NodeGroupStore> {
                           return std::make_unique<MemoryNodeGroupStore>();
                         }));

}  // namespace
}  // namespace cvm
