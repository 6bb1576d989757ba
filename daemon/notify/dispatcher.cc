#include "daemon/notify/dispatcher.h"

#include <openssl/rand.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace vigil::notify {
namespace {

std::uint8_t subkey(const Notification& n) {
  return n.kind == Kind::SystemAlarm ? static_cast<std::uint8_t>(n.alarm)
                                     : static_cast<std::uint8_t>(n.category);
}

DigestCounts::Pair& pair_for(DigestCounts& c, const Notification& n) {
  switch (n.kind) {
    case Kind::ReviewOverdue:
      return c.reviews[static_cast<std::size_t>(n.category)];
    case Kind::SystemAlarm:
      return c.alarms[static_cast<std::size_t>(n.alarm)];
    case Kind::ConcernRaised:
    case Kind::DailyDigest:
      break;
  }
  return c.concerns[static_cast<std::size_t>(n.category)];
}

}  // namespace

LogSink stderr_log() {
  return [](LogLevel level, std::string_view line) {
    const char* tag = level == LogLevel::Info      ? "info"
                      : level == LogLevel::Warning ? "warning"
                                                   : "error";
    std::fprintf(stderr, "vigil notify: %s: %.*s\n", tag, static_cast<int>(line.size()),
                 line.data());
  };
}

TimePoint next_local_hour(TimePoint now, int hour) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm lt{};
  localtime_r(&t, &lt);
  lt.tm_hour = hour;
  lt.tm_min = 0;
  lt.tm_sec = 0;
  lt.tm_isdst = -1;
  std::time_t candidate = std::mktime(&lt);
  if (candidate <= t || std::chrono::system_clock::from_time_t(candidate) <= now) {
    localtime_r(&t, &lt);
    lt.tm_mday += 1;
    lt.tm_hour = hour;
    lt.tm_min = 0;
    lt.tm_sec = 0;
    lt.tm_isdst = -1;
    candidate = std::mktime(&lt);
  }
  return std::chrono::system_clock::from_time_t(candidate);
}

Dispatcher::Dispatcher(DispatchSettings settings, std::vector<std::unique_ptr<Channel>> channels,
                       Clock clock, LogSink log)
    : settings_(std::move(settings)),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })),
      log_(log ? std::move(log) : stderr_log()) {
  channels_ = adopt(std::move(channels));
  const TimePoint now = clock_();
  counts_.from = now;
  last_prune_ = now;
  next_digest_ = next_local_hour(now, settings_.digest_hour);
  if (channels_.empty()) {
    log_(LogLevel::Warning,
         "no email or webhook is configured: alerts will not reach the DSL (set notify.smtp_url "
         "or notify.webhook_url)");
  }
}

Dispatcher::~Dispatcher() = default;

std::vector<Dispatcher::ChannelState> Dispatcher::adopt(
    std::vector<std::unique_ptr<Channel>> channels) {
  std::vector<ChannelState> out;
  for (auto& ch : channels) {
    if (!ch) continue;
    ChannelState s;
    s.stats.name = std::string(ch->name());
    s.channel = std::move(ch);
    out.push_back(std::move(s));
  }
  return out;
}

std::string Dispatcher::new_id() {
  unsigned char raw[12];
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  if (RAND_bytes(raw, sizeof raw) == 1) {
    for (const unsigned char b : raw) {
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    }
    return out;
  }
  // Without randomness the time and a counter still make ids unique here.
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch()).count();
  return std::to_string(ms) + "-" + std::to_string(++id_counter_);
}

void Dispatcher::accept(Notification n) {
  const TimePoint now = clock_();
  ++stats_.accepted;
  if (!is_valid(n)) return;  // the Notifier checks first; a second guard costs nothing
  if (n.raised_at == TimePoint{}) n.raised_at = now;
  prune_throttle(now);

  ThrottleKey key{n.kind, subkey(n), n.kind == Kind::SystemAlarm ? std::string() : n.person_key};
  const auto it = last_sent_.find(key);
  DigestCounts::Pair& counts = pair_for(counts_, n);
  if (it != last_sent_.end() && now - it->second < settings_.throttle) {
    ++counts.held_back;
    ++stats_.throttled;
    return;
  }
  last_sent_[std::move(key)] = now;
  ++counts.sent;
  ++stats_.sent;
  enqueue(std::make_shared<const Message>(render(n, settings_.public_url, new_id())), now);
}

void Dispatcher::note_dropped(std::uint64_t count) {
  counts_.dropped += count;
  stats_.dropped += count;
}

void Dispatcher::enqueue(const std::shared_ptr<const Message>& m, TimePoint now) {
  for (ChannelState& c : channels_) {
    if (c.backlog.size() >= settings_.backlog_capacity) {
      ++c.stats.backlog_overflow;
      ++counts_.undelivered[c.stats.name];
      continue;
    }
    c.backlog.push_back({m, now});
  }
}

void Dispatcher::send_digest(TimePoint now) {
  counts_.to = now;
  enqueue(std::make_shared<const Message>(render_digest(counts_, settings_.public_url, new_id())),
          now);
  ++stats_.digests;
  counts_ = DigestCounts{};
  counts_.from = now;
  next_digest_ = next_local_hour(now, settings_.digest_hour);
}

