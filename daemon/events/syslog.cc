#include "daemon/events/syslog.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <utility>

#include "rules/taxonomy.h"

namespace vigil::daemon {
namespace {

constexpr std::size_t kMaxValueBytes = 256;
constexpr int kMaxAttempts = 3;
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// A header field: PRINTUSASCII (33..126) only, at most `max` octets, "-"
// when empty.
void append_header_field(std::string& out, std::string_view field, std::size_t max) {
  if (field.empty()) {
    out += '-';
    return;
  }
  field = field.substr(0, max);
  for (char c : field) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 33 && u <= 126) ? c : '_';
  }
}

// The length of the UTF-8 sequence at s[i] when it is well formed (no
// overlong forms, no surrogates, at most U+10FFFF), else 0; its code point
// in `cp`.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  std::uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1Fu;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0Fu;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07u;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Valid UTF-8 with every control character (C0, DEL, C1) as '?', at most
// `max` octets, cut between characters. With `escape`, '"', '\' and ']'
// get a backslash (PARAM-VALUE); the cut counts the text before escaping.
std::string clean_text(std::string_view in, std::size_t max, bool escape) {
  std::string out;
  std::size_t used = 0;
  for (std::size_t i = 0; i < in.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence(in, i, cp);
    std::string_view piece;
    char ascii = 0;
    if (len == 0) {
      piece = kReplacement;
    } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      ascii = '?';
    } else if (len == 1) {
      ascii = static_cast<char>(cp);
    } else {
      piece = in.substr(i, len);
    }
    const std::size_t size = ascii != 0 ? 1 : piece.size();
    if (used + size > max) break;
    used += size;
    if (ascii != 0) {
      if (escape && (ascii == '"' || ascii == '\\' || ascii == ']')) out += '\\';
      out += ascii;
    } else {
      out += piece;
    }
    i += len == 0 ? 1 : len;
  }
  return out;
}

// An SD-NAME: printable ASCII except '=', ' ', ']' and '"', 1..32 octets.
void append_sd_name(std::string& out, std::string_view name) {
  if (name.empty()) name = "_";
  name = name.substr(0, 32);
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    const bool ok = u >= 33 && u <= 126 && c != '=' && c != ']' && c != '"';
    out += ok ? c : '_';
  }
}

void append_timestamp(std::string& out, std::uint64_t ts_us) {
  const auto secs = static_cast<time_t>(ts_us / 1'000'000u);
  const auto micros = static_cast<unsigned>(ts_us % 1'000'000u);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[96];  // room for any int the compiler cannot rule out
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, micros);
  out += buf;
}

SyslogSeverity syslog_severity(rules::Severity s) {
  switch (s) {
    case rules::Severity::Danger:
      return SyslogSeverity::Critical;
    case rules::Severity::Caution:
      return SyslogSeverity::Warning;
    case rules::Severity::Advisory:
      break;
  }
  return SyslogSeverity::Notice;
}

bool parse_port(std::string_view text, std::uint16_t& port) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

}  // namespace

SyslogHeader local_syslog_header(std::uint8_t facility) {
  SyslogHeader h;
  h.facility = facility;
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) == 0) h.hostname = name;
  h.procid = std::to_string(::getpid());
  return h;
}

std::string format_rfc5424(const SyslogEvent& event, const SyslogHeader& header,
                           std::size_t max_bytes) {
  std::string out;
  out.reserve(256);
  const unsigned facility = std::min<unsigned>(header.facility, 23);
  const unsigned severity = std::min<unsigned>(static_cast<unsigned>(event.severity), 7);
  out += '<';
  out += std::to_string(facility * 8 + severity);
  out += ">1 ";
  append_timestamp(out, event.ts_us);
  out += ' ';
  append_header_field(out, header.hostname, 255);
  out += ' ';
  append_header_field(out, header.app_name, 48);
  out += ' ';
  append_header_field(out, header.procid, 128);
  out += ' ';
  append_header_field(out, event.msgid, 32);
  out += ' ';
  if (event.params.empty()) {
    out += '-';
  } else {
    out += '[';
    out += kSdId;
    for (const SyslogParam& p : event.params) {
      out += ' ';
      append_sd_name(out, p.name);
      out += "=\"";
      out += clean_text(p.value, kMaxValueBytes, /*escape=*/true);
      out += '"';
    }
    out += ']';
  }
  if (!event.msg.empty()) {
    const std::size_t fixed = out.size() + 1 + kBom.size();
    const std::size_t room = max_bytes > fixed ? max_bytes - fixed : 0;
    std::string msg = clean_text(event.msg, room, /*escape=*/false);
    if (!msg.empty()) {
      out += ' ';
      out += kBom;
      out += msg;
    }
  }
  return out;
}

