#pragma once
// Internal to store/: the hash-chained audit log. Each row's hash is
// SHA-256 over the previous row's hash and a canonical, length-prefixed
// encoding of the row's own fields, so changing, inserting or removing any
// row breaks the chain at that row.

#include <cstdint>
#include <string>
#include <string_view>

#include "store/detail/sqlite.h"
#include "store/result.h"
#include "store/types.h"

namespace vigil::store::detail {

// The previous hash of the first row: 64 zeros.
extern const std::string_view kGenesisHash;

// "vigil-audit-v1\n" then each field as "<byte length>:<bytes>\n" in a fixed
// order (id, ts_us, actor, action, object_type, object_id, detail): no two
// different rows share an encoding, whatever bytes the fields hold.
std::string canonical_audit_content(const AuditRow& row);

// Lower-case hex SHA-256 of prev_hash followed by the canonical content.
std::string audit_row_hash(std::string_view prev_hash, const AuditRow& row);

// Appends one row after the current last row. Must run inside a write
// transaction (BEGIN IMMEDIATE) so that no other connection can append
// between reading the last hash and inserting. Returns the new row id.
Result<std::int64_t> append_audit(Connection& c, TimeUs ts_us, std::string_view actor,
                                  std::string_view action, std::string_view object_type,
                                  std::int64_t object_id, std::string_view detail);

// Walks the whole chain in id order and stops at the first row that breaks
// it: ids not consecutive, prev_hash not the previous row's hash, or hash not
// matching the row's content.
Result<AuditVerification> verify_audit_chain(Connection& c);

}  // namespace vigil::store::detail
