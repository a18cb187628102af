#include "store/sqlite_statement.h"

#include "absl/strings/str_cat.h"

namespace cvm::sqlite {

absl::Status Error(sqlite3* db, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("sqlite: ", what, ": ", sqlite3_errmsg(db)));
}

absl::StatusOr<sqlite3*> Open(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    absl::Status status = Error(db, absl::StrCat("open ", path));
    sqlite3_close(db);
    return status;
  }
  return db;
}

absl::Status Exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message == nullptr ? sqlite3_errmsg(db) : message;
    sqlite3_free(message);
    return absl::UnavailableError(absl::StrCat("sqlite: ", text, " in: ", sql.substr(0, 80)));
  }
  return absl::OkStatus();
}

Statement::Statement(sqlite3* db, const char* sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }
}

StatementCache::~StatementCache() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
}

sqlite3_stmt* StatementCache::Get(sqlite3* db, const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return nullptr;
  }
  statements_[sql] = stmt;
  return stmt;
}

Statement::Statement(sqlite3* db, const char* sql, StatementCache& cache)
    : db_(db), stmt_(cache.Get(db, sql)), cached_(true) {}

Statement::~Statement() {
  if (!cached_) {
    sqlite3_finalize(stmt_);
  } else if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Text(int i, absl::string_view value) {
  sqlite3_bind_text(stmt_, i, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::Int(int i, int64_t value) {
  sqlite3_bind_int64(stmt_, i, value);
  return *this;
}

Statement& Statement::Blob(int i, absl::string_view value) {
  sqlite3_bind_blob(stmt_, i, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

int Statement::Step() { return stmt_ == nullptr ? SQLITE_ERROR : sqlite3_step(stmt_); }

absl::Status Statement::Run(absl::string_view what) {
  return Step() == SQLITE_DONE ? absl::OkStatus() : Error(db_, what);
}

int64_t Statement::ColumnInt(int i) { return sqlite3_column_int64(stmt_, i); }

std::string Statement::ColumnBlob(int i) {
  const void* data = sqlite3_column_blob(stmt_, i);
  return std::string(static_cast<const char*>(data), sqlite3_column_bytes(stmt_, i));
}

}  // namespace cvm::sqlite
