#include "common/plugin_registry.h"

#include <cstdio>
#include <cstdlib>

namespace cvm {

void AbortOnRegistrationFailure(const absl::Status& status) {
  std::fprintf(stderr, "fatal: %s\n", status.ToString().c_str());
  std::abort();
}

}  // namespace cvm
