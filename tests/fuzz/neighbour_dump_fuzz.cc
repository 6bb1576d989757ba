// Fuzz target for the neighbour table readers: the input is one rtnetlink
// datagram answering an RTM_GETNEIGH dump, and the same bytes as
// /proc/net/arp text.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "daemon/identity/neighbours.h"
#include "identity_fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::identity;
  Limits limits;
  limits.max_neighbours = 64;
  NeighbourTable t;
  bool interrupted = false;
  // The seeds use sequence 1 and port id 0x1234.
  const auto progress = parse_neighbour_dump(std::span<const std::uint8_t>(data, size), 1, 0x1234,
                                             t, interrupted, limits);
  fuzz::check((progress == DumpProgress::Failed) == !t.diag.ok());
  fuzz::check(t.entries.size() <= limits.max_neighbours);
  for (const auto& n : t.entries) fuzz::check(n.mac.is_device_address());

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const NeighbourTable arp = parse_proc_net_arp(text, "fuzz", limits);
  fuzz::check_diag(arp.diag);
  for (const auto& n : arp.entries) fuzz::check(n.mac.is_device_address() && !n.ip.v6);
  return 0;
}
