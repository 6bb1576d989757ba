// Fuzz target for the ISC dhcpd lease database parser: the input is a whole
// dhcpd.leases (or dhcpd6.leases) file.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/identity/lease_files.h"
#include "identity_fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::identity;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_leases = 64;
  const LeaseFile f = parse_dhcpd_leases(text, "fuzz", limits);
  fuzz::check(f.diag.ok());
  fuzz::check(f.leases.size() <= limits.max_leases);
  fuzz::check_leases(f);
  for (const auto& l : f.leases) fuzz::check(l.source == LeaseSource::Dhcpd);
  return 0;
}
