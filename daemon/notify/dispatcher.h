#pragma once
// The Notifier's logic without its thread: throttling, the daily digest, and
// a backlog per channel with retries and back-off. Single-threaded and driven
// by an injected clock, so tests can run a day in microseconds.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "daemon/notify/channel.h"
#include "daemon/notify/notification.h"

namespace vigil::notify {

using Clock = std::function<TimePoint()>;

enum class LogLevel : unsigned char { Info, Warning, Error };
// Receives whole lines without personal detail; called on the sender thread.
using LogSink = std::function<void(LogLevel, std::string_view)>;
LogSink stderr_log();  // "vigil notify: warning: ..." on standard error (the journal)

struct DispatchSettings {
  std::string public_url;  // console.public_url
  // At most one alert per (kind, person, category) and per alarm within this.
  std::chrono::milliseconds throttle{std::chrono::minutes(10)};
  int digest_hour = 7;                                              // local time, 0..23
  std::chrono::milliseconds retry_min{std::chrono::seconds(5)};     // first back-off ...
  std::chrono::milliseconds retry_max{std::chrono::minutes(5)};     // ... doubling up to this
  std::chrono::milliseconds give_up_after{std::chrono::hours(24)};  // the digest covers older
  std::size_t backlog_capacity = 256;                               // messages waiting per channel
};

struct ChannelStats {
  std::string name;
  std::uint64_t delivered = 0;
  std::uint64_t failed_attempts = 0;   // Retry outcomes
  std::uint64_t rejected = 0;          // Rejected outcomes: dropped, not retried
  std::uint64_t abandoned = 0;         // waited longer than give_up_after, or channel removed
  std::uint64_t backlog_overflow = 0;  // the backlog was full
  std::uint64_t failure_streaks = 0;   // working -> failing transitions (one warning each)
  std::size_t backlog = 0;
  bool failing = false;
  std::string last_error;  // kept after recovery
};

struct DispatchStats {
  std::uint64_t accepted = 0;   // notifications handed in
  std::uint64_t sent = 0;       // passed the throttle and queued for every channel
  std::uint64_t throttled = 0;  // held back for the digest
  std::uint64_t digests = 0;
  std::uint64_t dropped = 0;  // reported by note_dropped()
  std::vector<ChannelStats> channels;
};

class Dispatcher {
 public:
  Dispatcher(DispatchSettings settings, std::vector<std::unique_ptr<Channel>> channels,
             Clock clock = {}, LogSink log = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Throttles, renders and queues for every channel; nothing is sent yet.
  void accept(Notification n);
  // Notifications lost before they got here (the Notifier's queue was full).
  void note_dropped(std::uint64_t count);
  // Queues the digest when due, then delivers whatever is due on each
  // channel, stopping at a channel's first failure (it backs off) or when
  // `abort` is requested.
  void run(const std::stop_token& abort = {});
  // The earliest time run() has something to do: the digest, or a channel's
  // next attempt (possibly already past).
  TimePoint next_due() const;
  TimePoint next_digest() const noexcept { return next_digest_; }
  bool idle() const noexcept;  // no channel has anything waiting
  // New settings and channels; a channel of the same name keeps its backlog,
  // counters and failure state, and is tried again at once.
  void reconfigure(DispatchSettings settings, std::vector<std::unique_ptr<Channel>> channels);
  // Drops every waiting message (at shutdown); returns how many.
  std::uint64_t abandon_backlog();
  DispatchStats stats() const;

 private:
  struct Pending {
    std::shared_ptr<const Message> message;
    TimePoint queued{};
  };
  struct ChannelState {
    std::unique_ptr<Channel> channel;
    std::deque<Pending> backlog;
    TimePoint next_attempt{};
    std::chrono::milliseconds backoff{0};
    std::uint64_t streak_attempts = 0;  // failures since the last delivery
    ChannelStats stats;
  };
  // (kind, category or alarm, person key)
  using ThrottleKey = std::tuple<Kind, std::uint8_t, std::string>;

  void enqueue(const std::shared_ptr<const Message>& m, TimePoint now);
  void send_digest(TimePoint now);
  void deliver_due(ChannelState& c, const std::stop_token& abort);
  void note_failure(ChannelState& c, const Delivery& d);
  void prune_throttle(TimePoint now);
  std::string new_id();
  std::vector<ChannelState> adopt(std::vector<std::unique_ptr<Channel>> channels);

  DispatchSettings settings_;
  Clock clock_;
  LogSink log_;
  std::vector<ChannelState> channels_;
  std::map<ThrottleKey, TimePoint> last_sent_;
  TimePoint last_prune_{};
  DigestCounts counts_;
  TimePoint next_digest_{};
  std::uint64_t id_counter_ = 0;
  DispatchStats stats_;  // channels_ filled in by stats()
};

// The first local `hour`:00:00 strictly after `now` (TZ; daylight saving
// changes handled by mktime).
TimePoint next_local_hour(TimePoint now, int hour);

}  // namespace vigil::notify
