// One instance of a loaded plugin (plugins/plugin_loader.h), from create() to
// destroy(), and its calls bounded by the caller's deadline (rule 7 of
// plugins/plugin_abi.h):
//
//   ASSIGN_OR_RETURN(std::shared_ptr<PluginInstance> instance,
//                    PluginInstance::Create(library, "tiny", config_json));
//   RETURN_IF_ERROR(instance->Call(CVM_BACKEND_QUOTE, request, &quote, deadline));
//
// Call() with absl::InfiniteFuture() (background work) runs the plugin in the
// caller's thread, however long it takes. With a finite deadline:
//  - a deadline already past: DEADLINE_EXCEEDED, the plugin is not called;
//  - a v2 plugin reads the deadline in the request (the caller puts it there
//    when TakesDeadlines()) and stops by itself: it runs in the caller's
//    thread;
//  - a v1 plugin knows nothing of deadlines: its call runs on a thread of its
//    own and the caller waits for it until the deadline at most, then gets
//    DEADLINE_EXCEEDED. The call goes on until the plugin returns; its answer
//    is then discarded. That thread owns the request, the output buffer and
//    a reference to this instance (which holds the library), so destroy()
//    runs when the last holder lets go, after every call() on the instance
//    has returned (ABI rule 5), and the library stays loaded until then.
//
// Contract: thread-safe; Call() may run concurrently (ABI rule 5). Errors:
// Create() returns the plugin's create() error; Call() returns
// PluginLibrary::Call()'s errors, DEADLINE_EXCEEDED as above (naming the
// plugin, the method and the deadline), or UNAVAILABLE when no thread can
// be started for a v1 call.
#ifndef CVM_PROVISIONER_PLUGINS_PLUGIN_INSTANCE_H_
#define CVM_PROVISIONER_PLUGINS_PLUGIN_INSTANCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "plugins/plugin_loader.h"

namespace cvm {

class PluginInstance : public std::enable_shared_from_this<PluginInstance> {
 public:
  // create() of `library` with the instance's configured name and JSON config.
  static absl::StatusOr<std::shared_ptr<PluginInstance>> Create(
      std::shared_ptr<const PluginLibrary> library, const std::string& instance_name,
      const std::string& config_json);
  // destroy(): runs once the last reference, the adapter's or a running
  // call's, is gone.
  ~PluginInstance();

  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const PluginLibrary& library() const { return *library_; }
  // Whether the plugin reads the `deadline` of its requests (ABI v2 on);
  // a v1 plugin is sent requests without it.
  bool TakesDeadlines() const { return library_->abi_version() >= 2; }

  // `method` with `request` (as JSON), its result parsed into `result` (null
  // for methods answering Empty), bounded by `deadline` as described above.
  absl::Status Call(uint32_t method, const google::protobuf::Message& request,
                    google::protobuf::Message* result,
                    absl::Time deadline = absl::InfiniteFuture()) const;

 private:
  PluginInstance(std::shared_ptr<const PluginLibrary> library, void* handle)
      : library_(std::move(library)), handle_(handle) {}

  // A v1 call with a finite deadline, on a thread of its own.
  absl::Status CallOnOwnThread(uint32_t method, std::string request_json,
                               google::protobuf::Message* result, absl::Time deadline) const;
  absl::Status DeadlineExceeded(uint32_t method, absl::Time deadline, const char* what) const;

  const std::shared_ptr<const PluginLibrary> library_;
  void* const handle_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_PLUGINS_PLUGIN_INSTANCE_H_
