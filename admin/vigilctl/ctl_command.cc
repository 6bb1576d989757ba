#include "admin/vigilctl/ctl_command.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/src.hpp>  // header-only Boost.JSON: this is its one translation unit
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <system_error>

#include "admin/vigilctl/text_escape.h"
#include "daemon/control/protocol.h"

namespace vigil::admin {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;
constexpr std::size_t kMaxResponse = std::size_t{64} << 20;
constexpr double kDefaultTimeout = 10;
constexpr double kDefaultReloadTimeout = 600;  // a rule compile may take minutes

void fail(const char* command, const std::string& message) {
  std::fprintf(stderr, "vigilctl %s: %s\n", command, escape_control_bytes(message).c_str());
}

std::string system_error_text(int e) { return std::system_category().message(e); }

// One connection to vigild, one request at a time.
class ControlClient {
 public:
  ControlClient(const char* command, std::string path, double timeout_s)
      : command_(command),
        path_(std::move(path)),
        timeout_(
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s))) {
  }
  ~ControlClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // 0, or an exit status after printing why.
  int connect() {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.empty() || path_.size() >= sizeof addr.sun_path) {
      fail(command_, "control socket path \"" + path_ + "\" is empty or too long");
      return kExitUsage;
    }
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      fail(command_, "socket(): " + system_error_text(errno));
      return kExitUnreachable;
    }
    // A full backlog makes connect() wait; SO_SNDTIMEO bounds that.
    timeval tv{};
    auto whole = std::chrono::duration_cast<std::chrono::seconds>(timeout_);
    tv.tv_sec = static_cast<time_t>(whole.count());
    tv.tv_usec = static_cast<suseconds_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(timeout_ - whole).count());
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return 0;
    int e = errno;
    switch (e) {
      case ENOENT:
        fail(command_, "cannot reach vigild: no socket at " + path_ + " (is vigild running?)");
        break;
      case ECONNREFUSED:
        fail(command_,
             "cannot reach vigild: nothing answers on " + path_ + " (vigild is not running)");
        break;
      case EACCES:
      case EPERM:
        fail(command_, "cannot reach vigild at " + path_ +
                           ": permission denied (run as root or as a member of the socket's "
                           "group)");
        break;
      case EAGAIN:
      case EINPROGRESS:
        fail(command_, "cannot reach vigild at " + path_ + ": it is not accepting connections");
        break;
      default:
        fail(command_, "cannot reach vigild at " + path_ + ": " + system_error_text(e));
    }
    return kExitUnreachable;
  }

  // Sends one request line and reads one response line. 0, or an exit
  // status after printing why.
  int exchange(const std::string& request, std::string& response) {
    Clock::time_point deadline = Clock::now() + timeout_;
    for (std::size_t sent = 0; sent < request.size();) {
      if (int rc = wait(POLLOUT, deadline); rc != 0) return rc;
      ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) {
        fail(command_, "lost the connection to vigild: " + system_error_text(errno));
        return kExitUnreachable;
      }
      sent += static_cast<std::size_t>(n);
    }
    for (;;) {
      if (std::size_t lf = pending_.find('\n'); lf != std::string::npos) {
        response = pending_.substr(0, lf);
        pending_.erase(0, lf + 1);
        return 0;
      }
      if (pending_.size() > kMaxResponse) {
        fail(command_,
             "vigild's answer is larger than " + std::to_string(kMaxResponse >> 20) + " MiB");
        return kExitUnreachable;
      }
      if (int rc = wait(POLLIN, deadline); rc != 0) return rc;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n < 0) {
        fail(command_, "lost the connection to vigild: " + system_error_text(errno));
        return kExitUnreachable;
      }
      if (n == 0) {
        fail(command_, "vigild closed the connection without an answer");
        return kExitUnreachable;
      }
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int wait(short events, Clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        char secs[32];
        std::snprintf(secs, sizeof secs, "%g", std::chrono::duration<double>(timeout_).count());
        fail(command_, std::string("vigild did not answer within ") + secs + " s (see --timeout)");
        return kExitUnreachable;
      }
      pollfd p{fd_, events, 0};
      int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
      if (n > 0) return 0;  // ready, or an error the next call reports
      if (n < 0 && errno != EINTR) {
        fail(command_, "poll(): " + system_error_text(errno));
        return kExitUnreachable;
      }
    }
  }

  const char* command_;
  std::string path_;
  Clock::duration timeout_;
  int fd_ = -1;
  std::string pending_;
};

