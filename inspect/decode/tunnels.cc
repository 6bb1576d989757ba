// Encapsulations that carry another packet: GRE (with ERSPAN, TEB, PPTP) and
// the UDP tunnels. tshark is the reference for what counts as a tunnel.

#include "inspect/decode/decoder_impl.h"

namespace vigil::inspect {

namespace {

constexpr std::uint16_t kGreChecksum = 0x8000;
constexpr std::uint16_t kGreRouting = 0x4000;
constexpr std::uint16_t kGreKey = 0x2000;
constexpr std::uint16_t kGreSequence = 0x1000;
constexpr std::uint16_t kGreAck = 0x0080;  // enhanced GRE (version 1) only
constexpr std::uint16_t kGreVersionMask = 0x0007;

constexpr std::size_t kErspan2Header = 8;
constexpr std::size_t kErspan3Header = 12;
constexpr std::size_t kErspan3PlatformHeader = 8;

constexpr std::size_t kVxlanHeader = 8;
constexpr std::size_t kGeneveHeader = 8;
constexpr std::size_t kGtpHeader = 8;
constexpr std::uint8_t kGtpTpdu = 0xff;
constexpr std::size_t kCapwapMinHeader = 8;
constexpr unsigned kCapwapWbidIeee80211 = 1;
constexpr std::size_t kIeee80211Header = 24;

}  // namespace

DecodeStatus Decoder::Impl::gre(Bytes p) noexcept {
  if (p.size() < 4) {
    bump(Counter::TruncatedTunnel);
    return DecodeStatus::Malformed;
  }
  const std::uint16_t flags = load_be16(p.data());
  const std::uint16_t protocol = load_be16(p.data() + 2);
  const unsigned version = flags & kGreVersionMask;
  std::size_t off = 4;

  if (version == 1) {
    // Enhanced GRE (RFC 2637, PPTP): the key holds payload length and call id.
    if (protocol != ethertype::kPpp || !(flags & kGreKey)) return DecodeStatus::NotIp;
    if (p.size() < 8) {
      bump(Counter::TruncatedTunnel);
      return DecodeStatus::Malformed;
    }
    const std::size_t payload_len = load_be16(p.data() + 4);
    off = 8;
    if (flags & kGreSequence) off += 4;
    if (flags & kGreAck) off += 4;
    if (off > p.size()) {
      bump(Counter::TruncatedTunnel);
      return DecodeStatus::Malformed;
    }
    Bytes inner = p.subspan(off);
    if (payload_len < inner.size()) inner = inner.first(payload_len);
    if (inner.empty()) return DecodeStatus::NotIp;  // acknowledgement only
    return ppp(inner, Counter::TruncatedTunnel);
  }
  if (version != 0) return DecodeStatus::NotIp;

  if (flags & (kGreChecksum | kGreRouting)) off += 4;  // checksum and offset
  if (flags & kGreKey) off += 4;
  if (flags & kGreSequence) off += 4;
  if (off > p.size()) {
    bump(Counter::TruncatedTunnel);
    return DecodeStatus::Malformed;
  }
  if (flags & kGreRouting) {
    // RFC 1701 source route entries, up to the null entry.
    for (;;) {
      if (p.size() - off < 4) {
        bump(Counter::TruncatedTunnel);
        return DecodeStatus::Malformed;
      }
      const std::uint16_t family = load_be16(p.data() + off);
      const std::size_t len = p[off + 3];
      if (len > p.size() - off - 4) {
        bump(Counter::TruncatedTunnel);
        return DecodeStatus::Malformed;
      }
      off += 4 + len;
      if (family == 0 && len == 0) break;
    }
  }
  const Bytes inner = p.subspan(off);
  switch (protocol) {
    case ethertype::kIpv4:
      return ipv4(inner);
    case ethertype::kIpv6:
      return ipv6(inner);
    case ethertype::kTransparentEthernet:
      return ethernet(inner);
    case ethertype::kMplsUnicast:
    case ethertype::kMplsMulticast:
      return mpls(inner);
    case ethertype::kPpp:
      return ppp(inner, Counter::TruncatedTunnel);
    case ethertype::kErspan2:
      // Type I has no ERSPAN header and no GRE sequence number; type II has both.
      if (!(flags & kGreSequence)) return ethernet(inner);
      if (inner.size() < kErspan2Header) {
        bump(Counter::TruncatedTunnel);
        return DecodeStatus::Malformed;
      }
      return ethernet(inner.subspan(kErspan2Header));
    case ethertype::kErspan3:
      return erspan3(inner);
    default:
      return DecodeStatus::NotIp;
  }
}

DecodeStatus Decoder::Impl::erspan3(Bytes p) noexcept {
  if (p.size() < kErspan3Header) {
    bump(Counter::TruncatedTunnel);
    return DecodeStatus::Malformed;
  }
  // Last word: SGT(16) P(1) FT(5) HwID(6) D(1) Gra(2) O(1).
  const std::uint16_t word = load_be16(p.data() + 10);
  std::size_t off = kErspan3Header;
  if (word & 0x0001) off += kErspan3PlatformHeader;
  if (off > p.size()) {
    bump(Counter::TruncatedTunnel);
    return DecodeStatus::Malformed;
  }
  const unsigned frame_type = (word >> 10) & 0x1f;
  if (frame_type == 0) return ethernet(p.subspan(off));
  if (frame_type == 2) return ip_by_version(p.subspan(off));
  return DecodeStatus::NotIp;
}

DecodeStatus Decoder::Impl::udp_tunnel(std::uint16_t port, Bytes payload) noexcept {
  // Only a valid inner packet makes this a tunnel; anything else is ordinary
  // UDP on that port. Probe quietly and fall back to the outer datagram.
  const DecodedPacket outer = *out_;
  ++speculative_;
  const DecodeStatus s = tunnel([&] {
    switch (port) {
      case udpport::kVxlan:
        return vxlan(payload);
      case udpport::kVxlanGpe:
        return vxlan_gpe(payload);
      case udpport::kGeneve:
        return geneve(payload);
      case udpport::kGtpU:
        return gtp_u(payload);
      case udpport::kTeredo:
        return teredo(payload);
      case udpport::kCapwapData:
        return capwap_data(payload);
      case udpport::kL2tp:
        return l2tp_v2(payload);
      default:
        return DecodeStatus::NotIp;
    }
  });
  --speculative_;
  if (s == DecodeStatus::Ok || s == DecodeStatus::Fragment) return s;
  if (depth_exceeded_) return DecodeStatus::Malformed;
  *out_ = outer;
  bump(Counter::UdpTunnelNotIp);
  return DecodeStatus::Ok;
}

DecodeStatus Decoder::Impl::vxlan(Bytes p) noexcept {
  if (p.size() < kVxlanHeader) return DecodeStatus::Malformed;
  return ethernet(p.subspan(kVxlanHeader));
}

DecodeStatus Decoder::Impl::vxlan_gpe(Bytes p) noexcept {
  if (p.size() < kVxlanHeader) return DecodeStatus::Malformed;
  const Bytes inner = p.subspan(kVxlanHeader);
  if (!(p[0] & 0x04)) return ethernet(inner);  // no next-protocol field
  switch (p[3]) {
    case 1:
      return ipv4(inner);
    case 2:
      return ipv6(inner);
    case 3:
      return ethernet(inner);
    case 5:
      return mpls(inner);
    default:
      return DecodeStatus::NotIp;
  }
}

DecodeStatus Decoder::Impl::geneve(Bytes p) noexcept {
  if (p.size() < kGeneveHeader) return DecodeStatus::Malformed;
  if ((p[0] >> 6) != 0) return DecodeStatus::NotIp;  // version 0 only
  const std::size_t off = kGeneveHeader + std::size_t{p[0] & 0x3fU} * 4;
  if (off > p.size()) return DecodeStatus::Malformed;
  const Bytes inner = p.subspan(off);
  switch (load_be16(p.data() + 2)) {
    case ethertype::kTransparentEthernet:
      return ethernet(inner);
    case ethertype::kIpv4:
      return ipv4(inner);
    case ethertype::kIpv6:
      return ipv6(inner);
    default:
      return DecodeStatus::NotIp;
  }
}

DecodeStatus Decoder::Impl::gtp_u(Bytes p) noexcept {
  if (p.size() < kGtpHeader) return DecodeStatus::Malformed;
  const std::uint8_t flags = p[0];
  // GTPv1 (version 1, protocol type GTP); only a T-PDU carries a user packet.
  if ((flags >> 5) != 1 || !(flags & 0x10) || p[1] != kGtpTpdu) return DecodeStatus::NotIp;
  Bytes body = p.subspan(kGtpHeader);
  const std::size_t len = load_be16(p.data() + 2);
  if (len < body.size()) body = body.first(len);
  std::size_t off = 0;
  if (flags & 0x07) {  // sequence number, N-PDU number, next extension type
    if (body.size() < 4) return DecodeStatus::Malformed;
    std::uint8_t next = body[3];
    off = 4;
    while (next != 0) {
      if (off >= body.size()) return DecodeStatus::Malformed;
      const std::size_t ext_len = std::size_t{body[off]} * 4;
      if (ext_len == 0 || ext_len > body.size() - off) return DecodeStatus::Malformed;
      next = body[off + ext_len - 1];
      off += ext_len;
    }
  }
  return ip_by_version(body.subspan(off));
}

DecodeStatus Decoder::Impl::teredo(Bytes p) noexcept {
  std::size_t off = 0;
  // Authentication indicator: 0x0001, id length, auth length, id, auth, nonce, confirmation.
  if (p.size() >= 4 && p[0] == 0x00 && p[1] == 0x01) {
    off = 4 + std::size_t{p[2]} + p[3] + 8 + 1;
    if (off > p.size()) return DecodeStatus::Malformed;
  }
  // Origin indication: 0x0000, port, address.
  if (p.size() - off >= 8 && p[off] == 0x00 && p[off + 1] == 0x00) off += 8;
  const Bytes inner = p.subspan(off);
  if (inner.empty() || (inner[0] >> 4) != 6) return DecodeStatus::NotIp;
  return ipv6(inner);
}

DecodeStatus Decoder::Impl::capwap_data(Bytes p) noexcept {
  if (p.size() < kCapwapMinHeader) return DecodeStatus::Malformed;
  if (p[0] != 0) return DecodeStatus::NotIp;  // version 0, type 0 (type 1 is DTLS)
  const std::size_t hlen = static_cast<std::size_t>(p[1] >> 3) * 4;
  const unsigned wbid = (p[2] >> 1) & 0x1f;
  const bool native = (p[2] & 0x01) != 0;
  const bool fragment = (p[3] & 0x80) != 0;
  const bool keepalive = (p[3] & 0x08) != 0;
  if (hlen < kCapwapMinHeader || hlen > p.size()) return DecodeStatus::Malformed;
  // CAPWAP fragments are not reassembled: the outer datagram stays the result.
  if (fragment || keepalive) return DecodeStatus::NotIp;
  const Bytes inner = p.subspan(hlen);
  if (!native) return ethernet(inner);
  // tshark's default (capwap.swap_fc) reads the 802.11 frame control byte-swapped.
  if (wbid == kCapwapWbidIeee80211) return ieee80211(inner, true);
  return DecodeStatus::NotIp;
}

DecodeStatus Decoder::Impl::l2tp_v2(Bytes p) noexcept {
  if (p.size() < 6) return DecodeStatus::Malformed;
  const std::uint16_t flags = load_be16(p.data());
  if ((flags & 0x000f) != 2) return DecodeStatus::NotIp;  // L2TPv2
  if (flags & 0x8000) return DecodeStatus::NotIp;         // control message
  std::size_t off = 2;
  Bytes body = p;
  if (flags & 0x4000) {  // length present
    const std::size_t len = load_be16(p.data() + 2);
    if (len < body.size()) body = body.first(len);
    off += 2;
  }
  off += 4;                      // tunnel id, session id
  if (flags & 0x0800) off += 4;  // Ns, Nr
  if (off > body.size()) return DecodeStatus::Malformed;
  if (flags & 0x0200) {  // offset size and padding
    if (body.size() - off < 2) return DecodeStatus::Malformed;
    const std::size_t pad = load_be16(body.data() + off);
    off += 2;
    if (pad > body.size() - off) return DecodeStatus::Malformed;
    off += pad;
  }
  return ppp(body.subspan(off), Counter::TruncatedTunnel);
}

DecodeStatus Decoder::Impl::ieee80211(Bytes f, bool swapped_frame_control) noexcept {
  if (f.size() < kIeee80211Header) {
    bump(Counter::TruncatedL2);
    return DecodeStatus::Malformed;
  }
  const std::uint8_t fc0 = swapped_frame_control ? f[1] : f[0];
  const std::uint8_t fc1 = swapped_frame_control ? f[0] : f[1];
  const unsigned type = (fc0 >> 2) & 0x3;
  const unsigned subtype = fc0 >> 4;
  // Data frames that carry data (not null/CF-only), unencrypted.
  if (type != 2 || (subtype & 0x4) || (fc1 & 0x40)) return DecodeStatus::NotIp;
  std::size_t hdr = kIeee80211Header;
  if ((fc1 & 0x03) == 0x03) hdr += 6;  // four addresses (WDS)
  std::size_t qos = 0;
  if (subtype & 0x8) {
    qos = hdr;
    hdr += 2;
    if (fc1 & 0x80) hdr += 4;  // HT control
  }
  if (hdr > f.size()) {
    bump(Counter::TruncatedL2);
    return DecodeStatus::Malformed;
  }
  if (qos != 0 && (f[qos] & 0x80)) return DecodeStatus::NotIp;  // A-MSDU: not unpacked
  return llc_snap(f.subspan(hdr));
}

}  // namespace vigil::inspect
