#include "daemon/identity/neighbours.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "daemon/identity/text_util.h"

namespace vigil::identity {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

IpAddress ip(std::string_view s) { return *detail::parse_ip(s); }
MacAddress mac(std::string_view s) { return *MacAddress::parse(s); }

constexpr std::uint32_t kSeq = 7;
constexpr std::uint32_t kPort = 4242;

// Builds netlink datagrams the way the kernel lays them out.
class Dump {
 public:
  Dump& neigh(std::uint8_t family, std::uint16_t state, const std::vector<std::uint8_t>& dst,
              const std::vector<std::uint8_t>& lladdr, std::uint8_t flags = 0,
              std::uint32_t seq = kSeq, std::uint32_t port = kPort) {
    std::vector<std::uint8_t> body(NLMSG_ALIGN(sizeof(ndmsg)));
    ndmsg ndm{};
    ndm.ndm_family = family;
    ndm.ndm_state = state;
    ndm.ndm_flags = flags;
    ndm.ndm_ifindex = 3;
    std::memcpy(body.data(), &ndm, sizeof ndm);
    if (!dst.empty()) attr(body, NDA_DST, dst);
    if (!lladdr.empty()) attr(body, NDA_LLADDR, lladdr);
    return message(RTM_NEWNEIGH, 0, body, seq, port);
  }
  Dump& done() {
    return message(NLMSG_DONE, NLM_F_MULTI, std::vector<std::uint8_t>(4), kSeq, kPort);
  }
  Dump& error(int err) {
    nlmsgerr e{};
    e.error = err;
    std::vector<std::uint8_t> body(sizeof e);
    std::memcpy(body.data(), &e, sizeof e);
    return message(NLMSG_ERROR, 0, body, kSeq, kPort);
  }
  Dump& message(std::uint16_t type, std::uint16_t flags, const std::vector<std::uint8_t>& body,
                std::uint32_t seq = kSeq, std::uint32_t port = kPort) {
    nlmsghdr nh{};
    nh.nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + body.size());
    nh.nlmsg_type = type;
    nh.nlmsg_flags = flags | NLM_F_MULTI;
    nh.nlmsg_seq = seq;
    nh.nlmsg_pid = port;
    const std::size_t at = bytes_.size();
    bytes_.resize(at + NLMSG_ALIGN(nh.nlmsg_len));
    std::memcpy(bytes_.data() + at, &nh, sizeof nh);
    std::memcpy(bytes_.data() + at + NLMSG_HDRLEN, body.data(), body.size());
    return *this;
  }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

  static void attr(std::vector<std::uint8_t>& body, std::uint16_t type,
                   const std::vector<std::uint8_t>& payload) {
    rtattr rta{};
    rta.rta_len = static_cast<std::uint16_t>(RTA_LENGTH(payload.size()));
    rta.rta_type = type;
    const std::size_t at = body.size();
    body.resize(at + RTA_ALIGN(rta.rta_len));
    std::memcpy(body.data() + at, &rta, sizeof rta);
    std::memcpy(body.data() + at + RTA_LENGTH(0), payload.data(), payload.size());
  }

 private:
  std::vector<std::uint8_t> bytes_;
};

const std::vector<std::uint8_t> kV4 = {192, 168, 10, 20};
const std::vector<std::uint8_t> kV6 = {0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20};
const std::vector<std::uint8_t> kMac = {0x3c, 0x22, 0xfb, 1, 2, 3};

DumpProgress parse(Dump& d, NeighbourTable& t, bool& interrupted) {
  return parse_neighbour_dump(d.bytes(), kSeq, kPort, t, interrupted);
}

