#pragma once
// Builders for hand-made test frames: each returns the bytes of one layer
// wrapped around its payload, with lengths and the IPv4 checksum filled in.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace vigil::inspect::test {

using Frame = std::vector<std::uint8_t>;
using V4 = std::array<std::uint8_t, 4>;
using V6 = std::array<std::uint8_t, 16>;

inline void put8(Frame& f, unsigned v) { f.push_back(static_cast<std::uint8_t>(v & 0xff)); }
inline void put16(Frame& f, unsigned v) {
  put8(f, v >> 8);
  put8(f, v);
}
inline void put32(Frame& f, std::uint32_t v) {
  put16(f, v >> 16);
  put16(f, v & 0xffff);
}
inline void append(Frame& f, const Frame& more) { f.insert(f.end(), more.begin(), more.end()); }
template <std::size_t N>
void append(Frame& f, const std::array<std::uint8_t, N>& more) {
  f.insert(f.end(), more.begin(), more.end());
}
inline Frame cat(std::initializer_list<Frame> parts) {
  Frame f;
  for (const auto& p : parts) append(f, p);
  return f;
}
inline Frame bytes(std::size_t n, std::uint8_t fill = 0x5a) { return Frame(n, fill); }

inline V6 v6(std::uint16_t last, std::uint16_t first = 0x2001) {
  V6 a{};
  a[0] = static_cast<std::uint8_t>(first >> 8);
  a[1] = static_cast<std::uint8_t>(first & 0xff);
  a[2] = 0x0d;
  a[3] = 0xb8;
  a[14] = static_cast<std::uint8_t>(last >> 8);
  a[15] = static_cast<std::uint8_t>(last & 0xff);
  return a;
}

inline std::uint16_t ipv4_checksum(const Frame& f, std::size_t off, std::size_t len) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += (f[off + i] << 8) | f[off + i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

struct Ipv4Options {
  std::uint16_t id = 1;
  std::uint16_t flags_offset = 0;  // MF 0x2000, offset in 8-byte units
  Frame options;                   // multiple of 4
  int total_length = -1;           // -1: computed
};

inline Frame ipv4(V4 src, V4 dst, std::uint8_t proto, const Frame& payload,
                  const Ipv4Options& o = {}) {
  Frame f;
  const std::size_t ihl = 20 + o.options.size();
  put8(f, 0x40 | (ihl / 4));
  put8(f, 0);
  put16(f, o.total_length >= 0 ? static_cast<unsigned>(o.total_length)
                               : static_cast<unsigned>(ihl + payload.size()));
  put16(f, o.id);
  put16(f, o.flags_offset);
  put8(f, 64);
  put8(f, proto);
  put16(f, 0);
  append(f, src);
  append(f, dst);
  append(f, o.options);
  const std::uint16_t sum = ipv4_checksum(f, 0, ihl);
  f[10] = static_cast<std::uint8_t>(sum >> 8);
  f[11] = static_cast<std::uint8_t>(sum & 0xff);
  append(f, payload);
  return f;
}

inline Frame ipv6(const V6& src, const V6& dst, std::uint8_t next, const Frame& payload) {
  Frame f;
  put32(f, 0x60000000);
  put16(f, static_cast<unsigned>(payload.size()));
  put8(f, next);
  put8(f, 64);
  append(f, src);
  append(f, dst);
  append(f, payload);
  return f;
}

// Generic IPv6 extension header (hop-by-hop, routing, destination options):
// `body` is padded to a multiple of 8 bytes including the 2-byte start.
inline Frame ipv6_ext(std::uint8_t next, Frame body) {
  while ((body.size() + 2) % 8 != 0) body.push_back(0);
  Frame f;
  put8(f, next);
  put8(f, static_cast<unsigned>((body.size() + 2) / 8 - 1));
  append(f, body);
  return f;
}

inline Frame ipv6_fragment(std::uint8_t next, std::uint16_t offset_bytes, bool more,
                           std::uint32_t id) {
  Frame f;
  put8(f, next);
  put8(f, 0);
  put16(f, offset_bytes | (more ? 1U : 0U));
  put32(f, id);
  return f;
}

inline Frame udp(std::uint16_t sport, std::uint16_t dport, const Frame& payload) {
  Frame f;
  put16(f, sport);
  put16(f, dport);
  put16(f, static_cast<unsigned>(8 + payload.size()));
  put16(f, 0);
  append(f, payload);
  return f;
}

inline Frame tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint32_t ack,
                 std::uint8_t flags, const Frame& payload) {
  Frame f;
  put16(f, sport);
  put16(f, dport);
  put32(f, seq);
  put32(f, ack);
  put8(f, 0x50);
  put8(f, flags);
  put16(f, 65535);
  put16(f, 0);
  put16(f, 0);
  append(f, payload);
  return f;
}

inline Frame eth(std::uint16_t type, const Frame& payload) {
  Frame f = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa};
  put16(f, type);
  append(f, payload);
  return f;
}

inline Frame vlan_tag(std::uint16_t tci, std::uint16_t inner_type) {
  Frame f;
  put16(f, tci);
  put16(f, inner_type);
  return f;
}

inline Frame mpls_label(std::uint32_t label, bool bottom) {
  Frame f;
  put32(f, (label << 12) | (bottom ? 0x100U : 0U) | 64U);
  return f;
}

}  // namespace vigil::inspect::test
