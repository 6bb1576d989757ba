#pragma once
// IPv4 and IPv6 fragment reassembly for one Decoder (one worker thread).
//
// Bounded: at most `max_sets` datagrams in progress and `max_buffered_bytes`
// of fragment data over all of them; the oldest set is evicted to make room
// (defrag.table_full). A set expires `timeout_us` of packet time after its
// first fragment (defrag.timeout). Overlaps are resolved first-wins: bytes
// already held are kept, only the holes are filled (defrag.overlap), the same
// for IPv4 and IPv6, so a later fragment can never rewrite what was inspected.

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>
#include <utility>
#include <vector>

#include "inspect/counters.h"
#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

struct FragmentKey {
  std::array<std::uint8_t, 16> src{};
  std::array<std::uint8_t, 16> dst{};
  std::uint32_t id = 0;
  std::uint8_t proto = 0;  // IPv4 protocol; 0 for IPv6 (keyed on src, dst, id)
  bool v6 = false;

  bool operator==(const FragmentKey&) const = default;
};

// One fragment as read from the wire; the views point into the packet.
struct FragmentPiece {
  FragmentKey key;
  // IPv4: the IP header with options. IPv6: the unfragmentable part (fixed
  // header and the extension headers before the fragment header).
  Bytes header;
  // IPv6: offset in `header` of the next-header byte that names the fragment
  // header, and the fragment header's own next header; both patched into the
  // reassembled datagram.
  std::size_t next_header_offset = 0;
  std::uint8_t next_header = 0;
  std::uint32_t offset = 0;  // in bytes
  Bytes data;
  bool more = false;
};

class FragmentTable {
 public:
  struct Limits {
    std::size_t max_sets = 4096;
    std::size_t max_datagram_bytes = 65535 + 64;
    std::size_t max_buffered_bytes = 16 * 1024 * 1024;
    std::uint64_t timeout_us = 30'000'000;
  };

  enum class Result : std::uint8_t {
    Stored,    // kept; the datagram is not complete yet
    Complete,  // `datagram` holds the whole reassembled IP packet
    Dropped,   // refused (too big, inconsistent) and counted
  };

  FragmentTable(Counters& counters, Limits limits);

  // Adds one fragment received at `now_us`. On Complete the reassembled
  // datagram (header rewritten: IPv4 length, flags, offset and checksum; IPv6
  // payload length and next header) is written to `datagram`, whose capacity
  // is reused.
  Result add(const FragmentPiece& piece, std::uint64_t now_us,
             std::vector<std::uint8_t>& datagram) noexcept;

  // Drops sets older than the timeout; cheap when nothing is due.
  void expire(std::uint64_t now_us) noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return sets_.size(); }
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return buffered_; }

 private:
  struct KeyHash {
    std::uint64_t seed = 0;
    std::size_t operator()(const FragmentKey& k) const noexcept;
  };
  struct Set {
    std::uint64_t created_us = 0;
    std::vector<std::uint8_t> header;  // empty until the offset-0 fragment arrives
    std::size_t next_header_offset = 0;
    std::uint8_t next_header = 0;
    std::vector<std::uint8_t> data;
    // Byte ranges held, sorted, disjoint and not touching.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> have;
    std::uint32_t end = 0;  // datagram payload length, once the last fragment is seen
    bool end_known = false;
    std::list<FragmentKey>::iterator order;
  };
  using Map = std::unordered_map<FragmentKey, Set, KeyHash>;

  bool expired(const Set& s, std::uint64_t now_us) const noexcept;
  void erase(Map::iterator it) noexcept;
  void evict_oldest() noexcept;
  // Copies the parts of [offset, offset+data) not held yet; true if any byte
  // was already held.
  static bool fill(Set& s, std::uint32_t offset, Bytes data) noexcept;
  static void build(const Set& s, bool v6, std::vector<std::uint8_t>& out) noexcept;

  Counters& counters_;
  Limits limits_;
  Map sets_;
  std::list<FragmentKey> order_;  // creation order, oldest first
  std::size_t buffered_ = 0;
};

}  // namespace vigil::inspect
