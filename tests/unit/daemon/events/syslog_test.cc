#include "daemon/events/syslog.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vigil::daemon {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Transport = SyslogTarget::Transport;

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::uint64_t kTs = 1714557600123456;  // 2024-05-01T10:00:00.123456Z

SyslogHeader test_header() {
  return {.facility = kFacilityDaemon,
          .hostname = "router.centre.lan",
          .app_name = "vigild",
          .procid = "4242"};
}

SyslogEvent hostile_event() {
  return {.ts_us = kTs,
          .severity = SyslogSeverity::Critical,
          .msgid = "alert",
          .params = {{"category", "extremism"},
                     {"entry", "a\"b\\c]d"},
                     {"list", "x\ny\x01z\x7f"},
                     {"bytes", std::string("ok\xff\xc3(\xe2\x82\xac", 8)}},
          .msg = "line one\nline two \"quoted\" ] \\ caf\xc3\xa9"};
}

// What hostile_event() must look like on the wire.
std::string hostile_expected() {
  return std::string("<26>1 2024-05-01T10:00:00.123456Z router.centre.lan vigild 4242 alert ") +
         "[vigil@32473 category=\"extremism\" entry=\"a\\\"b\\\\c\\]d\" list=\"x?y?z?\" "
         "bytes=\"ok\xEF\xBF\xBD\xEF\xBF\xBD(\xe2\x82\xac\"] " +
         std::string(kBom) + "line one?line two \"quoted\" ] \\ caf\xc3\xa9";
}

// ------------------------------------------------------------------ format

TEST(Rfc5424, HeaderStructuredDataAndBomAreExact) {
  const SyslogEvent e{.ts_us = kTs,
                      .severity = SyslogSeverity::Warning,
                      .msgid = "concern",
                      .params = {{"category", "self_harm"}, {"console", "https://v.lan/c/7"}},
                      .msg = "a concern was raised"};
  EXPECT_EQ(format_rfc5424(e, test_header()),
            "<28>1 2024-05-01T10:00:00.123456Z router.centre.lan vigild 4242 concern "
            "[vigil@32473 category=\"self_harm\" console=\"https://v.lan/c/7\"] "
            "\xEF\xBB\xBF"
            "a concern was raised");
}

TEST(Rfc5424, HostileValuesAreEscapedAndCleaned) {
  EXPECT_EQ(format_rfc5424(hostile_event(), test_header()), hostile_expected());
}

TEST(Rfc5424, NilValuesAndBadHeaderCharacters) {
  SyslogHeader h = test_header();
  h.hostname = "";
  h.procid = "";
  h.facility = 16;
  const SyslogEvent e{.ts_us = 0, .severity = SyslogSeverity::Debug, .msgid = "", .msg = ""};
  EXPECT_EQ(format_rfc5424(e, h), "<135>1 1970-01-01T00:00:00.000000Z - vigild - - -");
  h.hostname = "bad host\xc3\xa9";
  h.app_name = std::string(60, 'a');
  const SyslogEvent e2{.ts_us = 0, .msgid = std::string(40, 'm') + " x"};
  const std::string out = format_rfc5424(e2, h);
  EXPECT_EQ(out, "<133>1 1970-01-01T00:00:00.000000Z bad_host__ " + std::string(48, 'a') + " - " +
                     std::string(32, 'm') + " -");
}

TEST(Rfc5424, BadParamNamesCannotBreakTheElement) {
  const SyslogEvent e{.ts_us = 0, .msgid = "alarm", .params = {{"a b=\"]", "v"}, {"", "w"}}};
  EXPECT_EQ(format_rfc5424(e, test_header()),
            "<29>1 1970-01-01T00:00:00.000000Z router.centre.lan vigild 4242 alarm "
            "[vigil@32473 a_b___=\"v\" _=\"w\"]");
}