TEST(NeighbourDump, KeepsStatesWithAKnownMac) {
  Dump d;
  d.neigh(AF_INET, NUD_REACHABLE, kV4, kMac)
      .neigh(AF_INET6, NUD_STALE, kV6, kMac)
      .neigh(AF_INET, NUD_DELAY, {10, 0, 0, 1}, kMac)
      .neigh(AF_INET, NUD_PROBE, {10, 0, 0, 2}, kMac)
      .neigh(AF_INET, NUD_PERMANENT, {10, 0, 0, 3}, kMac)
      .done();
  NeighbourTable t;
  bool interrupted = false;
  EXPECT_EQ(parse(d, t, interrupted), DumpProgress::Done);
  EXPECT_FALSE(interrupted);
  ASSERT_THAT(t.entries, SizeIs(5));
  EXPECT_EQ(t.entries[0], (Neighbour{ip("192.168.10.20"), mac("3c:22:fb:01:02:03"),
                                     NeighbourState::Reachable, 3}));
  EXPECT_EQ(t.entries[1].ip, ip("fd00:10::20"));
  EXPECT_EQ(t.entries[1].state, NeighbourState::Stale);
  EXPECT_EQ(t.entries[4].state, NeighbourState::Permanent);
  EXPECT_EQ(t.diag.accepted, 5u);
}

TEST(NeighbourDump, SkipsWhatCarriesNoDeviceMac) {
  Dump d;
  d.neigh(AF_INET, NUD_FAILED, kV4, {})
      .neigh(AF_INET, NUD_INCOMPLETE, kV4, {})
      .neigh(AF_INET, NUD_NOARP, {224, 0, 0, 1}, {0x01, 0, 0x5e, 0, 0, 1})
      .neigh(AF_INET, NUD_REACHABLE, kV4, kMac, NTF_PROXY)
      .neigh(AF_BRIDGE, NUD_PERMANENT, {}, kMac)         // a bridge FDB entry
      .neigh(AF_INET, NUD_REACHABLE, kV4, {1, 2, 3, 4})  // a tunnel's IPv4 "lladdr"
      .neigh(AF_INET, NUD_REACHABLE, kV4, {0, 0, 0, 0, 0, 0})
      .neigh(AF_INET, NUD_REACHABLE, {}, kMac)                // no destination
      .neigh(AF_INET, NUD_REACHABLE, kV6, kMac)               // a v6 address in a v4 entry
      .neigh(AF_INET, NUD_REACHABLE, kV4, kMac, 0, kSeq + 1)  // another request's answer
      .neigh(AF_INET, NUD_REACHABLE, kV4, kMac, 0, kSeq, kPort + 1)
      .done();
  NeighbourTable t;
  bool interrupted = false;
  EXPECT_EQ(parse(d, t, interrupted), DumpProgress::Done);
  EXPECT_THAT(t.entries, SizeIs(0));
  EXPECT_EQ(t.diag.skipped, 11u);
}

TEST(NeighbourDump, MoreUntilDoneAndInterruptedFlag) {
  Dump d;
  d.neigh(AF_INET, NUD_REACHABLE, kV4, kMac);
  d.message(RTM_NEWNEIGH, NLM_F_DUMP_INTR, std::vector<std::uint8_t>(NLMSG_ALIGN(sizeof(ndmsg))));
  NeighbourTable t;
  bool interrupted = false;
  EXPECT_EQ(parse(d, t, interrupted), DumpProgress::More);
  EXPECT_TRUE(interrupted);
  EXPECT_THAT(t.entries, SizeIs(1));
}

TEST(NeighbourDump, ErrorsAndAcks) {
  {
    Dump d;
    d.error(0).neigh(AF_INET, NUD_REACHABLE, kV4, kMac).done();
    NeighbourTable t;
    bool interrupted = false;
    EXPECT_EQ(parse(d, t, interrupted), DumpProgress::Done);
    EXPECT_THAT(t.entries, SizeIs(1));
  }
  {
    Dump d;
    d.error(-EPERM);
    NeighbourTable t;
    bool interrupted = false;
    EXPECT_EQ(parse(d, t, interrupted), DumpProgress::Failed);
    EXPECT_THAT(t.diag.error, HasSubstr("Operation not permitted"));
  }
  {
    Dump d;
    d.message(NLMSG_ERROR, 0, {1, 2});  // too short to hold nlmsgerr
    NeighbourTable t;
    bool interrupted = false;
    EXPECT_EQ(parse(d, t, interrupted), DumpProgress::Failed);
  }
}