SyslogEvent syslog_alert(const rules::Decision& decision, const rules::Hit& hit,
                         std::uint64_t ts_us, std::string_view console_url) {
  SyslogEvent e;
  e.ts_us = ts_us;
  e.severity = syslog_severity(hit.severity);
  e.msgid = "alert";
  const std::string category(rules::category_name(hit.category));
  const std::string severity(rules::severity_name(hit.severity));
  const std::string action(hit.allowed ? "allowed" : rules::action_name(hit.action));
  e.params = {
      {"category", category},
      {"severity", severity},
      {"action", action},
      {"verdict", std::string(rules::verdict_name(decision.verdict))},
      {"kind", std::string(rules::hit_kind_name(hit.kind))},
      {"list", hit.list},
      {"entry", hit.entry},
      {"line", std::to_string(hit.line)},
      {"statutory", hit.statutory ? "true" : "false"},
  };
  if (!console_url.empty()) e.params.push_back({"console", std::string(console_url)});
  e.msg = category + " " + severity + " hit, action " + action + ", list " + hit.list + " line " +
          std::to_string(hit.line);
  if (!console_url.empty()) e.msg += "; see " + std::string(console_url);
  return e;
}

std::optional<SyslogTarget> parse_syslog_target(std::string_view text, std::string& error) {
  SyslogTarget t;
  const auto fail = [&](std::string_view why) -> std::optional<SyslogTarget> {
    error = "syslog target \"" + std::string(text) + "\": " + std::string(why);
    return std::nullopt;
  };
  if (text.starts_with("unix:")) {
    std::string_view path = text.substr(5);
    if (path.starts_with("//")) path.remove_prefix(2);  // unix:///dev/log
    if (!path.starts_with('/')) return fail("expected unix:/absolute/path");
    if (path.size() >= sizeof(sockaddr_un::sun_path)) return fail("socket path too long");
    if (has_space_or_control(path)) return fail("the path has spaces or control characters");
    t.transport = SyslogTarget::Transport::Unix;
    t.path = std::string(path);
    return t;
  }
  std::string_view rest;
  if (text.starts_with("udp://")) {
    t.transport = SyslogTarget::Transport::Udp;
    rest = text.substr(6);
  } else if (text.starts_with("tcp://")) {
    t.transport = SyslogTarget::Transport::Tcp;
    rest = text.substr(6);
  } else {
    return fail("expected udp://host:port, tcp://host:port or unix:/path");
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  std::string_view host;
  std::string_view port;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return fail("unclosed '[' around an IPv6 address");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return fail("expected :port after ']'");
      port = after.substr(1);
      if (port.empty()) return fail("empty port");
    }
    in6_addr a{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &a) != 1) {
      return fail("not an IPv6 address in brackets");
    }
  } else {
    const std::size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.find(':') != colon) {
      return fail("put an IPv6 address in brackets, like udp://[2001:db8::1]:514");
    }
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return fail("empty port");
    }
  }
  if (host.empty()) return fail("no host");
  if (has_space_or_control(host) || host.find_first_of("/?#@") != std::string_view::npos) {
    return fail("bad host");
  }
  if (!port.empty() && !parse_port(port, t.port)) return fail("port must be 1..65535");
  t.host = std::string(host);
  return t;
}

// ------------------------------------------------------------------ SyslogSender

SyslogSender::SyslogSender(SyslogOptions options) : options_(std::move(options)) {}

SyslogSender::~SyslogSender() { stop(); }

void SyslogSender::start() {
  std::lock_guard lock(mutex_);
  if (started_ || stopped_) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

bool SyslogSender::send(const SyslogEvent& event) {
  std::string message = format_rfc5424(event, options_.header, options_.max_message_bytes);
  Pending p;
  if (options_.target.transport == SyslogTarget::Transport::Tcp) {
    p.frame = std::to_string(message.size()) + ' ' + message;  // RFC 6587 octet counting
  } else {
    p.frame = std::move(message);
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || stopped_ || queue_.size() >= options_.queue_messages) {
      ++stats_.dropped_full;
      return false;
    }
    queue_.push_back(std::move(p));
    ++accepted_;
    ++stats_.queued;
  }
  wake_.notify_one();
  return true;
}