TEST(Rfc5424, LongValuesAndMessagesAreCutBetweenCharacters) {
  SyslogEvent e{.ts_us = 0, .msgid = "alert"};
  // 300 bytes of two-byte characters: cut to 128 characters (256 bytes).
  std::string value;
  for (int i = 0; i < 150; ++i) value += "\xc3\xa9";
  e.params = {{"entry", value}};
  e.msg.clear();
  for (int i = 0; i < 2000; ++i) e.msg += "\xe2\x82\xac";  // three bytes each
  const std::string out = format_rfc5424(e, test_header(), 1000);
  EXPECT_LE(out.size(), 1000U);
  EXPECT_GT(out.size(), 997U);
  const std::size_t v = out.find("entry=\"") + 7;
  EXPECT_EQ(out.substr(v, 257), value.substr(0, 256) + "\"");
  const std::size_t bom = out.find(kBom);
  ASSERT_NE(bom, std::string::npos);
  EXPECT_EQ((out.size() - bom - kBom.size()) % 3, 0U);  // whole euro signs only
}

TEST(Rfc5424, AnAlertCarriesNoPersonalDetail) {
  rules::Hit hit;
  hit.kind = rules::HitKind::SearchTerm;
  hit.category = rules::Category::Extremism;
  hit.severity = rules::Severity::Danger;
  hit.action = rules::Action::Block;
  hit.list = "keywords-extremism";
  hit.entry = "example phrase";
  hit.line = 12;
  hit.value = "https://search.example/?q=learner+typed+this";
  hit.search_term = "learner typed this";
  hit.client = "192.0.2.77";
  hit.reason = "blocked for group learners-16-18 (Jo Bloggs)";
  rules::Decision d;
  d.verdict = rules::Verdict::Block;
  d.hits = {hit};
  const SyslogEvent e = syslog_alert(d, hit, kTs, "https://vigil.centre.lan:8443");
  EXPECT_EQ(e.msgid, "alert");
  EXPECT_EQ(e.severity, SyslogSeverity::Critical);
  const std::string out = format_rfc5424(e, test_header());
  EXPECT_EQ(out,
            "<26>1 2024-05-01T10:00:00.123456Z router.centre.lan vigild 4242 alert "
            "[vigil@32473 category=\"extremism\" severity=\"danger\" action=\"block\" "
            "verdict=\"block\" kind=\"search_term\" list=\"keywords-extremism\" "
            "entry=\"example phrase\" line=\"12\" statutory=\"false\" "
            "console=\"https://vigil.centre.lan:8443\"] \xEF\xBB\xBF"
            "extremism danger hit, action block, list keywords-extremism line 12; see "
            "https://vigil.centre.lan:8443");
  for (const char* secret : {"learner", "192.0.2.77", "Jo Bloggs", "search.example"}) {
    EXPECT_EQ(out.find(secret), std::string::npos) << secret;
  }
  hit.allowed = true;
  hit.severity = rules::Severity::Advisory;
  const SyslogEvent quiet = syslog_alert(d, hit, kTs, "");
  EXPECT_EQ(quiet.severity, SyslogSeverity::Notice);
  EXPECT_EQ(quiet.params[2].value, "allowed");
  EXPECT_EQ(quiet.params.back().name, "statutory");  // no console link without a URL
}

// ------------------------------------------------------------------ targets

TEST(SyslogTarget, Parses) {
  std::string error;
  auto t = parse_syslog_target("udp://collector.lan:5514", error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->transport, Transport::Udp);
  EXPECT_EQ(t->host, "collector.lan");
  EXPECT_EQ(t->port, 5514);
  t = parse_syslog_target("tcp://[2001:db8::1]:601", error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->transport, Transport::Tcp);
  EXPECT_EQ(t->host, "2001:db8::1");
  EXPECT_EQ(t->port, 601);
  t = parse_syslog_target("tcp://10.0.0.5", error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->port, 514);
  t = parse_syslog_target("unix:/run/x/log", error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->transport, Transport::Unix);
  EXPECT_EQ(t->path, "/run/x/log");
  t = parse_syslog_target("unix:///dev/log", error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->path, "/dev/log");
}

