#include "admin/console/pages/safeguarding_health.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "admin/console/html.h"
#include "admin/console/pages/safeguarding_util.h"
#include "daemon/control/protocol.h"
#include "inspect/eve_json.h"
#include "store/reader.h"

namespace vigil::console::pages::safeguarding {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxAnswer = std::size_t{1} << 20;
constexpr store::TimeUs kStaleRules = 7 * kDayUs;
constexpr double kLowDiskShare = 0.10;
constexpr std::uint64_t kLowDiskBytes = std::uint64_t{1} << 30;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Waits for `events` on fd until `deadline`; false when time ran out or poll failed.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

std::string bytes_text(std::uint64_t bytes) {
  char buf[32];
  const double gib = static_cast<double>(bytes) / static_cast<double>(std::uint64_t{1} << 30);
  if (gib >= 1) {
    std::snprintf(buf, sizeof buf, "%.1f GB", gib);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f MB", static_cast<double>(bytes) / (1 << 20));
  }
  return buf;
}

std::string count_text(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string duration_text(std::uint64_t seconds) {
  if (seconds < 120) return std::to_string(seconds) + " seconds";
  if (seconds < 7200) return std::to_string(seconds / 60) + " minutes";
  if (seconds < 172800) return std::to_string(seconds / 3600) + " hours";
  return std::to_string(seconds / 86400) + " days";
}

std::string_view alarm_words(const std::string& alarm) {
  if (alarm == "busy") return "the store is busy: new hits are waiting in memory";
  if (alarm == "disk_full") return "the disk is full or failing: new hits are waiting in memory";
  if (alarm == "error") return "the store has an error that needs a person";
  return "";
}

}  // namespace

std::optional<std::string> ask_vigild_status(const std::string& socket_path,
                                             std::chrono::milliseconds timeout,
                                             std::string& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) {
    error = "vigild not reachable: no control socket is configured";
    return std::nullopt;
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    error = "vigild not reachable: " + std::system_category().message(errno);
    return std::nullopt;
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ECONNREFUSED) {
      error = "vigild not reachable: it does not seem to be running";
    } else if (e == EACCES || e == EPERM) {
      error = "vigild not reachable: the console may not use its control socket";
    } else if (e == EAGAIN || e == EINPROGRESS) {
      error = "vigild not reachable: it is not accepting connections";
    } else {
      error = "vigild not reachable: " + std::system_category().message(e);
    }
    return std::nullopt;
  }
  std::string format_error;
  const std::string request =
      daemon::format_request({.command = daemon::Command::Status}, format_error);
  for (std::size_t sent = 0; sent < request.size();) {
    if (!wait_for(fd.get(), POLLOUT, deadline)) {
      error = "vigild not reachable: it did not answer in time";
      return std::nullopt;
    }
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) {
      error = "vigild not reachable: the connection was lost";
      return std::nullopt;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string answer;
  for (;;) {
    if (std::size_t lf = answer.find('\n'); lf != std::string::npos) return answer.substr(0, lf);
    if (answer.size() > kMaxAnswer) {
      error = "vigild's answer was too large";
      return std::nullopt;
    }
    if (!wait_for(fd.get(), POLLIN, deadline)) {
      error = "vigild not reachable: it did not answer in time";
      return std::nullopt;
    }
    char buf[16384];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) {
      error = "vigild not reachable: it closed the connection without answering";
      return std::nullopt;
    }
    answer.append(buf, static_cast<std::size_t>(n));
  }
}

Health gather_health(store::Reader& reader, const PagesOptions& options, store::TimeUs now) {
  Health h;
  if (auto rs = reader.latest_rule_set(); !rs) {
    h.rules_error = rs.error().message;
  } else {
    h.rules = *rs;
  }

  std::filesystem::path folder = std::filesystem::path(options.store_path).parent_path();
  if (folder.empty()) folder = ".";
  struct statvfs vfs {};
  if (::statvfs(folder.c_str(), &vfs) == 0) {
    h.disk_known = true;
    h.disk_free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    h.disk_total_bytes = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  } else {
    h.disk_error = std::system_category().message(errno);
  }

  std::string error;
  if (auto line = ask_vigild_status(options.control_socket, kVigildTimeout, error); !line) {
    h.vigild_error = error;
  } else if (auto status = parse_vigild_status(*line, error); !status) {
    h.vigild_error = error;
  } else {
    h.vigild_reachable = true;
    h.vigild = std::move(*status);
    h.capture_drops = h.vigild.queue_drops;
    for (const VigildInterface& i : h.vigild.interfaces)
      h.capture_drops += i.kernel_dropped + i.interface_dropped;
  }

  // Problems, most urgent first.
  if (!h.vigild_reachable) {
    h.problems.push_back(h.vigild_error + ". Nothing is being checked while vigild is down.");
  } else {
    if (std::string_view words = alarm_words(h.vigild.store_alarm); !words.empty())
      h.problems.push_back("Store: " + std::string(words) + ".");
    for (const VigildInterface& i : h.vigild.interfaces)
      if (!i.running)
        h.problems.push_back("Capture on " + i.name + " has stopped" +
                             (i.error.empty() ? std::string(".") : ": " + i.error));
    if (h.capture_drops > 0)
      h.problems.push_back(count_text(h.capture_drops) +
                           " packets were dropped since vigild started: some traffic was not "
                           "checked.");
    if (h.vigild.store_dropped > 0)
      h.problems.push_back(count_text(h.vigild.store_dropped) +
                           " hits could not be stored because the store fell behind.");
  }
  if (h.disk_known && h.disk_total_bytes > 0 &&
      (static_cast<double>(h.disk_free_bytes) <
           kLowDiskShare * static_cast<double>(h.disk_total_bytes) ||
       h.disk_free_bytes < kLowDiskBytes)) {
    h.problems.push_back("Disk space for the store is low: " + bytes_text(h.disk_free_bytes) +
                         " free.");
  }
  if (!h.rules) {
    h.problems.push_back("The store has no record of vigild loading its lists.");
  } else if (now - h.rules->loaded_us > kStaleRules) {
    h.problems.push_back("The lists were last loaded " + relative_time(h.rules->loaded_us, now) +
                         ": check that list updates are running.");
  }
  return h;
}

