#pragma once
// Parsers for the lease files of the two DHCP servers a training centre's
// router runs: dnsmasq and ISC dhcpd. They read text already in memory
// (the caller bounds its size), never throw, and count every line or block
// they refuse, keeping the first few as "file:line: reason".

#include <string>
#include <string_view>

#include "daemon/identity/types.h"

namespace vigil::identity {

// dnsmasq's lease file (Debian: /var/lib/misc/dnsmasq.leases), one lease a line:
//   IPv4: "expiry mac ip hostname client-id"
//   a "duid <server-duid>" line, then IPv6: "expiry [T]iaid ip hostname client-duid"
// expiry is Unix seconds, 0 for an infinite lease; "*" stands for an
// unknown host name or client id; a non-Ethernet hardware address carries
// a "hh-" type prefix. IPv6 leases take their MAC from a DUID-LLT or
// DUID-LL client id when there is one.
LeaseFile parse_dnsmasq_leases(std::string_view text, std::string path,
                               const Limits& limits = {}) noexcept;

// ISC dhcpd's lease database (Debian: /var/lib/dhcp/dhcpd.leases and
// dhcpd6.leases), an append-only log of blocks:
//   lease 10.0.0.5 { starts 3 2024/01/10 09:00:00; ends ...; binding state active;
//                    hardware ethernet aa:bb:..; uid "..."; client-hostname "x"; }
//   ia-na "<iaid+duid>" { iaaddr 2001:db8::5 { binding state active; ends ...; } }
// A later block for the same address replaces the earlier one. Times are
// UTC ("W YYYY/MM/DD HH:MM:SS", "epoch N", "never"); strings take dhcpd's
// escapes; '#' comments, failover, server-duid, host and other statements
// are skipped. An unterminated block at the end (the server is mid-append)
// is counted as invalid and ignored.
LeaseFile parse_dhcpd_leases(std::string_view text, std::string path,
                             const Limits& limits = {}) noexcept;

}  // namespace vigil::identity
