#pragma once
// daemon/notify's public entry: the Notifier owns one sender thread and a
// bounded queue. post() is what incident scoring and the health checks call;
// it never waits on the network. The sender thread throttles, renders,
// delivers by email and webhook, retries with back-off and sends the daily
// digest (see dispatcher.h).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "daemon/notify/channel.h"
#include "daemon/notify/dispatcher.h"
#include "daemon/notify/notification.h"

namespace vigil::notify {

struct NotifierOptions {
  std::size_t queue_capacity = 256;  // notifications waiting for the sender thread
  Clock clock{};                     // system clock when empty
  LogSink log{};                     // stderr_log() when empty
};

struct NotifierStats {
  std::uint64_t posted = 0;          // accepted into the queue
  std::uint64_t queue_overflow = 0;  // refused: the queue was full
  std::uint64_t invalid = 0;         // refused: !is_valid()
  std::uint64_t after_stop = 0;      // refused: stop() had begun
  std::uint64_t lost_at_stop = 0;    // queued or waiting to be delivered when the thread ended
  std::size_t queue_depth = 0;
  std::size_t queue_high_water = 0;
  DispatchStats dispatch;  // as of the sender thread's last pass
};

class Notifier {
 public:
  Notifier(DispatchSettings settings, std::vector<std::unique_ptr<Channel>> channels,
           NotifierOptions options = {});
  ~Notifier();  // stop() with its default drain time
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Queues `n` for the sender thread: a short lock, no I/O. False when it
  // was refused (counted): invalid, queue full, or stopping.
  bool post(Notification n) noexcept;

  // Applies new settings and channels on the sender thread (a reload); see
  // Dispatcher::reconfigure.
  void reconfigure(DispatchSettings settings, std::vector<std::unique_ptr<Channel>> channels);

  NotifierStats stats() const;

  // Stops accepting, lets the sender thread deliver what is waiting for up to
  // `drain` (less when the next retry is due later than that), then aborts
  // any delivery in flight and joins. What was not delivered is counted in
  // lost_at_stop. Idempotent.
  void stop(std::chrono::milliseconds drain = std::chrono::seconds(5));

 private:
  struct Reconfig {
    DispatchSettings settings;
    std::vector<std::unique_ptr<Channel>> channels;
  };
  void sender_loop();

  const std::size_t capacity_;
  Clock clock_;
  Dispatcher dispatcher_;  // the sender thread's alone after construction
  std::stop_source abort_;

  std::mutex stop_mu_;  // serialises stop() callers
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_cv_;
  std::deque<Notification> queue_;
  std::optional<Reconfig> reconfig_;
  std::uint64_t overflow_reported_ = 0;  // how much of stats_.queue_overflow the dispatcher knows
  bool stopping_ = false;
  bool done_ = false;
  std::chrono::steady_clock::time_point drain_deadline_{};
  NotifierStats stats_;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace vigil::notify
