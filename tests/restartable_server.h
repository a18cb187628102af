// The provisioner as chaos tests drive it: one process at a time on the same
// config and store, SIGKILLed and replaced by a fresh one on demand, while
// client threads keep calling through stub().
//
// Contract: thread-safe. stub() is the current process's; a call on a stub
// of a killed process fails (UNAVAILABLE) and the caller retries.
#ifndef CVM_PROVISIONER_TESTS_RESTARTABLE_SERVER_H_
#define CVM_PROVISIONER_TESTS_RESTARTABLE_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "provisioning/v1/provisioning.grpc.pb.h"
#include "tests/server_process.h"

namespace cvm::testing {

class RestartableServer {
 public:
  // `config`: the service config file; `store`: the --store flag.
  RestartableServer(std::string config, std::string store)
      : config_(std::move(config)), store_(std::move(store)) {}

  absl::Status Start();
  // SIGKILL, wait for the process to die, Start() again.
  absl::Status KillAndRestart();
  std::shared_ptr<provisioning::v1::Provisioning::Stub> stub();
  // SIGTERM and the exit code.
  absl::StatusOr<int> Stop();
  int metrics_port();

 private:
  const std::string config_, store_;
  absl::Mutex mu_;
  std::unique_ptr<ServerProcess> process_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<provisioning::v1::Provisioning::Stub> stub_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm::testing

#endif  // CVM_PROVISIONER_TESTS_RESTARTABLE_SERVER_H_
