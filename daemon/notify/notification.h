#pragma once
// daemon/notify: what Vigil tells the DSL and deputy, as plain values.
//
// The privacy rule lives in these types: a Notification carries only enums,
// an opaque person key that is used for throttling and never rendered, and a
// console path checked against a narrow character set. There is no field in
// which a learner's name, a URL, a search term, page text or an IP address
// could travel, so no rendering of it can leak one.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "rules/taxonomy.h"

namespace vigil::notify {

using TimePoint = std::chrono::system_clock::time_point;

enum class Kind : std::uint8_t {
  ConcernRaised,  // a new safeguarding concern needs review
  ReviewOverdue,  // an open concern has passed its review date
  SystemAlarm,    // Vigil itself needs attention
  DailyDigest,    // made by the Dispatcher at notify.digest_hour, never posted
};

enum class Alarm : std::uint8_t {
  CaptureStopped,      // no packets are being captured: nothing is monitored
  CaptureDropping,     // capture drops over capture.drop_alarm_percent
  StoreSpooling,       // the incident store is busy or full; hits wait in memory
  StoreFailed,         // the incident store needs a person
  StatutoryListStale,  // the IWF or CTIRU list has not been refreshed in time
  RulesReloadFailed,   // the old rules stay in force
  kCount
};

inline constexpr std::size_t kCategoryCount = static_cast<std::size_t>(rules::Category::kCount);
inline constexpr std::size_t kAlarmCount = static_cast<std::size_t>(Alarm::kCount);

std::string_view kind_name(Kind k) noexcept;    // "concern_raised", ...
std::string_view alarm_name(Alarm a) noexcept;  // "capture_stopped", ...

struct Notification {
  Kind kind = Kind::ConcernRaised;
  rules::Category category = rules::Category::Extremism;  // ConcernRaised, ReviewOverdue
  rules::Severity severity = rules::Severity::Advisory;   // ConcernRaised, ReviewOverdue
  Alarm alarm = Alarm::CaptureStopped;                    // SystemAlarm
  // Whom the concern is about (the store's person id, or the device's when
  // unattributed). Only compared for throttling; never rendered or logged.
  std::string person_key;
  // Where in the console to look, like "/concerns/123"; see is_console_path().
  std::string console_path;
  TimePoint raised_at{};  // epoch: the time it is posted
};

Notification concern_raised(std::int64_t concern_id, rules::Category category,
                            rules::Severity severity, std::string person_key);
Notification review_overdue(std::int64_t concern_id, rules::Category category,
                            rules::Severity severity, std::string person_key);
Notification system_alarm(Alarm alarm);

// A path of the console, "/" then at most 128 of [A-Za-z0-9/_-]: no query,
// no fragment, no dots, no percent-escapes, so nothing but an id fits.
bool is_console_path(std::string_view path) noexcept;

// A notification the Notifier accepts: a known kind (never DailyDigest),
// in-range enums and a console path.
bool is_valid(const Notification& n) noexcept;

// What the daily digest reports: counts only, since the previous digest.
struct DigestCounts {
  TimePoint from{};
  TimePoint to{};
  struct Pair {
    std::uint64_t sent = 0;
    std::uint64_t held_back = 0;  // suppressed by the throttle
  };
  std::array<Pair, kCategoryCount> concerns{};
  std::array<Pair, kCategoryCount> reviews{};
  std::array<Pair, kAlarmCount> alarms{};
  std::uint64_t dropped = 0;                         // queue full before throttling
  std::map<std::string, std::uint64_t> undelivered;  // per channel: rejected or given up
};

// One notification rendered for every channel.
struct Message {
  std::string id;  // unique: the Message-ID's left part and the webhook's "id"
  Kind kind = Kind::ConcernRaised;
  TimePoint created{};
  std::string subject;  // UTF-8, one line
  std::string text;     // UTF-8, lines end in '\n'
  std::string json;     // the webhook body
};

// `public_url` is console.public_url ("" when unset: the path is named
// instead of linked). Times in text use the local time zone (TZ).
Message render(const Notification& n, std::string_view public_url, std::string id);
Message render_digest(const DigestCounts& counts, std::string_view public_url, std::string id);

// The console link: public_url without trailing '/' followed by the path.
std::string console_link(std::string_view public_url, std::string_view path);

// A JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD.
std::string json_string(std::string_view text);

// "2025-06-03T10:00:00Z"
std::string iso8601_utc(TimePoint t);

}  // namespace vigil::notify
