#include "admin/console/pages/safeguarding_util.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

#include "admin/console/html.h"
#include "admin/console/roles.h"
#include "inspect/eve_json.h"

namespace vigil::console::pages::safeguarding {
namespace {

std::time_t to_time_t(store::TimeUs t) {
  // Floor division, so times before 1970 do not round towards it.
  store::TimeUs s = t / 1'000'000;
  if (t % 1'000'000 < 0) --s;
  return static_cast<std::time_t>(s);
}

enum class Format { Time, Date, Input };

std::string strftime_local(store::TimeUs t, Format format) {
  std::time_t secs = to_time_t(t);
  std::tm tm{};
  if (localtime_r(&secs, &tm) == nullptr) return "(time out of range)";
  char buf[96];
  std::size_t n = 0;
  switch (format) {
    case Format::Time:
      n = std::strftime(buf, sizeof buf, "%a %d %b %Y, %H:%M %Z", &tm);
      break;
    case Format::Date:
      n = std::strftime(buf, sizeof buf, "%d %b %Y", &tm);
      break;
    case Format::Input:
      n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M", &tm);
      break;
  }
  return std::string(buf, n);
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Reads exactly `width` digits at s[pos] into out.
bool digits_at(std::string_view s, std::size_t pos, std::size_t width, int& out) {
  if (s.size() < pos + width) return false;
  std::string_view d = s.substr(pos, width);
  if (!all_digits(d)) return false;
  auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), out);
  return ec == std::errc() && p == d.data() + d.size();
}

std::string plural(std::int64_t n, std::string_view unit) {
  std::string s = std::to_string(n) + " " + std::string(unit);
  if (n != 1) s += 's';
  return s;
}

}  // namespace

