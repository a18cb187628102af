#include "store/postgres_test_server.h"

#include <fcntl.h>
#include <grp.h>
#include <postgresql/libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/pg_connection.h"

namespace cvm {
namespace {

constexpr char kDefaultBindir[] = "/usr/lib/postgresql/15/bin";
constexpr int kPort = 5432;  // names the socket file only: there is no TCP
constexpr char kSuperuser[] = "postgres";

std::string Env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

struct Identity {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

absl::StatusOr<Identity> LookUp(const std::string& user) {
  Identity identity;
  if (user.empty()) return identity;
  const passwd* entry = getpwnam(user.c_str());
  if (entry == nullptr) return absl::NotFoundError(absl::StrCat("no user ", user));
  identity.switch_user = true;
  identity.uid = entry->pw_uid;
  identity.gid = entry->pw_gid;
  return identity;
}

// Starts `argv` in `workdir` as `identity`, stdout and stderr appended to
// `log`. With `die_with_parent` the child gets SIGQUIT (PostgreSQL's
// immediate shutdown) when this thread ends.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& workdir,
                            const std::string& log, const Identity& identity,
                            bool die_with_parent) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int in = open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(126);
    if (identity.switch_user &&
        (setgroups(0, nullptr) != 0 || setgid(identity.gid) != 0 || setuid(identity.uid) != 0)) {
      _exit(126);
    }
    // After setuid, which clears the parent-death signal.
    if (die_with_parent && (prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || getppid() != parent)) {
      _exit(126);
    }
    if (chdir(workdir.c_str()) != 0) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresTestServer>> PostgresTestServer::Start() {
  const std::string bindir = Env("CVM_PG_BINDIR", kDefaultBindir);
  if (access((bindir + "/initdb").c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        bindir, "/initdb not found: install Debian's postgresql (tools/install_deps.sh)"));
  }
  std::string user;
  if (geteuid() == 0) {
    user = Env("CVM_PG_TEST_USER", getpwnam("postgres") != nullptr ? "postgres" : "nobody");
  }
  absl::StatusOr<Identity> identity = LookUp(user);
  if (!identity.ok()) return identity.status();
  // Not TEST_TMPDIR: it is under root's home, which the user cannot enter.
  char pattern[] = "/tmp/cvm-pg-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  std::unique_ptr<PostgresTestServer> server(new PostgresTestServer(pattern, bindir, user));
  if (identity->switch_user && chown(pattern, identity->uid, identity->gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", pattern, " to ", user, ": ",
                                            std::strerror(errno)));
  }
  absl::StatusOr<pid_t> initdb =
      Spawn({bindir + "/initdb", "-D", server->dir_ + "/data", "-A", "trust", "-U", kSuperuser,
             "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"},
            server->dir_, server->dir_ + "/initdb.log", *identity, false);
  if (!initdb.ok()) return initdb.status();
  int wait_status = 0;
  if (waitpid(*initdb, &wait_status, 0) != *initdb || !WIFEXITED(wait_status) ||
      WEXITSTATUS(wait_status) != 0) {
    std::ifstream log(server->dir_ + "/initdb.log");
    std::stringstream text;
    text << log.rdbuf();
    return absl::InternalError(absl::StrCat("initdb failed (status ", wait_status,
                                            user.empty() ? "" : " as user " + user,
                                            "): ", text.str()));
  }
  absl::Status status = server->Launch();
  if (!status.ok()) return status;
  return server;
}

absl::StatusOr<PostgresTestServer*> PostgresTestServer::Shared() {
  // Destroyed at exit, which stops the server and removes its directory.
  static absl::StatusOr<std::unique_ptr<PostgresTestServer>> shared = Start();
  if (!shared.ok()) return shared.status();
  return shared->get();
}

absl::StatusOr<std::string> PostgresTestServer::SharedDatabase() {
  absl::StatusOr<PostgresTestServer*> server = Shared();
  if (!server.ok()) return server.status();
  return (*server)->CreateDatabase();
}

PostgresTestServer::~PostgresTestServer() {
  if (pid_ > 0) {
    kill(pid_, SIGQUIT);  // immediate: nothing here needs to survive
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

absl::Status PostgresTestServer::Launch() {
  absl::StatusOr<Identity> identity = LookUp(user_);
  if (!identity.ok()) return identity.status();
  absl::StatusOr<pid_t> pid = Spawn(
      {bindir_ + "/postgres", "-D", dir_ + "/data", "-k", dir_, "-h", "", "-p",
       absl::StrCat(kPort), "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
       "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=32MB"},
      dir_, dir_ + "/server.log", *identity, true);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  return WaitUntilReady();
}

absl::Status PostgresTestServer::WaitUntilReady() {
  const std::string conninfo = ConnInfo("postgres");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return absl::OkStatus();
    int wait_status = 0;
    if (waitpid(pid_, &wait_status, WNOHANG) == pid_) {
      pid_ = 0;
      return absl::InternalError(
          absl::StrCat("postgres exited (status ", wait_status, "): ", LogTail()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("postgres not ready after 30 s: ", LogTail()));
}

std::string PostgresTestServer::LogTail() const {
  std::ifstream log(dir_ + "/server.log");
  std::stringstream text;
  text << log.rdbuf();
  std::string all = text.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

std::string PostgresTestServer::ConnInfo(const std::string& dbname) const {
  return absl::StrCat("host=", dir_, " port=", kPort, " user=", kSuperuser,
                      " dbname=", dbname);
}

absl::StatusOr<std::string> PostgresTestServer::CreateDatabase() {
  const std::string name = absl::StrCat("test_", ++databases_);
  pg::Connection admin(ConnInfo("postgres"));
  // FILE_COPY: a copy of the template's files, faster than WAL_LOG here.
  absl::StatusOr<pg::Result> created = admin.Exec(
      "creating a database", absl::StrCat("CREATE DATABASE ", name, " STRATEGY FILE_COPY"));
  if (!created.ok()) return created.status();
  return ConnInfo(name);
}

absl::Status PostgresTestServer::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  kill(pid_, SIGINT);  // fast shutdown: disconnects clients, keeps the data
  int wait_status = 0;
  waitpid(pid_, &wait_status, 0);
  pid_ = 0;
  return absl::OkStatus();
}

absl::Status PostgresTestServer::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("postgres is running");
  return Launch();
}

}  // namespace cvm
