#include "inspect/decode/decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/unit/inspect/decode/frames.h"

namespace vigil::inspect {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): frame builders

const V4 kClient = {10, 0, 0, 1};
const V4 kServer = {10, 0, 0, 2};
const V4 kOuterA = {192, 0, 2, 1};
const V4 kOuterB = {192, 0, 2, 2};

constexpr std::uint16_t kMf = 0x2000;

// "src>dst tcp sport>dport", or "src>dst p<proto>" for other transports.
std::string tuple(const DecodedPacket& p) {
  std::string s = p.src.to_string() + ">" + p.dst.to_string();
  switch (p.l4) {
    case L4Proto::Tcp:
      return s + " tcp " + std::to_string(p.src_port) + ">" + std::to_string(p.dst_port);
    case L4Proto::Udp:
      return s + " udp " + std::to_string(p.src_port) + ">" + std::to_string(p.dst_port);
    case L4Proto::Other:
      break;
  }
  return s + " p" + std::to_string(p.ip_proto);
}

Frame inner_udp() { return ipv4(kClient, kServer, 17, udp(40000, 53, bytes(12, 0xd0))); }
Frame inner_tcp() { return ipv4(kClient, kServer, 6, tcp(40001, 443, 1000, 2000, 0x18, bytes(5))); }
Frame inner_v6_tcp() { return ipv6(v6(1), v6(2), 6, tcp(40002, 80, 1, 2, 0x02, {})); }
const char* const kInnerUdp = "10.0.0.1>10.0.0.2 udp 40000>53";
const char* const kInnerTcp = "10.0.0.1>10.0.0.2 tcp 40001>443";
const char* const kInnerV6Tcp = "2001:db8::1>2001:db8::2 tcp 40002>80";

Frame outer_udp(std::uint16_t sport, std::uint16_t dport, const Frame& payload) {
  return eth(0x0800, ipv4(kOuterA, kOuterB, 17, udp(sport, dport, payload)));
}

Frame gre_header(std::uint16_t flags, std::uint16_t protocol, const Frame& extra = {}) {
  Frame f;
  put16(f, flags);
  put16(f, protocol);
  append(f, extra);
  return f;
}

Frame llc_snap(std::uint16_t type) {
  return {0xaa,
          0xaa,
          0x03,
          0x00,
          0x00,
          0x00,
          static_cast<std::uint8_t>(type >> 8),
          static_cast<std::uint8_t>(type & 0xff)};
}

// 802.11 data frame header; `qos` adds the QoS control field.
Frame wlan_data(std::uint8_t flags, bool qos, bool swapped) {
  const std::uint8_t fc0 = qos ? 0x88 : 0x08;
  Frame f = swapped ? Frame{flags, fc0} : Frame{fc0, flags};
  append(f, bytes(2 + 18 + 2, 0x01));  // duration, three addresses, sequence
  if (qos) append(f, Frame{0x00, 0x00});
  return f;
}

Frame vxlan(const Frame& inner) { return cat({{0x08, 0, 0, 0, 0, 0, 42, 0}, inner}); }

Frame gtpu(const Frame& inner, bool with_extension) {
  Frame f;
  put8(f, with_extension ? 0x34 : 0x30);
  put8(f, 0xff);
  Frame body;
  if (with_extension) {
    append(body, Frame{0x00, 0x01, 0x00, 0x85});  // sequence, N-PDU, next: PDU session container
    append(body, Frame{0x01, 0x10, 0x05, 0x00});  // 4 bytes, no further extension
  }
  append(body, inner);
  put16(f, static_cast<unsigned>(body.size()));
  put32(f, 0x11223344);
  append(f, body);
  return f;
}

class DecoderTest : public ::testing::Test {
 protected:
  DecodeStatus decode(LinkType link, const Frame& f, std::uint64_t ts_us = 0) {
    return decoder_.decode(link, Bytes(f.data(), f.size()), ts_us, out_);
  }
  DecodeStatus decode_eth(const Frame& f, std::uint64_t ts_us = 0) {
    return decode(LinkType::Ethernet, f, ts_us);
  }
  [[nodiscard]] std::uint64_t count(Counter c) const { return counters_.get(c); }
  [[nodiscard]] std::uint64_t total() const {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(Counter::kCount); ++i) {
      n += counters_.get(static_cast<Counter>(i));
    }
    return n;
  }

  Counters counters_;
  Decoder decoder_{counters_};
  DecodedPacket out_;
};

// --- Link layers -----------------------------------------------------------

TEST_F(DecoderTest, EthernetIpv4TcpFields) {
  const Frame payload = {'G', 'E', 'T', ' '};
  const Frame ip = ipv4(kClient, kServer, 6, tcp(1234, 80, 0x01020304, 0x0a0b0c0d, 0x18, payload));
  const Frame frame = eth(0x0800, ip);  // out_ views it
  ASSERT_EQ(decode_eth(frame), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "10.0.0.1>10.0.0.2 tcp 1234>80");
  EXPECT_EQ(out_.tcp_seq, 0x01020304U);
  EXPECT_EQ(out_.tcp_ack, 0x0a0b0c0dU);
  EXPECT_EQ(out_.tcp_flags, 0x18);
  EXPECT_EQ(out_.ip_proto, 6);
  EXPECT_EQ(Frame(out_.payload.begin(), out_.payload.end()), payload);
  EXPECT_EQ(out_.l3.size(), ip.size());
  EXPECT_EQ(out_.tunnel_depth, 0);
  EXPECT_EQ(out_.vlan_id, 0);
  EXPECT_FALSE(out_.truncated);
}

TEST_F(DecoderTest, EthernetPaddingIsTrimmedByIpLength) {
  Frame f = eth(0x0800, ipv4(kClient, kServer, 17, udp(1, 2, {})));
  append(f, bytes(18, 0));  // minimum-size Ethernet padding
  ASSERT_EQ(decode_eth(f), DecodeStatus::Ok);
  EXPECT_EQ(out_.l3.size(), 28U);
  EXPECT_TRUE(out_.payload.empty());
}