struct Answer {
  bool ok = false;
  std::string result_json;  // ok: the result object exactly as vigild wrote it
  json::value result;       // ok: parsed
  std::string error;        // !ok
};

// The response line, or nullopt when it is not one (protocol.h).
std::optional<Answer> parse_answer(std::string_view line) {
  json::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  const json::value* ok = o.if_contains("ok");
  if (ok == nullptr || !ok->is_bool()) return std::nullopt;
  Answer a;
  a.ok = ok->as_bool();
  if (!a.ok) {
    const json::value* e = o.if_contains("error");
    if (e == nullptr || !e->is_string()) return std::nullopt;
    a.error = std::string(e->as_string());
    return a;
  }
  const json::value* r = o.if_contains("result");
  // The result is printed as vigild wrote it, not re-serialised.
  if (r == nullptr || !r->is_object() || !line.starts_with(daemon::kOkResultPrefix) ||
      !line.ends_with('}')) {
    return std::nullopt;
  }
  a.result = *r;
  a.result_json = std::string(line.substr(daemon::kOkResultPrefix.size(),
                                          line.size() - daemon::kOkResultPrefix.size() - 1));
  return a;
}

std::string scalar_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return escape_control_bytes(v.as_string());
    case json::kind::int64:
      return std::to_string(v.as_int64());
    case json::kind::uint64:
      return std::to_string(v.as_uint64());
    case json::kind::double_: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.as_double());
      return ec == std::errc() ? std::string(buf, end) : std::string("?");
    }
    case json::kind::bool_:
      return v.as_bool() ? "true" : "false";
    case json::kind::null:
      return "null";
    case json::kind::array:
      return "[" + std::to_string(v.as_array().size()) + " items]";
    case json::kind::object:
      return "{" + std::to_string(v.as_object().size()) + " fields}";
  }
  return "?";
}

// Whatever vigild reports, one line per top-level field: nested objects as
// key=value pairs, lists as their items (or their size).
void print_summary(const json::object& status, const std::string& path) {
  std::printf("vigild is running (control socket %s)\n", escape_control_bytes(path).c_str());
  constexpr std::size_t kMaxLine = 160;
  for (const auto& [key, value] : status) {
    std::string line = "  " + escape_control_bytes(key) + ": ";
    if (value.is_object()) {
      bool first = true;
      for (const auto& [k, v] : value.as_object()) {
        line += (first ? "" : ", ") + escape_control_bytes(k) + "=" + scalar_text(v);
        first = false;
      }
    } else if (value.is_array() && value.as_array().size() <= 8) {
      bool first = true;
      for (const json::value& item : value.as_array()) {
        line += (first ? "" : ", ") + scalar_text(item);
        first = false;
      }
    } else {
      line += scalar_text(value);
    }
    if (line.size() > kMaxLine) line = line.substr(0, kMaxLine - 3) + "...";
    std::printf("%s\n", line.c_str());
  }
}

