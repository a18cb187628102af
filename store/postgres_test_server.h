// A private PostgreSQL 15 server for tests, started by the test itself.
//
// Start() runs Debian's initdb into a fresh directory under /tmp and starts
// `postgres` on a unix socket in that directory only (no TCP port, so test
// binaries running side by side never collide), with durability off (fsync,
// synchronous_commit) for speed. PostgreSQL refuses to run as root, and CI
// runs the tests as root: then both run as an unprivileged user (the
// `postgres` user Debian's package creates, else `nobody`; CVM_PG_TEST_USER
// overrides it), which owns the directory. The server is this process's
// child and gets SIGQUIT if the process dies, so a crashed test leaves no
// server behind.
//
// Bazel's linux-sandbox cannot run it (the sandbox's user namespace maps root
// only, so neither chown nor setuid to another user works there): tests that
// use this are tagged "no-sandbox" (see store/BUILD.bazel).
//
// Binaries come from /usr/lib/postgresql/15/bin (CVM_PG_BINDIR overrides);
// tools/install_deps.sh installs them (Debian postgresql).
#ifndef CVM_PROVISIONER_STORE_POSTGRES_TEST_SERVER_H_
#define CVM_PROVISIONER_STORE_POSTGRES_TEST_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cvm {

class PostgresTestServer {
 public:
  // initdb + start; waits until the server accepts connections.
  static absl::StatusOr<std::unique_ptr<PostgresTestServer>> Start();
  // The server of this test binary, started on first use (from the main
  // thread: the server dies with the thread that started it) and stopped, its
  // directory removed, at exit. A failure to start is kept and returned again.
  static absl::StatusOr<PostgresTestServer*> Shared();
  // A new empty database on Shared(); its conninfo.
  static absl::StatusOr<std::string> SharedDatabase();

  ~PostgresTestServer();  // stops the server and removes its directory
  PostgresTestServer(const PostgresTestServer&) = delete;
  PostgresTestServer& operator=(const PostgresTestServer&) = delete;

  // A new empty database; returns its libpq conninfo.
  absl::StatusOr<std::string> CreateDatabase();
  // The conninfo of database `dbname` on this server.
  std::string ConnInfo(const std::string& dbname) const;

  // Fast shutdown (clients are disconnected, data kept) and start again on
  // the same data, for connection-loss tests.
  absl::Status Stop();
  absl::Status Restart();
  bool running() const { return pid_ > 0; }

 private:
  PostgresTestServer(std::string dir, std::string bindir, std::string user)
      : dir_(std::move(dir)), bindir_(std::move(bindir)), user_(std::move(user)) {}
  absl::Status Launch();
  absl::Status WaitUntilReady();
  std::string LogTail() const;

  const std::string dir_;     // data in dir_/data, socket and log in dir_
  const std::string bindir_;  // initdb, postgres
  const std::string user_;    // runs as this user when we are root; else empty
  pid_t pid_ = 0;             // the postmaster
  int databases_ = 0;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_POSTGRES_TEST_SERVER_H_