TEST(NeighbourDump, LengthsThatDoNotFitFailOrDropTheEntry) {
  {
    Dump d;
    d.neigh(AF_INET, NUD_REACHABLE, kV4, kMac);
    d.bytes().resize(d.bytes().size() - 4);  // the message claims more than is there
    NeighbourTable t;
    bool interrupted = false;
    EXPECT_EQ(parse(d, t, interrupted), DumpProgress::Failed);
    EXPECT_THAT(t.diag.error, HasSubstr("malformed"));
  }
  {
    Dump d;
    d.neigh(AF_INET, NUD_REACHABLE, kV4, kMac);
    // Make the first attribute claim 200 bytes.
    const std::uint16_t bad = 200;
    std::memcpy(d.bytes().data() + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ndmsg)), &bad, 2);
    d.neigh(AF_INET, NUD_REACHABLE, {10, 0, 0, 9}, kMac).done();
    NeighbourTable t;
    bool interrupted = false;
    EXPECT_EQ(parse(d, t, interrupted), DumpProgress::Done);
    ASSERT_THAT(t.entries, SizeIs(1));
    EXPECT_EQ(t.entries[0].ip, ip("10.0.0.9"));
    EXPECT_EQ(t.diag.invalid, 1u);
  }
  {
    Dump d;
    d.message(RTM_NEWNEIGH, 0, {1, 2, 3});  // shorter than ndmsg
    NeighbourTable t;
    bool interrupted = false;
    EXPECT_EQ(parse(d, t, interrupted), DumpProgress::More);
    EXPECT_EQ(t.diag.invalid, 1u);
  }
}

TEST(NeighbourDump, RandomBytesNeverReadOutOfBounds) {
  std::mt19937 rng(1234);
  Dump base;
  base.neigh(AF_INET, NUD_REACHABLE, kV4, kMac).neigh(AF_INET6, NUD_STALE, kV6, kMac).done();
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> b = base.bytes();
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
    b.resize(rng() % (b.size() + 1));
    NeighbourTable t;
    bool interrupted = false;
    parse_neighbour_dump(b, kSeq, kPort, t, interrupted);
    for (const auto& n : t.entries) EXPECT_TRUE(n.mac.is_device_address());
  }
}

TEST(ProcNetArp, CompleteEthernetEntriesOnly) {
  const auto t = parse_proc_net_arp(
      "IP address       HW type     Flags       HW address            Mask     Device\n"
      "192.168.10.20    0x1         0x2         3c:22:fb:01:02:03     *        br-lan\n"
      "192.168.10.21    0x1         0x6         3c:22:fb:01:02:04     *        br-lan\n"
      "192.168.10.22    0x1         0x0         00:00:00:00:00:00     *        br-lan\n"
      "192.168.10.23    0x20        0x2         "
      "80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:01:02:03     *  ib0\n"
      "bogus line\n"
      "192.168.10.24    0x1         0x2         3c:22:fb:01:02:05     *        br-lan     extra\n",
      "/proc/net/arp");
  ASSERT_THAT(t.entries, SizeIs(2));
  EXPECT_EQ(t.entries[0], (Neighbour{ip("192.168.10.20"), mac("3c:22:fb:01:02:03"),
                                     NeighbourState::Reachable, 0}));
  EXPECT_EQ(t.entries[1].state, NeighbourState::Permanent);
  EXPECT_EQ(t.diag.skipped, 3u);  // header, incomplete, InfiniBand
  EXPECT_EQ(t.diag.invalid, 2u);
  EXPECT_EQ(t.diag.first_invalid[0], "/proc/net/arp:6: expected 6 columns");
  EXPECT_EQ(t.method, "/proc/net/arp");
}

TEST(NeighbourTableLive, TheHostsOwnTableDumpsWithoutError) {
  const auto t = read_neighbours_netlink();
  EXPECT_TRUE(t.diag.ok()) << t.diag.error;
  EXPECT_EQ(t.method, "netlink");
  for (const auto& n : t.entries) EXPECT_TRUE(n.mac.is_device_address());
  const auto both = read_neighbour_table();
  EXPECT_TRUE(both.diag.ok()) << both.diag.error;
}

