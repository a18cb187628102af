// Thin RAII helpers over the SQLite C API, shared by the SQLite store.
//
// Every failure becomes UNAVAILABLE carrying SQLite's own message: to the
// store's callers an I/O, busy or full-disk error is one that may succeed later.
#ifndef CVM_PROVISIONER_STORE_SQLITE_STATEMENT_H_
#define CVM_PROVISIONER_STORE_SQLITE_STATEMENT_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cvm::sqlite {

// UNAVAILABLE "sqlite: <what>: <sqlite's last error>".
absl::Status Error(sqlite3* db, absl::string_view what);

// Opens the database at `path` with sqlite3_open_v2 `flags`; the caller
// closes it. UNAVAILABLE "sqlite: open <path>: ..." when it cannot.
absl::StatusOr<sqlite3*> Open(const std::string& path, int flags);

// Runs one or more statements without results.
absl::Status Exec(sqlite3* db, const std::string& sql);

// Prepared statements kept for reuse, keyed by their SQL text (which must
// outlive the cache: string literals). Not thread-safe: use it under the lock
// that serializes the connection.
class StatementCache {
 public:
  StatementCache() = default;
  ~StatementCache();  // finalizes every statement (before sqlite3_close)
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The statement for `sql`, prepared on first use; nullptr if it cannot be.
  sqlite3_stmt* Get(sqlite3* db, const char* sql);

 private:
  std::map<const char*, sqlite3_stmt*> statements_;
};

// A prepared statement: finalized on destruction, or, when it came from a
// StatementCache, reset and unbound for its next use. Binding indices are
// 1-based.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql);
  Statement(sqlite3* db, const char* sql, StatementCache& cache);
  Statement(sqlite3* db, const std::string& sql) : Statement(db, sql.c_str()) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Text(int i, absl::string_view value);
  Statement& Int(int i, int64_t value);
  Statement& Blob(int i, absl::string_view value);
  // SQLITE_ROW, SQLITE_DONE or an error code (SQLITE_ERROR if preparing failed).
  int Step();
  // Steps a statement without results; the error names `what`.
  absl::Status Run(absl::string_view what);
  int64_t ColumnInt(int i);
  std::string ColumnBlob(int i);

 private:
  sqlite3* const db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool cached_ = false;
};

}  // namespace cvm::sqlite

#endif  // CVM_PROVISIONER_STORE_SQLITE_STATEMENT_H_
