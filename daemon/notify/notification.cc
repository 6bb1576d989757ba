#include "daemon/notify/notification.h"

#include <time.h>

#include <string>

#include "inspect/eve_json.h"

namespace vigil::notify {
namespace {

constexpr std::size_t kMaxPathBytes = 128;
constexpr std::string_view kFooter =
    "This alert deliberately carries no details of the learner or of the activity.\n"
    "Sign in to the Vigil console to see them.\n";

std::string human(std::string_view snake) {
  std::string out(snake);
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  return out;
}

std::string category_text(rules::Category c) { return human(rules::category_name(c)); }

std::string alarm_text(Alarm a) {
  switch (a) {
    case Alarm::CaptureStopped:
      return "Packet capture has stopped: Vigil is not monitoring traffic.";
    case Alarm::CaptureDropping:
      return "Packet capture is dropping traffic: some activity is not being monitored.";
    case Alarm::StoreSpooling:
      return "The incident store is not accepting writes; hits are being held in memory.";
    case Alarm::StoreFailed:
      return "The incident store has failed and needs attention.";
    case Alarm::StatutoryListStale:
      return "A statutory block list (IWF or CTIRU) is out of date.";
    case Alarm::RulesReloadFailed:
      return "A rule reload failed; the previous rules are still in force.";
    case Alarm::kCount:
      break;
  }
  return "Vigil needs attention.";
}

std::string alarm_subject(Alarm a) {
  switch (a) {
    case Alarm::CaptureStopped:
      return "packet capture stopped";
    case Alarm::CaptureDropping:
      return "packet capture dropping traffic";
    case Alarm::StoreSpooling:
      return "incident store not writing";
    case Alarm::StoreFailed:
      return "incident store failed";
    case Alarm::StatutoryListStale:
      return "statutory list out of date";
    case Alarm::RulesReloadFailed:
      return "rule reload failed";
    case Alarm::kCount:
      break;
  }
  return "needs attention";
}

std::tm local_tm(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}

// "10:00 on Tue 03 Jun 2025", local time.
std::string when_text(TimePoint t) {
  const std::tm tm = local_tm(t);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, "%H:%M on %a %d %b %Y", &tm));
}

// "Tue 03 Jun 2025", local time.
std::string date_text(TimePoint t) {
  const std::tm tm = local_tm(t);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, "%a %d %b %Y", &tm));
}

// "needs review: https://console/concerns/12" or, without a public URL,
// "needs review: open /concerns/12 in the Vigil console".
std::string link_phrase(std::string_view public_url, std::string_view path) {
  if (public_url.empty()) return "open " + std::string(path) + " in the Vigil console";
  return console_link(public_url, path);
}

void append_field(std::string& json, std::string_view name, std::string_view json_value) {
  json += json.size() > 1 ? "," : "";
  json += json_string(name);
  json += ':';
  json += json_value;
}

std::string counts_json(const DigestCounts::Pair& p) {
  return "{\"sent\":" + std::to_string(p.sent) + ",\"held_back\":" + std::to_string(p.held_back) +
         "}";
}

template <std::size_t N, class NameFn>
std::string pairs_json(const std::array<DigestCounts::Pair, N>& pairs, NameFn name_of) {
  std::string out = "{";
  for (std::size_t i = 0; i < N; ++i) {
    if (pairs[i].sent == 0 && pairs[i].held_back == 0) continue;
    append_field(out, name_of(i), counts_json(pairs[i]));
  }
  return out + "}";
}

// "3 (extremism 2, self harm 1)" or "none".
template <std::size_t N, class NameFn, class Pick>
std::string pairs_text(const std::array<DigestCounts::Pair, N>& pairs, NameFn name_of, Pick pick) {
  std::uint64_t total = 0;
  std::string parts;
  for (std::size_t i = 0; i < N; ++i) {
    const std::uint64_t n = pick(pairs[i]);
    if (n == 0) continue;
    total += n;
    if (!parts.empty()) parts += ", ";
    parts += name_of(i) + " " + std::to_string(n);
  }
  if (total == 0) return "none";
  return std::to_string(total) + " (" + parts + ")";
}

}  // namespace

