#include "plugins/plugin_instance.h"

#include <system_error>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace cvm {
namespace {

// What a v1 call on a thread of its own hands back. The thread and the
// waiting caller each hold a reference: whichever lets go last frees it.
struct PendingCall {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  int32_t code ABSL_GUARDED_BY(mu) = 0;
  std::string output ABSL_GUARDED_BY(mu);
};

}  // namespace

absl::StatusOr<std::shared_ptr<PluginInstance>> PluginInstance::Create(
    std::shared_ptr<const PluginLibrary> library, const std::string& instance_name,
    const std::string& config_json) {
  ASSIGN_OR_RETURN(void* handle, library->Create(instance_name, config_json));
  return std::shared_ptr<PluginInstance>(new PluginInstance(std::move(library), handle));
}

PluginInstance::~PluginInstance() { library_->Destroy(handle_); }

absl::Status PluginInstance::Call(uint32_t method, const google::protobuf::Message& request,
                                  google::protobuf::Message* result, absl::Time deadline) const {
  if (deadline == absl::InfiniteFuture()) {
    return library_->Call(handle_, method, request, result);
  }
  if (absl::Now() >= deadline) {
    return DeadlineExceeded(method, deadline, "was not called: the caller's deadline had passed");
  }
  if (TakesDeadlines()) return library_->Call(handle_, method, request, result);
  return CallOnOwnThread(method, ToAbiJson(request), result, deadline);
}

absl::Status PluginInstance::CallOnOwnThread(uint32_t method, std::string request_json,
                                             google::protobuf::Message* result,
                                             absl::Time deadline) const {
  auto pending = std::make_shared<PendingCall>();
  // The thread owns the request and a reference to this instance until the
  // plugin returns (ABI rules 3, 5), whether or not anyone still waits.
  try {
    std::thread([self = shared_from_this(), pending, method,
                 request_json = std::move(request_json)] {
      std::string output;
      const int32_t code = self->library_->CallJson(self->handle_, method, request_json, &output);
      absl::MutexLock lock(&pending->mu);
      pending->done = true;
      pending->code = code;
      pending->output = std::move(output);
    }).detach();
  } catch (const std::system_error& e) {
    return absl::UnavailableError(absl::StrCat("plugin \"", library_->name(), "\" ",
                                               PluginLibrary::MethodName(method),
                                               ": cannot start a thread for it: ", e.what()));
  }
  absl::MutexLock lock(&pending->mu);
  if (!pending->mu.AwaitWithDeadline(absl::Condition(&pending->done), deadline)) {
    return DeadlineExceeded(method, deadline,
                            "did not answer by the caller's deadline (a plugin of ABI v1 is not "
                            "told deadlines; its late answer is discarded)");
  }
  return library_->ReadResult(method, pending->code, pending->output, result);
}

absl::Status PluginInstance::DeadlineExceeded(uint32_t method, absl::Time deadline,
                                              const char* what) const {
  return absl::DeadlineExceededError(absl::StrCat(
      "plugin \"", library_->name(), "\" ", PluginLibrary::MethodName(method), " ", what, " (",
      absl::FormatTime(absl::RFC3339_full, deadline, absl::UTCTimeZone()), ")"));
}

}  // namespace cvm
