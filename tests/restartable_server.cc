#include "tests/restartable_server.h"

#include <signal.h>

#include "tests/test_client.h"

namespace cvm::testing {

absl::Status RestartableServer::Start() {
  auto process = ServerProcess::Start(config_, {store_});
  if (!process.ok()) return process.status();
  absl::MutexLock lock(&mu_);
  process_ = *std::move(process);
  stub_ = NewStub(process_->target());
  return absl::OkStatus();
}

absl::Status RestartableServer::KillAndRestart() {
  {
    absl::MutexLock lock(&mu_);
    process_->Signal(SIGKILL);
    absl::StatusOr<int> code = process_->Wait(absl::Seconds(10));
    if (!code.ok()) return code.status();
    process_.reset();
  }
  return Start();
}

std::shared_ptr<provisioning::v1::Provisioning::Stub> RestartableServer::stub() {
  absl::MutexLock lock(&mu_);
  return stub_;
}

absl::StatusOr<int> RestartableServer::Stop() {
  absl::MutexLock lock(&mu_);
  return process_->Stop(absl::Seconds(30));
}

int RestartableServer::metrics_port() {
  absl::MutexLock lock(&mu_);
  return process_->metrics_port();
}

}  // namespace cvm::testing
