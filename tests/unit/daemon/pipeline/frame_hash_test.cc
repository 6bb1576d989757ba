#include "daemon/pipeline/frame_hash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace vigil::daemon {
namespace {

using Frame = std::vector<unsigned char>;

Frame ethernet_ipv4(std::uint8_t a, std::uint8_t b, bool vlan, std::uint16_t frag = 0) {
  Frame f(12, 0);
  if (vlan) f.insert(f.end(), {0x81, 0x00, 0x00, 0x05});
  f.insert(f.end(), {0x08, 0x00});
  Frame ip = {0x45,
              0,
              0,
              40,
              0,
              1,
              static_cast<std::uint8_t>(frag >> 8),
              static_cast<std::uint8_t>(frag),
              64,
              6,
              0,
              0,
              10,
              0,
              0,
              a,
              10,
              0,
              0,
              b};
  f.insert(f.end(), ip.begin(), ip.end());
  f.resize(f.size() + 20, 0);
  return f;
}

Frame raw_ipv6(std::uint8_t a, std::uint8_t b) {
  Frame f = {0x60, 0, 0, 0, 0, 0, 17, 64};
  Frame src(16, 0x20), dst(16, 0x20);
  src[15] = a;
  dst[15] = b;
  f.insert(f.end(), src.begin(), src.end());
  f.insert(f.end(), dst.begin(), dst.end());
  return f;
}

std::uint64_t h(std::uint32_t link, const Frame& f) {
  return frame_flow_hash(link, {f.data(), f.size()});
}

TEST(FrameHash, BothDirectionsAgree) {
  EXPECT_EQ(h(1, ethernet_ipv4(1, 2, false)), h(1, ethernet_ipv4(2, 1, false)));
  EXPECT_EQ(h(1, ethernet_ipv4(1, 2, true)), h(1, ethernet_ipv4(2, 1, true)));
  EXPECT_EQ(h(101, raw_ipv6(7, 9)), h(101, raw_ipv6(9, 7)));
  EXPECT_NE(h(1, ethernet_ipv4(1, 2, false)), 0U);
}

TEST(FrameHash, DifferentPairsSpread) {
  EXPECT_NE(h(1, ethernet_ipv4(1, 2, false)), h(1, ethernet_ipv4(1, 3, false)));
  // a+b and a^b alone would collide for these; the mix must not.
  EXPECT_NE(h(101, raw_ipv6(1, 2)), h(101, raw_ipv6(3, 0)));
}

TEST(FrameHash, FragmentsGoWithTheirFirstFragment) {
  EXPECT_EQ(h(1, ethernet_ipv4(1, 2, false, 0x2000)), h(1, ethernet_ipv4(1, 2, false, 0x00b9)));
}

TEST(FrameHash, TruncatedAndNonIpFramesGoToWorkerZero) {
  Frame arp(12, 0);
  arp.insert(arp.end(), {0x08, 0x06});
  arp.resize(42, 0);
  EXPECT_EQ(h(1, arp), 0U);
  Frame cut = ethernet_ipv4(1, 2, false);
  cut.resize(20);
  EXPECT_EQ(h(1, cut), 0U);
  EXPECT_EQ(h(1, Frame{}), 0U);
  EXPECT_EQ(h(9999, ethernet_ipv4(1, 2, false)), 0U);
}

}  // namespace
}  // namespace vigil::daemon
