#include "tests/server_process.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cvm::testing {
namespace {

// fork + exec with stdout (and stderr when merge_stderr) on a pipe.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, bool merge_stderr,
                            int* read_fd) {
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("pipe failed");
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    if (merge_stderr) dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  *read_fd = fds[0];
  return pid;
}

// Reads what is available within `timeout`; false at end of stream.
bool ReadSome(int fd, std::string& out, absl::Duration timeout) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) <= 0) {
    return true;
  }
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof(buffer));
  if (n <= 0) return false;
  out.append(buffer, n);
  return true;
}

absl::StatusOr<int> WaitPid(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("pid ", pid, " still running"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

std::string RunfilePath(const std::string& relative) {
  const char* root = std::getenv("TEST_SRCDIR");
  return absl::StrCat(root == nullptr ? "." : root, "/cvm_provisioner/", relative);
}

absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& args,
                                         absl::Duration timeout) {
  int fd = -1;
  absl::StatusOr<pid_t> pid = Spawn(args, /*merge_stderr=*/true, &fd);
  if (!pid.ok()) return pid.status();
  ProcessResult result;
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline && ReadSome(fd, result.output, absl::Milliseconds(100))) {
  }
  close(fd);
  absl::StatusOr<int> code = WaitPid(*pid, deadline - absl::Now());
  if (!code.ok()) {
    kill(*pid, SIGKILL);
    WaitPid(*pid, absl::Seconds(5)).IgnoreError();
    return code.status();
  }
  result.exit_code = *code;
  return result;
}

int64_t RssKb(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      int64_t kb = -1;
      status >> kb;
      return kb;
    }
    status.ignore(1 << 20, '\n');
  }
  return -1;
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& config_path, const std::vector<std::string>& extra_args,
    bool capture_stderr) {
  std::vector<std::string> args = {RunfilePath("service/provisioner"),
                                   "--listen=127.0.0.1:0",
                                   "--metrics_listen=127.0.0.1:0",
                                   absl::StrCat("--config=", config_path)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  if (std::none_of(extra_args.begin(), extra_args.end(), [](const std::string& arg) {
        return absl::StartsWith(arg, "--store=");
      })) {
    // The default store (SQLite) in a file of this test's own.
    static int started = 0;
    args.push_back(absl::StrCat("--store=sqlite:", std::getenv("TEST_TMPDIR"), "/server-",
                                getpid(), "-", ++started, ".db"));
  }
  return StartCommand(args, capture_stderr);
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::StartCommand(
    const std::vector<std::string>& args, bool capture_stderr) {
  std::unique_ptr<ServerProcess> process(new ServerProcess);
  absl::StatusOr<pid_t> pid = Spawn(args, capture_stderr, &process->stdout_fd_);
  if (!pid.ok()) return pid.status();
  process->pid_ = *pid;
  std::string output;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  const std::string marker = "serving gRPC on port ";
  while (absl::Now() < deadline) {
    size_t at = output.find(marker);
    size_t end = at == std::string::npos ? at : output.find('\n', at);
    if (end != std::string::npos) {
      // "... serving gRPC on port N, metrics on port M"
      std::string line = output.substr(at + marker.size(), end - at - marker.size());
      size_t comma = line.find(',');
      size_t metrics = line.rfind(' ');
      if (absl::SimpleAtoi(line.substr(0, comma), &process->port_) &&
          absl::SimpleAtoi(line.substr(metrics + 1), &process->metrics_port_)) {
        // "... plaintext health checks on port H", before it with --health_listen.
        const std::string health = "health checks on port ";
        if (size_t h = output.find(health); h != std::string::npos && h < at) {
          const size_t digits = h + health.size();
          if (!absl::SimpleAtoi(output.substr(digits, output.find('\n', digits) - digits),
                                &process->health_port_)) {
            return absl::InternalError("unexpected health checks line");
          }
        }
        process->output_ = output;
        return process;
      }
      return absl::InternalError(absl::StrCat("unexpected line: ", line));
    }
    if (!ReadSome(process->stdout_fd_, output, absl::Milliseconds(100))) break;
  }
  return absl::UnavailableError(absl::StrCat("server did not start: ", output));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    WaitPid(pid_, absl::Seconds(10)).IgnoreError();
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::string ServerProcess::target() const { return absl::StrCat("127.0.0.1:", port_); }

void ServerProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

absl::StatusOr<int> ServerProcess::Stop(absl::Duration timeout) {
  Signal(SIGTERM);
  return Wait(timeout);
}

std::string TmpPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

absl::StatusOr<std::unique_ptr<ServerProcess>> StartFastOnEmulator(
    const std::string& name, int port, const std::string& secret_id,
    const std::string& secret_key, const std::vector<std::string>& extra_flags,
    const std::string& config_extra) {
  const std::string config = WriteEmulatorConfig(name, port, secret_id, secret_key);
  std::ofstream(config, std::ios::app) << config_extra << "\n";
  std::vector<std::string> flags = {"--poll_fast_interval=200ms", "--poll_slow_interval=300ms"};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  return ServerProcess::Start(config, flags);
}

std::string WriteEmulatorConfig(const std::string& name, int port, const std::string& secret_id,
                                const std::string& secret_key, const std::string& extra,
                                const std::string& currency) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << "backends { name: \"tencent\" plugin: \"tencentcloud\" config {\n"
                      << "[type.googleapis.com/provisioning.tencentcloud.v1.TencentCloudConfig] {\n"
                      << "endpoint_override: \"http://127.0.0.1:" << port << "\"\n"
                      << "currency: \"" << currency << "\"\n"
                      << "credentials { secret_id: \"" << secret_id << "\" secret_key: \""
                      << secret_key << "\" }\n"
                      << extra << "\n} } }\n"
                      << "auth { insecure_plaintext: true }\n";
  return path;
}

std::string ServerProcess::Output() {
  while (stdout_fd_ >= 0 && ReadSome(stdout_fd_, output_, absl::Milliseconds(200))) {
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, 0) == 0) break;  // nothing more right now
  }
  return output_;
}

absl::StatusOr<int> ServerProcess::Wait(absl::Duration timeout) {
  absl::StatusOr<int> code = WaitPid(pid_, timeout);
  if (code.ok()) pid_ = -1;
  return code;
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  std::string body;
  const std::string url = absl::StrCat("http://127.0.0.1:", port, path);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  CURLcode result = curl_easy_perform(curl);
  long http_code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_code);
  curl_easy_cleanup(curl);
  if (result != CURLE_OK || http_code != 200) {
    return absl::UnavailableError(absl::StrCat("GET ", url, ": ", curl_easy_strerror(result),
                                               ", HTTP ", http_code));
  }
  return body;
}

}  // namespace cvm::testing
