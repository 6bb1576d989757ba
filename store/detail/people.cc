#include "store/detail/people.h"

#include <sqlite3.h>

namespace vigil::store::detail {

bool person_fields_valid(const PersonRecord& p) noexcept {
  return !p.reference.empty() && p.reference.size() <= kMaxNameBytes &&
         p.display_name.size() <= kMaxNameBytes && p.cohort.size() <= kMaxNameBytes &&
         p.group.size() <= kMaxNameBytes &&
         (p.kind == "learner" || p.kind == "staff" || p.kind == "unknown");
}

Result<std::int64_t> upsert_person_row(Connection& c, const PersonRecord& p, TimeUs now_us) {
  auto up = c.prepare(
      "INSERT INTO people(reference, display_name, kind, cohort, group_name, under_18, "
      "created_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(reference) DO UPDATE SET "
      "display_name = excluded.display_name, kind = excluded.kind, cohort = excluded.cohort, "
      "group_name = excluded.group_name, under_18 = excluded.under_18 RETURNING id");
  if (!up) return up.error();
  up->bind(1, p.reference);
  up->bind(2, p.display_name);
  up->bind(3, p.kind);
  up->bind(4, p.cohort);
  up->bind(5, p.group);
  up->bind(6, std::int64_t{p.under_18 ? 1 : 0});
  up->bind(7, now_us);
  const int rc = up->step();
  if (rc != SQLITE_ROW) return c.error(rc, "person");
  const std::int64_t id = up->int64(0);
  up->reset();
  return id;
}

}  // namespace vigil::store::detail