// A network namespace made by the test, removed when it ends.
class ScopedNetns {
 public:
  ScopedNetns() : name_("vigil-ident-" + std::to_string(getpid())) {}
  ~ScopedNetns() {
    if (made_) run("ip netns del " + name_);
  }
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  bool make() {
    made_ = run("ip netns add " + name_);
    return made_;
  }
  bool in(const std::string& args) { return run("ip -n " + name_ + " " + args); }
  [[nodiscard]] std::string path() const { return "/run/netns/" + name_; }

 private:
  static bool run(const std::string& cmd) {
    return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;  // NOLINT(cert-env33-c)
  }
  std::string name_;
  bool made_ = false;
};

TEST(NeighbourTableLive, SeesAPermanentEntryInsideANamespaceMadeByTheTest) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to make a network namespace";
  ScopedNetns ns;
  if (!ns.make()) GTEST_SKIP() << "cannot make a network namespace here (ip netns add failed)";
  ASSERT_TRUE(ns.in("link add va type veth peer name vb"));
  ASSERT_TRUE(ns.in("link set va up"));
  ASSERT_TRUE(ns.in("link set vb up"));
  ASSERT_TRUE(ns.in("neigh add 10.99.0.2 lladdr 02:11:22:33:44:55 dev va nud permanent"));
  ASSERT_TRUE(ns.in("neigh add 10.99.0.3 lladdr 3c:22:fb:33:44:66 dev va nud stale"));
  ASSERT_TRUE(ns.in("neigh add 10.99.0.4 lladdr 3c:22:fb:33:44:77 dev va nud noarp"));
  ASSERT_TRUE(ns.in("neigh add fd00:99::2 lladdr 02:11:22:33:44:88 dev va nud permanent"));

  NeighbourTable nl;
  NeighbourTable arp;
  std::string setns_error;
  // setns() moves only the calling thread; do it on a thread of our own.
  std::thread worker([&] {
    const int fd = open(ns.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      setns_error = std::strerror(errno);
      if (fd >= 0) close(fd);
      return;
    }
    close(fd);
    nl = read_neighbours_netlink();
    std::ifstream in("/proc/thread-self/net/arp");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    arp = parse_proc_net_arp(text, "/proc/thread-self/net/arp");
  });
  worker.join();
  ASSERT_EQ(setns_error, "");

  ASSERT_TRUE(nl.diag.ok()) << nl.diag.error;
  auto find = [](const NeighbourTable& t, std::string_view addr) -> const Neighbour* {
    for (const auto& n : t.entries) {
      if (n.ip == ip(addr)) return &n;
    }
    return nullptr;
  };
  const Neighbour* perm = find(nl, "10.99.0.2");
  ASSERT_NE(perm, nullptr);
  EXPECT_EQ(perm->mac, mac("02:11:22:33:44:55"));
  EXPECT_EQ(perm->state, NeighbourState::Permanent);
  EXPECT_GT(perm->ifindex, 0);
  const Neighbour* stale = find(nl, "10.99.0.3");
  ASSERT_NE(stale, nullptr);
  EXPECT_EQ(stale->state, NeighbourState::Stale);
  EXPECT_EQ(find(nl, "10.99.0.4"), nullptr);  // NOARP is skipped
  const Neighbour* v6 = find(nl, "fd00:99::2");
  ASSERT_NE(v6, nullptr);
  EXPECT_EQ(v6->mac, mac("02:11:22:33:44:88"));
  // Nothing from the host's own table leaks in.
  EXPECT_THAT(nl.entries, SizeIs(3));

  // The /proc fallback sees the same IPv4 entries.
  ASSERT_TRUE(arp.diag.ok());
  const Neighbour* perm_arp = find(arp, "10.99.0.2");
  ASSERT_NE(perm_arp, nullptr);
  EXPECT_EQ(perm_arp->state, NeighbourState::Permanent);
  EXPECT_NE(find(arp, "10.99.0.3"), nullptr);
}

}  // namespace
}  // namespace vigil::identity
