#include "daemon/identity/lease_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "daemon/identity/text_util.h"

namespace vigil::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

IpAddress ip(std::string_view s) { return *detail::parse_ip(s); }
MacAddress mac(std::string_view s) { return *MacAddress::parse(s); }

// ------------------------------------------------------------ MacAddress

TEST(MacAddress, ParsesTheFormatsPeopleWrite) {
  const auto want = mac("aa:bb:cc:dd:ee:0f");
  EXPECT_EQ(MacAddress::parse("AA-BB-CC-DD-EE-0F"), want);
  EXPECT_EQ(MacAddress::parse("aabb.ccdd.ee0f"), want);
  EXPECT_EQ(MacAddress::parse("AABBCCDDEE0F"), want);
  EXPECT_EQ(want.to_string(), "aa:bb:cc:dd:ee:0f");
  for (const auto* bad : {"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:0g", "aa:bb-cc:dd:ee:0f",
                          "aa:bb:cc:dd:ee:0f:", "aabb.ccdd.ee0", "a:b:c:d:e:f"}) {
    EXPECT_FALSE(MacAddress::parse(bad)) << bad;
  }
}

TEST(MacAddress, LocallyAdministeredBitMarksRandomisedAddresses) {
  EXPECT_TRUE(mac("da:a1:19:00:00:01").locally_administered());   // iOS private address
  EXPECT_FALSE(mac("3c:22:fb:00:00:01").locally_administered());  // a vendor OUI
  EXPECT_FALSE(mac("01:00:5e:00:00:01").is_device_address());     // multicast
  EXPECT_FALSE(mac("00:00:00:00:00:00").is_device_address());
}