TEST_F(DecoderTest, Ipv4OptionsAreSkipped) {
  Ipv4Options o;
  o.options = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};  // router alert, NOPs, EOL
  ASSERT_EQ(decode_eth(eth(0x0800, ipv4(kClient, kServer, 17, udp(7, 9, bytes(3)), o))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "10.0.0.1>10.0.0.2 udp 7>9");
  EXPECT_EQ(out_.payload.size(), 3U);
}

TEST_F(DecoderTest, VlanAndQinQKeepOutermostId) {
  for (std::uint16_t outer_type : {0x88a8, 0x9100, 0x8100}) {
    const Frame f =
        eth(outer_type, cat({vlan_tag(0x2064, 0x8100), vlan_tag(200, 0x0800), inner_tcp()}));
    ASSERT_EQ(decode_eth(f), DecodeStatus::Ok) << outer_type;
    EXPECT_EQ(out_.vlan_id, 100);
    EXPECT_EQ(tuple(out_), kInnerTcp);
  }
}

TEST_F(DecoderTest, Ieee8023WithSnap) {
  Frame f = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  const Frame body = cat({llc_snap(0x0800), inner_udp()});
  put16(f, static_cast<unsigned>(body.size()));
  append(f, body);
  ASSERT_EQ(decode_eth(f), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
}

TEST_F(DecoderTest, LinuxCookedV1AndV2) {
  Frame sll = {0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  append(sll, inner_udp());
  ASSERT_EQ(decode(LinkType::LinuxSll, sll), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);

  Frame sll2 = {0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0x00, 0x01, 0x04, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  append(sll2, inner_v6_tcp());
  ASSERT_EQ(decode(LinkType::LinuxSll2, sll2), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);

  Frame netlink = {0x00, 0x04, 0x03, 0x38, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00};
  append(netlink, inner_udp());  // ARPHRD_NETLINK: protocol is not an EtherType
  EXPECT_EQ(decode(LinkType::LinuxSll, netlink), DecodeStatus::NotIp);
}

TEST_F(DecoderTest, RawIpLinkTypes) {
  for (LinkType link : {LinkType::Raw, LinkType::RawDlt12, LinkType::RawDlt14}) {
    ASSERT_EQ(decode(link, inner_udp()), DecodeStatus::Ok);
    EXPECT_EQ(tuple(out_), kInnerUdp);
    ASSERT_EQ(decode(link, inner_v6_tcp()), DecodeStatus::Ok);
    EXPECT_EQ(tuple(out_), kInnerV6Tcp);
  }
  ASSERT_EQ(decode(LinkType::Ipv4, inner_udp()), DecodeStatus::Ok);
  ASSERT_EQ(decode(LinkType::Ipv6, inner_v6_tcp()), DecodeStatus::Ok);
  EXPECT_EQ(decode(LinkType::Ipv4, inner_v6_tcp()), DecodeStatus::Malformed);
  EXPECT_EQ(decode(LinkType::Raw, Frame{0x50, 1, 2, 3}), DecodeStatus::NotIp);
}

TEST_F(DecoderTest, BsdNullAndLoopFamilies) {
  EXPECT_EQ(decode(LinkType::Null, cat({{2, 0, 0, 0}, inner_udp()})), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  // Written on a big-endian host.
  EXPECT_EQ(decode(LinkType::Null, cat({{0, 0, 0, 2}, inner_udp()})), DecodeStatus::Ok);
  for (std::uint8_t af : {24, 28, 30}) {
    ASSERT_EQ(decode(LinkType::Null, cat({{af, 0, 0, 0}, inner_v6_tcp()})), DecodeStatus::Ok);
    EXPECT_EQ(tuple(out_), kInnerV6Tcp);
  }
  EXPECT_EQ(decode(LinkType::Loop, cat({{0, 0, 0, 2}, inner_udp()})), DecodeStatus::Ok);
  EXPECT_EQ(decode(LinkType::Loop, cat({{0, 0, 0, 24}, inner_v6_tcp()})), DecodeStatus::Ok);
  EXPECT_EQ(decode(LinkType::Null, cat({{7, 0, 0, 0}, inner_udp()})), DecodeStatus::NotIp);
  EXPECT_EQ(count(Counter::NonIp), 1U);
}

TEST_F(DecoderTest, PppFramings) {
  EXPECT_EQ(decode(LinkType::Ppp, cat({{0x00, 0x21}, inner_udp()})), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  EXPECT_EQ(decode(LinkType::Ppp, cat({{0x21}, inner_udp()})), DecodeStatus::Ok);  // PFC
  EXPECT_EQ(decode(LinkType::Ppp, cat({{0xff, 0x03, 0x00, 0x57}, inner_v6_tcp()})),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);
  EXPECT_EQ(decode(LinkType::PppSerial, cat({{0xff, 0x03, 0x00, 0x21}, inner_udp()})),
            DecodeStatus::Ok);
  EXPECT_EQ(decode(LinkType::PppSerial, cat({{0x8f, 0x00, 0x86, 0xdd}, inner_v6_tcp()})),
            DecodeStatus::Ok);
  EXPECT_EQ(decode(LinkType::CiscoHdlc, cat({{0x0f, 0x00, 0x08, 0x00}, inner_udp()})),
            DecodeStatus::Ok);
  EXPECT_EQ(decode(LinkType::CiscoHdlc,
                   cat({{0x0f, 0x00, 0x88, 0x47}, mpls_label(16, true), inner_udp()})),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  EXPECT_EQ(decode(LinkType::Ppp, cat({{0xc0, 0x21}, bytes(10)})), DecodeStatus::NotIp);  // LCP
}

Frame pppoe(const Frame& ppp_payload) {
  Frame f = {0x11, 0x00, 0x12, 0x34};
  put16(f, static_cast<unsigned>(ppp_payload.size()));
  append(f, ppp_payload);
  return f;
}

TEST_F(DecoderTest, PppoeSession) {
  EXPECT_EQ(decode_eth(eth(0x8864, pppoe(cat({{0x00, 0x21}, inner_udp()})))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  EXPECT_EQ(decode_eth(eth(0x8864, pppoe(cat({{0x21}, inner_udp()})))), DecodeStatus::Ok);
  EXPECT_EQ(decode_eth(eth(0x8100,
                           cat({vlan_tag(7, 0x8864), pppoe(cat({{0x00, 0x57}, inner_v6_tcp()}))}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);
  EXPECT_EQ(out_.vlan_id, 7);
  EXPECT_EQ(decode(LinkType::PppEther, pppoe(cat({{0x00, 0x21}, inner_udp()}))), DecodeStatus::Ok);
  EXPECT_EQ(decode_eth(eth(0x8863, {0x11, 0x09, 0, 0, 0, 0})), DecodeStatus::NotIp);  // PADI
}

TEST_F(DecoderTest, MplsStacks) {
  EXPECT_EQ(
      decode_eth(eth(0x8847, cat({mpls_label(100, false), mpls_label(200, true), inner_udp()}))),
      DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  EXPECT_EQ(decode_eth(eth(0x8848, cat({mpls_label(2, true), inner_v6_tcp()}))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);
  // Pseudo-wire: control word, then a whole Ethernet frame.
  EXPECT_EQ(
      decode_eth(eth(0x8847, cat({mpls_label(300, true), {0, 0, 0, 0}, eth(0x0800, inner_tcp())}))),
      DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerTcp);
  EXPECT_EQ(out_.tunnel_depth, 1);
  EXPECT_EQ(decode_eth(eth(0x8847, mpls_label(1, false))), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::TruncatedMpls), 1U);
}

TEST_F(DecoderTest, NflogPktapAndWireless) {
  Frame nflog = {2, 0, 0, 0};
  append(nflog, Frame{8, 0, 1, 0, 0x08, 0x00, 0x01, 0x00});  // packet header TLV
  const Frame ip = inner_udp();
  put8(nflog, (ip.size() + 4) & 0xff);
  put8(nflog, (ip.size() + 4) >> 8);
  append(nflog, Frame{9, 0});
  append(nflog, ip);
  EXPECT_EQ(decode(LinkType::Nflog, nflog), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);

  Frame pktap = {108, 0, 0, 0, 1, 0, 0, 0};
  append(pktap, bytes(100, 0));
  append(pktap, eth(0x0800, inner_udp()));
  EXPECT_EQ(decode(LinkType::PktapDarwin, pktap), DecodeStatus::Ok);
  EXPECT_EQ(decode(LinkType::Pktap, pktap), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);

  EXPECT_EQ(decode(LinkType::Ieee80211,
                   cat({wlan_data(0x01, false, false), llc_snap(0x0800), inner_udp()})),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  const Frame radiotap = {0, 0, 8, 0, 0, 0, 0, 0};
  EXPECT_EQ(decode(LinkType::Radiotap,
                   cat({radiotap, wlan_data(0x02, true, false), llc_snap(0x86dd), inner_v6_tcp()})),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);
  // Protected (encrypted) data frames carry nothing readable.
  EXPECT_EQ(decode(LinkType::Ieee80211,
                   cat({wlan_data(0x41, false, false), llc_snap(0x0800), inner_udp()})),
            DecodeStatus::NotIp);
}

TEST_F(DecoderTest, UnsupportedLinkTypeAndNonIp) {
  EXPECT_FALSE(Decoder::supports(999));
  EXPECT_TRUE(Decoder::supports(1));
  EXPECT_TRUE(Decoder::supports(276));
  EXPECT_EQ(decode(static_cast<LinkType>(999), inner_udp()), DecodeStatus::NotIp);
  EXPECT_EQ(count(Counter::UnsupportedLinktype), 1U);
  EXPECT_EQ(decode_eth(eth(0x0806, bytes(28))), DecodeStatus::NotIp);  // ARP
  EXPECT_EQ(count(Counter::NonIp), 1U);
}

// --- IPv4 / IPv6 -----------------------------------------------------------

TEST_F(DecoderTest, Ipv6ExtensionChain) {
  const Frame chain = cat({ipv6_ext(60, {0x01, 0x02, 0, 0}),       // hop-by-hop -> dest opts
                           ipv6_ext(43, {0x01, 0x00}),             // dest opts -> routing
                           ipv6_ext(6, {0x04, 0x00, 0, 0, 0, 0}),  // routing -> TCP
                           tcp(5, 6, 7, 8, 0x10, bytes(3))});
  ASSERT_EQ(decode_eth(eth(0x86dd, ipv6(v6(1), v6(2), 0, chain))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "2001:db8::1>2001:db8::2 tcp 5>6");
  EXPECT_EQ(out_.payload.size(), 3U);
  EXPECT_EQ(out_.l3.size(), 40 + chain.size());

  // AH (length in 4-byte units minus 2) is skipped; ESP ends the decode.
  const Frame ah = {17, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1};
  ASSERT_EQ(decode_eth(eth(0x86dd, ipv6(v6(1), v6(2), 51, cat({ah, udp(1, 2, {})})))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "2001:db8::1>2001:db8::2 udp 1>2");
  ASSERT_EQ(decode_eth(eth(0x0800, ipv4(kClient, kServer, 51, cat({ah, udp(3, 4, {})})))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "10.0.0.1>10.0.0.2 udp 3>4");
  ASSERT_EQ(decode_eth(eth(0x86dd, ipv6(v6(1), v6(2), 50, bytes(24)))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "2001:db8::1>2001:db8::2 p50");
  EXPECT_EQ(out_.payload.size(), 24U);
}

TEST_F(DecoderTest, OtherTransportsStillCarryL3) {
  ASSERT_EQ(decode_eth(eth(0x0800, ipv4(kClient, kServer, 1, {8, 0, 0, 0, 0, 1, 0, 1}))),
            DecodeStatus::Ok);
  EXPECT_EQ(out_.l4, L4Proto::Other);
  EXPECT_EQ(out_.ip_proto, 1);
  EXPECT_EQ(out_.l3.size(), 28U);
  EXPECT_EQ(out_.payload.size(), 8U);
  EXPECT_EQ(count(Counter::OtherL4), 1U);
}

TEST_F(DecoderTest, BadLengthsAreMalformedAndCounted) {
  Frame bad_ihl = inner_udp();
  bad_ihl[0] = 0x44;
  EXPECT_EQ(decode(LinkType::Raw, bad_ihl), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::BadIpv4Header), 1U);

  Ipv4Options short_total;
  short_total.total_length = 12;
  EXPECT_EQ(decode(LinkType::Raw, ipv4(kClient, kServer, 17, udp(1, 2, {}), short_total)),
            DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::BadIpv4Header), 2U);

  Frame bad_ext = ipv6(v6(1), v6(2), 0, cat({ipv6_ext(17, {}), udp(1, 2, {})}));
  bad_ext[41] = 9;  // hop-by-hop claims 80 bytes
  EXPECT_EQ(decode(LinkType::Raw, bad_ext), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::BadIpv6ExtHeader), 1U);

  Frame bad_tcp = tcp(1, 2, 3, 4, 0x02, {});
  bad_tcp[12] = 0x40;
  EXPECT_EQ(decode(LinkType::Raw, ipv4(kClient, kServer, 6, bad_tcp)), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::BadTcpHeader), 1U);
  Frame long_options = tcp(1, 2, 3, 4, 0x02, {});
  long_options[12] = 0xf0;  // 60-byte header in a 20-byte segment
  EXPECT_EQ(decode(LinkType::Raw, ipv4(kClient, kServer, 6, long_options)),
            DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::TruncatedTcp), 1U);
  EXPECT_EQ(decode(LinkType::Raw, ipv4(kClient, kServer, 6, bytes(12))), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::TruncatedTcp), 2U);

  Frame short_udp = udp(1, 2, bytes(4));
  short_udp[5] = 4;
  EXPECT_EQ(decode(LinkType::Raw, ipv4(kClient, kServer, 17, short_udp)), DecodeStatus::Malformed);
  Frame long_udp = udp(1, 2, bytes(4));
  long_udp[5] = 200;  // longer than the (complete) IP payload
  EXPECT_EQ(decode(LinkType::Raw, ipv4(kClient, kServer, 17, long_udp)), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::BadUdpHeader), 2U);
  EXPECT_EQ(decode(LinkType::Raw, ipv4(kClient, kServer, 17, bytes(5))), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::TruncatedUdp), 1U);

  Frame not_v6 = inner_v6_tcp();
  not_v6[0] = 0x40;
  EXPECT_EQ(decode_eth(eth(0x86dd, not_v6)), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::BadIpv6Header), 1U);
}

TEST_F(DecoderTest, SnapLengthTruncationIsFlagged) {
  const Frame full = eth(0x0800, ipv4(kClient, kServer, 6, tcp(1, 2, 3, 4, 0x18, bytes(100))));
  const Frame cut(full.begin(), full.end() - 60);
  ASSERT_EQ(decode_eth(cut), DecodeStatus::Ok);
  EXPECT_TRUE(out_.truncated);
  EXPECT_EQ(out_.payload.size(), 40U);
  EXPECT_EQ(count(Counter::TruncatedCapture), 1U);
  // Inside a complete outer packet the same shortfall is malformed.
  Frame inner = inner_tcp();
  inner[3] = static_cast<std::uint8_t>(inner[3] + 10);
  EXPECT_EQ(decode_eth(eth(0x0800, ipv4(kOuterA, kOuterB, 4, inner))), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::TruncatedIpv4), 1U);
  Frame inner6 = inner_v6_tcp();
  inner6[5] = static_cast<std::uint8_t>(inner6[5] + 1);  // payload length one past the end
  EXPECT_EQ(decode_eth(eth(0x0800, ipv4(kOuterA, kOuterB, 41, inner6))), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::TruncatedIpv6), 1U);
}

TEST_F(DecoderTest, SegmentationOffloadZeroLength) {
  Ipv4Options tso;
  tso.total_length = 0;
  ASSERT_EQ(
      decode_eth(eth(0x0800, ipv4(kClient, kServer, 6, tcp(1, 2, 3, 4, 0x10, bytes(3000)), tso))),
      DecodeStatus::Ok);
  EXPECT_EQ(out_.payload.size(), 3000U);
}

// --- Tunnels ---------------------------------------------------------------

TEST_F(DecoderTest, IpInIpAllFourCombinations) {
  const std::vector<std::pair<Frame, const char*>> cases = {
      {eth(0x0800, ipv4(kOuterA, kOuterB, 4, inner_tcp())), kInnerTcp},
      {eth(0x86dd, ipv6(v6(9), v6(10), 4, inner_tcp())), kInnerTcp},
      {eth(0x0800, ipv4(kOuterA, kOuterB, 41, inner_v6_tcp())), kInnerV6Tcp},
      {eth(0x86dd, ipv6(v6(9), v6(10), 41, inner_v6_tcp())), kInnerV6Tcp},
  };
  for (const auto& [frame, expected] : cases) {
    ASSERT_EQ(decode_eth(frame), DecodeStatus::Ok) << expected;
    EXPECT_EQ(tuple(out_), expected);
    EXPECT_EQ(out_.tunnel_depth, 1);
  }
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);
  EXPECT_EQ(out_.l3.size(), inner_v6_tcp().size());
}

TEST_F(DecoderTest, GreVariants) {
  auto outer = [](const Frame& gre) { return eth(0x0800, ipv4(kOuterA, kOuterB, 47, gre)); };
  EXPECT_EQ(decode_eth(outer(cat({gre_header(0, 0x0800), inner_udp()}))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  // Checksum, key and sequence number present.
  EXPECT_EQ(decode_eth(outer(cat({gre_header(0xb000, 0x86dd, bytes(12, 0)), inner_v6_tcp()}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);
  // RFC 1701 routing: one source route entry, then the null entry.
  EXPECT_EQ(decode_eth(outer(cat({gre_header(0x4000, 0x0800, {0, 0, 0, 0}),
                                  {0x08, 0x00, 0, 4, 1, 2, 3, 4, 0, 0, 0, 0},
                                  inner_udp()}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  // Transparent Ethernet bridging.
  EXPECT_EQ(
      decode_eth(outer(cat({gre_header(0x2000, 0x6558, bytes(4, 0)), eth(0x0800, inner_tcp())}))),
      DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerTcp);
  // ERSPAN type I (no sequence), II (8-byte header), III (12 + 8 platform).
  EXPECT_EQ(decode_eth(outer(cat({gre_header(0, 0x88be), eth(0x0800, inner_tcp())}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerTcp);
  EXPECT_EQ(decode_eth(outer(cat({gre_header(0x1000, 0x88be, bytes(4, 0)),
                                  {0x10, 0x01, 0x00, 0x05, 0, 0, 0, 0},
                                  eth(0x0800, inner_tcp())}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerTcp);
  EXPECT_EQ(decode_eth(outer(cat({gre_header(0x1000, 0x22eb, bytes(4, 0)),
                                  {0x20, 0x01, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0x00, 0x01},
                                  bytes(8, 0),
                                  eth(0x0800, inner_udp())}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  // PPTP enhanced GRE: key (payload length, call id), sequence, ack, then PPP.
  const Frame ppp = cat({{0xff, 0x03, 0x00, 0x21}, inner_tcp()});
  Frame pptp = gre_header(0x3081, 0x880b);
  put16(pptp, static_cast<unsigned>(ppp.size()));
  put16(pptp, 0x0001);
  put32(pptp, 5);
  put32(pptp, 4);
  append(pptp, ppp);
  EXPECT_EQ(decode_eth(outer(pptp)), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerTcp);
  EXPECT_EQ(out_.tunnel_depth, 1);
  // Unknown payload: the GRE packet itself is the innermost IP packet.
  EXPECT_EQ(decode_eth(outer(cat({gre_header(0, 0x1234), bytes(20)}))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "192.0.2.1>192.0.2.2 p47");
  EXPECT_EQ(out_.tunnel_depth, 0);
  // ARP bridged over GRE: same.
  EXPECT_EQ(decode_eth(outer(cat({gre_header(0, 0x6558), eth(0x0806, bytes(28))}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "192.0.2.1>192.0.2.2 p47");
  EXPECT_EQ(decode_eth(outer(gre_header(0xb000, 0x0800, bytes(4)))), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::TruncatedTunnel), 1U);
}

TEST_F(DecoderTest, EtherIpMplsInIpAndSrv6Ethernet) {
  EXPECT_EQ(decode_eth(eth(
                0x0800, ipv4(kOuterA, kOuterB, 97, cat({{0x30, 0x00}, eth(0x0800, inner_udp())})))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  EXPECT_EQ(
      decode_eth(eth(0x0800, ipv4(kOuterA, kOuterB, 137, cat({mpls_label(5, true), inner_udp()})))),
      DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  const Frame srh = ipv6_ext(143, {0x04, 0x00, 0, 0, 0, 0});
  EXPECT_EQ(
      decode_eth(eth(0x86dd, ipv6(v6(9), v6(10), 43, cat({srh, eth(0x86dd, inner_v6_tcp())})))),
      DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);
}

TEST_F(DecoderTest, UdpTunnels) {
  EXPECT_EQ(decode_eth(outer_udp(51000, 4789, vxlan(eth(0x0800, inner_udp())))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  EXPECT_EQ(out_.tunnel_depth, 1);

  EXPECT_EQ(decode_eth(outer_udp(51000, 4790, cat({{0x0c, 0, 0, 0x01, 0, 0, 1, 0}, inner_udp()}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);

  const Frame geneve = {0x02, 0x00, 0x65, 0x58, 0, 0, 7, 0};
  EXPECT_EQ(
      decode_eth(outer_udp(51000, 6081, cat({geneve, bytes(8, 0), eth(0x0800, inner_tcp())}))),
      DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerTcp);

  EXPECT_EQ(decode_eth(outer_udp(2152, 2152, gtpu(inner_v6_tcp(), true))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);
  EXPECT_EQ(decode_eth(outer_udp(2152, 2152, gtpu(inner_udp(), false))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);

  // Teredo with an origin indication, and with an authentication header.
  EXPECT_EQ(decode_eth(outer_udp(3544, 40000, cat({{0, 0, 1, 2, 3, 4, 5, 6}, inner_v6_tcp()}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);
  EXPECT_EQ(decode_eth(outer_udp(40000, 3544, cat({{0, 1, 0, 0}, bytes(9, 0), inner_v6_tcp()}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerV6Tcp);

  // CAPWAP data: an 802.3 frame, and a native 802.11 frame (frame control swapped).
  EXPECT_EQ(decode_eth(outer_udp(
                5247, 5247, cat({{0x00, 0x10, 0x02, 0x00, 0, 0, 0, 0}, eth(0x0800, inner_udp())}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  EXPECT_EQ(decode_eth(outer_udp(5247, 5247,
                                 cat({{0x00, 0x10, 0x03, 0x00, 0, 0, 0, 0},
                                      wlan_data(0x01, false, true),
                                      llc_snap(0x0800),
                                      inner_tcp()}))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerTcp);

  // L2TPv2 data with the length field, then PPP in HDLC-like framing.
  const Frame ppp = cat({{0xff, 0x03, 0x00, 0x21}, inner_udp()});
  Frame l2tp = {0x40, 0x02};
  put16(l2tp, static_cast<unsigned>(8 + ppp.size()));
  put32(l2tp, 0x00010002);
  append(l2tp, ppp);
  EXPECT_EQ(decode_eth(outer_udp(1701, 1701, l2tp)), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  EXPECT_EQ(count(Counter::UdpTunnelNotIp), 0U);
}

TEST_F(DecoderTest, OrdinaryUdpOnTunnelPortsStaysUdp) {
  const std::vector<std::pair<std::uint16_t, std::uint16_t>> ports = {
      {51000, 4789}, {4789, 51000}, {2152, 2152}, {3544, 53}, {6081, 6081}, {5247, 1}, {1701, 9}};
  std::uint64_t expected_fallbacks = 0;
  for (const auto& [sport, dport] : ports) {
    ASSERT_EQ(decode_eth(outer_udp(sport, dport, bytes(40, 0x41))), DecodeStatus::Ok);
    EXPECT_EQ(tuple(out_),
              "192.0.2.1>192.0.2.2 udp " + std::to_string(sport) + ">" + std::to_string(dport));
    EXPECT_EQ(out_.payload.size(), 40U);
    EXPECT_EQ(out_.tunnel_depth, 0);
    EXPECT_EQ(count(Counter::UdpTunnelNotIp), ++expected_fallbacks);
  }
  // A VXLAN frame carrying ARP, a GTP echo request: the outer datagram is the result.
  ASSERT_EQ(decode_eth(outer_udp(1, 4789, vxlan(eth(0x0806, bytes(28))))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "192.0.2.1>192.0.2.2 udp 1>4789");
  Frame echo = gtpu(inner_udp(), false);
  echo[1] = 0x01;
  ASSERT_EQ(decode_eth(outer_udp(2152, 2152, echo)), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "192.0.2.1>192.0.2.2 udp 2152>2152");
  // A broken inner packet is not counted as malformed: the port guess was wrong.
  Frame broken = inner_udp();
  broken[0] = 0x4f;
  ASSERT_EQ(decode_eth(outer_udp(2152, 2152, gtpu(broken, false))), DecodeStatus::Ok);
  EXPECT_EQ(count(Counter::BadIpv4Header), 0U);
  // Port 8472 (Linux VXLAN) is not a tunnel port for tshark either.
  ASSERT_EQ(decode_eth(outer_udp(1, 8472, vxlan(eth(0x0800, inner_udp())))), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "192.0.2.1>192.0.2.2 udp 1>8472");
}

TEST_F(DecoderTest, TunnelDepthLimit) {
  Frame f = inner_udp();
  for (int i = 0; i < 4; ++i) f = ipv4(kOuterA, kOuterB, 4, f);
  ASSERT_EQ(decode(LinkType::Raw, f), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  EXPECT_EQ(out_.tunnel_depth, 4);
  f = ipv4(kOuterA, kOuterB, 4, f);
  EXPECT_EQ(decode(LinkType::Raw, f), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::TunnelDepthExceeded), 1U);

  // Too deep inside a UDP tunnel is refused too, not passed off as plain UDP.
  Counters counters;
  Decoder::Limits limits;
  limits.max_tunnel_depth = 1;
  Decoder shallow(counters, limits);
  const Frame nested = outer_udp(
      1, 4789,
      vxlan(
          eth(0x0800, ipv4(kClient, kServer, 17, udp(2, 4789, vxlan(eth(0x0800, inner_udp())))))));
  EXPECT_EQ(shallow.decode(LinkType::Ethernet, Bytes(nested.data(), nested.size()), 0, out_),
            DecodeStatus::Malformed);
  EXPECT_EQ(counters.get(Counter::TunnelDepthExceeded), 1U);
}

// --- Fragments -------------------------------------------------------------

Frame v4_fragment(const Frame& datagram_payload, std::size_t offset, std::size_t len, bool more,
                  std::uint16_t id = 7, std::uint8_t proto = 17, V4 src = kClient,
                  V4 dst = kServer) {
  Ipv4Options o;
  o.id = id;
  o.flags_offset = static_cast<std::uint16_t>((more ? kMf : 0) | (offset / 8));
  const Frame part(datagram_payload.begin() + static_cast<std::ptrdiff_t>(offset),
                   datagram_payload.begin() + static_cast<std::ptrdiff_t>(offset + len));
  return ipv4(src, dst, proto, part, o);
}

TEST_F(DecoderTest, Ipv4FragmentsOutOfOrder) {
  const Frame data = bytes(40, 0xab);
  const Frame payload = udp(1000, 53, data);  // 48 bytes
  EXPECT_EQ(decode(LinkType::Raw, v4_fragment(payload, 32, 16, false)), DecodeStatus::Fragment);
  EXPECT_EQ(decode(LinkType::Raw, v4_fragment(payload, 0, 16, true)), DecodeStatus::Fragment);
  const Frame middle = v4_fragment(payload, 16, 16, true);
  ASSERT_EQ(decode(LinkType::Raw, middle), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "10.0.0.1>10.0.0.2 udp 1000>53");
  EXPECT_EQ(Frame(out_.payload.begin(), out_.payload.end()), data);
  ASSERT_EQ(out_.l3.size(), 68U);
  // The rebuilt header is whole: length, no MF/offset, a valid checksum.
  const Frame l3(out_.l3.begin(), out_.l3.end());
  EXPECT_EQ(load_be16(l3.data() + 2), 68);
  EXPECT_EQ(load_be16(l3.data() + 6) & 0x3fff, 0);
  EXPECT_EQ(ipv4_checksum(l3, 0, 20), 0);
  // Owned by the decoder, not a view of the frame just passed in.
  EXPECT_TRUE(out_.l3.data() < middle.data() || out_.l3.data() >= middle.data() + middle.size());
  EXPECT_EQ(count(Counter::Ipv4Fragments), 3U);
  EXPECT_EQ(count(Counter::Reassembled), 1U);
  EXPECT_EQ(count(Counter::FragmentOverlap), 0U);
}

TEST_F(DecoderTest, Ipv6FragmentAfterRoutingHeader) {
  const Frame payload = udp(2000, 443, bytes(40, 0xcd));  // 48 bytes
  const Frame routing = ipv6_ext(44, {0x00, 0x00, 0, 0, 0, 0});
  auto fragment = [&](std::size_t off, std::size_t len, bool more) {
    const Frame part(payload.begin() + static_cast<std::ptrdiff_t>(off),
                     payload.begin() + static_cast<std::ptrdiff_t>(off + len));
    return eth(
        0x86dd,
        ipv6(v6(1), v6(2), 43,
             cat({routing, ipv6_fragment(17, static_cast<std::uint16_t>(off), more, 0xdeadbeef),
                  part})));
  };
  EXPECT_EQ(decode_eth(fragment(24, 24, false)), DecodeStatus::Fragment);
  ASSERT_EQ(decode_eth(fragment(0, 24, true)), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "2001:db8::1>2001:db8::2 udp 2000>443");
  EXPECT_EQ(out_.payload.size(), 40U);
  ASSERT_EQ(out_.l3.size(), 40U + 8U + 48U);
  EXPECT_EQ(out_.l3[40], 17);                    // routing header now names UDP
  EXPECT_EQ(load_be16(out_.l3.data() + 4), 56);  // payload length rewritten
  EXPECT_EQ(count(Counter::Ipv6Fragments), 2U);
  EXPECT_EQ(count(Counter::Reassembled), 1U);
}

TEST_F(DecoderTest, AtomicIpv6Fragment) {
  const Frame f = ipv6(v6(1), v6(2), 44, cat({ipv6_fragment(17, 0, false, 1), udp(1, 2, {})}));
  ASSERT_EQ(decode(LinkType::Raw, f), DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "2001:db8::1>2001:db8::2 udp 1>2");
  EXPECT_EQ(count(Counter::AtomicFragments), 1U);
  EXPECT_EQ(count(Counter::Ipv6Fragments), 0U);
}

TEST_F(DecoderTest, OverlapKeepsFirstBytes) {
  Frame first_payload = udp(5, 6, bytes(8, 0x11));  // 16 bytes: header + 8
  first_payload[5] = 24;                            // whole datagram: 24 bytes
  Frame second_payload = bytes(16, 0x22);           // offset 8..24, rewrites 8..16
  Ipv4Options a;
  a.id = 9;
  a.flags_offset = kMf;
  Ipv4Options b;
  b.id = 9;
  b.flags_offset = 1;
  EXPECT_EQ(decode(LinkType::Raw, ipv4(kClient, kServer, 17, first_payload, a)),
            DecodeStatus::Fragment);
  ASSERT_EQ(decode(LinkType::Raw, ipv4(kClient, kServer, 17, second_payload, b)), DecodeStatus::Ok);
  Frame expected = bytes(8, 0x11);
  append(expected, bytes(8, 0x22));
  EXPECT_EQ(Frame(out_.payload.begin(), out_.payload.end()), expected);
  EXPECT_EQ(count(Counter::FragmentOverlap), 1U);
}

TEST_F(DecoderTest, ConflictingAndMisalignedFragmentsAreRefused) {
  const Frame payload = udp(1, 2, bytes(60));
  // Not a multiple of 8 before the last fragment.
  EXPECT_EQ(decode(LinkType::Raw, v4_fragment(payload, 0, 10, true)), DecodeStatus::Malformed);
  EXPECT_EQ(decode(LinkType::Raw, v4_fragment(payload, 32, 16, false)), DecodeStatus::Fragment);
  // A second, different end; data past the end.
  EXPECT_EQ(decode(LinkType::Raw, v4_fragment(payload, 16, 8, false)), DecodeStatus::Malformed);
  EXPECT_EQ(decode(LinkType::Raw, v4_fragment(payload, 48, 8, true)), DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::FragmentInvalid), 3U);
}

TEST_F(DecoderTest, OversizedDatagramIsDropped) {
  Ipv4Options o;
  o.flags_offset = 8190;  // 65520 + 100 bytes > 65535
  EXPECT_EQ(decode(LinkType::Raw, ipv4(kClient, kServer, 17, bytes(100), o)),
            DecodeStatus::Malformed);
  EXPECT_EQ(count(Counter::FragmentTooBig), 1U);
}

TEST_F(DecoderTest, FragmentTimeoutFollowsPacketTime) {
  const Frame payload = udp(1, 2, bytes(40));
  EXPECT_EQ(decode(LinkType::Raw, v4_fragment(payload, 0, 24, true), 1'000'000),
            DecodeStatus::Fragment);
  // 31 s of packet time later the first half is gone.
  EXPECT_EQ(decode(LinkType::Raw, v4_fragment(payload, 24, 24, false), 32'000'000),
            DecodeStatus::Fragment);
  EXPECT_EQ(count(Counter::FragmentTimeout), 1U);
  EXPECT_EQ(decode(LinkType::Raw, v4_fragment(payload, 0, 24, true), 33'000'000), DecodeStatus::Ok);
  // Any later packet sweeps sets that are due.
  EXPECT_EQ(decode(LinkType::Raw, v4_fragment(payload, 0, 24, true, 99), 40'000'000),
            DecodeStatus::Fragment);
  EXPECT_EQ(decode(LinkType::Raw, inner_udp(), 80'000'000), DecodeStatus::Ok);
  EXPECT_EQ(count(Counter::FragmentTimeout), 2U);
}

TEST_F(DecoderTest, FragmentTableIsBounded) {
  Counters counters;
  Decoder::Limits limits;
  limits.max_fragment_sets = 2;
  Decoder small(counters, limits);
  const Frame payload = udp(1, 2, bytes(40));
  auto run = [&](const Frame& f) {
    return small.decode(LinkType::Raw, Bytes(f.data(), f.size()), 0, out_);
  };
  EXPECT_EQ(run(v4_fragment(payload, 0, 24, true, 1)), DecodeStatus::Fragment);
  EXPECT_EQ(run(v4_fragment(payload, 0, 24, true, 2)), DecodeStatus::Fragment);
  EXPECT_EQ(run(v4_fragment(payload, 0, 24, true, 3)), DecodeStatus::Fragment);
  EXPECT_EQ(counters.get(Counter::FragmentTableFull), 1U);
  // The oldest (id 1) was evicted; id 3 completes.
  EXPECT_EQ(run(v4_fragment(payload, 24, 24, false, 3)), DecodeStatus::Ok);
  EXPECT_EQ(run(v4_fragment(payload, 24, 24, false, 1)), DecodeStatus::Fragment);

  Counters bytes_counters;
  Decoder::Limits byte_limits;
  byte_limits.max_fragment_bytes = 100;
  Decoder tight(bytes_counters, byte_limits);
  const Frame big = udp(1, 2, bytes(400));
  const Frame f = v4_fragment(big, 0, 200, true);
  EXPECT_EQ(tight.decode(LinkType::Raw, Bytes(f.data(), f.size()), 0, out_),
            DecodeStatus::Malformed);
  EXPECT_EQ(bytes_counters.get(Counter::FragmentTableFull), 1U);
}

TEST_F(DecoderTest, FragmentedTunnelIsReassembledThenDecoded) {
  const Frame gre = cat({gre_header(0, 0x0800), inner_udp()});  // 4 + 40 bytes
  EXPECT_EQ(decode_eth(eth(0x0800, v4_fragment(gre, 0, 16, true, 5, 47, kOuterA, kOuterB))),
            DecodeStatus::Fragment);
  ASSERT_EQ(decode_eth(
                eth(0x0800, v4_fragment(gre, 16, gre.size() - 16, false, 5, 47, kOuterA, kOuterB))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), kInnerUdp);
  EXPECT_EQ(out_.tunnel_depth, 1);
  // And an inner fragment inside a whole tunnel packet.
  const Frame payload = udp(1000, 53, bytes(40, 0xab));
  EXPECT_EQ(decode_eth(eth(0x0800, ipv4(kOuterA, kOuterB, 4, v4_fragment(payload, 0, 24, true)))),
            DecodeStatus::Fragment);
  ASSERT_EQ(decode_eth(eth(0x0800, ipv4(kOuterA, kOuterB, 4, v4_fragment(payload, 24, 24, false)))),
            DecodeStatus::Ok);
  EXPECT_EQ(tuple(out_), "10.0.0.1>10.0.0.2 udp 1000>53");
}

// --- Robustness ------------------------------------------------------------

std::vector<std::pair<LinkType, Frame>> good_frames() {
  const Frame ppp = cat({{0xff, 0x03, 0x00, 0x21}, inner_udp()});
  Frame l2tp = {0x00, 0x02, 0, 1, 0, 2};
  append(l2tp, ppp);
  Frame nflog = {2, 0, 0, 0};
  const Frame ip = inner_udp();
  put8(nflog, (ip.size() + 4) & 0xff);
  put8(nflog, (ip.size() + 4) >> 8);
  append(nflog, Frame{9, 0});
  append(nflog, ip);
  return {
      {LinkType::Ethernet, eth(0x0800, inner_tcp())},
      {LinkType::Ethernet,
       eth(0x88a8, cat({vlan_tag(1, 0x8100), vlan_tag(2, 0x86dd),
                        ipv6(v6(1), v6(2), 0,
                             cat({ipv6_ext(43, {1, 0, 0, 0}), ipv6_ext(6, {0, 0}),
                                  tcp(1, 2, 3, 4, 0x10, bytes(4))}))}))},
      {LinkType::Ethernet, eth(0x8864, pppoe(cat({{0x00, 0x21}, inner_udp()})))},
      {LinkType::Ethernet, eth(0x8847, cat({mpls_label(1, false),
                                            mpls_label(2, true),
                                            {0, 0, 0, 0},
                                            eth(0x0800, inner_udp())}))},
      {LinkType::Ethernet, eth(0x0800, ipv4(kOuterA, kOuterB, 47,
                                            cat({gre_header(0xb000, 0x6558, bytes(12, 0)),
                                                 eth(0x0800, inner_tcp())})))},
      {LinkType::Ethernet, outer_udp(1, 4789, vxlan(eth(0x0800, inner_udp())))},
      {LinkType::Ethernet, outer_udp(2152, 2152, gtpu(inner_v6_tcp(), true))},
      {LinkType::Ethernet, outer_udp(3544, 1, cat({{0, 0, 1, 2, 3, 4, 5, 6}, inner_v6_tcp()}))},
      {LinkType::Ethernet, outer_udp(5247, 5247,
                                     cat({{0x00, 0x10, 0x03, 0x00, 0, 0, 0, 0},
                                          wlan_data(0x01, true, true),
                                          llc_snap(0x0800),
                                          inner_tcp()}))},
      {LinkType::Ethernet, outer_udp(1701, 1701, l2tp)},
      {LinkType::Ethernet, eth(0x86dd, ipv6(v6(9), v6(10), 41, inner_v6_tcp()))},
      {LinkType::Ethernet,
       eth(0x86dd, ipv6(v6(9), v6(10), 44, cat({ipv6_fragment(17, 0, true, 3), bytes(16)})))},
      {LinkType::LinuxSll,
       cat({{0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00}, inner_udp()})},
      {LinkType::LinuxSll2,
       cat({{0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0}, inner_udp()})},
      {LinkType::Null, cat({{30, 0, 0, 0}, inner_v6_tcp()})},
      {LinkType::Loop, cat({{0, 0, 0, 2}, inner_udp()})},
      {LinkType::Ppp, cat({{0x21}, inner_udp()})},
      {LinkType::PppSerial, ppp},
      {LinkType::CiscoHdlc, cat({{0x0f, 0x00, 0x08, 0x00}, inner_udp()})},
      {LinkType::Nflog, nflog},
      {LinkType::Radiotap, cat({{0, 0, 8, 0, 0, 0, 0, 0},
                                wlan_data(0x02, true, false),
                                llc_snap(0x0800),
                                inner_udp()})},
      {LinkType::Raw, inner_v6_tcp()},
  };
}

TEST_F(DecoderTest, GoodFramesDecode) {
  for (const auto& [link, frame] : good_frames()) {
    const DecodeStatus s = decode(link, frame);
    EXPECT_TRUE(s == DecodeStatus::Ok || s == DecodeStatus::Fragment)
        << static_cast<int>(link) << " size " << frame.size();
    EXPECT_FALSE(out_.truncated);
  }
}

TEST_F(DecoderTest, EveryTruncationIsSurvivedAndCounted) {
  for (const auto& [link, frame] : good_frames()) {
    for (std::size_t len = 0; len < frame.size(); ++len) {
      // A fresh decoder: a cut fragment must not meet its earlier whole self.
      Counters counters;
      Decoder decoder(counters);
      const Frame cut(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(len));
      const DecodeStatus s = decoder.decode(link, Bytes(cut.data(), cut.size()), 0, out_);
      std::uint64_t counted = 0;
      for (std::size_t i = 0; i < static_cast<std::size_t>(Counter::kCount); ++i) {
        counted += counters.get(static_cast<Counter>(i));
      }
      EXPECT_GT(counted, 0U) << "link " << static_cast<int>(link) << " cut at " << len << " of "
                             << frame.size() << " status " << static_cast<int>(s);
      if (s == DecodeStatus::Ok && out_.l4 != L4Proto::Other) {
        EXPECT_LE(out_.payload.size(), cut.size());
      }
    }
  }
}

}  // namespace
}  // namespace vigil::inspect
