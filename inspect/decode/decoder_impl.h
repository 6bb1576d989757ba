#pragma once
// Private to inspect/decode: the Decoder's state and the per-layer decode
// functions, split over decoder.cc (link, network, transport: the fast path)
// and tunnels.cc (everything that carries another packet).

#include <array>
#include <cstdint>
#include <vector>

#include "inspect/decode/decoder.h"
#include "inspect/decode/fragment_table.h"

namespace vigil::inspect {

namespace ethertype {
constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint16_t kIpv6 = 0x86dd;
constexpr std::uint16_t kVlan = 0x8100;
constexpr std::uint16_t kQinQ = 0x88a8;
constexpr std::uint16_t kQinQOld = 0x9100;
constexpr std::uint16_t kQinQOld2 = 0x9200;
constexpr std::uint16_t kPppoeSession = 0x8864;
constexpr std::uint16_t kMplsUnicast = 0x8847;
constexpr std::uint16_t kMplsMulticast = 0x8848;
constexpr std::uint16_t kTransparentEthernet = 0x6558;  // GRE, Geneve: Ethernet follows
constexpr std::uint16_t kErspan2 = 0x88be;
constexpr std::uint16_t kErspan3 = 0x22eb;
constexpr std::uint16_t kPpp = 0x880b;  // GRE v1 (PPTP)
}  // namespace ethertype

namespace ipproto {
constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kIpip = 4;
constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kIpv6 = 41;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragment = 44;
constexpr std::uint8_t kGre = 47;
constexpr std::uint8_t kEsp = 50;
constexpr std::uint8_t kAh = 51;
constexpr std::uint8_t kDestOptions = 60;
constexpr std::uint8_t kEtherIp = 97;
constexpr std::uint8_t kMplsInIp = 137;
constexpr std::uint8_t kHip = 139;
constexpr std::uint8_t kShim6 = 140;
constexpr std::uint8_t kEthernet = 143;  // SRv6 L2 service
}  // namespace ipproto

// UDP ports tshark dissects as tunnels by default (4789, not Linux's 8472).
namespace udpport {
constexpr std::uint16_t kL2tp = 1701;
constexpr std::uint16_t kGtpU = 2152;
constexpr std::uint16_t kTeredo = 3544;
constexpr std::uint16_t kVxlan = 4789;
constexpr std::uint16_t kVxlanGpe = 4790;
constexpr std::uint16_t kCapwapData = 5247;
constexpr std::uint16_t kGeneve = 6081;

constexpr bool is_tunnel(std::uint16_t port) noexcept {
  switch (port) {
    case kL2tp:
    case kGtpU:
    case kTeredo:
    case kVxlan:
    case kVxlanGpe:
    case kCapwapData:
    case kGeneve:
      return true;
    default:
      return false;
  }
}
}  // namespace udpport

struct Decoder::Impl {
  Impl(Counters& counters, Limits limits);

  DecodeStatus run(LinkType link, Bytes frame, std::uint64_t ts_us, DecodedPacket& out) noexcept;

  // decoder.cc
  DecodeStatus link_layer(LinkType link, Bytes frame, bool nested) noexcept;
  DecodeStatus ethernet(Bytes frame) noexcept;
  DecodeStatus ethertype(std::uint16_t type, Bytes payload) noexcept;
  DecodeStatus llc_snap(Bytes payload) noexcept;
  DecodeStatus address_family(std::uint32_t af, Bytes payload) noexcept;
  DecodeStatus cisco_hdlc(Bytes frame) noexcept;
  DecodeStatus ppp(Bytes frame, Counter truncated) noexcept;
  DecodeStatus ppp_protocol(std::uint16_t protocol, Bytes payload) noexcept;
  DecodeStatus pppoe_session(Bytes payload) noexcept;
  DecodeStatus mpls(Bytes payload) noexcept;
  DecodeStatus nflog(Bytes frame) noexcept;
  DecodeStatus ip_by_version(Bytes packet) noexcept;
  DecodeStatus ipv4(Bytes packet) noexcept;
  DecodeStatus ipv6(Bytes packet) noexcept;
  DecodeStatus ip_payload(std::uint8_t proto, Bytes payload) noexcept;
  DecodeStatus udp(Bytes segment) noexcept;
  DecodeStatus tcp(Bytes segment) noexcept;
  DecodeStatus reassembled(const FragmentPiece& piece) noexcept;

  // tunnels.cc
  DecodeStatus gre(Bytes packet) noexcept;
  DecodeStatus erspan3(Bytes payload) noexcept;
  DecodeStatus udp_tunnel(std::uint16_t port, Bytes payload) noexcept;
  DecodeStatus vxlan(Bytes payload) noexcept;
  DecodeStatus vxlan_gpe(Bytes payload) noexcept;
  DecodeStatus geneve(Bytes payload) noexcept;
  DecodeStatus gtp_u(Bytes payload) noexcept;
  DecodeStatus teredo(Bytes payload) noexcept;
  DecodeStatus capwap_data(Bytes payload) noexcept;
  DecodeStatus l2tp_v2(Bytes payload) noexcept;
  DecodeStatus ieee80211(Bytes frame, bool swapped_frame_control) noexcept;

  // Runs `inner` one tunnel level deeper, refusing to go past the limit.
  template <typename F>
  DecodeStatus tunnel(F&& inner) noexcept;
  // A tunnel inside IP (IP-in-IP, GRE, EtherIP...): when it carries no IP
  // packet the outer packet stays the result (l4 Other), as tshark shows it.
  template <typename F>
  DecodeStatus ip_tunnel(F&& inner) noexcept;

  // Counts unless we are only probing whether a UDP port carries a tunnel.
  void bump(Counter c) noexcept {
    if (speculative_ == 0) counters_.bump(c);
  }

  static constexpr std::size_t kReassemblySlots = 8;

  Counters& counters_;
  Limits limits_;
  FragmentTable fragments_;
  // Reassembled datagrams of the current call (one per IP layer that
  // completed); `out` may point into them until the next call.
  std::array<std::vector<std::uint8_t>, kReassemblySlots> reassembled_;

  // Per-call state.
  DecodedPacket* out_ = nullptr;
  std::uint64_t now_us_ = 0;
  std::size_t slots_used_ = 0;
  int depth_ = 0;
  int speculative_ = 0;
  bool depth_exceeded_ = false;
};

template <typename F>
DecodeStatus Decoder::Impl::tunnel(F&& inner) noexcept {
  if (depth_ >= limits_.max_tunnel_depth) {
    // Never hidden by a speculative probe: nesting deeper is refused outright.
    counters_.bump(Counter::TunnelDepthExceeded);
    depth_exceeded_ = true;
    return DecodeStatus::Malformed;
  }
  ++depth_;
  out_->tunnel_depth = static_cast<std::uint8_t>(depth_);
  const DecodeStatus s = inner();
  --depth_;
  return s;
}

template <typename F>
DecodeStatus Decoder::Impl::ip_tunnel(F&& inner) noexcept {
  const DecodedPacket outer = *out_;
  const DecodeStatus s = tunnel(static_cast<F&&>(inner));
  if (s != DecodeStatus::NotIp) return s;
  *out_ = outer;
  return DecodeStatus::Ok;
}

}  // namespace vigil::inspect