store::TimeUs now_us(const PagesOptions& options) {
  if (options.clock) return options.clock();
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_time(store::TimeUs t) { return strftime_local(t, Format::Time); }

std::string format_date(store::TimeUs t) { return strftime_local(t, Format::Date); }

std::string input_time(store::TimeUs t) { return strftime_local(t, Format::Input); }

std::string iso_time(store::TimeUs t) {
  std::time_t secs = to_time_t(t);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return "";
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::string relative_time(store::TimeUs t, store::TimeUs now) {
  const store::TimeUs diff = t - now;
  const store::TimeUs span = diff < 0 ? -diff : diff;
  if (span < kMinuteUs) return "just now";
  std::string amount;
  if (span < kHourUs) {
    amount = plural(span / kMinuteUs, "minute");
  } else if (span < 48 * kHourUs) {
    amount = plural(span / kHourUs, "hour");
  } else {
    amount = plural(span / kDayUs, "day");
  }
  return diff < 0 ? amount + " ago" : "in " + amount;
}

store::TimeUs end_of_local_day(store::TimeUs t) {
  std::time_t secs = to_time_t(t);
  std::tm tm{};
  if (localtime_r(&secs, &tm) == nullptr) return t + kDayUs;
  tm.tm_mday += 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  std::time_t next = std::mktime(&tm);
  if (next == static_cast<std::time_t>(-1)) return t + kDayUs;
  return static_cast<store::TimeUs>(next) * 1'000'000;
}

std::optional<store::TimeUs> parse_time(std::string_view text) {
  std::string s = trim(text);
  if (s.empty() || s.size() > 32) return std::nullopt;
  if (all_digits(s)) {
    store::TimeUs v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
    return v;
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (s.size() < 10 || !digits_at(s, 0, 4, year) || s[4] != '-' || !digits_at(s, 5, 2, month) ||
      s[7] != '-' || !digits_at(s, 8, 2, day)) {
    return std::nullopt;
  }
  std::size_t pos = 10;
  bool utc = false;
  if (s.size() > pos) {
    if (s[pos] != 'T' && s[pos] != ' ') return std::nullopt;
    if (!digits_at(s, pos + 1, 2, hour) || s.size() < pos + 6 || s[pos + 3] != ':' ||
        !digits_at(s, pos + 4, 2, minute)) {
      return std::nullopt;
    }
    pos += 6;
    if (s.size() > pos && s[pos] == ':') {
      if (!digits_at(s, pos + 1, 2, second)) return std::nullopt;
      pos += 3;
    }
    if (s.size() == pos + 1 && s[pos] == 'Z') {
      utc = true;
      ++pos;
    }
    if (pos != s.size()) return std::nullopt;
  }
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  std::time_t secs = utc ? timegm(&tm) : std::mktime(&tm);
  if (secs == static_cast<std::time_t>(-1)) return std::nullopt;
  // 31 February is not 3 March.
  if (tm.tm_mday != day || tm.tm_mon != month - 1) return std::nullopt;
  return static_cast<store::TimeUs>(secs) * 1'000'000;
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 18 || !all_digits(text)) return std::nullopt;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

std::string trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const std::size_t b = text.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  const std::size_t e = text.find_last_not_of(kSpace);
  return std::string(text.substr(b, e - b + 1));
}

namespace {
std::string escape_lines(std::string_view text, std::string_view joiner) {
  std::string out;
  bool first = true;
  while (true) {
    const std::size_t lf = text.find('\n');
    std::string_view line = text.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!first) out += joiner;
    first = false;
    out += html::escape(line);
    if (lf == std::string_view::npos) break;
    text.remove_prefix(lf + 1);
  }
  return out;
}
}  // namespace

std::string multiline(std::string_view text) { return escape_lines(text, "<br>"); }

// A line feed right after <textarea> is dropped by HTML parsers: one is
// written first so text that starts with a blank line keeps it.
std::string textarea_text(std::string_view text) { return "\n" + escape_lines(text, "\n"); }

std::string one_line(std::string_view text) { return escape_lines(text, " "); }

Response api_error(int status, std::string_view message) {
  return json_reply(inspect::JsonObject{}.str("error", message), status);
}

Response store_error(const Request& request, const store::Error& error) {
  int status = 500;
  std::string message = error.message;
  switch (error.code) {
    case store::ErrorCode::Invalid:
      status = 400;
      break;
    case store::ErrorCode::NotFound:
      status = 404;
      break;
    case store::ErrorCode::Exists:
      status = 409;
      break;
    case store::ErrorCode::Busy:
      status = 503;
      message = "The store is busy; try again in a moment.";
      break;
    default:
      message = "The store could not do this: " + error.message;
      break;
  }
  return error_response(request, status, message);
}

Response page_response(std::string title, std::string body, const Principal& user,
                       std::string_view active_nav, std::string flash) {
  html::Page page;
  page.title = std::move(title);
  page.body = std::move(body);
  page.user = &user;
  page.active_nav = active_nav;
  page.flash = std::move(flash);
  Response r;
  r.body = html::render(page);
  return r;
}

Response form_problem(const Request& request, const Principal& user, int status,
                      std::string_view message, std::string_view back) {
  if (request.api) return api_error(status, message);
  Response r =
      page_response("That could not be done",
                    "<p class=\"error\" role=\"alert\">" + html::escape(message) +
                        "</p><p><a href=\"" + html::attr(back) + "\">Go back and try again</a></p>",
                    user, "");
  r.status = status;
  return r;
}

Response form_store_error(const Request& request, const Principal& user, const store::Error& error,
                          std::string_view back) {
  Response plain = store_error(request, error);
  if (request.api) return plain;
  std::string message = error.message;
  if (error.code == store::ErrorCode::Busy) message = "The store is busy; try again in a moment.";
  return form_problem(request, user, plain.status, message, back);
}

Response forbidden(const Request& request) {
  if (request.api) return api_error(403, "Your role does not allow this.");
  return error_response(request, 403, "Your role does not allow this.");
}

Response bad_request(const Request& request, std::string_view message) {
  if (request.api) return api_error(400, message);
  return error_response(request, 400, message);
}

Response json_reply(const inspect::JsonObject& object, int status) {
  Response r = json_response(object.text(), status);  // hardened there
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::string_view severity_label(std::string_view severity) {
  if (severity == "danger") return "Danger";
  if (severity == "caution") return "Caution";
  if (severity == "advisory") return "Advisory";
  return "Unknown";
}

std::string category_label(std::string_view category) {
  static constexpr std::pair<std::string_view, std::string_view> kLabels[] = {
      {"child_abuse", "Child abuse (IWF list)"},
      {"terrorism", "Terrorism"},
      {"extremism", "Extremism"},
      {"hate_speech", "Hate speech"},
      {"discrimination", "Discrimination"},
      {"violence", "Violence"},
      {"self_harm", "Self-harm"},
      {"drugs", "Drugs"},
      {"gambling", "Gambling"},
      {"pornography", "Pornography"},
      {"malware_hacking", "Malware and hacking"},
      {"piracy", "Piracy"},
      {"circumvention", "Getting round the filter (VPN, proxy, Tor)"},
      {"safe_search", "Safe search"},
  };
  for (const auto& [name, label] : kLabels)
    if (name == category) return std::string(label);
  std::string out(category);
  for (char& ch : out)
    if (ch == '_') ch = ' ';
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

std::string_view incident_status_label(store::IncidentStatus status) {
  switch (status) {
    case store::IncidentStatus::New:
      return "New";
    case store::IncidentStatus::Dismissed:
      return "Dismissed (false positive)";
    case store::IncidentStatus::Linked:
      return "Part of a concern";
  }
  return "Unknown";
}

std::string_view concern_state_label(store::ConcernState state) {
  using S = store::ConcernState;
  switch (state) {
    case S::Raised:
      return "Raised";
    case S::UnderReview:
      return "Under review";
    case S::NoFurtherAction:
      return "No further action";
    case S::InternalSupport:
      return "Internal support";
    case S::Referred:
      return "Referred to Prevent";
    case S::Emergency:
      return "Emergency";
    case S::Closed:
      return "Closed";
  }
  return "Unknown";
}

std::string_view transition_label(store::ConcernState from, store::ConcernState to) {
  using S = store::ConcernState;
  switch (to) {
    case S::UnderReview:
      return from == S::Raised ? "Start the review" : from == S::Closed ? "Reopen" : "Review again";
    case S::NoFurtherAction:
      return "No further action";
    case S::InternalSupport:
      return "Give internal support";
    case S::Referred:
      return "Refer to Prevent or Channel";
    case S::Emergency:
      return "Emergency";
    case S::Closed:
      return "Close with an outcome";
    case S::Raised:
      return "Raised";
  }
  return "Move";
}

std::string_view observation_label(std::string_view observation) {
  if (observation == "dns") return "Name looked up (DNS)";
  if (observation == "sni") return "Secure site name (TLS)";
  if (observation == "quic_sni") return "Secure site name (QUIC)";
  if (observation == "http_host") return "Website name (HTTP)";
  if (observation == "http_url") return "Web address (HTTP)";
  if (observation == "search_term") return "Search";
  if (observation == "http_text") return "Page text (HTTP)";
  return "Seen";
}

std::string severity_badge(std::string_view severity) {
  std::string cls = "badge sev-";
  cls += severity == "danger" || severity == "caution" || severity == "advisory"
             ? std::string(severity)
             : std::string("unknown");
  return "<span class=\"" + cls + "\">" + html::escape(severity_label(severity)) + "</span>";
}

std::string under_18_badge() { return "<span class=\"badge u18\">Under 18</span>"; }

std::string incident_subject(const store::Incident& i) {
  if (i.person_id != 0) {
    if (!i.person_name.empty()) return i.person_name + " (" + i.person_ref + ")";
    if (!i.person_ref.empty()) return i.person_ref;
    return "person " + std::to_string(i.person_id);
  }
  std::string address = !i.device_ip.empty() ? i.device_ip : i.device_mac;
  if (!i.device_hostname.empty()) {
    return address.empty() ? i.device_hostname : i.device_hostname + " (" + address + ")";
  }
  if (!address.empty()) return "device " + address;
  return "device " + std::to_string(i.device_id);
}

std::string with_query(std::string_view path, const Fields& query) {
  std::string out(path);
  bool first = true;
  for (const auto& [k, v] : query) {
    out += first ? '?' : '&';
    first = false;
    out += html::url_component(k);
    out += '=';
    out += html::url_component(v);
  }
  return out;
}

Route guarded(Method method, std::string_view pattern, Capability need, Handler handler) {
  return Route{method, pattern, need,
               [need, handler = std::move(handler)](const Request& request, PageContext& ctx) {
                 if (!allowed(ctx.user.role, need)) return forbidden(request);
                 return handler(request, ctx);
               }};
}

}  // namespace vigil::console::pages::safeguarding
