#pragma once
// Helpers shared by the store's tests: a temporary directory removed on
// exit, a settable clock, and a hit builder.

#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "store/types.h"

namespace vigil::store::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-store-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// 2026-03-15 12:00:00 UTC, a fixed "now" for deterministic tests.
inline constexpr TimeUs kNow = 1'773'576'000'000'000;
inline constexpr TimeUs kMinute = 60'000'000;
inline constexpr TimeUs kHour = 3'600'000'000;
inline constexpr TimeUs kDay = 86'400'000'000;

struct FakeClock {
  std::atomic<TimeUs> now{kNow};
  auto fn() {
    return [this] { return now.load(); };
  }
};

inline HitRecord make_hit(TimeUs ts, const std::string& ip,
                          const std::string& category = "extremism",
                          const std::string& severity = "caution") {
  HitRecord h;
  h.ts_us = ts;
  h.client_ip = ip;
  h.kind = "domain";
  h.observation = "dns";
  h.value = "example.org";
  h.list = "test_list";
  h.entry = "example.org";
  h.list_line = 7;
  h.category = category;
  h.severity = severity;
  h.action = "alert";
  h.reason = "listed";
  return h;
}

// Raw SQL against a store file, for setting up and tampering in tests.
inline int raw_exec(const std::string& path, const std::string& sql, std::string* err = nullptr) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open(path.c_str(), &db);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    char* msg = nullptr;
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    if (err != nullptr) *err = msg != nullptr ? msg : "";
    sqlite3_free(msg);
  }
  sqlite3_close(db);
  return rc;
}

inline std::int64_t raw_int(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::int64_t v = -1;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return v;
}

inline std::string raw_text(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string v;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* p = sqlite3_column_text(s, 0);
      if (p != nullptr) v.assign(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return v;
}

}  // namespace vigil::store::testing
