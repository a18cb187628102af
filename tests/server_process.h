// Runs the real provisioner binary as a child process for end-to-end tests.
//
// Start() launches it on free ports (--listen and --metrics_listen on port 0)
// and waits for its "serving" line; the destructor SIGKILLs a child still
// running. Not thread-safe: one test thread drives one process.
#ifndef CVM_PROVISIONER_TESTS_SERVER_PROCESS_H_
#define CVM_PROVISIONER_TESTS_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cvm::testing {

// Path of a file in the test's runfiles, e.g. "service/provisioner".
std::string RunfilePath(const std::string& relative);

// VmRSS of process `pid` in kB (-1 when it cannot be read).
int64_t RssKb(pid_t pid);

struct ProcessResult {
  int exit_code = -1;  // -signal when killed by a signal
  std::string output;  // stdout and stderr
};

// Runs `args` (args[0] is the binary) to completion.
absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& args,
                                         absl::Duration timeout);

class ServerProcess {
 public:
  // Starts the provisioner with `--config=config_path` plus `extra_args`.
  // With `capture_stderr`, stderr goes to the same pipe as stdout (Output()).
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& config_path,
      const std::vector<std::string>& extra_args = {}, bool capture_stderr = false);
  // Starts any server that prints the provisioner's "serving gRPC on port N,
  // metrics on port M" line (args[0] is the binary), e.g. a benchmark's.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> StartCommand(
      const std::vector<std::string>& args, bool capture_stderr = false);
  ~ServerProcess();

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  // The plaintext health port (--health_listen), 0 when not served.
  int health_port() const { return health_port_; }
  // The child's process id (-1 once it has been waited for).
  pid_t pid() const { return pid_; }
  std::string target() const;

  void Signal(int signal);
  // SIGTERM, then the exit code once the process ends within `timeout`.
  absl::StatusOr<int> Stop(absl::Duration timeout);
  // Exit code (or -signal) once the process ends; DEADLINE_EXCEEDED if it
  // is still running after `timeout`.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // Everything the process wrote (stdout, and stderr if captured); call after
  // it ended.
  std::string Output();

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
  int health_port_ = 0;
  int stdout_fd_ = -1;
  std::string output_;  // read so far
};

// Writes a service config (in TEST_TMPDIR, named `name`) with one
// "tencentcloud" backend called "tencent" pointing at a CVM emulator on
// `port`; `extra` is appended inside the backend's config message (e.g.
// "request_timeout { seconds: 1 }"), served plaintext without authentication;
// the account is billed in `currency`. Returns the path.
std::string WriteEmulatorConfig(const std::string& name, int port, const std::string& secret_id,
                                const std::string& secret_key, const std::string& extra = "",
                                const std::string& currency = "CNY");

// ServerProcess::Start() on WriteEmulatorConfig(name, port, secret_id,
// secret_key) with `config_extra` appended to the service config (e.g.
// "capacity_memory { ... }"), polling every 200 ms (300 ms when slow), as
// the end-to-end tests on the emulator run it; `extra_flags` after those.
absl::StatusOr<std::unique_ptr<ServerProcess>> StartFastOnEmulator(
    const std::string& name, int port, const std::string& secret_id,
    const std::string& secret_key, const std::vector<std::string>& extra_flags = {},
    const std::string& config_extra = "");

// $TEST_TMPDIR/name.
std::string TmpPath(const std::string& name);

// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

// GET http://127.0.0.1:port/path; the body, or UNAVAILABLE.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

}  // namespace cvm::testing

#endif  // CVM_PROVISIONER_TESTS_SERVER_PROCESS_H_
