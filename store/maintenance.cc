#include "store/maintenance.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <thread>

#include "store/detail/audit_chain.h"
#include "store/detail/schema.h"
#include "store/detail/sqlite.h"

namespace vigil::store {

using detail::Connection;
using detail::OpenMode;

namespace {

constexpr std::chrono::milliseconds kBusy{5'000};

// A path that must name an existing regular file, with a one-line reason otherwise.
Status existing_file(const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return Error{ErrorCode::NotFound, path + ": no such file"};
  }
  if (std::filesystem::is_directory(st))
    return Error{ErrorCode::Invalid, path + ": is a directory"};
  if (!std::filesystem::is_regular_file(st)) {
    return Error{ErrorCode::Invalid, path + ": not a regular file"};
  }
  if (::access(path.c_str(), R_OK) != 0) {
    return Error{ErrorCode::Invalid, path + ": " + std::strerror(errno)};
  }
  return {};
}

// Opens an existing store and checks its schema version is one this code
// can read: 1..newest, or exactly newest when `need_latest`.
Result<Connection> open_store(const std::string& path, OpenMode mode, bool need_latest,
                              int* version_out) {
  if (auto s = existing_file(path); !s) return s.error();
  auto c = Connection::open(path, mode, kBusy);
  if (!c) return c.error();
  auto v = detail::schema_version(*c);
  if (!v) return v.error();
  if (*v == 0) {
    return Error{ErrorCode::NotADatabase,
                 path + ": not a Vigil store (empty database; run vigilctl store init)"};
  }
  if (*v > detail::kSchemaVersion) {
    return Error{ErrorCode::SchemaTooNew, path + ": schema version " + std::to_string(*v) +
                                              " is newer than this Vigil knows (" +
                                              std::to_string(detail::kSchemaVersion) + ")"};
  }
  if (need_latest && *v < detail::kSchemaVersion) {
    return Error{ErrorCode::SchemaTooOld,
                 path + ": schema version " + std::to_string(*v) + "; run vigilctl store migrate"};
  }
  if (version_out != nullptr) *version_out = *v;
  return c;
}

Status fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{ErrorCode::DiskFull, path + ": " + std::strerror(errno)};
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Error{ErrorCode::DiskFull, path + ": fsync: " + std::strerror(err)};
  return {};
}

Result<BackupReport> backup_connection(Connection& src, const std::string& out) {
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) return Error{ErrorCode::Exists, out + ": already exists"};
  const std::string partial = out + ".partial";
  std::filesystem::remove(partial, ec);
  BackupReport report;
  {
    auto dst = Connection::open(partial, OpenMode::Create, kBusy);
    if (!dst) return dst.error();
    sqlite3_backup* b = sqlite3_backup_init(dst->get(), "main", src.get(), "main");
    if (b == nullptr) {
      Error e = dst->error(sqlite3_errcode(dst->get()), out);
      dst->close();
      std::filesystem::remove(partial, ec);
      return e;
    }
    int rc;
    // One step copies every page inside one read transaction: a consistent
    // snapshot that writers (WAL) do not wait for. Copying in smaller steps
    // would restart whenever the writer commits, which on a busy appliance
    // is every few milliseconds.
    int tries = 0;
    while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      if (++tries > 250) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    report.pages = sqlite3_backup_pagecount(b);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
      Error e = detail::sqlite_error(dst->get(), rc, out);
      dst->close();
      std::filesystem::remove(partial, ec);
      return e;
    }
    auto check = dst->prepare("PRAGMA quick_check");
    if (!check) return check.error();
    if (check->step() != SQLITE_ROW || check->text(0) != "ok") {
      dst->close();
      std::filesystem::remove(partial, ec);
      return Error{ErrorCode::Corrupt, out + ": the copy failed quick_check"};
    }
  }
  // Closed: its WAL is checkpointed into the file, which is then made durable.
  if (auto s = fsync_path(partial); !s) return s.error();
  std::filesystem::rename(partial, out, ec);
  if (ec) return Error{ErrorCode::DiskFull, out + ": " + ec.message()};
  auto dir = std::filesystem::path(out).parent_path();
  if (auto s = fsync_path(dir.empty() ? "." : dir.string()); !s) return s.error();
  report.bytes = static_cast<std::int64_t>(std::filesystem::file_size(out, ec));
  return report;
}

}  // namespace

