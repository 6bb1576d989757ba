#pragma once
// Store maintenance for `vigilctl store init|migrate|check|backup|verify-audit`.
// Each takes the database path, so a caller that reads store.path from the
// configuration passes it the same way.

#include <cstdint>
#include <string>
#include <vector>

#include "store/result.h"
#include "store/types.h"

namespace vigil::store {

// The schema version this code writes.
int schema_version_supported() noexcept;

// Creates a new store at `path` with the newest schema (WAL mode). Refuses
// an existing non-empty file (Exists): use migrate for those.
Result<int> init_store(const std::string& path);

struct SchemaChange {
  int from = 0;
  int to = 0;
  std::string backup_path;  // the copy taken before migrating, "" if none was needed
};

// Brings an existing store up to the newest schema. Before changing a
// store that holds data it takes an online backup next to it
// (FILE.pre-migrate-vN). Refuses a missing file, a non-Vigil database and a
// newer schema.
Result<SchemaChange> migrate_store(const std::string& path);

struct CheckReport {
  int version = 0;
  std::vector<std::string> problems;  // empty when healthy
  std::int64_t hits = 0;
  std::int64_t incidents = 0;
  std::int64_t concerns = 0;
  std::int64_t audit_rows = 0;
  std::string journal_mode;
};

// PRAGMA integrity_check and foreign_key_check, the schema version, the
// tables, indexes and triggers the schema should have, and WAL mode.
// Problems found in a readable store are listed in the report; a file that
// cannot be read as a store is an error.
Result<CheckReport> check_store(const std::string& path);

struct BackupReport {
  std::int64_t pages = 0;
  std::int64_t bytes = 0;
};

// Copies the live store to `out` with SQLite's online backup API (writers
// carry on meanwhile), via OUT.partial renamed into place once the copy
// passes quick_check. Refuses to overwrite `out`.
Result<BackupReport> backup_store(const std::string& path, const std::string& out);

// Walks the audit chain; the verification names the first broken row.
Result<AuditVerification> verify_audit(const std::string& path);

}  // namespace vigil::store
