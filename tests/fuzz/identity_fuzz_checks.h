#pragma once
// Invariants the identity parsers' fuzz targets check on every input.

#include <set>
#include <string>

#include "daemon/identity/text_util.h"
#include "daemon/identity/types.h"

namespace vigil::identity::fuzz {

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

inline void check_diag(const ParseDiagnostics& d) {
  check(d.first_invalid.size() <= ParseDiagnostics::kMaxReported);
  check(d.first_invalid.size() <= d.invalid);
  for (const auto& line : d.first_invalid) check(line.starts_with(d.path + ":"));
}

inline void check_leases(const LeaseFile& f) {
  check_diag(f.diag);
  check(f.leases.size() == f.diag.accepted);
  std::set<IpAddress> seen;
  for (const auto& l : f.leases) {
    check(seen.insert(l.ip).second);  // one lease per address
    check(l.hostname.size() <= 255);
    check(detail::is_valid_utf8(l.hostname) && !detail::has_control(l.hostname));
    if (l.mac) check(l.mac->is_device_address());
    check(!l.mac_from_duid || l.mac.has_value());
  }
}

}  // namespace vigil::identity::fuzz