TEST(SyslogTarget, RefusesWithAReason) {
  for (const char* bad :
       {"collector:514", "udp://", "udp://:514", "udp://host:0", "udp://host:99999",
        "udp://host:", "tcp://2001:db8::1:514", "tcp://[2001:db8::1", "tcp://[x]:1",
        "unix:relative", "udp://a b:514", "http://host:514"}) {
    std::string error;
    EXPECT_FALSE(parse_syslog_target(bad, error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
}

// ------------------------------------------------------------------ sending

class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::optional<std::string> recv_datagram(int fd, int timeout_ms = 5000) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return std::nullopt;
  std::string buf(65536, '\0');
  const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
  if (n < 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

int loopback_socket(int type) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  if (type == SOCK_STREAM) ::listen(fd, 4);
  return fd;
}

SyslogOptions options_for(SyslogTarget target) {
  SyslogOptions o;
  o.target = std::move(target);
  o.header = test_header();
  o.reconnect_min = 10ms;
  o.reconnect_max = 50ms;
  return o;
}

TEST(SyslogSender, UdpSendsOneMessagePerDatagram) {
  FdGuard server(loopback_socket(SOCK_DGRAM));
  ASSERT_GE(server.get(), 0);
  SyslogSender sender(options_for(
      {.transport = Transport::Udp, .host = "127.0.0.1", .port = bound_port(server.get())}));
  sender.start();
  ASSERT_TRUE(sender.send(hostile_event()));
  EXPECT_EQ(recv_datagram(server.get()), hostile_expected());
  SyslogEvent second = hostile_event();
  second.msgid = "alarm";
  second.params.clear();
  second.msg = "capture drops";
  ASSERT_TRUE(sender.send(second));
  EXPECT_EQ(recv_datagram(server.get()),
            "<26>1 2024-05-01T10:00:00.123456Z router.centre.lan vigild 4242 alarm - " +
                std::string(kBom) + "capture drops");
  ASSERT_TRUE(sender.flush(5s));
  EXPECT_EQ(sender.stats().sent, 2U);
}

// Reads octet-counted frames ("LEN SP MSG") from a stream until `n` are whole.
std::vector<std::string> read_frames(int fd, std::size_t n, std::string& rest) {
  std::vector<std::string> frames;
  for (;;) {
    for (;;) {  // take every whole frame in `rest`
      const std::size_t sp = rest.find(' ');
      if (sp == std::string::npos) break;
      const std::size_t len = std::stoul(rest.substr(0, sp));
      EXPECT_EQ(std::to_string(len), rest.substr(0, sp)) << "no leading zeros or signs";
      if (rest.size() < sp + 1 + len) break;
      frames.push_back(rest.substr(sp + 1, len));
      rest.erase(0, sp + 1 + len);
    }
    if (frames.size() >= n) return frames;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return frames;
    char buf[8192];
    const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0) return frames;
    rest.append(buf, static_cast<std::size_t>(got));
  }
}

int accept_within(int listener, int timeout_ms = 5000) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return -1;
  return ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
}

TEST(SyslogSender, TcpUsesOctetCountingAndReconnects) {
  FdGuard listener(loopback_socket(SOCK_STREAM));
  ASSERT_GE(listener.get(), 0);
  SyslogSender sender(options_for(
      {.transport = Transport::Tcp, .host = "127.0.0.1", .port = bound_port(listener.get())}));
  sender.start();
  SyslogEvent one = hostile_event();
  SyslogEvent two = hostile_event();
  two.msg = "second\n";  // a newline cannot end a frame early: the length does
  ASSERT_TRUE(sender.send(one));
  ASSERT_TRUE(sender.send(two));
  FdGuard conn(accept_within(listener.get()));
  ASSERT_GE(conn.get(), 0);
  std::string rest;
  std::vector<std::string> frames = read_frames(conn.get(), 2, rest);
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(frames[0], hostile_expected());
  EXPECT_EQ(frames[1], format_rfc5424(two, test_header()));
  EXPECT_TRUE(rest.empty());
  ASSERT_TRUE(sender.flush(5s));

  conn.reset(-1);  // the collector restarts
  SyslogEvent three = hostile_event();
  three.msg = "after the restart";
  ASSERT_TRUE(sender.send(three));
  FdGuard conn2(accept_within(listener.get()));
  ASSERT_GE(conn2.get(), 0);
  rest.clear();
  frames = read_frames(conn2.get(), 1, rest);
  ASSERT_EQ(frames.size(), 1U);
  EXPECT_EQ(frames[0], format_rfc5424(three, test_header()));
  ASSERT_TRUE(sender.flush(5s));
  const SyslogStats st = sender.stats();
  EXPECT_EQ(st.sent, 3U);
  EXPECT_EQ(st.connects, 2U);
  EXPECT_EQ(st.dropped_undeliverable, 0U);
}

class UnixSocketDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-syslog-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/log";
  }
  void TearDown() override { fs::remove_all(dir_); }
  int bind_here() const {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path_.c_str());
    return ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? fd : -1;
  }
  std::string dir_;
  std::string path_;
};

