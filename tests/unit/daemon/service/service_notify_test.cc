#include "daemon/service/service_notify.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace vigil::daemon {
namespace {

// A datagram socket standing in for systemd's notification socket; it sets
// NOTIFY_SOCKET for the test and unsets it afterwards.
class FakeManager {
 public:
  FakeManager() {
    char tmpl[] = "/tmp/vigil-notify-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/notify.sock";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~FakeManager() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    std::filesystem::remove_all(dir_);
  }
  bool bound() const { return bound_; }

  // The next datagram, or nullopt after `timeout_ms`.
  std::optional<std::string> next(int timeout_ms = 2000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

std::uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

TEST(ServiceNotify, WithoutAManagerEveryCallIsANoOp) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(notify_ready("capturing"), NotifyResult::NoManager);
  EXPECT_EQ(notify_status("x"), NotifyResult::NoManager);
  EXPECT_EQ(notify_reloading("x"), NotifyResult::NoManager);
  EXPECT_EQ(notify_stopping(), NotifyResult::NoManager);
  EXPECT_EQ(notify_watchdog(), NotifyResult::NoManager);
  EXPECT_EQ(notify_extend_timeout(std::chrono::seconds(5)), NotifyResult::NoManager);
}

TEST(ServiceNotify, SendsTheExactStates) {
  FakeManager manager;
  ASSERT_TRUE(manager.bound());
  EXPECT_EQ(notify_ready("capturing on eth1, 3 workers"), NotifyResult::Sent);
  EXPECT_EQ(manager.next(), "READY=1\nSTATUS=capturing on eth1, 3 workers");
  EXPECT_EQ(notify_status("rules generation 4"), NotifyResult::Sent);
  EXPECT_EQ(manager.next(), "STATUS=rules generation 4");
  EXPECT_EQ(notify_stopping(), NotifyResult::Sent);
  EXPECT_EQ(manager.next(), "STOPPING=1");
  EXPECT_EQ(notify_watchdog(), NotifyResult::Sent);
  EXPECT_EQ(manager.next(), "WATCHDOG=1");
  EXPECT_EQ(notify_extend_timeout(std::chrono::seconds(90)), NotifyResult::Sent);
  EXPECT_EQ(manager.next(), "EXTEND_TIMEOUT_USEC=90000000");
}

TEST(ServiceNotify, ReloadingCarriesTheMonotonicClock) {
  FakeManager manager;
  ASSERT_TRUE(manager.bound());
  const std::uint64_t before = monotonic_usec();
  EXPECT_EQ(notify_reloading("reloading rules"), NotifyResult::Sent);
  const std::uint64_t after = monotonic_usec();
  const std::optional<std::string> m = manager.next();
  ASSERT_TRUE(m.has_value());
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(m->substr(0, prefix.size()), prefix);
  const std::size_t end = m->find('\n', prefix.size());
  ASSERT_NE(end, std::string::npos);
  const std::uint64_t usec = std::stoull(m->substr(prefix.size(), end - prefix.size()));
  EXPECT_GE(usec, before);
  EXPECT_LE(usec, after);
  EXPECT_EQ(m->substr(end), "\nSTATUS=reloading rules");
  // Then READY=1 again when the reload is over.
  EXPECT_EQ(notify_ready("rules generation 5"), NotifyResult::Sent);
  EXPECT_EQ(manager.next(), "READY=1\nSTATUS=rules generation 5");
}

TEST(ServiceNotify, AStatusCannotSmuggleAnotherAssignment) {
  FakeManager manager;
  ASSERT_TRUE(manager.bound());
  EXPECT_EQ(notify_status("bad\nREADY=1\rMAINPID=1\x7f\tend"), NotifyResult::Sent);
  EXPECT_EQ(manager.next(), "STATUS=bad READY=1 MAINPID=1  end");
}

TEST(ServiceNotify, AMissingSocketFails) {
  ::setenv("NOTIFY_SOCKET", "/nonexistent/vigil-notify.sock", 1);
  EXPECT_EQ(notify_status("x"), NotifyResult::Failed);
  ::unsetenv("NOTIFY_SOCKET");
}

TEST(Watchdog, IntervalComesFromTheEnvironmentForThisProcessOnly) {
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  EXPECT_EQ(watchdog_interval(), std::chrono::microseconds(0));
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  EXPECT_EQ(watchdog_interval(), std::chrono::seconds(30));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(watchdog_interval(), std::chrono::seconds(30));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);  // our child's
  EXPECT_EQ(watchdog_interval(), std::chrono::microseconds(0));
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}

TEST(Watchdog, PingsAtHalfTheIntervalWhileAlive) {
  FakeManager manager;
  ASSERT_TRUE(manager.bound());
  std::atomic<int> checks{0};
  WatchdogPinger pinger(std::chrono::milliseconds(40), [&] {
    ++checks;
    return true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  pinger.start();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(manager.next(), "WATCHDOG=1");
  const auto took = std::chrono::steady_clock::now() - t0;
  pinger.stop();
  // Immediately, then every 20 ms: three pings take at least 40 ms.
  EXPECT_GE(took, std::chrono::milliseconds(40));
  EXPECT_GE(pinger.stats().pings, 3U);
  EXPECT_EQ(pinger.stats().withheld, 0U);
  EXPECT_GE(checks.load(), 3);
}

TEST(Watchdog, WithholdsPingsWhileStuckAndResumes) {
  FakeManager manager;
  ASSERT_TRUE(manager.bound());
  std::atomic<int> checks{0};
  std::atomic<bool> healthy{false};
  WatchdogPinger pinger(std::chrono::milliseconds(20), [&] {
    ++checks;
    return healthy.load();
  });
  pinger.start();
  while (checks.load() < 4) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(manager.next(/*timeout_ms=*/0), std::nullopt);
  EXPECT_EQ(pinger.stats().pings, 0U);
  EXPECT_GE(pinger.stats().withheld, 4U);
  healthy = true;
  EXPECT_EQ(manager.next(), "WATCHDOG=1");
  pinger.stop();
  EXPECT_GE(pinger.stats().pings, 1U);
}

TEST(Watchdog, ZeroIntervalStartsNothing) {
  std::atomic<int> checks{0};
  WatchdogPinger pinger(std::chrono::microseconds(0), [&] {
    ++checks;
    return true;
  });
  pinger.start();
  pinger.stop();
  EXPECT_EQ(checks.load(), 0);
  EXPECT_EQ(pinger.stats().pings, 0U);
}

TEST(StallDetector, AWorkerWithWorkAndNoProgressIsStuck) {
  StallDetector d;
  WorkerProgress w[2] = {{100, 5}, {50, 0}};
  EXPECT_TRUE(d.alive(w));  // first sample only records
  w[0].processed = 180;
  EXPECT_TRUE(d.alive(w));  // progress
  w[0].pending = 7;
  EXPECT_FALSE(d.alive(w));  // work waiting, nothing done since the last sample
  w[0].processed = 181;
  EXPECT_TRUE(d.alive(w));
}

TEST(StallDetector, AnIdleWorkerIsAlive) {
  StallDetector d;
  WorkerProgress w[1] = {{10, 0}};
  EXPECT_TRUE(d.alive(w));
  EXPECT_TRUE(d.alive(w));
  EXPECT_TRUE(d.alive(w));  // a quiet network is not a fault
  w[0].pending = 1;
  EXPECT_FALSE(d.alive(w));
}

TEST(StallDetector, ADifferentWorkerCountOnlyRecords) {
  StallDetector d;
  WorkerProgress one[1] = {{10, 3}};
  WorkerProgress two[2] = {{10, 3}, {0, 3}};
  EXPECT_TRUE(d.alive(one));
  EXPECT_TRUE(d.alive(two));
  EXPECT_FALSE(d.alive(two));
}

}  // namespace
}  // namespace vigil::daemon