bool SyslogSender::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!started_ || stopped_) return false;
  const std::uint64_t target = accepted_;
  return progress_.wait_for(lock, timeout, [&] { return done_ >= target; });
}

void SyslogSender::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    if (!started_) {  // still try to send what was queued
      started_ = true;
      thread_ = std::thread([this] { run(); });
    }
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  disconnect();
  std::lock_guard lock(mutex_);
  stopped_ = true;
}

SyslogStats SyslogSender::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void SyslogSender::run() {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> drain_until;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_ && !drain_until) drain_until = Clock::now() + options_.drain_timeout;
    if (queue_.empty()) break;
    if (drain_until && Clock::now() >= *drain_until) break;
    // Only this thread pops, and push_back() keeps references to elements.
    Pending& front = queue_.front();
    lock.unlock();

    if (fd_ < 0) {
      const auto now = Clock::now();
      if (now < next_connect_ && !stopping_now()) {
        lock.lock();
        wake_.wait_until(lock, next_connect_, [&] { return stopping_; });
        continue;
      }
      const bool ok = connect_now();
      lock.lock();
      if (ok) {
        ++stats_.connects;
      } else {
        ++stats_.connect_failures;
        if (stopping_) break;  // no collector to drain to
      }
      continue;
    }

    const Delivery d = deliver(front.frame);
    lock.lock();
    if (d == Delivery::Sent) {
      ++stats_.sent;
    } else if (d == Delivery::Retry && ++front.attempts < kMaxAttempts) {
      continue;
    } else if (d == Delivery::RetryFree) {
      continue;
    } else {
      ++stats_.dropped_undeliverable;
    }
    queue_.pop_front();
    ++done_;
    progress_.notify_all();
  }
  // Stopping: what could not be sent in time is counted, not kept.
  stats_.dropped_undeliverable += queue_.size();
  done_ += queue_.size();
  queue_.clear();
  progress_.notify_all();
}

bool SyslogSender::stopping_now() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool SyslogSender::connect_now() {
  disconnect();
  const SyslogTarget& t = options_.target;
  const auto failed = [this] {
    backoff_ = backoff_.count() == 0 ? options_.reconnect_min
                                     : std::min(backoff_ * 2, options_.reconnect_max);
    next_connect_ = std::chrono::steady_clock::now() + backoff_;
    return false;
  };
  if (t.transport == SyslogTarget::Transport::Unix) {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return failed();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", t.path.c_str());
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return failed();
    }
    fd_ = fd;
    backoff_ = {};
    return true;
  }
  const bool tcp = t.transport == SyslogTarget::Transport::Tcp;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
  addrinfo* found = nullptr;
  // Resolved at every connect, so a collector that moves is followed.
  if (::getaddrinfo(t.host.c_str(), std::to_string(t.port).c_str(), &hints, &found) != 0) {
    return failed();
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int r = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int timeout =
          static_cast<int>(std::min<std::int64_t>(options_.io_timeout.count(), INT_MAX));
      int err = ETIMEDOUT;
      socklen_t len = sizeof err;
      if (::poll(&p, 1, timeout) == 1) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      r = err == 0 ? 0 : -1;
    }
    if (r != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return failed();
  if (tcp) {
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  }
  fd_ = fd;
  backoff_ = {};
  return true;
}

void SyslogSender::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool SyslogSender::peer_closed() const {
  // A collector never sends; readable means end of stream or an error.
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) != 1) return false;
  if ((p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) return true;
  char buf[512];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) continue;  // ignore whatever it said
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }
}

SyslogSender::Delivery SyslogSender::deliver(const std::string& frame) {
  const int timeout =
      static_cast<int>(std::min<std::int64_t>(options_.io_timeout.count(), INT_MAX));
  const bool stream = options_.target.transport == SyslogTarget::Transport::Tcp;
  if (stream && peer_closed()) {
    disconnect();  // reconnect at once: the message has not been tried
    next_connect_ = {};
    return Delivery::RetryFree;
  }
  std::size_t off = 0;
  while (off < frame.size()) {
    const ssize_t n =
        ::send(fd_, frame.data() + off, frame.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, timeout) == 1) continue;
    }
    if (errno == EMSGSIZE) return Delivery::Never;
    // A partly written frame would corrupt the stream: start a new one.
    disconnect();
    next_connect_ = {};
    return Delivery::Retry;
  }
  return Delivery::Sent;
}

}  // namespace vigil::daemon
