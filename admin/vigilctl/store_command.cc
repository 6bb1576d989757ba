#include "admin/vigilctl/store_command.h"

#include <cstdio>

#include "admin/vigilctl/text_escape.h"
#include "store/maintenance.h"

namespace vigil::admin {
namespace {

int fail(const char* command, const std::string& message) {
  std::fprintf(stderr, "vigilctl store %s: %s\n", command, message.c_str());
  return 1;
}

}  // namespace

int run_store_init(const StoreOptions& o) {
  auto v = store::init_store(o.db);
  if (!v) return fail("init", v.error().message);
  std::printf("%s: created, schema version %d\n", o.db.c_str(), *v);
  return 0;
}

int run_store_migrate(const StoreOptions& o) {
  auto m = store::migrate_store(o.db);
  if (!m) return fail("migrate", m.error().message);
  if (m->from == m->to) {
    std::printf("%s: schema version %d, nothing to do\n", o.db.c_str(), m->to);
  } else {
    std::printf("%s: schema version %d -> %d (copy before migrating: %s)\n", o.db.c_str(), m->from,
                m->to, m->backup_path.c_str());
  }
  return 0;
}

int run_store_check(const StoreOptions& o) {
  auto r = store::check_store(o.db);
  if (!r) return fail("check", r.error().message);
  if (!r->problems.empty()) {
    for (const auto& p : r->problems) {
      std::fprintf(stderr, "vigilctl store check: %s: %s\n", o.db.c_str(),
                   escape_control_bytes(p).c_str());
    }
    return 1;
  }
  std::printf(
      "%s: ok (schema version %d, journal %s, %lld hits, %lld incidents, %lld concerns, "
      "%lld audit rows)\n",
      o.db.c_str(), r->version, r->journal_mode.c_str(), static_cast<long long>(r->hits),
      static_cast<long long>(r->incidents), static_cast<long long>(r->concerns),
      static_cast<long long>(r->audit_rows));
  return 0;
}

int run_store_backup(const StoreOptions& o) {
  auto b = store::backup_store(o.db, o.out);
  if (!b) return fail("backup", b.error().message);
  std::printf("%s: copied to %s (%lld pages, %lld bytes)\n", o.db.c_str(), o.out.c_str(),
              static_cast<long long>(b->pages), static_cast<long long>(b->bytes));
  return 0;
}

int run_store_verify_audit(const StoreOptions& o) {
  auto v = store::verify_audit(o.db);
  if (!v) return fail("verify-audit", v.error().message);
  if (!v->ok) {
    return fail("verify-audit", o.db + ": audit row " + std::to_string(v->first_bad_id) + ": " +
                                    v->problem + " (" + std::to_string(v->rows) +
                                    " rows before it verify)");
  }
  std::printf("%s: audit chain ok, %lld rows, head %s\n", o.db.c_str(),
              static_cast<long long>(v->rows), v->head_hash.c_str());
  return 0;
}

}  // namespace vigil::admin
