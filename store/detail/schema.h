#pragma once
// Internal to store/: the schema as an ordered list of migrations, applied
// one transaction each, recorded in schema_migrations and PRAGMA user_version.

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/detail/sqlite.h"
#include "store/result.h"

namespace vigil::store::detail {

inline constexpr int kSchemaVersion = 5;

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Every migration, version 1 upward; migrations()[i].version == i + 1.
std::span<const Migration> migrations() noexcept;

// 0 for an empty database; the recorded version otherwise. A database with
// tables but no schema_migrations is NotADatabase ("not a Vigil store");
// schema_migrations and user_version disagreeing is Corrupt.
Result<int> schema_version(Connection& c);

// A read-only connection for a Reader or the report queries: refuses a file
// that is not a Vigil store or whose schema is older (migrate first) or newer
// than this code's, and sets a page cache of `cache_mb` (1..16384). `who`
// names the caller in the error about the cache size.
Result<Connection> open_current_read_only(const std::string& path,
                                          std::chrono::milliseconds busy_timeout,
                                          std::size_t cache_mb, std::string_view who);

struct MigrationReport {
  int from = 0;
  int to = 0;
};

// Applies the missing migrations up to `target` (default: the newest),
// each in its own BEGIN IMMEDIATE transaction, so a failure leaves the
// database at the last version that completed. A database newer than this
// code knows is refused with SchemaTooNew. Sets WAL journal mode first.
Result<MigrationReport> migrate(Connection& c, int target = kSchemaVersion);

// Objects (tables, indexes, triggers) the newest schema has and this
// database lacks, as "table hits", "index hits_time", ...
Result<std::vector<std::string>> missing_schema_objects(Connection& c);

}  // namespace vigil::store::detail
