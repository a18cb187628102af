// A thin RAII layer over libpq, shared by the PostgreSQL store and its test
// server: one connection that reconnects on demand, parameterized queries,
// and PostgreSQL's errors mapped to absl::Status.
//
// Errors:
//  - UNAVAILABLE for what may succeed later: the connection failed or was
//    lost (the next Exec() reconnects), the server is shutting down or
//    starting, out of resources, a serialization failure, deadlock or lock
//    timeout, a cancelled statement.
//  - INTERNAL for anything else (a bug: bad SQL, a violated constraint).
// Messages carry PostgreSQL's own text but never the conninfo (which may
// hold a password).
//
// Not thread-safe: the owner serializes calls on one Connection.
#ifndef CVM_PROVISIONER_STORE_PG_CONNECTION_H_
#define CVM_PROVISIONER_STORE_PG_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct pg_conn;
struct pg_result;

namespace cvm::pg {

// One query parameter: text (also for numbers and array literals) or raw
// bytes sent in binary (for BYTEA).
struct Param {
  std::string value;
  bool binary = false;
};
inline Param Text(absl::string_view value) { return Param{std::string(value), false}; }
Param Int(int64_t value);
inline Param Bytes(absl::string_view value) { return Param{std::string(value), true}; }
// A TEXT[] literal of `values` ('{"a","b"}', quoted and escaped).
Param TextArray(const std::vector<std::string>& values);

// The rows of a query, in PostgreSQL's binary format: TEXT and BYTEA columns
// are their raw bytes, integer columns (int2/int4/int8) are read with Int().
class Result {
 public:
  explicit Result(pg_result* result) : result_(result) {}
  ~Result();
  Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const;
  bool IsNull(int row, int column) const;
  std::string Bytes(int row, int column) const;
  // A binary int2, int4 or int8 column; 0 for NULL.
  int64_t Int(int row, int column) const;

 private:
  pg_result* result_;
};

class Connection {
 public:
  // `conninfo`: a libpq connection string or URI. Connecting gives up after
  // 10 s unless it sets connect_timeout. Does not connect yet: the first
  // Exec() (or Connect()) does.
  explicit Connection(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects unless a healthy connection is open (UNAVAILABLE on failure).
  absl::Status Connect();
  // Closes the connection; the next Exec() opens a new one.
  void Close();
  bool connected() const;

  // Runs one statement (connecting first when needed). `what` names the step
  // in errors: "postgres: <what>: <server message>".
  absl::StatusOr<Result> Exec(absl::string_view what, const std::string& sql,
                              const std::vector<Param>& params = {});
  // Runs one or more statements without parameters or results.
  absl::Status ExecScript(absl::string_view what, const std::string& sql);

  // Ends a failed transaction when the connection still works; drops the
  // connection otherwise (its transaction is gone with it).
  void Rollback();

  // LISTEN/NOTIFY: waits up to `timeout` for notifications to arrive (after
  // a LISTEN on this connection) and returns their payloads, oldest first;
  // empty when none came. UNAVAILABLE when the connection is lost (or was
  // never opened: LISTEN first).
  absl::StatusOr<std::vector<std::string>> WaitForNotifications(absl::Duration timeout);

  // The server's backend process id (0 when not connected), for tests.
  int backend_pid() const;

 private:
  absl::Status ConnectionError(absl::string_view what) const;

  const std::string conninfo_;
  pg_conn* conn_ = nullptr;
};

// Maps a failed result (or a failure to get one) to a Status, as above.
absl::Status Error(pg_conn* conn, const pg_result* result, absl::string_view what);

}  // namespace cvm::pg

#endif  // CVM_PROVISIONER_STORE_PG_CONNECTION_H_
