#pragma once
// Internal to store/: thin RAII over the SQLite C API (connections,
// prepared statements, transactions) and the mapping of SQLite result codes
// to store::ErrorCode. Only store/*.cc and the store's tests include it.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "store/result.h"

namespace vigil::store::detail {

// The store's class for a SQLite primary or extended result code.
ErrorCode classify(int rc) noexcept;

// "what: message" with SQLite's own words for the failure.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* s) noexcept : s_(s) {}
  ~Statement() { sqlite3_finalize(s_); }
  Statement(Statement&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Statement& operator=(Statement&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(s_);
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const noexcept { return s_; }
  explicit operator bool() const noexcept { return s_ != nullptr; }

  // Parameters are 1-based, as in SQLite. Text is bound as a copy unless
  // `stable` says the bytes outlive the next step()/reset().
  void bind(int i, std::int64_t v) noexcept { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, double v) noexcept { sqlite3_bind_double(s_, i, v); }
  void bind(int i, std::string_view v, bool stable = false) noexcept {
    // A null data pointer would bind SQL NULL; an empty view is the empty string.
    const char* p = v.data() != nullptr ? v.data() : "";
    sqlite3_bind_text(s_, i, p, static_cast<int>(v.size()),
                      stable || v.empty() ? SQLITE_STATIC : SQLITE_TRANSIENT);
  }
  void bind(int i, const char* v) noexcept { bind(i, std::string_view(v)); }
  void bind_null(int i) noexcept { sqlite3_bind_null(s_, i); }
  // NULL for 0: the store's "none" for optional references.
  void bind_id(int i, std::int64_t id) noexcept {
    if (id == 0) {
      bind_null(i);
    } else {
      bind(i, id);
    }
  }
  void bind_optional(int i, const std::optional<std::int64_t>& v) noexcept {
    if (v) {
      bind(i, *v);
    } else {
      bind_null(i);
    }
  }

  int step() noexcept { return sqlite3_step(s_); }
  void reset() noexcept {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  std::int64_t int64(int col) const noexcept { return sqlite3_column_int64(s_, col); }
  double real(int col) const noexcept { return sqlite3_column_double(s_, col); }
  bool is_null(int col) const noexcept { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const unsigned char* p = sqlite3_column_text(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    if (p == nullptr || n <= 0) return {};
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

enum class OpenMode : unsigned char {
  ReadOnly,   // the file must exist; query_only
  ReadWrite,  // the file must exist
  Create,     // created when missing
};

class Connection {
 public:
  Connection() = default;
  ~Connection() { close(); }
  Connection(Connection&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)) {}
  Connection& operator=(Connection&& o) noexcept {
    if (this != &o) {
      close();
      db_ = std::exchange(o.db_, nullptr);
      path_ = std::move(o.path_);
    }
    return *this;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens `path`, checks it is a SQLite database (not "file is not a
  // database" on first read), and sets the per-connection pragmas: busy
  // timeout, foreign keys, in-memory temp store and, unless read-only,
  // synchronous=FULL. It does not touch the schema.
  static Result<Connection> open(const std::string& path, OpenMode mode,
                                 std::chrono::milliseconds busy_timeout);

  sqlite3* get() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }
  void close() noexcept;

  Status exec(const char* sql, std::string_view what);
  Result<Statement> prepare(std::string_view sql);
  Error error(int rc, std::string_view what) const { return sqlite_error(db_, rc, what); }

  // A statement returning one integer (PRAGMA user_version, count(*)).
  Result<std::int64_t> query_int(std::string_view sql);

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE (the write lock is taken at once, so a transaction either
// gets it or reports Busy before doing any work); rolls back on destruction
// unless committed.
class Transaction {
 public:
  explicit Transaction(Connection& c) noexcept : c_(&c) {}
  ~Transaction() { rollback(); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status begin();
  Status commit();
  void rollback() noexcept;

 private:
  Connection* c_;
  bool open_ = false;
};

// Runs a statement to completion (INSERT/UPDATE/DELETE).
Status run(Connection& c, Statement& s, std::string_view what);

}  // namespace vigil::store::detail
