// The store conformance suite against the in-memory store.
#include "store/memory_order_store.h"
#include "store/order_store_conformance.h"

namespace cvm {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Memory, OrderStoreConformanceTest,
    ::testing::Values(StoreFactory{"Memory",
                                   [](Clock* clock, size_t max_events) {
                                     return std::unique_ptr<OrderStore>(
                                         new MemoryOrderStore(clock, max_events));
                                   }}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cvm