int run(const char* name, daemon::Command command, const CtlOptions& options) {
  // Socket path from --socket or the configuration.
  std::string path = options.socket;
  if (path.empty()) {
    config::LoadResult loaded = config::load(options.config);
    if (!loaded) {
      fail(name, loaded.errors.front());
      return kExitUsage;
    }
    path = loaded.config->get_string("control.socket");
  }

  std::vector<std::string> requests;
  if (command == daemon::Command::Test) {
    for (const std::string& input : options.inputs) {
      std::string error;
      std::string line = daemon::format_request(
          {.command = command, .group = options.group, .input = input}, error);
      if (line.empty()) {
        std::string_view why = error;
        if (why.starts_with("test: ")) why.remove_prefix(6);  // already "vigilctl test: "
        fail(name, std::string(why));
        return kExitUsage;
      }
      requests.push_back(std::move(line));
    }
  } else {
    std::string error;
    requests.push_back(daemon::format_request({.command = command}, error));
  }

  double timeout = options.timeout_s > 0                ? options.timeout_s
                   : command == daemon::Command::Reload ? kDefaultReloadTimeout
                                                        : kDefaultTimeout;
  ControlClient client(name, path, timeout);
  if (int rc = client.connect(); rc != 0) return rc;

  int status = 0;
  for (const std::string& request : requests) {
    std::string line;
    if (int rc = client.exchange(request, line); rc != 0) return rc;
    std::optional<Answer> answer = parse_answer(line);
    if (!answer) {
      fail(name, "vigild sent an answer this vigilctl does not understand");
      return kExitUnreachable;
    }
    if (!answer->ok) {
      fail(name, answer->error);
      status = kExitRefused;
      continue;
    }
    if (command == daemon::Command::Status && !options.json) {
      print_summary(answer->result.as_object(), path);
    }
    std::printf("%s\n", answer->result_json.c_str());
  }
  if (std::fflush(stdout) != 0) return 1;
  return status;
}

void add_connection_options(CLI::App& sub, CtlOptions& options) {
  CLI::Option* socket =
      sub.add_option("--socket", options.socket,
                     "vigild's control socket (default: control.socket of the configuration)");
  config::add_cli_options(sub, options.config, /*config_required=*/false);
  socket->excludes(sub.get_option("--config"))->excludes(sub.get_option("--set"));
  sub.add_option("--timeout", options.timeout_s,
                 "Seconds to wait for vigild's answer (default 10; reload 600)")
      ->check(CLI::Range(0.001, 86400.0));
}

}  // namespace

CtlCommands add_ctl_commands(CLI::App& app, CtlOptions& options) {
  CtlCommands c;
  c.status = app.add_subcommand("status", "Ask the running vigild how it is (control socket)");
  c.status->add_flag("--json", options.json, "Print the JSON only, without the summary");
  c.stats = app.add_subcommand("stats", "Print the running vigild's counters as JSON");
  c.reload = app.add_subcommand(
      "reload", "Reload rules and identity sources in the running vigild (like SIGHUP)");
  c.test = app.add_subcommand(
      "test", "Ask the running vigild to explain its decision for host names, URLs or text");
  c.test->add_option("--group", options.group,
                     "Group whose policy applies (default: the policy's default)");
  c.test->add_option("input", options.inputs, "Host names, URLs or text")->required();
  for (CLI::App* sub : {c.status, c.stats, c.reload, c.test}) add_connection_options(*sub, options);
  return c;
}

int ctl_exchange(const char* command, const std::string& socket, double timeout_s,
                 const std::vector<daemon::Request>& requests, std::vector<CtlAnswer>& answers) {
  answers.clear();
  std::vector<std::string> lines;
  for (const daemon::Request& r : requests) {
    std::string error;
    std::string line = daemon::format_request(r, error);
    if (line.empty()) {
      fail(command, error);
      return kExitUsage;
    }
    lines.push_back(std::move(line));
  }
  ControlClient client(command, socket, timeout_s > 0 ? timeout_s : kDefaultTimeout);
  if (int rc = client.connect(); rc != 0) return rc;
  for (const std::string& request : lines) {
    std::string line;
    if (int rc = client.exchange(request, line); rc != 0) return rc;
    std::optional<Answer> answer = parse_answer(line);
    if (!answer) {
      fail(command, "vigild sent an answer this vigilctl does not understand");
      return kExitUnreachable;
    }
    answers.push_back({answer->ok, answer->ok ? answer->result_json : answer->error});
  }
  return 0;
}

std::optional<int> run_ctl_command(const CtlCommands& commands, const CtlOptions& options) {
  if (commands.status->parsed()) return run("status", daemon::Command::Status, options);
  if (commands.stats->parsed()) return run("stats", daemon::Command::Stats, options);
  if (commands.reload->parsed()) return run("reload", daemon::Command::Reload, options);
  if (commands.test->parsed()) return run("test", daemon::Command::Test, options);
  return std::nullopt;
}

}  // namespace vigil::admin
