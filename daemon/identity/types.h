#pragma once
// daemon/identity: the value types every identity source produces. Plain
// values, cheap to copy, no behaviour beyond formatting; the parsers
// (lease_files.h, neighbours.h, people_csv.h) fill them and the Attributor
// (attributor.h) indexes them into an immutable snapshot.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/ip_address.h"

namespace vigil::identity {

using inspect::IpAddress;

// A 48-bit IEEE 802 (Ethernet, Wi-Fi) hardware address.
struct MacAddress {
  std::array<std::uint8_t, 6> bytes{};

  // "aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff" (Cisco) or
  // "aabbccddeeff"; nullopt for anything else.
  static std::optional<MacAddress> parse(std::string_view text) noexcept;

  [[nodiscard]] std::string to_string() const;  // lower case, colons
  // The locally administered bit: set by the per-network "private" or
  // randomised addresses of iOS, Android and Windows, so the address says
  // little about which physical device it is and may change.
  [[nodiscard]] bool locally_administered() const noexcept { return (bytes[0] & 0x02) != 0; }
  [[nodiscard]] bool multicast() const noexcept { return (bytes[0] & 0x01) != 0; }
  [[nodiscard]] bool is_zero() const noexcept {
    return (bytes[0] | bytes[1] | bytes[2] | bytes[3] | bytes[4] | bytes[5]) == 0;
  }
  // A unicast, non-zero address: what a device on the LAN can have.
  [[nodiscard]] bool is_device_address() const noexcept { return !multicast() && !is_zero(); }
  [[nodiscard]] std::uint64_t key() const noexcept {
    std::uint64_t k = 0;
    for (const auto b : bytes) k = (k << 8) | b;
    return k;
  }

  auto operator<=>(const MacAddress&) const = default;
  bool operator==(const MacAddress&) const = default;
};

// What one parse of one source found, and what it refused. Bad lines are
// counted; the first few are kept as "file:line: reason" for the operator.
struct ParseDiagnostics {
  std::string path;
  std::uint64_t accepted = 0;   // entries produced
  std::uint64_t invalid = 0;    // lines or blocks refused
  std::uint64_t skipped = 0;    // blank lines, comments, statements of no interest
  std::uint64_t sanitised = 0;  // host names with invalid UTF-8 or control bytes replaced
  std::uint64_t truncated = 0;  // entries dropped because a limit was reached
  std::vector<std::string> first_invalid;  // at most kMaxReported, "file:line: reason"
  static constexpr std::size_t kMaxReported = 10;
  // The source as a whole could not be used (unreadable, too large, a
  // people file with errors): "file: reason" or the first "file:line: reason".
  std::string error;

  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

// Bounds that keep a hostile or corrupt file from costing unbounded memory.
struct Limits {
  std::size_t max_lease_file_bytes = 64u << 20;
  std::size_t max_people_file_bytes = 16u << 20;
  std::size_t max_leases = 1'000'000;  // per file
  std::size_t max_neighbours = 1'000'000;
  std::size_t max_people = 200'000;
  // A file modified this recently before it was read is read again at the
  // next refresh even when its signature (size, times, inode) is unchanged:
  // file times are only as fine as the kernel's clock tick, so a rewrite
  // in the same tick would otherwise go unseen (git's "racily clean").
  std::int64_t racy_window_ms = 2000;
};

// ------------------------------------------------------------- leases

enum class LeaseSource : std::uint8_t { Dnsmasq, Dhcpd };
std::string_view lease_source_name(LeaseSource s) noexcept;  // "dnsmasq", "dhcpd"

inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

// One DHCP lease (v4, or a v6 address of an IA_NA/IA_TA).
struct Lease {
  IpAddress ip;
  std::optional<MacAddress> mac;  // nullopt: not Ethernet, or not known (most v6 leases)
  // The MAC was read from the link-layer address inside a DHCPv6 DUID
  // (DUID-LLT/DUID-LL), which names some interface of the client, not
  // necessarily the one holding this address.
  bool mac_from_duid = false;
  std::string hostname;       // as the client sent it, sanitised to valid UTF-8; "" when unknown
  std::string client_id;      // hex "01:aa:bb:..", "" when unknown (v6: the DUID)
  std::int64_t starts_s = 0;  // Unix seconds; 0 when the file does not say
  std::int64_t expires_s = kNever;  // Unix seconds; kNever for an infinite lease
  bool active = true;               // dhcpd "binding state active" (dnsmasq: always)
  LeaseSource source = LeaseSource::Dnsmasq;
  std::uint32_t line = 0;  // where it starts in its file

  // Whether the lease holds at `now_s`.
  [[nodiscard]] bool current(std::int64_t now_s) const noexcept {
    return active && (expires_s == kNever || now_s < expires_s);
  }
  bool operator==(const Lease&) const = default;
};

struct LeaseFile {
  std::vector<Lease> leases;  // one per address; a later block for the same address wins
  ParseDiagnostics diag;
};

// ------------------------------------------------------------- neighbours

// Only the states that say the kernel knows the address's MAC.
enum class NeighbourState : std::uint8_t { Reachable, Stale, Delay, Probe, Permanent };
std::string_view neighbour_state_name(NeighbourState s) noexcept;

struct Neighbour {
  IpAddress ip;
  MacAddress mac;
  NeighbourState state = NeighbourState::Reachable;
  int ifindex = 0;  // 0 when unknown (/proc/net/arp names the device instead)

  auto operator<=>(const Neighbour&) const = default;
  bool operator==(const Neighbour&) const = default;
};

struct NeighbourTable {
  std::vector<Neighbour> entries;
  ParseDiagnostics diag;
  std::string method;  // "netlink" or the /proc file it came from
};

// ------------------------------------------------------------- people

struct Person {
  std::string reference;  // the provider's learner or staff reference, unique
  std::string name;
  std::string cohort;
  std::string group;             // policy group; "" = the policy's default group
  std::optional<bool> under_18;  // nullopt when the file does not say
  bool operator==(const Person&) const = default;
};

struct DeviceOwner {
  MacAddress mac;
  std::string reference;  // a Person's
  bool operator==(const DeviceOwner&) const = default;
};

struct PeopleImport {
  std::vector<Person> people;
  std::vector<DeviceOwner> devices;
  // An import with any invalid row is refused whole (diag.error set): a
  // half-imported class list would silently leave learners unattributed.
  ParseDiagnostics diag;
};

}  // namespace vigil::identity
