#include "daemon/service/service_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>
#include <utility>

namespace vigil::daemon {
namespace {

NotifyResult send(const std::string& message) {
  const int r = sd_notify(/*unset_environment=*/0, message.c_str());
  if (r > 0) return NotifyResult::Sent;
  return r == 0 ? NotifyResult::NoManager : NotifyResult::Failed;
}

// "STATUS=..." with every control character made a space: the text often
// carries operator input (an interface or file name), and a newline in it
// would be read as another assignment, "READY=1" or "MAINPID=".
void append_status(std::string& out, std::string_view status) {
  out += "STATUS=";
  for (char c : status) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
}

std::uint64_t monotonic_usec() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

NotifyResult notify_ready(std::string_view status) {
  std::string m = "READY=1\n";
  append_status(m, status);
  return send(m);
}

NotifyResult notify_status(std::string_view status) {
  std::string m;
  append_status(m, status);
  return send(m);
}

NotifyResult notify_reloading(std::string_view status) {
  std::string m = "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()) + "\n";
  append_status(m, status);
  return send(m);
}

NotifyResult notify_stopping() { return send("STOPPING=1"); }

NotifyResult notify_extend_timeout(std::chrono::microseconds more) {
  const auto us = more.count() > 0 ? more.count() : 0;
  return send("EXTEND_TIMEOUT_USEC=" + std::to_string(us));
}

NotifyResult notify_watchdog() { return send("WATCHDOG=1"); }

std::chrono::microseconds watchdog_interval() noexcept {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) <= 0) return {};
  return std::chrono::microseconds(static_cast<std::int64_t>(usec));
}

bool StallDetector::alive(std::span<const WorkerProgress> now) {
  bool ok = true;
  if (have_last_ && last_.size() == now.size()) {
    for (std::size_t i = 0; i < now.size(); ++i) {
      const bool progressed = now[i].processed != last_[i].processed;
      const bool idle = now[i].pending == 0;
      ok = ok && (progressed || idle);
    }
  }
  last_.assign(now.begin(), now.end());
  have_last_ = true;
  return ok;
}

WatchdogPinger::WatchdogPinger(std::chrono::microseconds interval, LivenessCheck alive)
    : period_(interval / 2), alive_(std::move(alive)) {}

WatchdogPinger::~WatchdogPinger() { stop(); }

void WatchdogPinger::start() {
  if (period_.count() <= 0 || thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void WatchdogPinger::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

WatchdogPinger::Stats WatchdogPinger::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void WatchdogPinger::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    // The check runs without the lock: it may take the pipeline's own locks.
    const bool healthy = alive_ ? alive_() : true;
    const bool sent = healthy && notify_watchdog() == NotifyResult::Sent;
    lock.lock();
    if (sent) ++stats_.pings;
    if (!healthy) ++stats_.withheld;
    wake_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

}  // namespace vigil::daemon
