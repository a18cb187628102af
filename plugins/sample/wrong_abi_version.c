/* A plugin built for a future ABI (v2): the service must refuse to load it
 * with a clear message, reading nothing but the version. */
#include <stddef.h>
#include <stdint.h>

/* What a v2 header might look like: only the first field is shared. */
struct cvm_plugin_v2 {
  uint32_t abi_version;
  uint64_t flags;
  const char* name;
};

static const struct cvm_plugin_v2 kPlugin = {2u, 0u, "from_the_future"};

__attribute__((visibility("default"))) const void* cvm_plugin_entry(void) { return &kPlugin; }
