#include "store/detail/sqlite.h"

#include <string>

namespace vigil::store::detail {

ErrorCode classify(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::Busy;
    case SQLITE_FULL:
    case SQLITE_IOERR:
      return ErrorCode::DiskFull;
    case SQLITE_NOTADB:
      return ErrorCode::NotADatabase;
    case SQLITE_CORRUPT:
      return ErrorCode::Corrupt;
    case SQLITE_CANTOPEN:
      return ErrorCode::NotFound;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return ErrorCode::Invalid;
    default:
      return ErrorCode::Sqlite;
  }
}

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : nullptr;
  // sqlite3_errmsg describes the last call on this connection, which may not
  // be the one that returned rc (e.g. after a rollback); prefer errstr then.
  if (detail != nullptr && db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) {
    msg += detail;
  } else {
    msg += sqlite3_errstr(rc);
  }
  for (char& ch : msg) {
    if (ch == '\n' || ch == '\r') ch = ' ';
  }
  return Error{classify(rc), std::move(msg)};
}

Result<Connection> Connection::open(const std::string& path, OpenMode mode,
                                    std::chrono::milliseconds busy_timeout) {
  int flags = SQLITE_OPEN_NOMUTEX;  // one thread uses a connection at a time
  switch (mode) {
    case OpenMode::ReadOnly:
      flags |= SQLITE_OPEN_READONLY;
      break;
    case OpenMode::ReadWrite:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case OpenMode::Create:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
  }
  Connection c;
  c.path_ = path;
  int rc = sqlite3_open_v2(path.c_str(), &c.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(c.db_, rc, path);
    return e;
  }
  sqlite3_extended_result_codes(c.db_, 1);
  sqlite3_busy_timeout(c.db_, static_cast<int>(busy_timeout.count()));
  // SQLite opens lazily: the first read of the header says whether this is
  // a database at all.
  auto n = c.query_int("SELECT count(*) FROM sqlite_master");
  if (!n) {
    Error e = n.error();
    if (e.code == ErrorCode::NotADatabase) e.message = path + ": not a SQLite database";
    return e;
  }
  if (auto s = c.exec("PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;", path); !s) {
    return s.error();
  }
  if (mode == OpenMode::ReadOnly) {
    if (auto s = c.exec("PRAGMA query_only=ON;", path); !s) return s.error();
  } else {
    if (auto s = c.exec("PRAGMA synchronous=FULL;", path); !s) return s.error();
  }
  return c;
}

void Connection::close() noexcept {
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

Status Connection::exec(const char* sql, std::string_view what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg(what);
    msg += ": ";
    msg += err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    for (char& ch : msg) {
      if (ch == '\n' || ch == '\r') ch = ' ';
    }
    return Error{classify(rc), std::move(msg)};
  }
  return {};
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    return sqlite_error(db_, rc, "prepare");
  }
  return Statement(s);
}

Result<std::int64_t> Connection::query_int(std::string_view sql) {
  auto s = prepare(sql);
  if (!s) return s.error();
  int rc = s->step();
  if (rc == SQLITE_ROW) return s->int64(0);
  if (rc == SQLITE_DONE) return std::int64_t{0};
  return sqlite_error(db_, rc, path_);
}

Status Transaction::begin() {
  auto s = c_->exec("BEGIN IMMEDIATE", "begin");
  if (s) open_ = true;
  return s;
}

Status Transaction::commit() {
  auto s = c_->exec("COMMIT", "commit");
  // Closed when committed, or when SQLite rolled back by itself (SQLITE_FULL).
  if (s || sqlite3_get_autocommit(c_->get()) != 0) open_ = false;
  return s;
}

void Transaction::rollback() noexcept {
  if (!open_) return;
  open_ = false;
  if (sqlite3_get_autocommit(c_->get()) == 0) {
    sqlite3_exec(c_->get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Status run(Connection& c, Statement& s, std::string_view what) {
  int rc = s.step();
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
    s.reset();
    return {};
  }
  Error e = c.error(rc, what);
  s.reset();
  return e;
}

}  // namespace vigil::store::detail