TEST(TextUtil, SanitiseReplacesInvalidUtf8AndControls) {
  std::string out;
  EXPECT_FALSE(detail::sanitise_text("caf\xC3\xA9-laptop", out));
  EXPECT_EQ(out, "caf\xC3\xA9-laptop");
  EXPECT_TRUE(detail::sanitise_text(std::string_view("a\0b\xFF\x1b[2J\xC2\x85", 10), out));
  EXPECT_EQ(out,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD[2J\xEF\xBF\xBD");
  EXPECT_TRUE(detail::sanitise_text("\xC0\xAF\xED\xA0\x80", out));  // overlong, surrogate
  EXPECT_TRUE(detail::is_valid_utf8(out));
}

TEST(TextUtil, MacFromDuid) {
  // DUID-LLT: type 1, hardware 1, time, MAC.
  std::vector<std::uint8_t> llt = {0, 1, 0, 1, 0x2a, 0x2b, 0x2c, 0x2d, 0x3c, 0x22, 0xfb, 1, 2, 3};
  EXPECT_EQ(detail::mac_from_duid(llt), mac("3c:22:fb:01:02:03"));
  std::vector<std::uint8_t> ll = {0, 3, 0, 1, 0x3c, 0x22, 0xfb, 1, 2, 3};
  EXPECT_EQ(detail::mac_from_duid(ll), mac("3c:22:fb:01:02:03"));
  std::vector<std::uint8_t> en = {0, 2, 0, 0, 0x01, 0x37, 1, 2, 3, 4};  // DUID-EN
  EXPECT_FALSE(detail::mac_from_duid(en));
  ll[3] = 6;  // IEEE 802 token ring hardware type
  EXPECT_FALSE(detail::mac_from_duid(ll));
  EXPECT_FALSE(detail::mac_from_duid(std::span<const std::uint8_t>(llt.data(), 3)));
}

// ------------------------------------------------------------ dnsmasq

TEST(DnsmasqLeases, Ipv4LinesWithHostnameClientIdAndStars) {
  const auto f = parse_dnsmasq_leases(
      "1700003600 3c:22:fb:01:02:03 192.168.10.20 alice-laptop 01:3c:22:fb:01:02:03\n"
      "0 da:a1:19:00:00:01 192.168.10.21 * *\n",
      "/var/lib/misc/dnsmasq.leases");
  ASSERT_THAT(f.leases, SizeIs(2));
  EXPECT_EQ(f.diag.accepted, 2u);
  EXPECT_EQ(f.diag.invalid, 0u);
  const auto& a = f.leases[0];
  EXPECT_EQ(a.ip, ip("192.168.10.20"));
  EXPECT_EQ(a.mac, mac("3c:22:fb:01:02:03"));
  EXPECT_EQ(a.hostname, "alice-laptop");
  EXPECT_EQ(a.client_id, "01:3c:22:fb:01:02:03");
  EXPECT_EQ(a.expires_s, 1700003600);
  EXPECT_EQ(a.source, LeaseSource::Dnsmasq);
  EXPECT_EQ(a.line, 1u);
  const auto& b = f.leases[1];
  EXPECT_EQ(b.expires_s, kNever);  // 0 = infinite
  EXPECT_TRUE(b.current(4'000'000'000));
  EXPECT_EQ(b.hostname, "");
  EXPECT_EQ(b.client_id, "");
  EXPECT_TRUE(b.mac->locally_administered());
}

TEST(DnsmasqLeases, Ipv6LinesAfterTheDuidLineTakeTheMacFromTheDuid) {
  const auto f = parse_dnsmasq_leases(
      "1700003600 3c:22:fb:01:02:03 192.168.10.20 alice *\n"
      "duid 00:01:00:01:2c:5e:1f:00:52:54:00:aa:bb:cc\n"
      "1700003600 305419896 fd00:10::20 alice 00:01:00:01:2a:2b:2c:2d:3c:22:fb:01:02:03\n"
      "1700003600 T17 fd00:10::21 * 00:02:00:00:01:37:01:02\n",
      "l");
  ASSERT_THAT(f.leases, SizeIs(3));
  EXPECT_EQ(f.diag.skipped, 1u);  // the server's duid
  EXPECT_EQ(f.leases[1].ip, ip("fd00:10::20"));
  EXPECT_EQ(f.leases[1].mac, mac("3c:22:fb:01:02:03"));
  EXPECT_TRUE(f.leases[1].mac_from_duid);
  EXPECT_EQ(f.leases[1].client_id, "00:01:00:01:2a:2b:2c:2d:3c:22:fb:01:02:03");
  EXPECT_FALSE(f.leases[2].mac);  // DUID-EN carries no MAC
  EXPECT_FALSE(f.leases[2].mac_from_duid);
}

TEST(DnsmasqLeases, NonEthernetHardwareKeepsTheLeaseWithoutAMac) {
  const auto f = parse_dnsmasq_leases(
      "1700003600 20-01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10 10.0.0.9 ib *\n"
      "1700003600 00- 10.0.0.10 nohw *\n",
      "l");
  ASSERT_THAT(f.leases, SizeIs(2));
  EXPECT_FALSE(f.leases[0].mac);
  EXPECT_FALSE(f.leases[1].mac);
  EXPECT_EQ(f.leases[0].hostname, "ib");
}

TEST(DnsmasqLeases, BadLinesAreCountedWithFileAndLine) {
  const auto f = parse_dnsmasq_leases(
      "1700003600 3c:22:fb:01:02:03 192.168.10.20 a *\n"
      "not-a-time 3c:22:fb:01:02:03 192.168.10.21 b *\n"
      "1700003600 3c:22:fb:01:02:zz 192.168.10.22 c *\n"
      "1700003600 3c:22:fb:01:02:03 192.168.10.300 d *\n"
      "1700003600 3c:22:fb:01:02:03 192.168.10.23 e\n"
      "1700003600 3c:22:fb:01:02:03 192.168.10.24 f * extra\n"
      "1700003600 3c:22:fb:01:02:03 192.168.10.25 g 0x01\n"
      "99999999999999999999 3c:22:fb:01:02:03 192.168.10.26 h *\n"
      "1700003600 X12 fd00::1 i *\n"
      "\n",
      "/leases");
  EXPECT_THAT(f.leases, SizeIs(1));
  EXPECT_EQ(f.diag.invalid, 8u);
  EXPECT_EQ(f.diag.skipped, 1u);
  EXPECT_TRUE(f.diag.ok());
  ASSERT_THAT(f.diag.first_invalid, SizeIs(8));
  EXPECT_EQ(f.diag.first_invalid[0], "/leases:2: expiry is not a Unix time");
  EXPECT_EQ(f.diag.first_invalid[1], "/leases:3: hardware address is not hex");
  EXPECT_EQ(f.diag.first_invalid[2], "/leases:4: not an IP address");
  EXPECT_THAT(f.diag.first_invalid[3], HasSubstr("/leases:5: expected 5 fields"));
  EXPECT_EQ(f.diag.first_invalid[4], "/leases:6: more than 5 fields");
  EXPECT_EQ(f.diag.first_invalid[5], "/leases:7: client id is not hex");
  EXPECT_EQ(f.diag.first_invalid[6], "/leases:8: expiry is not a Unix time");
  EXPECT_EQ(f.diag.first_invalid[7], "/leases:9: bad IAID");
}

TEST(DnsmasqLeases, OnlyTheFirstFewBadLinesAreKept) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "garbage\n";
  const auto f = parse_dnsmasq_leases(text, "l");
  EXPECT_EQ(f.diag.invalid, 50u);
  EXPECT_THAT(f.diag.first_invalid, SizeIs(ParseDiagnostics::kMaxReported));
}

TEST(DnsmasqLeases, CrlfTabsAndBomAreTolerated) {
  const auto f = parse_dnsmasq_leases(
      "\xEF\xBB\xBF"
      "1700003600\t3c:22:fb:01:02:03  192.168.10.20 a *\r\n",
      "l");
  ASSERT_THAT(f.leases, SizeIs(1));
  EXPECT_EQ(f.leases[0].hostname, "a");
}

TEST(DnsmasqLeases, ALaterLineForTheSameAddressWins) {
  const auto f = parse_dnsmasq_leases(
      "1700000000 3c:22:fb:01:02:03 192.168.10.20 old *\n"
      "1700003600 3c:22:fb:0a:0b:0c 192.168.10.20 new *\n",
      "l");
  ASSERT_THAT(f.leases, SizeIs(1));
  EXPECT_EQ(f.leases[0].hostname, "new");
  EXPECT_EQ(f.leases[0].mac, mac("3c:22:fb:0a:0b:0c"));
}

TEST(DnsmasqLeases, HostileHostnamesAreSanitisedAndBounded) {
  std::string text = "1700003600 3c:22:fb:01:02:03 192.168.10.20 ";
  text += std::string("evil\0\x1b[31m\xFF\xFE", 12);
  text += " *\n";
  text += "1700003600 3c:22:fb:01:02:04 192.168.10.21 " + std::string(1000, 'h') + " *\n";
  const auto f = parse_dnsmasq_leases(text, "l");
  ASSERT_THAT(f.leases, SizeIs(2));
  EXPECT_TRUE(detail::is_valid_utf8(f.leases[0].hostname));
  EXPECT_FALSE(detail::has_control(f.leases[0].hostname));
  EXPECT_THAT(f.leases[0].hostname, HasSubstr("evil"));
  EXPECT_EQ(f.leases[1].hostname.size(), 255u);
  EXPECT_EQ(f.diag.sanitised, 2u);
}

TEST(DnsmasqLeases, OverLongLinesAreRefusedWhole) {
  std::string text = "1700003600 3c:22:fb:01:02:03 192.168.10.20 " + std::string(5000, 'x') +
                     " *\n1700003600 3c:22:fb:01:02:04 192.168.10.21 ok *\n";
  const auto f = parse_dnsmasq_leases(text, "l");
  ASSERT_THAT(f.leases, SizeIs(1));
  EXPECT_EQ(f.leases[0].hostname, "ok");
  EXPECT_THAT(f.diag.first_invalid, ElementsAre("l:1: line longer than 4096 bytes"));
}

TEST(DnsmasqLeases, LeaseCountIsBounded) {
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text += "1700003600 3c:22:fb:01:02:03 10.0.0." + std::to_string(i) + " * *\n";
  }
  Limits limits;
  limits.max_leases = 10;
  const auto f = parse_dnsmasq_leases(text, "l", limits);
  EXPECT_THAT(f.leases, SizeIs(10));
  EXPECT_EQ(f.diag.truncated, 90u);
}

// ------------------------------------------------------------ dhcpd

constexpr std::string_view kDhcpdFile =
    R"(# The format of this file is documented in the dhcpd.leases(5) manual page.
# This lease file was written by isc-dhcp-4.4.3-P1

# authoring-byte-order entry is generated, DO NOT DELETE
authoring-byte-order little-endian;

server-duid "\000\001\000\001,^\037\000RT\000\252\273\314";

failover peer "centre" state {
  my state normal at 3 2024/01/10 08:00:00;
  partner state normal at 3 2024/01/10 08:00:00;
  mclt 3600;
}

lease 192.168.20.10 {
  starts 3 2024/01/10 09:00:00;
  ends 3 2024/01/10 21:00:00;
  tstp 3 2024/01/10 21:00:00;
  cltt 3 2024/01/10 09:00:00;
  binding state active;
  next binding state free;
  rewind binding state free;
  hardware ethernet 3c:22:fb:01:02:03;
  uid "\001<\"\373\001\002\003";
  set vendor-class-identifier = "MSFT 5.0";
  client-hostname "bob's \"pc\"";
  on expiry { set x = "y"; }
}
lease 192.168.20.11 {
  starts epoch 1704877200; # 2024/01/10 09:00:00 UTC
  ends never;
  binding state active;
  hardware ethernet 0:1b:21:a:b:c;
  uid 01:00:1b:21:0a:0b:0c;
}
lease 192.168.20.12 {
  starts 3 2024/01/10 09:00:00;
  ends 3 2024/01/10 10:00:00;
  binding state free;
  hardware ethernet 3c:22:fb:0d:0e:0f;
}
host static-printer {
  dynamic;
  hardware ethernet 3c:22:fb:aa:aa:aa;
  fixed-address 192.168.20.200;
}
)";

TEST(DhcpdLeases, LeaseBlocksWithTheStatementsDhcpdWrites) {
  const auto f = parse_dhcpd_leases(kDhcpdFile, "/var/lib/dhcp/dhcpd.leases");
  EXPECT_EQ(f.diag.invalid, 0u) << (f.diag.first_invalid.empty() ? "" : f.diag.first_invalid[0]);
  ASSERT_THAT(f.leases, SizeIs(3));
  const auto& a = f.leases[0];
  EXPECT_EQ(a.ip, ip("192.168.20.10"));
  EXPECT_EQ(a.mac, mac("3c:22:fb:01:02:03"));
  EXPECT_EQ(a.hostname, "bob's \"pc\"");
  EXPECT_EQ(a.client_id, "01:3c:22:fb:01:02:03");
  EXPECT_EQ(a.starts_s, 1704877200);           // 2024-01-10 09:00:00 UTC
  EXPECT_EQ(a.expires_s, 1704877200 + 43200);  // 21:00:00
  EXPECT_TRUE(a.active);
  EXPECT_EQ(a.source, LeaseSource::Dhcpd);
  EXPECT_EQ(a.line, 15u);
  const auto& b = f.leases[1];
  EXPECT_EQ(b.starts_s, 1704877200);
  EXPECT_EQ(b.expires_s, kNever);
  EXPECT_EQ(b.mac, mac("00:1b:21:0a:0b:0c"));  // single-digit octets
  EXPECT_EQ(b.client_id, "01:00:1b:21:0a:0b:0c");
  EXPECT_FALSE(f.leases[2].active);  // binding state free
  EXPECT_FALSE(f.leases[2].current(1704877200));
}

TEST(DhcpdLeases, ALaterBlockForTheSameAddressReplacesTheEarlier) {
  const auto f = parse_dhcpd_leases(
      "lease 10.0.0.5 { ends 3 2024/01/10 10:00:00; binding state active;\n"
      "  hardware ethernet 3c:22:fb:01:02:03; client-hostname \"first\"; }\n"
      "lease 10.0.0.5 { ends 3 2024/01/10 12:00:00; binding state active;\n"
      "  hardware ethernet 3c:22:fb:04:05:06; }\n",
      "l");
  ASSERT_THAT(f.leases, SizeIs(1));
  EXPECT_EQ(f.leases[0].mac, mac("3c:22:fb:04:05:06"));
  EXPECT_EQ(f.leases[0].hostname, "");  // the later block has none
  EXPECT_EQ(f.leases[0].line, 3u);
}

TEST(DhcpdLeases, StringEscapesAndComments) {
  const auto f = parse_dhcpd_leases(
      "lease 10.0.0.6 { # a comment { with braces }\n"
      "  client-hostname \"tab\\there\\x41\\101\\\\ \\;\"; # \"quoted\" ; }\n"
      "  hardware ethernet 3c:22:fb:01:02:03;\n"
      "}\n",
      "l");
  ASSERT_THAT(f.leases, SizeIs(1));
  // The tab is a control character: sanitised.
  EXPECT_EQ(f.leases[0].hostname, "tab\xEF\xBF\xBDhereAA\\ ;");
}

TEST(DhcpdLeases, Ipv6IaNaBlocks) {
  const auto f = parse_dhcpd_leases(
      "ia-na \"\\001\\000\\000\\000\\000\\001\\000\\001*+,-<\\\"\\373\\001\\002\\003\" {\n"
      "  cltt 3 2024/01/10 09:00:00;\n"
      "  iaaddr 2001:db8:20::10 {\n"
      "    binding state active;\n"
      "    preferred-life 27000;\n"
      "    max-life 43200;\n"
      "    ends 3 2024/01/10 21:00:00;\n"
      "  }\n"
      "  iaaddr 2001:db8:20::11 { binding state expired; ends 3 2024/01/10 08:00:00; }\n"
      "}\n"
      "ia-pd \"\\001\\000\\000\\000\\000\\003\\000\\001abcdef\" {\n"
      "  iaprefix 2001:db8:99::/56 { binding state active; }\n"
      "}\n",
      "/var/lib/dhcp/dhcpd6.leases");
  EXPECT_EQ(f.diag.invalid, 0u) << (f.diag.first_invalid.empty() ? "" : f.diag.first_invalid[0]);
  ASSERT_THAT(f.leases, SizeIs(2));
  EXPECT_EQ(f.leases[0].ip, ip("2001:db8:20::10"));
  EXPECT_EQ(f.leases[0].client_id, "00:01:00:01:2a:2b:2c:2d:3c:22:fb:01:02:03");
  EXPECT_EQ(f.leases[0].mac, mac("3c:22:fb:01:02:03"));
  EXPECT_TRUE(f.leases[0].mac_from_duid);
  EXPECT_EQ(f.leases[0].expires_s, 1704877200 + 43200);
  EXPECT_TRUE(f.leases[0].active);
  EXPECT_EQ(f.leases[0].line, 3u);
  EXPECT_FALSE(f.leases[1].active);
}

TEST(DhcpdLeases, MalformedBlocksAreRefusedAndParsingGoesOn) {
  const auto f = parse_dhcpd_leases(
      "lease 10.0.0.300 { binding state active; }\n"                                       // 1
      "lease 10.0.0.7 { starts 3 2024/13/10 09:00:00; }\n"                                 // 2
      "lease 10.0.0.8 { hardware ethernet 3c:22:fb:01:02; }\n"                             // 3
      "lease 10.0.0.9 { ends 9 2024/01/10 09:00:00; }\n"                                   // 4
      "lease 10.0.0.10 { ends 3 2024/02/30 09:00:00; }\n"                                  // 5
      "lease 10.0.0.11 { binding state active }\n"                                         // 6
      "}\n"                                                                                // 7
      "lease 10.0.0.12 { binding state active; hardware ethernet 3c:22:fb:01:02:03; }\n",  // 8
      "f");
  ASSERT_THAT(f.leases, SizeIs(1));
  EXPECT_EQ(f.leases[0].ip, ip("10.0.0.12"));
  EXPECT_EQ(f.diag.invalid, 7u);
  ASSERT_THAT(f.diag.first_invalid, SizeIs(7));
  EXPECT_EQ(f.diag.first_invalid[0], "f:1: lease: 'lease' needs one IP address");
  EXPECT_EQ(f.diag.first_invalid[1], "f:2: lease: line 2: bad time in 'starts'");
  EXPECT_EQ(f.diag.first_invalid[2], "f:3: lease: line 3: bad hardware ethernet address");
  EXPECT_EQ(f.diag.first_invalid[3], "f:4: lease: line 4: bad time in 'ends'");
  EXPECT_EQ(f.diag.first_invalid[4], "f:5: lease: line 5: bad time in 'ends'");
  EXPECT_EQ(f.diag.first_invalid[5], "f:6: lease: line 6: statement not ended by ';'");
  EXPECT_EQ(f.diag.first_invalid[6], "f:7: '}' without a block to close");
}

TEST(DhcpdLeases, AnUnterminatedBlockAtTheEndIsIgnored) {
  // dhcpd appends; a read can catch it half-way through a block.
  const auto f = parse_dhcpd_leases(
      "lease 10.0.0.5 { binding state active; hardware ethernet 3c:22:fb:01:02:03; }\n"
      "lease 10.0.0.6 {\n  starts 3 2024/01/10 09:00:00;\n  binding sta",
      "f");
  ASSERT_THAT(f.leases, SizeIs(1));
  EXPECT_THAT(f.diag.first_invalid, ElementsAre("f:2: block not closed before end of file"));
}

TEST(DhcpdLeases, AnUnclosedStringRunsToTheEndAndIsReported) {
  const auto f = parse_dhcpd_leases(
      "lease 10.0.0.5 { binding state active; }\n"
      "lease 10.0.0.6 { client-hostname \"never closed; }\n"
      "lease 10.0.0.7 { binding state active; }\n",
      "f");
  ASSERT_THAT(f.leases, SizeIs(1));
  EXPECT_EQ(f.diag.invalid, 1u);
}

TEST(DhcpdLeases, DeepNestingAndLongTokensStayBounded) {
  std::string text = "host x " + std::string(100000, '{') + std::string(100000, '}') + "\n";
  text += "lease 10.0.0.5 { client-hostname \"" + std::string(10000, 'a') + "\"; }\n";
  text += "lease 10.0.0.6 { " + std::string(10000, 'w') + "; binding state active; }\n";
  text += "lease 10.0.0.7 { binding state active; }\n";
  const auto f = parse_dhcpd_leases(text, "f");
  ASSERT_THAT(f.leases, SizeIs(1));
  EXPECT_EQ(f.leases[0].ip, ip("10.0.0.7"));
  EXPECT_EQ(f.diag.invalid, 2u);
  EXPECT_THAT(f.diag.first_invalid[0], HasSubstr("string longer than 4096 bytes"));
  EXPECT_THAT(f.diag.first_invalid[1], HasSubstr("word longer than 4096 bytes"));
}

TEST(DhcpdLeases, NulBytesAndInvalidUtf8InHostnames) {
  std::string text = "lease 10.0.0.5 { client-hostname \"";
  text += std::string("a\0b\xC3\x28", 5);
  text += "\"; binding state active; }\n";
  const auto f = parse_dhcpd_leases(text, "f");
  ASSERT_THAT(f.leases, SizeIs(1));
  EXPECT_EQ(f.leases[0].hostname,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD(");
  EXPECT_EQ(f.diag.sanitised, 1u);
}

}  // namespace
}  // namespace vigil::identity