void Dispatcher::prune_throttle(TimePoint now) {
  if (now - last_prune_ < settings_.throttle) return;
  last_prune_ = now;
  std::erase_if(last_sent_,
                [&](const auto& entry) { return now - entry.second >= settings_.throttle; });
}

void Dispatcher::run(const std::stop_token& abort) {
  if (clock_() >= next_digest_) send_digest(clock_());
  for (ChannelState& c : channels_) {
    if (abort.stop_requested()) return;
    deliver_due(c, abort);
  }
}

void Dispatcher::note_failure(ChannelState& c, const Delivery& d) {
  ++c.streak_attempts;
  c.stats.last_error = d.error;
  if (c.stats.failing) return;  // logged when the streak began
  c.stats.failing = true;
  ++c.stats.failure_streaks;
  std::string line = c.stats.name + " delivery failing: " + d.error;
  line += d.outcome == Outcome::Rejected ? "; that alert was refused and is dropped"
                                         : "; retrying with back-off";
  line += ". Further failures are counted, not logged, until a delivery succeeds.";
  log_(LogLevel::Warning, line);
}

void Dispatcher::deliver_due(ChannelState& c, const std::stop_token& abort) {
  while (!c.backlog.empty() && !abort.stop_requested()) {
    const TimePoint now = clock_();
    if (now < c.next_attempt) return;
    const Pending& front = c.backlog.front();
    if (now - front.queued > settings_.give_up_after) {
      ++c.stats.abandoned;
      ++counts_.undelivered[c.stats.name];
      c.backlog.pop_front();
      continue;
    }
    const Delivery d = c.channel->deliver(*front.message, abort);
    if (d.outcome != Outcome::Delivered && abort.stop_requested()) return;  // not its fault
    switch (d.outcome) {
      case Outcome::Delivered:
        ++c.stats.delivered;
        c.backlog.pop_front();
        if (c.stats.failing) {
          log_(LogLevel::Info, c.stats.name + " delivering again after " +
                                   std::to_string(c.streak_attempts) + " failed attempt" +
                                   (c.streak_attempts == 1 ? "" : "s"));
        }
        c.stats.failing = false;
        c.streak_attempts = 0;
        c.backoff = std::chrono::milliseconds(0);
        c.next_attempt = TimePoint{};
        break;
      case Outcome::Rejected:
        ++c.stats.rejected;
        ++counts_.undelivered[c.stats.name];
        note_failure(c, d);
        c.backlog.pop_front();
        break;
      case Outcome::Retry:
        ++c.stats.failed_attempts;
        note_failure(c, d);
        c.backoff = c.backoff.count() == 0 ? settings_.retry_min
                                           : std::min(c.backoff * 2, settings_.retry_max);
        c.next_attempt = clock_() + c.backoff;
        return;
    }
  }
}

TimePoint Dispatcher::next_due() const {
  TimePoint due = next_digest_;
  for (const ChannelState& c : channels_) {
    if (!c.backlog.empty()) due = std::min(due, c.next_attempt);
  }
  return due;
}

bool Dispatcher::idle() const noexcept {
  return std::all_of(channels_.begin(), channels_.end(),
                     [](const ChannelState& c) { return c.backlog.empty(); });
}

void Dispatcher::reconfigure(DispatchSettings settings,
                             std::vector<std::unique_ptr<Channel>> channels) {
  const TimePoint now = clock_();
  const bool new_hour = settings.digest_hour != settings_.digest_hour;
  settings_ = std::move(settings);
  if (new_hour) next_digest_ = next_local_hour(now, settings_.digest_hour);

  std::vector<ChannelState> fresh = adopt(std::move(channels));
  for (ChannelState& n : fresh) {
    const auto old = std::find_if(channels_.begin(), channels_.end(), [&](const ChannelState& c) {
      return c.stats.name == n.stats.name;
    });
    if (old == channels_.end()) continue;
    n.backlog = std::move(old->backlog);
    n.stats = std::move(old->stats);
    n.streak_attempts = old->streak_attempts;
    channels_.erase(old);
  }
  for (ChannelState& gone : channels_) {  // channels no longer configured
    gone.stats.abandoned += gone.backlog.size();
    counts_.undelivered[gone.stats.name] += gone.backlog.size();
  }
  channels_ = std::move(fresh);
  if (channels_.empty()) {
    log_(LogLevel::Warning,
         "no email or webhook is configured: alerts will not reach the DSL (set notify.smtp_url "
         "or notify.webhook_url)");
  }
}

std::uint64_t Dispatcher::abandon_backlog() {
  std::uint64_t n = 0;
  for (ChannelState& c : channels_) {
    n += c.backlog.size();
    c.stats.abandoned += c.backlog.size();
    c.backlog.clear();
  }
  return n;
}

DispatchStats Dispatcher::stats() const {
  DispatchStats out = stats_;
  for (const ChannelState& c : channels_) {
    out.channels.push_back(c.stats);
    out.channels.back().backlog = c.backlog.size();
  }
  return out;
}

}  // namespace vigil::notify