std::string health_html(const Health& h, store::TimeUs now) {
  std::string out = "<section class=\"health\" aria-labelledby=\"health-h\">";
  out += "<h2 id=\"health-h\">System health</h2>";
  if (h.problems.empty()) {
    out += "<p class=\"ok\">Everything looks healthy.</p>";
  } else {
    out += "<ul class=\"problems\">";
    for (const std::string& p : h.problems) out += "<li>" + html::escape(p) + "</li>";
    out += "</ul>";
  }
  out += "<dl class=\"facts\">";
  out += "<dt>Filtering service (vigild)</dt><dd>";
  if (h.vigild_reachable) {
    out += "Running for " + html::escape(duration_text(h.vigild.uptime_s));
  } else {
    out += "<strong>" + html::escape(h.vigild_error) + "</strong>";
  }
  out += "</dd>";
  if (h.vigild_reachable) {
    out += "<dt>Packets dropped</dt><dd>" + html::escape(count_text(h.capture_drops));
    for (const VigildInterface& i : h.vigild.interfaces) {
      out += "<br>" + html::escape(i.name) + ": " + (i.running ? "capturing" : "stopped") + ", " +
             html::escape(count_text(i.kernel_dropped + i.interface_dropped)) + " dropped";
    }
    out += "</dd>";
    out += "<dt>Store writer</dt><dd>";
    out += h.vigild.store_alarm.empty() || h.vigild.store_alarm == "none"
               ? std::string("Keeping up")
               : html::escape(alarm_words(h.vigild.store_alarm));
    out += "</dd>";
  }
  out += "<dt>Lists last loaded</dt><dd>";
  if (h.rules) {
    out += html::escape(format_time(h.rules->loaded_us)) + " (" +
           html::escape(relative_time(h.rules->loaded_us, now)) + ", " +
           html::escape(count_text(static_cast<std::uint64_t>(h.rules->lists))) + " lists, " +
           html::escape(count_text(static_cast<std::uint64_t>(h.rules->entries))) +
           " entries, by " + html::escape(h.rules->loaded_by) + ")";
  } else if (!h.rules_error.empty()) {
    out += "Could not read: " + html::escape(h.rules_error);
  } else {
    out += "Never";
  }
  out += "</dd><dt>Disk space for the store</dt><dd>";
  if (h.disk_known) {
    out += html::escape(bytes_text(h.disk_free_bytes)) + " free of " +
           html::escape(bytes_text(h.disk_total_bytes));
  } else {
    out += "Could not check: " + html::escape(h.disk_error);
  }
  out += "</dd></dl></section>";
  return out;
}

inspect::JsonObject health_json(const Health& h) {
  inspect::JsonObject o;
  o.boolean("vigild_reachable", h.vigild_reachable);
  if (h.vigild_reachable) {
    inspect::JsonObject v;
    v.num("uptime_s", h.vigild.uptime_s)
        .num("rules_generation", h.vigild.rules_generation)
        .num("queue_drops", h.vigild.queue_drops)
        .str("store_alarm", h.vigild.store_alarm)
        .num("store_dropped", h.vigild.store_dropped)
        .num("spool_depth", h.vigild.spool_depth);
    std::vector<inspect::JsonObject> ifs;
    for (const VigildInterface& i : h.vigild.interfaces) {
      ifs.emplace_back()
          .str("name", i.name)
          .boolean("running", i.running)
          .num("kernel_dropped", i.kernel_dropped)
          .num("interface_dropped", i.interface_dropped)
          .num("queue_drops", i.queue_drops);
    }
    v.array("interfaces", ifs);
    o.object("vigild", v);
  } else {
    o.str("vigild_error", h.vigild_error);
  }
  o.num("capture_drops", h.capture_drops);
  if (h.rules) {
    inspect::JsonObject r;
    r.num("loaded_us", h.rules->loaded_us)
        .str("loaded", iso_time(h.rules->loaded_us))
        .str("loaded_by", h.rules->loaded_by)
        .num("lists", h.rules->lists)
        .num("entries", h.rules->entries)
        .str("version", h.rules->version);
    o.object("rules", r);
  }
  if (h.disk_known) {
    o.num("disk_free_bytes", h.disk_free_bytes).num("disk_total_bytes", h.disk_total_bytes);
  }
  o.strings("problems", h.problems);
  return o;
}

}  // namespace vigil::console::pages::safeguarding
