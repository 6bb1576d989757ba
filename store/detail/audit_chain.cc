#include "store/detail/audit_chain.h"

#include <openssl/evp.h>

#include <array>
#include <string>

namespace vigil::store::detail {

const std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

void put_field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += '\n';
}

std::string hex(const unsigned char* p, unsigned n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(static_cast<std::size_t>(n) * 2);
  for (unsigned i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 0xf];
  }
  return s;
}

}  // namespace

std::string canonical_audit_content(const AuditRow& row) {
  std::string out = "vigil-audit-v1\n";
  put_field(out, std::to_string(row.id));
  put_field(out, std::to_string(row.ts_us));
  put_field(out, row.actor);
  put_field(out, row.action);
  put_field(out, row.object_type);
  put_field(out, std::to_string(row.object_id));
  put_field(out, row.detail);
  return out;
}

std::string audit_row_hash(std::string_view prev_hash, const AuditRow& row) {
  std::string data(prev_hash);
  data += canonical_audit_content(row);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned n = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &n, EVP_sha256(), nullptr) != 1) {
    return {};  // never matches a stored hash, so verification reports the row
  }
  return hex(md.data(), n);
}

Result<std::int64_t> append_audit(Connection& c, TimeUs ts_us, std::string_view actor,
                                  std::string_view action, std::string_view object_type,
                                  std::int64_t object_id, std::string_view detail) {
  if (sqlite3_get_autocommit(c.get()) != 0) {
    return Error{ErrorCode::Invalid, "audit: append outside a write transaction"};
  }
  if (actor.empty() || actor.size() > kMaxNameBytes || action.empty() ||
      action.size() > kMaxNameBytes || object_type.size() > kMaxNameBytes ||
      detail.size() > kMaxTextBytes) {
    return Error{ErrorCode::Invalid, "audit: actor, action, object type or detail out of bounds"};
  }
  auto last = c.prepare("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
  if (!last) return last.error();
  AuditRow row;
  std::string prev(kGenesisHash);
  row.id = 1;
  int rc = last->step();
  if (rc == SQLITE_ROW) {
    row.id = last->int64(0) + 1;
    prev = last->text(1);
  } else if (rc != SQLITE_DONE) {
    return c.error(rc, "audit");
  }
  row.ts_us = ts_us;
  row.actor = actor;
  row.action = action;
  row.object_type = object_type;
  row.object_id = object_id;
  row.detail = detail;
  std::string hash = audit_row_hash(prev, row);
  if (hash.empty()) return Error{ErrorCode::Sqlite, "audit: SHA-256 failed"};
  auto ins = c.prepare(
      "INSERT INTO audit_log(id, ts_us, actor, action, object_type, object_id, detail, prev_hash, "
      "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins) return ins.error();
  ins->bind(1, row.id);
  ins->bind(2, row.ts_us);
  ins->bind(3, row.actor);
  ins->bind(4, row.action);
  ins->bind(5, row.object_type);
  ins->bind(6, row.object_id);
  ins->bind(7, row.detail);
  ins->bind(8, prev);
  ins->bind(9, hash);
  if (auto s = run(c, *ins, "audit"); !s) return s.error();
  return row.id;
}

Result<AuditVerification> verify_audit_chain(Connection& c) {
  auto s = c.prepare(
      "SELECT id, ts_us, actor, action, object_type, object_id, detail, prev_hash, hash "
      "FROM audit_log ORDER BY id");
  if (!s) return s.error();
  AuditVerification v;
  std::string prev(kGenesisHash);
  std::int64_t prev_id = 0;
  int rc;
  while ((rc = s->step()) == SQLITE_ROW) {
    AuditRow row;
    row.id = s->int64(0);
    row.ts_us = s->int64(1);
    row.actor = s->text(2);
    row.action = s->text(3);
    row.object_type = s->text(4);
    row.object_id = s->int64(5);
    row.detail = s->text(6);
    row.prev_hash = s->text(7);
    row.hash = s->text(8);
    std::string problem;
    if (row.id != prev_id + 1) {
      problem = prev_id == 0 ? "the log does not start at row 1: rows before it were removed"
                             : "rows between " + std::to_string(prev_id) + " and " +
                                   std::to_string(row.id) + " were removed";
    } else if (row.prev_hash != prev) {
      problem = prev_id == 0 ? "prev_hash is not the genesis hash"
                             : "prev_hash does not match row " + std::to_string(prev_id) +
                                   "'s hash (a row was changed, inserted or removed)";
    } else if (audit_row_hash(row.prev_hash, row) != row.hash) {
      problem = "content does not match its hash (the row was changed)";
    }
    if (!problem.empty()) {
      v.ok = false;
      v.first_bad_id = row.id;
      v.problem = std::move(problem);
      v.head_hash = prev;
      return v;
    }
    prev = row.hash;
    prev_id = row.id;
    ++v.rows;
  }
  if (rc != SQLITE_DONE) return c.error(rc, "audit");
  v.ok = true;
  v.head_hash = prev;
  return v;
}

}  // namespace vigil::store::detail
