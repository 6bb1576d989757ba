#include "daemon/notify/notifier.h"

#include <algorithm>
#include <utility>

namespace vigil::notify {
namespace {

// The longest the sender thread sleeps without looking at the clock again,
// so a wall-clock step (NTP at boot) delays the digest by at most this.
constexpr std::chrono::milliseconds kMaxSleep = std::chrono::seconds(30);

Clock or_system(Clock c) {
  if (c) return c;
  return [] { return std::chrono::system_clock::now(); };
}

}  // namespace

Notifier::Notifier(DispatchSettings settings, std::vector<std::unique_ptr<Channel>> channels,
                   NotifierOptions options)
    : capacity_(std::max<std::size_t>(1, options.queue_capacity)),
      clock_(or_system(options.clock)),
      dispatcher_(std::move(settings), std::move(channels), clock_,
                  options.log ? std::move(options.log) : stderr_log()),
      stats_{.dispatch = dispatcher_.stats()},
      thread_([this] { sender_loop(); }) {}

Notifier::~Notifier() { stop(); }

bool Notifier::post(Notification n) noexcept {
  const bool valid = is_valid(n);
  std::lock_guard lock(mu_);
  if (!valid) {
    ++stats_.invalid;
    return false;
  }
  if (stopping_) {
    ++stats_.after_stop;
    return false;
  }
  if (queue_.size() >= capacity_) {
    ++stats_.queue_overflow;
    return false;
  }
  try {
    if (n.raised_at == TimePoint{}) n.raised_at = clock_();
    queue_.push_back(std::move(n));
  } catch (...) {  // out of memory: counted like a full queue
    ++stats_.queue_overflow;
    return false;
  }
  ++stats_.posted;
  stats_.queue_high_water = std::max(stats_.queue_high_water, queue_.size());
  wake_.notify_one();
  return true;
}

void Notifier::reconfigure(DispatchSettings settings,
                           std::vector<std::unique_ptr<Channel>> channels) {
  std::lock_guard lock(mu_);
  reconfig_ = Reconfig{std::move(settings), std::move(channels)};
  wake_.notify_one();
}

NotifierStats Notifier::stats() const {
  std::lock_guard lock(mu_);
  NotifierStats out = stats_;
  out.queue_depth = queue_.size();
  return out;
}

void Notifier::sender_loop() {
  const std::stop_token abort = abort_.get_token();
  std::unique_lock lock(mu_);
  for (;;) {
    std::deque<Notification> batch;
    batch.swap(queue_);
    std::optional<Reconfig> reconfig = std::move(reconfig_);
    reconfig_.reset();
    const std::uint64_t dropped = stats_.queue_overflow - overflow_reported_;
    overflow_reported_ = stats_.queue_overflow;
    lock.unlock();

    if (reconfig)
      dispatcher_.reconfigure(std::move(reconfig->settings), std::move(reconfig->channels));
    if (dropped != 0) dispatcher_.note_dropped(dropped);
    for (Notification& n : batch) dispatcher_.accept(std::move(n));
    dispatcher_.run(abort);
    DispatchStats snapshot = dispatcher_.stats();
    const TimePoint due = dispatcher_.next_due();
    const bool idle = dispatcher_.idle();

    lock.lock();
    stats_.dispatch = std::move(snapshot);
    if (abort.stop_requested()) break;
    if (!queue_.empty() || reconfig_) continue;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - clock_());
    if (stopping_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          drain_deadline_ - std::chrono::steady_clock::now());
      // Nothing waiting, or the next attempt falls after the drain: done.
      if (idle || wait > left) break;
    }
    wait = std::clamp(wait, std::chrono::milliseconds(0), kMaxSleep);
    if (wait.count() > 0) {
      const bool was_stopping = stopping_;
      wake_.wait_for(lock, wait, [&] {
        return !queue_.empty() || reconfig_.has_value() || stopping_ != was_stopping ||
               abort.stop_requested();
      });
    }
  }
  lock.unlock();
  const std::uint64_t lost = dispatcher_.abandon_backlog();
  DispatchStats snapshot = dispatcher_.stats();
  lock.lock();
  stats_.dispatch = std::move(snapshot);
  stats_.lost_at_stop += lost + queue_.size();
  queue_.clear();
  done_ = true;
  done_cv_.notify_all();
}

void Notifier::stop(std::chrono::milliseconds drain) {
  std::lock_guard serial(stop_mu_);
  {
    std::unique_lock lock(mu_);
    if (!thread_.joinable()) return;
    if (!stopping_) {
      stopping_ = true;
      drain_deadline_ = std::chrono::steady_clock::now() + drain;
      wake_.notify_all();
    }
    if (!done_cv_.wait_until(lock, drain_deadline_, [&] { return done_; })) {
      abort_.request_stop();  // makes a delivery in flight return
      wake_.notify_all();
    }
  }
  thread_.join();
}

}  // namespace vigil::notify