TEST_F(UnixSocketDir, LocalSocketGetsTheMessageAsIs) {
  FdGuard server(bind_here());
  ASSERT_GE(server.get(), 0);
  SyslogSender sender(options_for({.transport = Transport::Unix, .path = path_}));
  sender.start();
  ASSERT_TRUE(sender.send(hostile_event()));
  EXPECT_EQ(recv_datagram(server.get()), hostile_expected());
}

TEST_F(UnixSocketDir, WaitsForTheSocketToAppear) {
  SyslogSender sender(options_for({.transport = Transport::Unix, .path = path_}));
  sender.start();
  ASSERT_TRUE(sender.send(hostile_event()));
  while (sender.stats().connect_failures < 2) std::this_thread::sleep_for(1ms);
  FdGuard server(bind_here());  // journald (re)starts
  ASSERT_GE(server.get(), 0);
  EXPECT_EQ(recv_datagram(server.get()), hostile_expected());
  ASSERT_TRUE(sender.flush(5s));
  EXPECT_EQ(sender.stats().sent, 1U);
  EXPECT_EQ(sender.stats().connects, 1U);
}

TEST_F(UnixSocketDir, AFullQueueDropsAndCounts) {
  SyslogOptions o = options_for({.transport = Transport::Unix, .path = path_});
  o.queue_messages = 2;
  SyslogSender sender(o);
  EXPECT_TRUE(sender.send(hostile_event()));
  EXPECT_TRUE(sender.send(hostile_event()));
  EXPECT_FALSE(sender.send(hostile_event()));
  EXPECT_EQ(sender.stats().dropped_full, 1U);
  EXPECT_EQ(sender.stats().queued, 2U);
  FdGuard server(bind_here());
  sender.start();
  EXPECT_EQ(recv_datagram(server.get()), hostile_expected());
  EXPECT_EQ(recv_datagram(server.get()), hostile_expected());
  ASSERT_TRUE(sender.flush(5s));
  EXPECT_EQ(sender.stats().sent, 2U);
}

TEST_F(UnixSocketDir, StopCountsWhatCouldNotBeSent) {
  SyslogOptions o = options_for({.transport = Transport::Unix, .path = path_});
  o.drain_timeout = 50ms;
  SyslogSender sender(o);
  sender.start();
  EXPECT_TRUE(sender.send(hostile_event()));
  EXPECT_TRUE(sender.send(hostile_event()));
  sender.stop();
  const SyslogStats st = sender.stats();
  EXPECT_EQ(st.sent, 0U);
  EXPECT_EQ(st.dropped_undeliverable, 2U);
  EXPECT_FALSE(sender.send(hostile_event()));
}

}  // namespace
}  // namespace vigil::daemon