std::string_view kind_name(Kind k) noexcept {
  switch (k) {
    case Kind::ConcernRaised:
      return "concern_raised";
    case Kind::ReviewOverdue:
      return "review_overdue";
    case Kind::SystemAlarm:
      return "system_alarm";
    case Kind::DailyDigest:
      return "daily_digest";
  }
  return "unknown";
}

std::string_view alarm_name(Alarm a) noexcept {
  switch (a) {
    case Alarm::CaptureStopped:
      return "capture_stopped";
    case Alarm::CaptureDropping:
      return "capture_dropping";
    case Alarm::StoreSpooling:
      return "store_spooling";
    case Alarm::StoreFailed:
      return "store_failed";
    case Alarm::StatutoryListStale:
      return "statutory_list_stale";
    case Alarm::RulesReloadFailed:
      return "rules_reload_failed";
    case Alarm::kCount:
      break;
  }
  return "unknown";
}

Notification concern_raised(std::int64_t concern_id, rules::Category category,
                            rules::Severity severity, std::string person_key) {
  Notification n;
  n.kind = Kind::ConcernRaised;
  n.category = category;
  n.severity = severity;
  n.person_key = std::move(person_key);
  n.console_path = "/concerns/" + std::to_string(concern_id);
  return n;
}

Notification review_overdue(std::int64_t concern_id, rules::Category category,
                            rules::Severity severity, std::string person_key) {
  Notification n = concern_raised(concern_id, category, severity, std::move(person_key));
  n.kind = Kind::ReviewOverdue;
  return n;
}

Notification system_alarm(Alarm alarm) {
  Notification n;
  n.kind = Kind::SystemAlarm;
  n.alarm = alarm;
  n.console_path = "/status";
  return n;
}

