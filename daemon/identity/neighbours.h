#pragma once
// The kernel's neighbour table (ARP for IPv4, NDP for IPv6): which MAC
// holds which address on the LAN right now. Read through rtnetlink
// (an RTM_GETNEIGH dump, which needs no privilege), or from /proc/net/arp
// (IPv4 only) when netlink is not available. Both read the network
// namespace of the calling thread.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "daemon/identity/types.h"

namespace vigil::identity {

// Dumps the table through rtnetlink. Entries in REACHABLE, STALE, DELAY,
// PROBE or PERMANENT state with an IPv4/IPv6 destination and a 6-byte
// link-layer address are kept; INCOMPLETE, FAILED and NOARP ones (no MAC,
// or not a LAN device) are skipped. diag.error is set when the dump fails.
NeighbourTable read_neighbours_netlink(const Limits& limits = {}) noexcept;

// Parses /proc/net/arp text: complete entries (flag ATF_COM) with a
// non-zero Ethernet address.
NeighbourTable parse_proc_net_arp(std::string_view text, std::string path,
                                  const Limits& limits = {}) noexcept;

// Netlink first; /proc/net/arp (at `proc_arp_path`) if netlink fails.
NeighbourTable read_neighbour_table(const Limits& limits = {},
                                    const std::string& proc_arp_path = "/proc/net/arp") noexcept;

// ---------------------------------------------------------------- for tests and fuzzing

// Where a dump stands after a batch of netlink messages.
enum class DumpProgress : std::uint8_t { More, Done, Failed };

// Parses one datagram of an RTM_GETNEIGH dump answer, appending to `out`.
// Messages whose sequence number or port id are not `seq`/`port_id` are
// ignored. Every length is checked against the bytes actually there; a
// message that does not fit fails the dump (diag.error). Sets `interrupted`
// when the kernel flags the dump as inconsistent (NLM_F_DUMP_INTR).
DumpProgress parse_neighbour_dump(std::span<const std::uint8_t> datagram, std::uint32_t seq,
                                  std::uint32_t port_id, NeighbourTable& out, bool& interrupted,
                                  const Limits& limits = {}) noexcept;

}  // namespace vigil::identity
