/* A plugin built for a future ABI (v3): the service, which speaks v1 and v2,
 * must refuse to load it with a clear message, reading nothing but the
 * version. */
#include <stddef.h>
#include <stdint.h>

/* What a v3 header might look like: only the first field is shared. */
struct cvm_plugin_v3 {
  uint32_t abi_version;
  uint64_t flags;
  const char* name;
};

static const struct cvm_plugin_v3 kPlugin = {3u, 0u, "from_the_future"};

__attribute__((visibility("default"))) const void* cvm_plugin_entry(void) { return &kPlugin; }
