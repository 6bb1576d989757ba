#pragma once
// daemon/service: telling systemd how vigild is doing (sd_notify(3)), and
// feeding its watchdog only while the packet path makes progress.
//
// vigild runs as Type=notify with NotifyAccess=main: only the main process
// may notify, from any of its threads. Every call is a cheap no-op returning
// NotifyResult::NoManager when NOTIFY_SOCKET is unset (run by hand, from a
// test, or under another service manager). Status texts are sanitised: a
// control character (a newline would start a new assignment) becomes a
// space. Nothing here throws.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

namespace vigil::daemon {

enum class NotifyResult : std::uint8_t {
  Sent,
  NoManager,  // NOTIFY_SOCKET is unset: nothing to tell
  Failed,     // NOTIFY_SOCKET is set but the datagram could not be sent
};

// "READY=1" and "STATUS=<status>": start-up is complete (capture running,
// rules loaded), and again after a reload has finished.
NotifyResult notify_ready(std::string_view status);
// "STATUS=<status>": free text shown by `systemctl status vigild`.
NotifyResult notify_status(std::string_view status);
// "RELOADING=1", "MONOTONIC_USEC=<now>" and "STATUS=<status>": a reload has
// begun; send notify_ready() when it ends, whether it worked or not.
// systemd 252 (Debian 12) needs only RELOADING=1; MONOTONIC_USEC is what
// Type=notify-reload (systemd 253 and later) also wants, and older managers
// ignore it.
NotifyResult notify_reloading(std::string_view status);
// "STOPPING=1": shutdown has begun (after SIGTERM).
NotifyResult notify_stopping();
// "EXTEND_TIMEOUT_USEC=<us>": start-up, reload or stop is slow but alive (a
// large rule compile); the manager waits this much longer from now.
NotifyResult notify_extend_timeout(std::chrono::microseconds more);
// "WATCHDOG=1". Prefer WatchdogPinger, which checks liveness first.
NotifyResult notify_watchdog();

// The watchdog interval the manager expects (WatchdogSec=, from
// WATCHDOG_USEC, for this process only: WATCHDOG_PID must be ours), or zero
// when there is no watchdog.
std::chrono::microseconds watchdog_interval() noexcept;

// One worker's progress, as the pipeline reports it.
struct WorkerProgress {
  std::uint64_t processed = 0;  // frames finished since start; only grows
  std::uint64_t pending = 0;    // frames waiting in its queue now
};

// Is the packet path alive? It is when every worker either finished
// something since the previous sample or had nothing to do (idle by design:
// a quiet network is not a fault). A worker with work waiting and no
// progress across a whole sampling period is stuck. Not thread-safe: one
// caller (the WatchdogPinger thread) samples.
class StallDetector {
 public:
  // The first sample, and a sample with a different number of workers,
  // only records.
  bool alive(std::span<const WorkerProgress> now);

 private:
  std::vector<WorkerProgress> last_;
  bool have_last_ = false;
};

// Sends WATCHDOG=1 every half interval from its own thread, but only while
// `alive()` says the pipeline is healthy; when it stops saying so, the pings
// stop and systemd restarts vigild after WatchdogSec= (Restart=on-failure
// covers a watchdog timeout). With a zero interval start() does nothing.
class WatchdogPinger {
 public:
  using LivenessCheck = std::function<bool()>;
  struct Stats {
    std::uint64_t pings = 0;     // WATCHDOG=1 sent
    std::uint64_t withheld = 0;  // checks that found the pipeline stuck
  };

  WatchdogPinger(std::chrono::microseconds interval, LivenessCheck alive);
  ~WatchdogPinger();  // stop()
  WatchdogPinger(const WatchdogPinger&) = delete;
  WatchdogPinger& operator=(const WatchdogPinger&) = delete;

  void start();  // checks and pings at once, then every interval / 2
  void stop();   // idempotent; joins the thread
  [[nodiscard]] Stats stats() const;

 private:
  void run();

  const std::chrono::microseconds period_;
  LivenessCheck alive_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mutex_
  Stats stats_;            // under mutex_
  std::thread thread_;
};

}  // namespace vigil::daemon
