// Tests' view of the sample plugins: where the built libraries are, and the
// sample backend's books, read through its cvm_sample_* functions (exported
// beside the ABI entry point, never used by the service):
//   cvm_sample_instances_created  instances bought by every sample cloud
//   cvm_sample_calls_returned     call()s that have returned
//   cvm_sample_deadlines_seen     requests that carried a `deadline`
//   cvm_sample_clouds_destroyed   destroy()s
//   cvm_sample_destroyed_while_busy  destroy()s while a call() on the same
//                                    instance ran (ABI rule 5 broken)
// Each library keeps its own books: the v1 and v2 builds count apart.
//
// Contract: a SampleHooks keeps its library loaded while it lives (its own
// dlopen reference), so the books outlive the service's PluginLibrary.
// Thread-safe. Get() returns -1 when the library or the hook is missing.
#ifndef CVM_PROVISIONER_PLUGINS_SAMPLE_SAMPLE_TEST_HOOKS_H_
#define CVM_PROVISIONER_PLUGINS_SAMPLE_SAMPLE_TEST_HOOKS_H_

#include <dlfcn.h>

#include <cstdlib>
#include <string>

namespace cvm {

// The path of plugins/sample/`name` in a test's runfiles.
inline std::string SamplePluginPath(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/cvm_provisioner/plugins/sample/" + name;
}

class SampleHooks {
 public:
  explicit SampleHooks(const std::string& path)
      : handle_(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {}
  ~SampleHooks() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  SampleHooks(const SampleHooks&) = delete;
  SampleHooks& operator=(const SampleHooks&) = delete;

  // e.g. Get("cvm_sample_calls_returned").
  int Get(const char* hook) const {
    if (handle_ == nullptr) return -1;
    auto function = reinterpret_cast<int (*)()>(dlsym(handle_, hook));
    return function == nullptr ? -1 : function();
  }

 private:
  void* const handle_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_SAMPLE_SAMPLE_TEST_HOOKS_H_
