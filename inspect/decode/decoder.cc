#include "inspect/decode/decoder.h"

#include "inspect/decode/decoder_impl.h"

namespace vigil::inspect {

namespace {

constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kVlanTag = 4;
constexpr std::size_t kLlcSnapHeader = 8;
constexpr std::size_t kSllHeader = 16;
constexpr std::size_t kSll2Header = 20;
constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kTcpMinHeader = 20;
constexpr std::uint16_t kMaxIeee8023Length = 1500;

// Linux ARPHRD_ and SLL protocol values (see pcap-linktype(7), linux/if_arp.h).
constexpr std::uint16_t kArphrdNetlink = 824;
constexpr std::uint16_t kSllProtocolLlc = 0x0004;
constexpr std::uint16_t kSllProtocolPppHdlc = 0x0007;

// BSD address families as DLT_NULL/DLT_LOOP write them.
constexpr std::uint32_t kAfInet = 2;
constexpr std::uint32_t kAfInet6Bsd = 24;
constexpr std::uint32_t kAfInet6FreeBsd = 28;
constexpr std::uint32_t kAfInet6Darwin = 30;

constexpr std::uint8_t kNflogFamilyInet = 2;
constexpr std::uint8_t kNflogFamilyInet6 = 10;
constexpr std::uint16_t kNflogTlvPayload = 9;

constexpr std::uint16_t kPppIpv4 = 0x0021;
constexpr std::uint16_t kPppIpv6 = 0x0057;
constexpr std::uint16_t kPppMplsUnicast = 0x0281;
constexpr std::uint16_t kPppMplsMulticast = 0x0283;

std::uint16_t load_le16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t load_le32(const std::uint8_t* p) noexcept {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
std::uint32_t byte_swap32(std::uint32_t v) noexcept {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24);
}

bool is_vlan(std::uint16_t type) noexcept {
  return type == ethertype::kVlan || type == ethertype::kQinQ || type == ethertype::kQinQOld ||
         type == ethertype::kQinQOld2;
}

// An inner IP header replaces whatever transport an outer layer described.
void set_ip(DecodedPacket& out, const IpAddress& src, const IpAddress& dst, Bytes l3,
            std::uint8_t proto) noexcept {
  out.src = src;
  out.dst = dst;
  out.l3 = l3;
  out.ip_proto = proto;
  out.l4 = L4Proto::Other;
  out.src_port = 0;
  out.dst_port = 0;
  out.tcp_seq = 0;
  out.tcp_ack = 0;
  out.tcp_flags = 0;
  out.payload = {};
}

}  // namespace

Decoder::Impl::Impl(Counters& counters, Limits limits)
    : counters_(counters),
      limits_(limits),
      fragments_(counters,
                 FragmentTable::Limits{limits.max_fragment_sets, limits.max_datagram_bytes,
                                       limits.max_fragment_bytes, limits.fragment_timeout_us}) {}

DecodeStatus Decoder::Impl::run(LinkType link, Bytes frame, std::uint64_t ts_us,
                                DecodedPacket& out) noexcept {
  out = DecodedPacket{};
  out_ = &out;
  now_us_ = ts_us;
  slots_used_ = 0;
  depth_ = 0;
  speculative_ = 0;
  depth_exceeded_ = false;
  if (fragments_.size() != 0) fragments_.expire(ts_us);

  if (!Decoder::supports(static_cast<std::uint32_t>(link))) {
    counters_.bump(Counter::UnsupportedLinktype);
    return DecodeStatus::NotIp;
  }
  const DecodeStatus s = link_layer(link, frame, false);
  if (s == DecodeStatus::NotIp) {
    counters_.bump(Counter::NonIp);
  } else if (s == DecodeStatus::Ok) {
    if (out.l4 == L4Proto::Other) counters_.bump(Counter::OtherL4);
    if (out.truncated) counters_.bump(Counter::TruncatedCapture);
  }
  return s;
}

DecodeStatus Decoder::Impl::link_layer(LinkType link, Bytes f, bool nested) noexcept {
  switch (link) {
    case LinkType::Ethernet:
      return ethernet(f);
    case LinkType::Raw:
    case LinkType::RawDlt12:
    case LinkType::RawDlt14:
      return ip_by_version(f);
    case LinkType::Ipv4:
      return ipv4(f);
    case LinkType::Ipv6:
      return ipv6(f);
    case LinkType::Null:
    case LinkType::Loop: {
      if (f.size() < 4) break;
      std::uint32_t af = link == LinkType::Null ? load_le32(f.data()) : load_be32(f.data());
      // DLT_NULL is in the capturing host's order, which the file does not say.
      if (af & 0xffff0000U) af = byte_swap32(af);
      return address_family(af, f.subspan(4));
    }
    case LinkType::Ppp:
      return ppp(f, Counter::TruncatedL2);
    case LinkType::PppSerial:
      if (!f.empty() && (f[0] == 0x0f || f[0] == 0x8f)) return cisco_hdlc(f);
      return ppp(f, Counter::TruncatedL2);
    case LinkType::PppEther:
      return pppoe_session(f);
    case LinkType::CiscoHdlc:
      return cisco_hdlc(f);
    case LinkType::LinuxSll:
    case LinkType::LinuxSll2: {
      const bool v2 = link == LinkType::LinuxSll2;
      if (f.size() < (v2 ? kSll2Header : kSllHeader)) break;
      const std::uint16_t arphrd = load_be16(f.data() + (v2 ? 8 : 2));
      const std::uint16_t protocol = load_be16(f.data() + (v2 ? 0 : 14));
      const Bytes payload = f.subspan(v2 ? kSll2Header : kSllHeader);
      if (arphrd == kArphrdNetlink) return DecodeStatus::NotIp;
      if (protocol == kSllProtocolLlc) return llc_snap(payload);
      if (protocol == kSllProtocolPppHdlc) return ppp(payload, Counter::TruncatedL2);
      return ethertype(protocol, payload);
    }
    case LinkType::Nflog:
      return nflog(f);
    case LinkType::Pktap:
    case LinkType::PktapDarwin: {
      if (f.size() < 8) break;
      const std::uint32_t header_len = load_le32(f.data());
      const std::uint32_t next = load_le32(f.data() + 4);
      if (header_len < 8 || header_len > f.size()) break;
      if (nested || next == static_cast<std::uint32_t>(LinkType::Pktap) ||
          next == static_cast<std::uint32_t>(LinkType::PktapDarwin) || !Decoder::supports(next)) {
        counters_.bump(Counter::UnsupportedLinktype);
        return DecodeStatus::NotIp;
      }
      return link_layer(static_cast<LinkType>(next), f.subspan(header_len), true);
    }
    case LinkType::Ieee80211:
      return ieee80211(f, false);
    case LinkType::Radiotap: {
      if (f.size() < 8) break;
      const std::size_t len = load_le16(f.data() + 2);
      if (len < 8 || len > f.size()) break;
      // A trailing FCS, if the radio header announces one, is cut off by the IP length.
      return ieee80211(f.subspan(len), false);
    }
  }
  bump(Counter::TruncatedL2);
  return DecodeStatus::Malformed;
}

DecodeStatus Decoder::Impl::ethernet(Bytes f) noexcept {
  if (f.size() < kEthernetHeader) {
    bump(Counter::TruncatedL2);
    return DecodeStatus::Malformed;
  }
  const std::uint16_t type = load_be16(f.data() + 12);
  const Bytes payload = f.subspan(kEthernetHeader);
  if (type <= kMaxIeee8023Length) return llc_snap(payload);
  return ethertype(type, payload);
}

DecodeStatus Decoder::Impl::ethertype(std::uint16_t type, Bytes p) noexcept {
  while (is_vlan(type)) {
    if (p.size() < kVlanTag) {
      bump(Counter::TruncatedVlan);
      return DecodeStatus::Malformed;
    }
    if (out_->vlan_id == 0) out_->vlan_id = load_be16(p.data()) & 0x0fff;
    type = load_be16(p.data() + 2);
    p = p.subspan(kVlanTag);
  }
  switch (type) {
    case ethertype::kIpv4:
      return ipv4(p);
    case ethertype::kIpv6:
      return ipv6(p);
    case ethertype::kPppoeSession:
      return pppoe_session(p);
    case ethertype::kMplsUnicast:
    case ethertype::kMplsMulticast:
      return mpls(p);
    default:
      return DecodeStatus::NotIp;
  }
}

DecodeStatus Decoder::Impl::llc_snap(Bytes p) noexcept {
  // RFC 1042 SNAP (OUI 0) or 802.1H bridge tunnel (OUI 00-00-f8) carry an EtherType.
  if (p.size() < kLlcSnapHeader || p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03 || p[3] != 0 ||
      p[4] != 0 || (p[5] != 0 && p[5] != 0xf8)) {
    return DecodeStatus::NotIp;
  }
  const std::uint16_t type = load_be16(p.data() + 6);
  if (type <= kMaxIeee8023Length) return DecodeStatus::NotIp;
  return ethertype(type, p.subspan(kLlcSnapHeader));
}

DecodeStatus Decoder::Impl::address_family(std::uint32_t af, Bytes p) noexcept {
  switch (af) {
    case kAfInet:
      return ipv4(p);
    case kAfInet6Bsd:
    case kAfInet6FreeBsd:
    case kAfInet6Darwin:
      return ipv6(p);
    default:
      return DecodeStatus::NotIp;
  }
}

DecodeStatus Decoder::Impl::cisco_hdlc(Bytes f) noexcept {
  if (f.size() < 4) {
    bump(Counter::TruncatedL2);
    return DecodeStatus::Malformed;
  }
  return ethertype(load_be16(f.data() + 2), f.subspan(4));
}

DecodeStatus Decoder::Impl::ppp(Bytes p, Counter truncated) noexcept {
  // HDLC-like framing (RFC 1662) adds address 0xff and control 0x03.
  if (p.size() >= 2 && p[0] == 0xff && p[1] == 0x03) p = p.subspan(2);
  if (p.empty()) {
    bump(truncated);
    return DecodeStatus::Malformed;
  }
  // Protocol-field compression: an odd first byte is the whole protocol.
  if (p[0] & 0x01) return ppp_protocol(p[0], p.subspan(1));
  if (p.size() < 2) {
    bump(truncated);
    return DecodeStatus::Malformed;
  }
  return ppp_protocol(load_be16(p.data()), p.subspan(2));
}

DecodeStatus Decoder::Impl::ppp_protocol(std::uint16_t protocol, Bytes p) noexcept {
  switch (protocol) {
    case kPppIpv4:
      return ipv4(p);
    case kPppIpv6:
      return ipv6(p);
    case kPppMplsUnicast:
    case kPppMplsMulticast:
      return mpls(p);
    default:
      return DecodeStatus::NotIp;
  }
}

DecodeStatus Decoder::Impl::pppoe_session(Bytes p) noexcept {
  if (p.size() < 6) {
    bump(Counter::TruncatedPppoe);
    return DecodeStatus::Malformed;
  }
  if (p[0] != 0x11 || p[1] != 0x00) return DecodeStatus::NotIp;  // version 1, type 1, session data
  Bytes body = p.subspan(6);
  const std::size_t len = load_be16(p.data() + 4);
  if (len < body.size()) body = body.first(len);  // Ethernet padding
  // RFC 2516 forbids protocol-field compression, but it is seen in the wild.
  return ppp(body, Counter::TruncatedPppoe);
}

DecodeStatus Decoder::Impl::mpls(Bytes p) noexcept {
  std::size_t off = 0;
  for (;;) {
    if (p.size() - off < 4) {
      bump(Counter::TruncatedMpls);
      return DecodeStatus::Malformed;
    }
    const std::uint32_t entry = load_be32(p.data() + off);
    off += 4;
    if (entry & 0x100) break;  // bottom of stack
  }
  const Bytes inner = p.subspan(off);
  if (inner.empty()) {
    bump(Counter::TruncatedMpls);
    return DecodeStatus::Malformed;
  }
  // MPLS does not say what it carries; guess from the first nibble as tshark does.
  switch (inner[0] >> 4) {
    case 4:
      return ipv4(inner);
    case 6:
      return ipv6(inner);
    case 0:
      // Pseudo-wire control word, then an Ethernet frame (RFC 4448).
      if (inner.size() < 4) {
        bump(Counter::TruncatedMpls);
        return DecodeStatus::Malformed;
      }
      return tunnel([&] { return ethernet(inner.subspan(4)); });
    default:
      return DecodeStatus::NotIp;
  }
}

DecodeStatus Decoder::Impl::nflog(Bytes f) noexcept {
  if (f.size() < 4) {
    bump(Counter::TruncatedL2);
    return DecodeStatus::Malformed;
  }
  const std::uint8_t family = f[0];
  // TLV lengths and types are in the capturing host's order: little-endian
  // nearly always; fall back to big-endian when that cannot be right.
  bool big_endian = false;
  std::size_t off = 4;
  bool first = true;
  while (f.size() - off >= 4) {
    std::size_t len = big_endian ? load_be16(f.data() + off) : load_le16(f.data() + off);
    if (first && (len < 4 || len > f.size() - off)) {
      big_endian = true;
      len = load_be16(f.data() + off);
    }
    first = false;
    if (len < 4 || len > f.size() - off) {
      bump(Counter::TruncatedL2);
      return DecodeStatus::Malformed;
    }
    const std::uint16_t type =
        big_endian ? load_be16(f.data() + off + 2) : load_le16(f.data() + off + 2);
    if ((type & 0x7fff) == kNflogTlvPayload) {
      const Bytes payload = f.subspan(off + 4, len - 4);
      if (family == kNflogFamilyInet) return ipv4(payload);
      if (family == kNflogFamilyInet6) return ipv6(payload);
      return ip_by_version(payload);
    }
    const std::size_t padded = (len + 3) & ~std::size_t{3};
    if (padded >= f.size() - off) break;
    off += padded;
  }
  return DecodeStatus::NotIp;
}

DecodeStatus Decoder::Impl::ip_by_version(Bytes p) noexcept {
  if (p.empty()) {
    bump(Counter::TruncatedIpv4);
    return DecodeStatus::Malformed;
  }
  switch (p[0] >> 4) {
    case 4:
      return ipv4(p);
    case 6:
      return ipv6(p);
    default:
      return DecodeStatus::NotIp;
  }
}

DecodeStatus Decoder::Impl::ipv4(Bytes p) noexcept {
  if (p.size() < kIpv4MinHeader) {
    bump(Counter::TruncatedIpv4);
    return DecodeStatus::Malformed;
  }
  const std::uint8_t* h = p.data();
  const std::size_t ihl = std::size_t{h[0] & 0x0fU} * 4;
  if ((h[0] >> 4) != 4 || ihl < kIpv4MinHeader) {
    bump(Counter::BadIpv4Header);
    return DecodeStatus::Malformed;
  }
  if (ihl > p.size()) {
    bump(Counter::TruncatedIpv4);
    return DecodeStatus::Malformed;
  }
  std::size_t total = load_be16(h + 2);
  // Captured on the sending host before TCP segmentation offload filled it in.
  if (total == 0 && depth_ == 0) total = p.size();
  if (total < ihl) {
    bump(Counter::BadIpv4Header);
    return DecodeStatus::Malformed;
  }
  bool truncated = false;
  if (total > p.size()) {
    // Only the snap length may cut a packet short: inside a complete outer
    // packet, or while probing a UDP port for a tunnel, it is malformed.
    if (speculative_ != 0 || (depth_ != 0 && !out_->truncated)) {
      bump(Counter::TruncatedIpv4);
      return DecodeStatus::Malformed;
    }
    truncated = true;
    total = p.size();
  }
  const Bytes packet = p.first(total);
  const std::uint8_t proto = h[9];
  set_ip(*out_, IpAddress::from_v4(h + 12), IpAddress::from_v4(h + 16), packet, proto);

  const std::uint16_t frag = load_be16(h + 6);
  if (frag & 0x3fff) {  // MF or an offset: a fragment
    bump(Counter::Ipv4Fragments);
    if (truncated) {
      bump(Counter::TruncatedIpv4);
      return DecodeStatus::Malformed;
    }
    FragmentPiece piece;
    for (int i = 0; i < 4; ++i) {
      piece.key.src[i] = h[12 + i];
      piece.key.dst[i] = h[16 + i];
    }
    piece.key.id = load_be16(h + 4);
    piece.key.proto = proto;
    piece.header = packet.first(ihl);
    piece.offset = static_cast<std::uint32_t>(frag & 0x1fff) * 8;
    piece.data = packet.subspan(ihl);
    piece.more = (frag & 0x2000) != 0;
    return reassembled(piece);
  }
  if (truncated) out_->truncated = true;
  return ip_payload(proto, packet.subspan(ihl));
}

DecodeStatus Decoder::Impl::ipv6(Bytes p) noexcept {
  if (p.size() < kIpv6Header) {
    bump(Counter::TruncatedIpv6);
    return DecodeStatus::Malformed;
  }
  const std::uint8_t* h = p.data();
  if ((h[0] >> 4) != 6) {
    bump(Counter::BadIpv6Header);
    return DecodeStatus::Malformed;
  }
  std::size_t total = kIpv6Header + load_be16(h + 4);
  // Payload length 0 before a hop-by-hop header: a jumbogram (RFC 2675).
  if (total == kIpv6Header && h[6] == ipproto::kHopByHop) total = p.size();
  bool truncated = false;
  if (total > p.size()) {
    if (speculative_ != 0 || (depth_ != 0 && !out_->truncated)) {
      bump(Counter::TruncatedIpv6);
      return DecodeStatus::Malformed;
    }
    truncated = true;
    total = p.size();
  }
  const Bytes packet = p.first(total);
  std::uint8_t next = h[6];
  set_ip(*out_, IpAddress::from_v6(h + 8), IpAddress::from_v6(h + 24), packet, next);

  std::size_t off = kIpv6Header;
  std::size_t next_offset = 6;  // where the byte naming the current header sits
  for (;;) {
    std::size_t len = 0;
    switch (next) {
      case ipproto::kHopByHop:
      case ipproto::kRouting:
      case ipproto::kDestOptions:
      case ipproto::kHip:
      case ipproto::kShim6:
      case ipproto::kAh:
        if (packet.size() - off < 8) {
          bump(Counter::BadIpv6ExtHeader);
          return DecodeStatus::Malformed;
        }
        len = next == ipproto::kAh ? (std::size_t{packet[off + 1]} + 2) * 4
                                   : (std::size_t{packet[off + 1]} + 1) * 8;
        if (len > packet.size() - off) {
          bump(Counter::BadIpv6ExtHeader);
          return DecodeStatus::Malformed;
        }
        break;
      case ipproto::kFragment: {
        if (packet.size() - off < 8) {
          bump(Counter::BadIpv6ExtHeader);
          return DecodeStatus::Malformed;
        }
        const std::uint16_t offset_flags = load_be16(packet.data() + off + 2);
        if ((offset_flags & 0xfff9) == 0) {
          // Atomic fragment (RFC 6946): offset 0, no more; nothing to reassemble.
          bump(Counter::AtomicFragments);
          len = 8;
          break;
        }
        bump(Counter::Ipv6Fragments);
        if (truncated) {
          bump(Counter::TruncatedIpv6);
          return DecodeStatus::Malformed;
        }
        FragmentPiece piece;
        for (int i = 0; i < 16; ++i) {
          piece.key.src[i] = h[8 + i];
          piece.key.dst[i] = h[24 + i];
        }
        piece.key.v6 = true;
        piece.key.id = load_be32(packet.data() + off + 4);
        piece.header = packet.first(off);
        piece.next_header_offset = next_offset;
        piece.next_header = packet[off];
        piece.offset = offset_flags & 0xfff8;
        piece.data = packet.subspan(off + 8);
        piece.more = (offset_flags & 0x0001) != 0;
        out_->ip_proto = ipproto::kFragment;
        return reassembled(piece);
      }
      default:
        if (truncated) out_->truncated = true;
        return ip_payload(next, packet.subspan(off));
    }
    next_offset = off;
    next = packet[off];
    off += len;
  }
}

DecodeStatus Decoder::Impl::reassembled(const FragmentPiece& piece) noexcept {
  if (slots_used_ >= kReassemblySlots) {
    counters_.bump(Counter::FragmentInvalid);
    return DecodeStatus::Malformed;
  }
  std::vector<std::uint8_t>& datagram = reassembled_[slots_used_];
  switch (fragments_.add(piece, now_us_, datagram)) {
    case FragmentTable::Result::Stored:
      return DecodeStatus::Fragment;
    case FragmentTable::Result::Dropped:
      return DecodeStatus::Malformed;
    case FragmentTable::Result::Complete:
      break;
  }
  ++slots_used_;
  const Bytes whole(datagram.data(), datagram.size());
  return piece.key.v6 ? ipv6(whole) : ipv4(whole);
}

DecodeStatus Decoder::Impl::ip_payload(std::uint8_t proto, Bytes p) noexcept {
  // AH over IPv4 authenticates but does not hide the transport.
  while (proto == ipproto::kAh) {
    if (p.size() < 8 || (std::size_t{p[1]} + 2) * 4 > p.size()) {
      bump(Counter::TruncatedIpv4);
      return DecodeStatus::Malformed;
    }
    const std::size_t len = (std::size_t{p[1]} + 2) * 4;
    proto = p[0];
    p = p.subspan(len);
  }
  out_->ip_proto = proto;
  out_->payload = p;
  switch (proto) {
    case ipproto::kTcp:
      return tcp(p);
    case ipproto::kUdp:
      return udp(p);
    case ipproto::kIpip:
      return ip_tunnel([&] { return ipv4(p); });
    case ipproto::kIpv6:
      return ip_tunnel([&] { return ipv6(p); });
    case ipproto::kGre:
      return ip_tunnel([&] { return gre(p); });
    case ipproto::kEtherIp:
      return ip_tunnel([&] {
        if (p.size() < 2) {
          bump(Counter::TruncatedTunnel);
          return DecodeStatus::Malformed;
        }
        if ((p[0] >> 4) != 3) return DecodeStatus::NotIp;  // EtherIP version 3
        return ethernet(p.subspan(2));
      });
    case ipproto::kMplsInIp:
      return ip_tunnel([&] { return mpls(p); });
    case ipproto::kEthernet:
      return ip_tunnel([&] { return ethernet(p); });
    default:
      return DecodeStatus::Ok;
  }
}

DecodeStatus Decoder::Impl::udp(Bytes p) noexcept {
  if (p.size() < kUdpHeader) {
    bump(Counter::TruncatedUdp);
    return DecodeStatus::Malformed;
  }
  const std::uint16_t sport = load_be16(p.data());
  const std::uint16_t dport = load_be16(p.data() + 2);
  const std::size_t len = load_be16(p.data() + 4);
  Bytes payload = p.subspan(kUdpHeader);
  if (len >= kUdpHeader && len <= p.size()) {
    payload = payload.first(len - kUdpHeader);
  } else if (len == 0 && out_->src.v6) {
    // Jumbogram (RFC 2675): the IP length bounds the datagram.
  } else if (len < kUdpHeader || !out_->truncated) {
    bump(Counter::BadUdpHeader);
    return DecodeStatus::Malformed;
  }
  out_->l4 = L4Proto::Udp;
  out_->src_port = sport;
  out_->dst_port = dport;
  out_->payload = payload;
  if (udpport::is_tunnel(dport)) return udp_tunnel(dport, payload);
  if (udpport::is_tunnel(sport)) return udp_tunnel(sport, payload);
  return DecodeStatus::Ok;
}

DecodeStatus Decoder::Impl::tcp(Bytes p) noexcept {
  if (p.size() < kTcpMinHeader) {
    bump(Counter::TruncatedTcp);
    return DecodeStatus::Malformed;
  }
  const std::size_t data_offset = static_cast<std::size_t>(p[12] >> 4) * 4;
  if (data_offset < kTcpMinHeader) {
    bump(Counter::BadTcpHeader);
    return DecodeStatus::Malformed;
  }
  if (data_offset > p.size()) {
    bump(Counter::TruncatedTcp);
    return DecodeStatus::Malformed;
  }
  out_->l4 = L4Proto::Tcp;
  out_->src_port = load_be16(p.data());
  out_->dst_port = load_be16(p.data() + 2);
  out_->tcp_seq = load_be32(p.data() + 4);
  out_->tcp_ack = load_be32(p.data() + 8);
  out_->tcp_flags = p[13];
  out_->payload = p.subspan(data_offset);
  return DecodeStatus::Ok;
}

Decoder::Decoder(Counters& counters, Limits limits)
    : impl_(std::make_unique<Impl>(counters, limits)) {}

Decoder::Decoder(Counters& counters) : Decoder(counters, Limits{}) {}

Decoder::~Decoder() = default;

DecodeStatus Decoder::decode(LinkType link, Bytes frame, std::uint64_t ts_us,
                             DecodedPacket& out) noexcept {
  return impl_->run(link, frame, ts_us, out);
}

bool Decoder::supports(std::uint32_t dlt) noexcept {
  switch (static_cast<LinkType>(dlt)) {
    case LinkType::Null:
    case LinkType::Ethernet:
    case LinkType::Ppp:
    case LinkType::PppSerial:
    case LinkType::PppEther:
    case LinkType::Raw:
    case LinkType::RawDlt12:
    case LinkType::RawDlt14:
    case LinkType::CiscoHdlc:
    case LinkType::Ieee80211:
    case LinkType::Loop:
    case LinkType::LinuxSll:
    case LinkType::Radiotap:
    case LinkType::PktapDarwin:
    case LinkType::Ipv4:
    case LinkType::Ipv6:
    case LinkType::Nflog:
    case LinkType::Pktap:
    case LinkType::LinuxSll2:
      return true;
  }
  return false;
}

}  // namespace vigil::inspect
