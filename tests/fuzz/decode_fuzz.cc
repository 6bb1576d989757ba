// Fuzz target for inspect/decode. Input layout:
//   byte 0: bits 0-4 pick the link type (index into kLinks, modulo its size);
//           bit 7 set: the rest is several frames, each preceded by a 2-byte
//           big-endian length (the last one may be short), decoded in order on
//           one Decoder one second apart, so fragment reassembly, eviction and
//           timeouts are exercised across calls.
//   otherwise the rest is one frame.
// Seeds in corpus/decode/ are frames cut from the shared corpus.

#include <array>
#include <cstddef>
#include <cstdint>

#include "inspect/decode/decoder.h"

namespace {

using vigil::inspect::Bytes;
using vigil::inspect::DecodedPacket;
using vigil::inspect::DecodeStatus;
using vigil::inspect::LinkType;

constexpr std::array kLinks = {
    LinkType::Ethernet, LinkType::Raw,       LinkType::Ipv4,        LinkType::Ipv6,
    LinkType::Null,     LinkType::Loop,      LinkType::Ppp,         LinkType::PppSerial,
    LinkType::PppEther, LinkType::CiscoHdlc, LinkType::LinuxSll,    LinkType::LinuxSll2,
    LinkType::Nflog,    LinkType::Pktap,     LinkType::PktapDarwin, LinkType::Ieee80211,
    LinkType::Radiotap, LinkType::RawDlt12,  LinkType::RawDlt14,
};

bool within(Bytes inner, Bytes outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

void decode_one(vigil::inspect::Decoder& decoder, LinkType link, Bytes frame, std::uint64_t ts) {
  DecodedPacket out;
  const DecodeStatus s = decoder.decode(link, frame, ts, out);
  if (s != DecodeStatus::Ok) return;
  // The views must be readable (ASan checks) and nested as documented.
  unsigned sum = 0;
  for (std::uint8_t b : out.l3) sum += b;
  for (std::uint8_t b : out.payload) sum += b;
  static_cast<void>(sum);
  if (out.l3.empty() || !within(out.payload, out.l3)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const LinkType link = kLinks[(data[0] & 0x1f) % kLinks.size()];
  const bool several = (data[0] & 0x80) != 0;
  vigil::inspect::Counters counters;
  vigil::inspect::Decoder::Limits limits;
  // Small limits so eviction and timeouts happen within one input.
  limits.max_fragment_sets = 8;
  limits.max_fragment_bytes = 64 * 1024;
  limits.fragment_timeout_us = 5'000'000;
  limits.max_tunnel_depth = 3;
  vigil::inspect::Decoder decoder(counters, limits);

  const Bytes rest(data + 1, size - 1);
  if (!several) {
    decode_one(decoder, link, rest, 0);
    return 0;
  }
  std::size_t off = 0;
  std::uint64_t ts = 0;
  while (rest.size() - off >= 2) {
    std::size_t len = (std::size_t{rest[off]} << 8) | rest[off + 1];
    off += 2;
    if (len > rest.size() - off) len = rest.size() - off;
    decode_one(decoder, link, rest.subspan(off, len), ts);
    off += len;
    ts += 1'000'000;
  }
  return 0;
}
