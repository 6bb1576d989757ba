#pragma once
// `vigilctl store init|migrate|check|backup|verify-audit --db FILE`:
// maintenance of the SQLite incident store. Each command works on a
// database path; when --config FILE arrives it only changes how `db` is
// filled (from store.path).

#include <string>

namespace vigil::admin {

struct StoreOptions {
  std::string db;   // the store file
  std::string out;  // backup: the copy to write
};

// Exit status: 0 on success; 1 with one error line on stderr when the file
// is missing, is not a (Vigil) SQLite database, has a newer schema than this
// vigilctl knows, or fails the check / the audit chain verification (check
// prints one line per problem, verify-audit names the first broken row).
int run_store_init(const StoreOptions& options);
int run_store_migrate(const StoreOptions& options);
int run_store_check(const StoreOptions& options);
int run_store_backup(const StoreOptions& options);
int run_store_verify_audit(const StoreOptions& options);

}  // namespace vigil::admin
