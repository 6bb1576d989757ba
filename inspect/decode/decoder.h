#pragma once
// Packet decode from link layer to transport: Ethernet, Linux SLL/SLL2, raw IP,
// BSD NULL/loopback, PPP, Cisco HDLC, NFLOG, PKTAP, 802.11/radiotap; 802.1Q/QinQ,
// PPPoE session, MPLS; IPv4 (options, fragments), IPv6 (extension header
// chains, fragments); UDP, TCP; tunnels GRE (incl. ERSPAN/TEB, PPTP), VXLAN,
// VXLAN-GPE, Geneve, IP-in-IP (4in4, 4in6, 6in4, 6in6), EtherIP, MPLS-in-IP,
// GTP-U, Teredo, CAPWAP data, L2TPv2. The result names the innermost IP header
// and its transport. See inspect/decode/README.md for the rules.
//
// One Decoder per worker thread (it owns the fragment reassembly state).
// noexcept throughout; malformed input bumps a named counter.

#include <cstdint>
#include <memory>
#include <vector>

#include "inspect/counters.h"
#include "inspect/ip_address.h"
#include "inspect/util/byte_reader.h"

namespace vigil::inspect {

// libpcap DLT_ values we accept (numbers as in pcap/dlt.h).
enum class LinkType : std::uint32_t {
  Null = 0,           // DLT_NULL, BSD loopback (host byte order family)
  Ethernet = 1,       // DLT_EN10MB
  Ppp = 9,            // DLT_PPP
  PppSerial = 50,     // DLT_PPP_SERIAL (HDLC-like framing)
  PppEther = 51,      // DLT_PPP_ETHER (PPPoE header, no Ethernet)
  Raw = 101,          // LINKTYPE_RAW (pcap file value)
  RawDlt12 = 12,      // DLT_RAW as some platforms write it
  RawDlt14 = 14,      // DLT_RAW on OpenBSD
  CiscoHdlc = 104,    // DLT_C_HDLC
  Ieee80211 = 105,    // DLT_IEEE802_11 (no radio header)
  Loop = 108,         // DLT_LOOP (network byte order family)
  LinuxSll = 113,     // DLT_LINUX_SLL
  Radiotap = 127,     // DLT_IEEE802_11_RADIO
  PktapDarwin = 149,  // DLT_USER2, which macOS writes for PKTAP
  Ipv4 = 228,         // DLT_IPV4
  Ipv6 = 229,         // DLT_IPV6
  Nflog = 239,        // DLT_NFLOG (Linux netfilter log)
  Pktap = 258,        // DLT_PKTAP
  LinuxSll2 = 276,    // DLT_LINUX_SLL2
};

enum class L4Proto : std::uint8_t { Other = 0, Tcp = 6, Udp = 17 };

struct DecodedPacket {
  IpAddress src;
  IpAddress dst;
  L4Proto l4 = L4Proto::Other;
  std::uint8_t ip_proto = 0;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  // TCP only
  std::uint32_t tcp_seq = 0;
  std::uint32_t tcp_ack = 0;
  std::uint8_t tcp_flags = 0;  // FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10
  // The innermost IP header through the end of the IP payload (for nDPI,
  // which wants layer 3), and the transport payload.
  Bytes l3;
  Bytes payload;
  std::uint8_t tunnel_depth = 0;
  std::uint16_t vlan_id = 0;  // outermost VLAN, 0 when none
  // The innermost IP or UDP length claimed more bytes than were captured
  // (snap length): l3 and payload end early. Counted as decode.truncated_capture.
  bool truncated = false;
};

enum class DecodeStatus : std::uint8_t {
  Ok,         // `out` holds a decoded IP packet
  Fragment,   // an IP fragment was stored; nothing to hand on yet
  NotIp,      // ARP, LLDP, ...: counted, nothing to do
  Malformed,  // truncated or inconsistent; counted
};

class Decoder {
 public:
  struct Limits {
    std::size_t max_fragment_sets = 4096;  // concurrent datagrams being reassembled
    std::size_t max_datagram_bytes = 65535 + 64;
    std::uint64_t fragment_timeout_us = 30'000'000;
    int max_tunnel_depth = 4;
    std::size_t max_fragment_bytes = 16 * 1024 * 1024;  // fragment data held, all sets
  };

  Decoder(Counters& counters, Limits limits);
  explicit Decoder(Counters& counters);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes one captured frame. `ts_us` drives fragment timeouts. When a
  // fragment completes a datagram, the reassembled bytes are owned by the
  // Decoder and `out` points into them until the next call.
  DecodeStatus decode(LinkType link, Bytes frame, std::uint64_t ts_us, DecodedPacket& out) noexcept;

  [[nodiscard]] static bool supports(std::uint32_t dlt) noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::inspect
