#include "store/pg_connection.h"

#include <arpa/inet.h>
#include <poll.h>
#include <postgresql/libpq-fe.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cvm::pg {
namespace {

// SQLSTATEs (and classes) worth retrying: the server or the connection will
// recover, or another attempt will not conflict.
bool Retryable(absl::string_view sqlstate) {
  return absl::StartsWith(sqlstate, "08") ||  // connection exception
         absl::StartsWith(sqlstate, "53") ||  // insufficient resources
         absl::StartsWith(sqlstate, "57P") ||  // shutdown, crash, cannot connect now
         sqlstate == "40001" ||                // serialization failure
         sqlstate == "40P01" ||                // deadlock detected
         sqlstate == "55P03" ||                // lock not available
         sqlstate == "57014";                  // statement cancelled (timeout)
}

std::string Trimmed(const char* message) {
  return std::string(absl::StripTrailingAsciiWhitespace(message == nullptr ? "" : message));
}

}  // namespace

Param Int(int64_t value) { return Param{absl::StrCat(value), false}; }

Param TextArray(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    literal += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return Param{std::move(literal), false};
}

absl::Status Error(pg_conn* conn, const pg_result* result, absl::string_view what) {
  std::string message;
  const char* sqlstate = nullptr;
  if (result != nullptr) {
    message = Trimmed(PQresultErrorMessage(result));
    sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  }
  if (message.empty() && conn != nullptr) message = Trimmed(PQerrorMessage(conn));
  const std::string text = absl::StrCat("postgres: ", what, ": ", message);
  // No SQLSTATE, or a dead connection: the failure was the connection's.
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK || sqlstate == nullptr ||
      Retryable(sqlstate)) {
    return absl::UnavailableError(text);
  }
  return absl::InternalError(absl::StrCat(text, " (SQLSTATE ", sqlstate, ")"));
}

Result::~Result() { PQclear(result_); }

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

int Result::rows() const { return PQntuples(result_); }

bool Result::IsNull(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}

std::string Result::Bytes(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t Result::Int(int row, int column) const {
  if (IsNull(row, column)) return 0;
  const char* data = PQgetvalue(result_, row, column);
  switch (PQgetlength(result_, row, column)) {
    case 2: {
      uint16_t v;
      std::memcpy(&v, data, 2);
      return static_cast<int16_t>(ntohs(v));
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, data, 4);
      return static_cast<int32_t>(ntohl(v));
    }
    case 8: {
      uint32_t high, low;
      std::memcpy(&high, data, 4);
      std::memcpy(&low, data + 4, 4);
      return static_cast<int64_t>((static_cast<uint64_t>(ntohl(high)) << 32) | ntohl(low));
    }
    default:
      return 0;
  }
}

Connection::~Connection() { Close(); }

void Connection::Close() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

bool Connection::connected() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

int Connection::backend_pid() const { return connected() ? PQbackendPID(conn_) : 0; }

absl::Status Connection::ConnectionError(absl::string_view what) const {
  return absl::UnavailableError(
      absl::StrCat("postgres: ", what, ": ", Trimmed(conn_ ? PQerrorMessage(conn_) : "")));
}

absl::Status Connection::Connect() {
  if (connected()) return absl::OkStatus();
  Close();  // a lost connection is replaced, never reset in place
  // The conninfo (expanded from "dbname") comes after the defaults, so its own
  // settings win: a server that does not answer fails the call in 10 s.
  const char* const keywords[] = {"connect_timeout", "dbname", nullptr};
  const char* const values[] = {"10", conninfo_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn_ == nullptr) return absl::UnavailableError("postgres: connect: out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    absl::Status status = ConnectionError("connect");
    Close();
    return status;
  }
  // Notices (e.g. "relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  return absl::OkStatus();
}

absl::StatusOr<Result> Connection::Exec(absl::string_view what, const std::string& sql,
                                        const std::vector<Param>& params) {
  absl::Status status = Connect();
  if (!status.ok()) return status;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const Param& p : params) {
    values.push_back(p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  // A null result is a failure to send or receive (the connection).
  PGresult* raw = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()),
                               /*paramTypes=*/nullptr, values.data(), lengths.data(),
                               formats.data(), /*resultFormat=*/1);
  const ExecStatusType code = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (code == PGRES_TUPLES_OK || code == PGRES_COMMAND_OK) return Result(raw);
  status = Error(conn_, raw, what);
  PQclear(raw);
  return status;
}

absl::Status Connection::ExecScript(absl::string_view what, const std::string& sql) {
  absl::Status status = Connect();
  if (!status.ok()) return status;
  PGresult* raw = PQexec(conn_, sql.c_str());
  const ExecStatusType code = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (code != PGRES_TUPLES_OK && code != PGRES_COMMAND_OK) status = Error(conn_, raw, what);
  PQclear(raw);
  return status;
}

absl::StatusOr<std::vector<std::string>> Connection::WaitForNotifications(
    absl::Duration timeout) {
  if (!connected()) return ConnectionError("waiting for notifications");
  std::vector<std::string> payloads;
  auto drain = [&]() -> absl::Status {
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
      return ConnectionError("waiting for notifications");
    }
    while (PGnotify* notify = PQnotifies(conn_)) {
      payloads.emplace_back(notify->extra != nullptr ? notify->extra : "");
      PQfreemem(notify);
    }
    return absl::OkStatus();
  };
  absl::Status status = drain();  // some may have come with an earlier result
  if (!status.ok() || !payloads.empty()) {
    if (!status.ok()) return status;
    return payloads;
  }
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  const int ready = poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (ready < 0 && errno != EINTR) return ConnectionError("waiting for notifications");
  if (ready > 0) {
    status = drain();
    if (!status.ok()) return status;
  }
  return payloads;
}

void Connection::Rollback() {
  if (!connected()) {
    Close();
    return;
  }
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
  PGresult* raw = PQexec(conn_, "ROLLBACK");
  const bool ok = raw != nullptr && PQresultStatus(raw) == PGRES_COMMAND_OK;
  PQclear(raw);
  if (!ok || PQtransactionStatus(conn_) != PQTRANS_IDLE) Close();
}

}  // namespace cvm::pg