int schema_version_supported() noexcept { return detail::kSchemaVersion; }

Result<int> init_store(const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(st)) {
    if (!std::filesystem::is_regular_file(st)) {
      return Error{ErrorCode::Exists, path + ": exists and is not a regular file"};
    }
    if (std::filesystem::file_size(path, ec) != 0) {
      return Error{ErrorCode::Exists,
                   path + ": already exists (use vigilctl store migrate or check)"};
    }
  }
  auto c = Connection::open(path, OpenMode::Create, kBusy);
  if (!c) return c.error();
  auto m = detail::migrate(*c);
  if (!m) return m.error();
  return m->to;
}

Result<SchemaChange> migrate_store(const std::string& path) {
  int version = 0;
  auto c = open_store(path, OpenMode::ReadWrite, false, &version);
  if (!c) return c.error();
  SchemaChange change{version, version, {}};
  if (version == detail::kSchemaVersion) return change;
  change.backup_path = path + ".pre-migrate-v" + std::to_string(version);
  auto b = backup_connection(*c, change.backup_path);
  if (!b) return b.error();
  auto m = detail::migrate(*c);
  if (!m) return m.error();
  change.to = m->to;
  return change;
}

Result<CheckReport> check_store(const std::string& path) {
  // Opened read-write (never created) so a hot WAL can be read; the check
  // itself changes nothing.
  int version = 0;
  auto c = open_store(path, OpenMode::ReadWrite, false, &version);
  if (!c) return c.error();
  CheckReport r;
  r.version = version;
  if (version < detail::kSchemaVersion) {
    r.problems.push_back("schema version " + std::to_string(version) + " is older than " +
                         std::to_string(detail::kSchemaVersion) + ": run vigilctl store migrate");
  }
  auto integrity = c->prepare("PRAGMA integrity_check(20)");
  if (!integrity) return integrity.error();
  int rc;
  while ((rc = integrity->step()) == SQLITE_ROW) {
    std::string line = integrity->text(0);
    if (line != "ok") r.problems.push_back("integrity: " + line);
  }
  if (rc != SQLITE_DONE) return c->error(rc, path);
  auto fk = c->prepare("PRAGMA foreign_key_check");
  if (!fk) return fk.error();
  int fk_problems = 0;
  while ((rc = fk->step()) == SQLITE_ROW) {
    if (++fk_problems <= 20) {
      r.problems.push_back("foreign key: " + fk->text(0) + " row " + std::to_string(fk->int64(1)) +
                           " refers to a missing " + fk->text(2) + " row");
    }
  }
  if (rc != SQLITE_DONE) return c->error(rc, path);
  if (version == detail::kSchemaVersion) {
    auto missing = detail::missing_schema_objects(*c);
    if (!missing) return missing.error();
    for (const auto& m : *missing) r.problems.push_back("schema: missing " + m);
  }
  auto mode = c->prepare("PRAGMA journal_mode");
  if (!mode) return mode.error();
  if (mode->step() == SQLITE_ROW) r.journal_mode = mode->text(0);
  if (r.journal_mode != "wal")
    r.problems.push_back("journal mode is " + r.journal_mode + ", not wal");
  struct Count {
    const char* sql;
    std::int64_t* out;
  };
  const Count counts[] = {{"SELECT count(*) FROM hits", &r.hits},
                          {"SELECT count(*) FROM incidents", &r.incidents},
                          {"SELECT count(*) FROM concerns", &r.concerns},
                          {"SELECT count(*) FROM audit_log", &r.audit_rows}};
  for (const Count& k : counts) {
    auto n = c->query_int(k.sql);
    if (!n) {
      r.problems.push_back(n.error().message);
    } else {
      *k.out = *n;
    }
  }
  return r;
}

Result<BackupReport> backup_store(const std::string& path, const std::string& out) {
  if (out.empty()) return Error{ErrorCode::Invalid, "backup: no output file"};
  auto c = open_store(path, OpenMode::ReadOnly, false, nullptr);
  if (!c) return c.error();
  return backup_connection(*c, out);
}

Result<AuditVerification> verify_audit(const std::string& path) {
  auto c = open_store(path, OpenMode::ReadOnly, false, nullptr);
  if (!c) return c.error();
  return detail::verify_audit_chain(*c);
}

}  // namespace vigil::store
