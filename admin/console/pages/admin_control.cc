#include "admin/console/pages/admin_control.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
// Boost.JSON is compiled once for the console, in safeguarding_json.cc.
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "daemon/control/protocol.h"

namespace vigil::console::pages::admin {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxAnswer = 64 * 1024;

class Socket {
 public:
  Socket() : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string errno_text(int e) { return std::system_category().message(e); }

// Waits for `events` until `deadline`; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

ReloadOutcome unreachable(std::string why) {
  return ReloadOutcome{ReloadOutcome::Kind::Unreachable, std::move(why)};
}

std::string string_member(const boost::json::object& o, std::string_view key,
                          std::string_view fallback) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::string(fallback);
  return std::string(v->as_string().data(), v->as_string().size());
}

// {"ok":true,"result":{"message":"..."}} or {"ok":false,"error":"..."}.
ReloadOutcome read_answer(std::string_view line) {
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse(line, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  const boost::json::value* ok = o != nullptr ? o->if_contains("ok") : nullptr;
  if (ok == nullptr || !ok->is_bool()) return unreachable("vigild's answer could not be read");
  if (!ok->as_bool()) {
    return ReloadOutcome{ReloadOutcome::Kind::Refused,
                         string_member(*o, "error", "vigild refused the reload")};
  }
  const boost::json::value* result = o->if_contains("result");
  const boost::json::object* r = result != nullptr ? result->if_object() : nullptr;
  return ReloadOutcome{ReloadOutcome::Kind::Reloaded,
                       r != nullptr ? string_member(*r, "message", "rules reloaded")
                                    : std::string("rules reloaded")};
}

}  // namespace

ReloadOutcome ask_vigild_reload(const std::string& socket_path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty()) return unreachable("no control socket is configured (control.socket)");
  if (socket_path.size() >= sizeof addr.sun_path) {
    return unreachable("the control socket path is too long");
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  Socket sock;
  if (sock.fd() < 0) return unreachable("socket(): " + errno_text(errno));
  const Clock::time_point deadline = Clock::now() + timeout;
  if (::connect(sock.fd(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    if (e == EINPROGRESS || e == EAGAIN) {
      // A Unix socket whose backlog is full: vigild is not taking connections.
      return unreachable("vigild is not accepting connections at " + socket_path);
    }
    if (e == ENOENT || e == ECONNREFUSED) {
      return unreachable("vigild is not running (nothing answers at " + socket_path + ")");
    }
    if (e == EACCES || e == EPERM) {
      return unreachable("the console may not use " + socket_path +
                         " (its user must be in the socket's group)");
    }
    return unreachable("cannot reach vigild at " + socket_path + ": " + errno_text(e));
  }
  std::string error;
  const std::string request =
      daemon::format_request(daemon::Request{daemon::Command::Reload}, error);
  if (request.empty()) return unreachable(error);
  for (std::size_t sent = 0; sent < request.size();) {
    if (!wait_for(sock.fd(), POLLOUT, deadline))
      return unreachable("vigild did not take the request");
    const ssize_t n = ::send(sock.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return unreachable("lost the connection to vigild: " + errno_text(errno));
    sent += static_cast<std::size_t>(n);
  }
  std::string answer;
  for (;;) {
    if (const std::size_t lf = answer.find('\n'); lf != std::string::npos) {
      return read_answer(std::string_view(answer).substr(0, lf));
    }
    if (answer.size() > kMaxAnswer) return unreachable("vigild's answer is too long");
    if (!wait_for(sock.fd(), POLLIN, deadline)) {
      return unreachable("vigild did not answer in time; it may still be reloading");
    }
    char buf[4096];
    const ssize_t n = ::recv(sock.fd(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n < 0) return unreachable("lost the connection to vigild: " + errno_text(errno));
    if (n == 0) return unreachable("vigild closed the connection without an answer");
    answer.append(buf, static_cast<std::size_t>(n));
  }
}

std::string reload_sentence(const ReloadOutcome& outcome) {
  switch (outcome.kind) {
    case ReloadOutcome::Kind::Reloaded:
      return "vigild reloaded the rules: " + outcome.message;
    case ReloadOutcome::Kind::Refused:
      return "vigild could not load the rules and keeps running the previous ones: " +
             outcome.message;
    case ReloadOutcome::Kind::Unreachable:
      break;
  }
  return "vigild was not reached (" + outcome.message +
         "); the change applies when vigild next loads the rules.";
}

std::string_view reload_kind_name(ReloadOutcome::Kind kind) noexcept {
  switch (kind) {
    case ReloadOutcome::Kind::Reloaded:
      return "reloaded";
    case ReloadOutcome::Kind::Refused:
      return "refused";
    case ReloadOutcome::Kind::Unreachable:
      return "unreachable";
  }
  return "unreachable";
}

}  // namespace vigil::console::pages::admin
