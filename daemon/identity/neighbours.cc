#include "daemon/identity/neighbours.h"

#include <fcntl.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "daemon/identity/text_util.h"

namespace vigil::identity {

namespace {

constexpr std::size_t kMaxProcLineBytes = 512;
constexpr std::size_t kMaxProcArpBytes = std::size_t{16} << 20;
constexpr std::size_t kRecvBufferBytes =
    std::size_t{64} * 1024;          // the kernel's dump batches stay below 32 KiB
constexpr int kMaxDumpAttempts = 3;  // retries of an interrupted dump

// Netlink structures are read by copying, never by casting into the buffer.
template <typename T>
bool read_at(std::span<const std::uint8_t> buf, std::size_t off, T& out) noexcept {
  if (off > buf.size() || buf.size() - off < sizeof(T)) return false;
  std::memcpy(&out, buf.data() + off, sizeof(T));
  return true;
}

std::optional<NeighbourState> state_of(std::uint16_t nud) noexcept {
  // A neighbour has one state; NUD_NOARP, NUD_INCOMPLETE, NUD_FAILED and
  // NUD_NONE carry no usable MAC (or are not LAN devices).
  switch (nud) {
    case NUD_REACHABLE:
      return NeighbourState::Reachable;
    case NUD_STALE:
      return NeighbourState::Stale;
    case NUD_DELAY:
      return NeighbourState::Delay;
    case NUD_PROBE:
      return NeighbourState::Probe;
    case NUD_PERMANENT:
      return NeighbourState::Permanent;
    default:
      return std::nullopt;
  }
}

// One RTM_NEWNEIGH message body (after the nlmsghdr).
void parse_neigh(std::span<const std::uint8_t> body, NeighbourTable& out, const Limits& limits) {
  ndmsg ndm{};
  if (!read_at(body, 0, ndm)) {
    ++out.diag.invalid;
    return;
  }
  if (ndm.ndm_family != AF_INET && ndm.ndm_family != AF_INET6) {
    ++out.diag.skipped;  // bridge FDB entries and the like
    return;
  }
  const auto state = state_of(ndm.ndm_state);
  if (!state || (ndm.ndm_flags & NTF_PROXY) != 0) {
    ++out.diag.skipped;
    return;
  }
  std::optional<IpAddress> ip;
  std::optional<MacAddress> mac;
  std::size_t off = NLMSG_ALIGN(sizeof(ndmsg));
  while (off < body.size()) {
    rtattr rta{};
    if (!read_at(body, off, rta) || rta.rta_len < sizeof(rtattr) ||
        rta.rta_len > body.size() - off) {
      ++out.diag.invalid;  // a bad attribute list: drop the entry, keep the dump
      return;
    }
    const std::size_t payload_len = rta.rta_len - RTA_LENGTH(0);
    const std::span<const std::uint8_t> payload = body.subspan(off + RTA_LENGTH(0), payload_len);
    switch (rta.rta_type & NLA_TYPE_MASK) {
      case NDA_DST:
        if (ndm.ndm_family == AF_INET && payload_len == 4) {
          ip = IpAddress::from_v4(payload.data());
        } else if (ndm.ndm_family == AF_INET6 && payload_len == 16) {
          ip = IpAddress::from_v6(payload.data());
        }
        break;
      case NDA_LLADDR:
        if (payload_len == 6) {
          MacAddress m;
          std::memcpy(m.bytes.data(), payload.data(), 6);
          mac = m;
        }
        break;
      default:
        break;
    }
    const std::size_t step = RTA_ALIGN(rta.rta_len);
    if (step > body.size() - off) break;
    off += step;
  }
  if (!ip || !mac || !mac->is_device_address()) {
    ++out.diag.skipped;  // no address, a tunnel's non-Ethernet address, a multicast MAC
    return;
  }
  if (out.entries.size() >= limits.max_neighbours) {
    ++out.diag.truncated;
    return;
  }
  out.entries.push_back(Neighbour{*ip, *mac, *state, ndm.ndm_ifindex});
  ++out.diag.accepted;
}

class NetlinkSocket {
 public:
  NetlinkSocket() : fd_(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {}
  ~NetlinkSocket() {
    if (fd_ >= 0) close(fd_);
  }
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string errno_text(std::string_view what, int err) {
  return "netlink: " + std::string(what) + ": " + std::strerror(err);
}

// One dump; false with diag.error set when it failed.
bool dump_once(std::uint32_t seq, NeighbourTable& out, bool& interrupted, const Limits& limits) {
  NetlinkSocket sock;
  if (sock.fd() < 0) {
    out.diag.error = errno_text("socket", errno);
    return false;
  }
  // A dump that stalls must not stall the refresh thread.
  timeval tv{};
  tv.tv_sec = 2;
  setsockopt(sock.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(sock.fd(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    out.diag.error = errno_text("bind", errno);
    return false;
  }
  socklen_t len = sizeof local;
  if (getsockname(sock.fd(), reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    out.diag.error = errno_text("getsockname", errno);
    return false;
  }

  struct {
    nlmsghdr nh;
    ndmsg ndm;
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ndmsg));
  req.nh.nlmsg_type = RTM_GETNEIGH;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nh.nlmsg_seq = seq;
  req.ndm.ndm_family = AF_UNSPEC;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(sock.fd(), &req, req.nh.nlmsg_len, 0, reinterpret_cast<const sockaddr*>(&kernel),
             sizeof kernel) < 0) {
    out.diag.error = errno_text("send", errno);
    return false;
  }

  std::vector<std::uint8_t> buf(kRecvBufferBytes);
  while (true) {
    sockaddr_nl from{};
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    const ssize_t n = recvmsg(sock.fd(), &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      out.diag.error = errno_text("receive", errno);
      return false;
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      out.diag.error = "netlink: a dump message was larger than the receive buffer";
      return false;
    }
    if (from.nl_pid != 0) continue;  // not from the kernel
    const auto progress =
        parse_neighbour_dump(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)),
                             seq, local.nl_pid, out, interrupted, limits);
    if (progress == DumpProgress::Done) return true;
    if (progress == DumpProgress::Failed) return false;
  }
}

}  // namespace

DumpProgress parse_neighbour_dump(std::span<const std::uint8_t> datagram, std::uint32_t seq,
                                  std::uint32_t port_id, NeighbourTable& out, bool& interrupted,
                                  const Limits& limits) noexcept {
  try {
    std::size_t off = 0;
    while (off < datagram.size()) {
      nlmsghdr nh{};
      if (!read_at(datagram, off, nh) || nh.nlmsg_len < sizeof(nlmsghdr) ||
          nh.nlmsg_len > datagram.size() - off) {
        out.diag.error = "netlink: malformed message in the neighbour dump";
        return DumpProgress::Failed;
      }
      const auto body = datagram.subspan(off + NLMSG_HDRLEN, nh.nlmsg_len - NLMSG_HDRLEN);
      const std::size_t step = NLMSG_ALIGN(nh.nlmsg_len);
      off = step > datagram.size() - off ? datagram.size() : off + step;
      if (nh.nlmsg_seq != seq || nh.nlmsg_pid != port_id) {
        ++out.diag.skipped;  // an answer to some other request
        continue;
      }
      if ((nh.nlmsg_flags & NLM_F_DUMP_INTR) != 0) interrupted = true;
      switch (nh.nlmsg_type) {
        case NLMSG_DONE:
          return DumpProgress::Done;
        case NLMSG_ERROR: {
          nlmsgerr err{};
          if (!read_at(body, 0, err)) {
            out.diag.error = "netlink: truncated error message";
            return DumpProgress::Failed;
          }
          if (err.error == 0) break;  // an acknowledgement
          out.diag.error = errno_text("RTM_GETNEIGH", err.error < 0 ? -err.error : err.error);
          return DumpProgress::Failed;
        }
        case RTM_NEWNEIGH:
          parse_neigh(body, out, limits);
          break;
        default:
          ++out.diag.skipped;
          break;
      }
    }
    return DumpProgress::More;
  } catch (const std::exception& e) {
    out.diag.error = std::string("netlink: ") + e.what();
    return DumpProgress::Failed;
  }
}

NeighbourTable read_neighbours_netlink(const Limits& limits) noexcept {
  NeighbourTable out;
  try {
    out.method = "netlink";
    out.diag.path = "netlink";
    for (int attempt = 1; attempt <= kMaxDumpAttempts; ++attempt) {
      out.entries.clear();
      out.diag = ParseDiagnostics{};
      out.diag.path = "netlink";
      bool interrupted = false;
      if (!dump_once(static_cast<std::uint32_t>(attempt), out, interrupted, limits)) {
        out.entries.clear();
        return out;
      }
      // The table changed during the dump; what we have may mix old and new.
      if (!interrupted) return out;
    }
    // Still interrupted: a busy table. The entries are each valid, if not
    // one consistent picture; better than none.
    return out;
  } catch (const std::exception& e) {
    out.entries.clear();
    out.diag.error = std::string("netlink: ") + e.what();
    return out;
  }
}

NeighbourTable parse_proc_net_arp(std::string_view text, std::string path,
                                  const Limits& limits) noexcept {
  NeighbourTable out;
  try {
    out.method = path;
    out.diag.path = std::move(path);
    bool header = true;
    detail::for_each_line(
        text, kMaxProcLineBytes, out.diag, [&](std::uint32_t number, std::string_view line) {
          if (header) {  // "IP address       HW type     Flags       HW address ..."
            header = false;
            if (line.starts_with("IP address")) {
              ++out.diag.skipped;
              return true;
            }
          }
          std::array<std::string_view, 6> f;
          std::size_t n = 0;
          std::string_view rest = line;
          while (true) {
            rest = detail::trim(rest);
            if (rest.empty() || n == f.size()) break;
            std::size_t end = 0;
            while (end < rest.size() && !detail::is_space(rest[end])) ++end;
            f[n++] = rest.substr(0, end);
            rest.remove_prefix(end);
          }
          if (n == 0) {
            ++out.diag.skipped;
            return true;
          }
          if (n != 6 || !detail::trim(rest).empty()) {
            detail::reject(out.diag, number, "expected 6 columns");
            return true;
          }
          const auto ip = detail::parse_ip(f[0]);
          const auto mac = MacAddress::parse(f[3]);
          auto hex = [](std::string_view s) -> std::optional<unsigned> {
            if (!s.starts_with("0x") || s.size() < 3 || s.size() > 10) return std::nullopt;
            unsigned v = 0;
            for (const char c : s.substr(2)) {
              const int d = (c >= '0' && c <= '9')   ? c - '0'
                            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                     : -1;
              if (d < 0) return std::nullopt;
              v = v * 16 + static_cast<unsigned>(d);
            }
            return v;
          };
          const auto hw_type = hex(f[1]);
          const auto flags = hex(f[2]);
          if (!ip || ip->v6 || !hw_type || !flags) {
            detail::reject(out.diag, number, "not an ARP table line");
            return true;
          }
          constexpr unsigned kAtfCom = 0x02;   // completed entry: the MAC is known
          constexpr unsigned kAtfPerm = 0x04;  // permanent entry
          if (*hw_type != 1 || (*flags & kAtfCom) == 0 || !mac || !mac->is_device_address()) {
            ++out.diag.skipped;  // incomplete, or not Ethernet
            return true;
          }
          if (out.entries.size() >= limits.max_neighbours) {
            ++out.diag.truncated;
            return false;
          }
          const auto state =
              (*flags & kAtfPerm) != 0 ? NeighbourState::Permanent : NeighbourState::Reachable;
          out.entries.push_back(Neighbour{*ip, *mac, state, 0});
          ++out.diag.accepted;
          return true;
        });
  } catch (const std::exception& e) {
    out.entries.clear();
    out.diag.error = out.diag.path + ": " + e.what();
  }
  return out;
}

NeighbourTable read_neighbour_table(const Limits& limits,
                                    const std::string& proc_arp_path) noexcept {
  NeighbourTable nl = read_neighbours_netlink(limits);
  if (nl.diag.ok()) return nl;
  try {
    // /proc files report size 0: read to the end, bounded.
    const int fd = open(proc_arp_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      nl.diag.error += "; " + proc_arp_path + ": " + std::strerror(errno);
      return nl;
    }
    std::string text;
    char chunk[16384];
    bool failed = false;
    // About 80 bytes a line; the kernel keeps a few thousand entries at most (gc_thresh3).
    const std::size_t cap = std::min(limits.max_neighbours * 128 + 4096, kMaxProcArpBytes);
    while (text.size() <= cap) {
      const ssize_t n = read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        failed = true;
        break;
      }
      if (n == 0) break;
      text.append(chunk, static_cast<std::size_t>(n));
    }
    const int err = errno;
    close(fd);
    if (failed) {
      nl.diag.error += "; " + proc_arp_path + ": " + std::strerror(err);
      return nl;
    }
    NeighbourTable arp = parse_proc_net_arp(text, proc_arp_path, limits);
    arp.method = proc_arp_path + " (netlink failed: " + nl.diag.error + ")";
    return arp;
  } catch (const std::exception& e) {
    nl.diag.error += std::string("; ") + e.what();
    return nl;
  }
}

}  // namespace vigil::identity
