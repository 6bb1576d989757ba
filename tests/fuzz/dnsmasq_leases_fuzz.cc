// Fuzz target for the dnsmasq lease file parser: the input is a whole lease file.

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
  const LeaseFile f = parse_dnsmasq_leases(text, "fuzz", limits);
  fuzz::check(f.diag.ok());
  fuzz::check(f.leases.size() <= limits.max_leases);
  fuzz::check_leases(f);
  for (const auto& l : f.leases) fuzz::check(l.source == LeaseSource::Dnsmasq && l.active);
  return 0;
}