bool is_console_path(std::string_view path) noexcept {
  if (path.empty() || path.size() > kMaxPathBytes || path.front() != '/') return false;
  for (const char c : path) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_valid(const Notification& n) noexcept {
  switch (n.kind) {
    case Kind::ConcernRaised:
    case Kind::ReviewOverdue:
      if (static_cast<std::size_t>(n.category) >= kCategoryCount) return false;
      if (n.severity > rules::Severity::Danger) return false;
      break;
    case Kind::SystemAlarm:
      if (static_cast<std::size_t>(n.alarm) >= kAlarmCount) return false;
      break;
    case Kind::DailyDigest:
    default:
      return false;
  }
  return is_console_path(n.console_path);
}

std::string console_link(std::string_view public_url, std::string_view path) {
  while (!public_url.empty() && public_url.back() == '/') public_url.remove_suffix(1);
  return std::string(public_url) + std::string(path);
}

std::string iso8601_utc(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::string json_string(std::string_view text) {
  // The same escaping as every other JSON Vigil writes (invalid UTF-8
  // bytes become \u00XX, controls are escaped).
  std::string out;
  inspect::append_json_string(out, text);
  return out;
}

Message render(const Notification& n, std::string_view public_url, std::string id) {
  Message m;
  m.id = std::move(id);
  m.kind = n.kind;
  m.created = n.raised_at;
  const std::string link = link_phrase(public_url, n.console_path);
  const std::string when = when_text(n.raised_at);
  std::string json = "{";
  append_field(json, "id", json_string(m.id));
  append_field(json, "event", json_string(kind_name(n.kind)));

  std::string first_line;
  switch (n.kind) {
    case Kind::ConcernRaised:
    case Kind::ReviewOverdue: {
      const std::string what =
          std::string(rules::severity_name(n.severity)) + ", " + category_text(n.category);
      if (n.kind == Kind::ConcernRaised) {
        m.subject = "Vigil: new safeguarding concern (" + what + ")";
        first_line = "A new safeguarding concern (" + what + ") needs review: " + link;
      } else {
        m.subject = "Vigil: safeguarding concern overdue for review (" + what + ")";
        first_line = "A safeguarding concern (" + what + ") is overdue for review: " + link;
      }
      m.text = first_line + "\n\nRaised at " + when + ".\n\n" + std::string(kFooter);
      append_field(json, "category", json_string(rules::category_name(n.category)));
      append_field(json, "severity", json_string(rules::severity_name(n.severity)));
      break;
    }
    case Kind::SystemAlarm:
    case Kind::DailyDigest:  // not posted; rendered as an alarm if it ever is
      m.subject = "Vigil alarm: " + alarm_subject(n.alarm);
      first_line = alarm_text(n.alarm) + " Details: " + link;
      m.text = first_line + "\n\nRaised at " + when + ".\n";
      append_field(json, "alarm", json_string(alarm_name(n.alarm)));
      break;
  }
  append_field(
      json, "link",
      json_string(public_url.empty() ? n.console_path : console_link(public_url, n.console_path)));
  append_field(json, "raised_at", json_string(iso8601_utc(n.raised_at)));
  append_field(json, "text", json_string(first_line));
  m.json = json + "}";
  return m;
}

Message render_digest(const DigestCounts& c, std::string_view public_url, std::string id) {
  Message m;
  m.id = std::move(id);
  m.kind = Kind::DailyDigest;
  m.created = c.to;
  m.subject = "Vigil: daily summary for " + date_text(c.to);

  const auto category_of = [](std::size_t i) {
    return category_text(static_cast<rules::Category>(i));
  };
  const auto category_key = [](std::size_t i) {
    return std::string(rules::category_name(static_cast<rules::Category>(i)));
  };
  const auto alarm_of = [](std::size_t i) {
    return std::string(alarm_name(static_cast<Alarm>(i)));
  };
  const auto sent = [](const DigestCounts::Pair& p) { return p.sent; };
  const auto held = [](const DigestCounts::Pair& p) { return p.held_back; };

  std::string undelivered_text;
  std::string undelivered_json = "{";
  for (const auto& [channel, count] : c.undelivered) {
    if (!undelivered_text.empty()) undelivered_text += ", ";
    undelivered_text += channel + " " + std::to_string(count);
    append_field(undelivered_json, channel, std::to_string(count));
  }
  undelivered_json += "}";

  const std::string link = link_phrase(public_url, "/concerns");
  m.text =
      "Vigil summary from " + when_text(c.from) + " to " + when_text(c.to) + ".\n\n" +
      "New concerns alerted: " + pairs_text(c.concerns, category_of, sent) + "\n" +
      "New concerns held back by the alert limit: " + pairs_text(c.concerns, category_of, held) +
      "\n" + "Overdue reviews alerted: " + pairs_text(c.reviews, category_of, sent) + "\n" +
      "Overdue reviews held back: " + pairs_text(c.reviews, category_of, held) + "\n" +
      "System alarms: " + pairs_text(c.alarms, alarm_of, sent) + "\n" +
      "System alarms held back: " + pairs_text(c.alarms, alarm_of, held) + "\n" +
      "Alerts dropped (queue full): " + std::to_string(c.dropped) + "\n" +
      "Alerts not delivered: " + (undelivered_text.empty() ? "none" : undelivered_text) +
      "\n\nConcerns: " + link + "\n\n" +
      "This summary carries counts only. Sign in to the Vigil console for details.\n";

  std::string json = "{";
  append_field(json, "id", json_string(m.id));
  append_field(json, "event", json_string(kind_name(Kind::DailyDigest)));
  append_field(json, "from", json_string(iso8601_utc(c.from)));
  append_field(json, "to", json_string(iso8601_utc(c.to)));
  append_field(json, "concerns", pairs_json(c.concerns, category_key));
  append_field(json, "reviews_overdue", pairs_json(c.reviews, category_key));
  append_field(json, "alarms", pairs_json(c.alarms, alarm_of));
  append_field(json, "dropped", std::to_string(c.dropped));
  append_field(json, "undelivered", undelivered_json);
  append_field(json, "link",
               json_string(public_url.empty() ? std::string("/concerns")
                                              : console_link(public_url, "/concerns")));
  append_field(json, "text", json_string(m.text));
  m.json = json + "}";
  return m;
}

}  // namespace vigil::notify
