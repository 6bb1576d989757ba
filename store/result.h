#pragma once
// Expected failures of the store (SQLite busy, disk full, bad input, a
// database from a newer Vigil) come back as values, never as exceptions.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace vigil::store {

enum class ErrorCode : unsigned char {
  Invalid,       // the caller's input breaks a rule (too long, unknown state, bad transition)
  NotFound,      // no such row or file
  Exists,        // refusing to overwrite
  Busy,          // another connection holds the write lock (SQLITE_BUSY / SQLITE_LOCKED)
  DiskFull,      // SQLITE_FULL or a write/fsync I/O error
  NotADatabase,  // the file is not SQLite, or is SQLite but not a Vigil store
  SchemaTooNew,  // written by a newer Vigil: refuse rather than guess
  SchemaTooOld,  // needs `vigilctl store migrate`
  Corrupt,       // integrity or audit chain failure
  Sqlite,        // any other SQLite error
  Stopped,       // the writer is shutting down
};

struct Error {
  ErrorCode code = ErrorCode::Sqlite;
  std::string message;  // one line a user can act on
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace vigil::store
