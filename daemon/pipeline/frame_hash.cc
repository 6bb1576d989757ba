#include "daemon/pipeline/frame_hash.h"

#include <algorithm>
#include <cstring>

namespace vigil::daemon {
namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86DD;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88A8;
constexpr std::uint16_t kEtherQinQOld = 0x9100;
constexpr std::uint16_t kEtherPppoe = 0x8864;

std::uint16_t be16(const unsigned char* p) noexcept {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

std::uint64_t hash_bytes(const unsigned char* p, std::size_t n) noexcept {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, std::min<std::size_t>(8, n - i));
    h = mix(h ^ w);
  }
  return h;
}

// Hash of an IP header's address pair, order-independent.
std::uint64_t ip_pair(const unsigned char* p, std::size_t n) noexcept {
  if (n < 1) return 0;
  const unsigned version = p[0] >> 4;
  std::size_t off = 0;
  std::size_t len = 0;
  if (version == 4 && n >= 20) {
    off = 12, len = 4;
  } else if (version == 6 && n >= 40) {
    off = 8, len = 16;
  } else {
    return 0;
  }
  const std::uint64_t a = hash_bytes(p + off, len);
  const std::uint64_t b = hash_bytes(p + off + len, len);
  // Sum and xor of the two are both symmetric; mixing them keeps it so.
  return mix((a + b) ^ mix(a ^ b)) | 1;  // never 0: 0 means "no IP found"
}

std::uint64_t after_ethertype(std::uint16_t type, const unsigned char* p, std::size_t n) noexcept {
  for (int tags = 0; tags < 4; ++tags) {
    if (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld) {
      if (n < 4) return 0;
      type = be16(p + 2);
      p += 4, n -= 4;
      continue;
    }
    break;
  }
  if (type == kEtherPppoe) {
    // PPPoE session header (6) then the PPP protocol (2): 0x0021 IPv4, 0x0057 IPv6.
    if (n < 8) return 0;
    const std::uint16_t ppp = be16(p + 6);
    if (ppp != 0x0021 && ppp != 0x0057) return 0;
    return ip_pair(p + 8, n - 8);
  }
  if (type == kEtherIpv4 || type == kEtherIpv6) return ip_pair(p, n);
  return 0;
}

}  // namespace

std::uint64_t frame_flow_hash(std::uint32_t link, inspect::Bytes frame) noexcept {
  const unsigned char* p = frame.data();
  const std::size_t n = frame.size();
  switch (link) {
    case 1:  // Ethernet
      if (n < 14) return 0;
      return after_ethertype(be16(p + 12), p + 14, n - 14);
    case 113:  // Linux SLL: protocol at 14, header 16
      if (n < 16) return 0;
      return after_ethertype(be16(p + 14), p + 16, n - 16);
    case 276:  // Linux SLL2: protocol at 0, header 20
      if (n < 20) return 0;
      return after_ethertype(be16(p), p + 20, n - 20);
    case 101:  // raw IP
    case 12:
    case 14:
    case 228:
    case 229:
      return ip_pair(p, n);
    case 0:  // BSD loopback: 4-byte family, then IP
    case 108:
      if (n < 4) return 0;
      return ip_pair(p + 4, n - 4);
    default:
      return 0;
  }
}

}  // namespace vigil::daemon
