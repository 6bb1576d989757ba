#pragma once
// A symmetric 5-tuple: both directions of a conversation map to one key.

#include <cstddef>
#include <cstdint>
#include <functional>

#include "inspect/ip_address.h"

namespace vigil::inspect {

struct FlowKey {
  IpAddress lo;  // the smaller (address, port) endpoint
  IpAddress hi;
  std::uint16_t lo_port = 0;
  std::uint16_t hi_port = 0;
  std::uint8_t proto = 0;

  // Builds the key and says whether (src, sport) is the `lo` endpoint.
  static FlowKey make(const IpAddress& src, std::uint16_t sport, const IpAddress& dst,
                      std::uint16_t dport, std::uint8_t proto, bool& src_is_lo) noexcept {
    FlowKey k;
    k.proto = proto;
    src_is_lo = src < dst || (src == dst && sport <= dport);
    if (src_is_lo) {
      k.lo = src, k.lo_port = sport, k.hi = dst, k.hi_port = dport;
    } else {
      k.lo = dst, k.lo_port = dport, k.hi = src, k.hi_port = sport;
    }
    return k;
  }

  bool operator==(const FlowKey&) const = default;

  // Symmetric by construction (the key is ordered), so the same hash spreads
  // packets over workers and indexes each worker's table.
  [[nodiscard]] std::uint64_t hash() const noexcept {
    std::uint64_t h = 0x9e3779b97f4a7c15ull ^ proto;
    auto mix = [&h](std::uint64_t v) {
      h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
      h *= 0xff51afd7ed558ccdull;
      h ^= h >> 33;
    };
    auto word = [](const IpAddress& a, int i) {
      std::uint64_t v = 0;
      for (int j = 0; j < 8; ++j) v = (v << 8) | a.bytes[static_cast<std::size_t>(i * 8 + j)];
      return v;
    };
    mix(word(lo, 0));
    mix(word(lo, 1) ^ (std::uint64_t{lo.v6} << 63));
    mix(word(hi, 0));
    mix(word(hi, 1) ^ (std::uint64_t{hi.v6} << 63));
    mix((std::uint64_t{lo_port} << 16) | hi_port);
    return h;
  }
};

struct FlowKeyHash {
  std::size_t operator()(const FlowKey& k) const noexcept { return k.hash(); }
};

}  // namespace vigil::inspect
