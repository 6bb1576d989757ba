#include "store/report_queries.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "store/detail/audit_chain.h"
#include "store/detail/schema.h"
#include "store/detail/sqlite.h"

namespace vigil::store {

using detail::Connection;
using detail::Statement;

namespace {

constexpr std::int64_t kMinuteUs = 60'000'000;
constexpr std::int64_t kMinutesPerDay = 1'440;
constexpr std::size_t kMaxGroup = 32;
constexpr std::size_t kMaxRows = 100'000;

// Splits of hits by what was done with them; the same expressions in every
// query so the columns always add up to count(*).
constexpr const char* kHitSplit =
    "count(*), "
    "coalesce(sum(allowed = 0 AND action = 'block'), 0), "
    "coalesce(sum(allowed = 0 AND action = 'alert'), 0), "
    "coalesce(sum(allowed = 0 AND action NOT IN ('block', 'alert')), 0), "
    "coalesce(sum(allowed <> 0), 0), "
    "coalesce(sum(severity = 'danger'), 0), "
    "coalesce(sum(statutory <> 0), 0), "
    "coalesce(sum(person_id IS NOT NULL), 0), "
    "count(DISTINCT device_id), "
    "count(DISTINCT person_id) ";

HitSplit hit_split_at(const Statement& s, int col) {
  HitSplit c;
  c.hits = s.int64(col);
  c.blocked = s.int64(col + 1);
  c.flagged = s.int64(col + 2);
  c.logged = s.int64(col + 3);
  c.allowed = s.int64(col + 4);
  c.danger = s.int64(col + 5);
  c.statutory = s.int64(col + 6);
  c.attributed = s.int64(col + 7);
  c.devices = s.int64(col + 8);
  c.people = s.int64(col + 9);
  return c;
}

// "?3, ?4, ?5" for `n` values whose first parameter number is `first`: the
// SQL's shape depends on how many categories there are, never on their text.
std::string placeholders(std::size_t n, int first) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += ", ";
    out += "?" + std::to_string(first + static_cast<int>(i));
  }
  return out;
}

// Minute buckets of the activity log wholly or partly at or after `us`:
// the first is the one that starts at or after it.
std::int64_t minute_at_or_after(TimeUs us) {
  std::int64_t m = us / kMinuteUs;
  if (m * kMinuteUs < us) ++m;
  return m;
}

// "Review due: <us>" as casework writes it on the last line of a state
// change's text, or a review_due event's text (the number alone).
std::optional<TimeUs> review_date_in(std::string_view kind, std::string_view text) {
  std::string_view digits;
  if (kind == "review_due") {
    digits = text;
  } else {
    constexpr std::string_view kPrefix = "Review due: ";
    const std::size_t at = text.rfind(kPrefix);
    if (at == std::string_view::npos) return std::nullopt;
    if (at != 0 && text[at - 1] != '\n') return std::nullopt;
    digits = text.substr(at + kPrefix.size());
    if (digits.find('\n') != std::string_view::npos) return std::nullopt;
  }
  TimeUs v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

struct ReportQueries::Impl {
  Connection conn;
  std::unordered_map<std::string, Statement> cache;
  bool in_snapshot = false;

  Result<Statement*> stmt(const std::string& sql) {
    if (auto it = cache.find(sql); it != cache.end()) {
      it->second.reset();
      return &it->second;
    }
    auto s = conn.prepare(sql);
    if (!s) return s.error();
    auto [it, ok] = cache.emplace(sql, std::move(*s));
    return &it->second;
  }

  // Runs `s` and hands each row to `row`; refuses more than `max_rows`
  // rows (results held in memory are bounded).
  template <class F>
  Status each(Statement& s, std::string_view what, F row, std::size_t max_rows = kMaxRows) {
    int rc;
    std::size_t n = 0;
    while ((rc = s.step()) == SQLITE_ROW) {
      if (++n > max_rows) {
        s.reset();
        return Error{ErrorCode::Invalid,
                     std::string(what) + ": more than " + std::to_string(max_rows) + " rows"};
      }
      row(s);
    }
    if (rc != SQLITE_DONE) {
      Error e = conn.error(rc, what);
      s.reset();
      return e;
    }
    s.reset();
    return {};
  }

  Result<std::int64_t> count(const std::string& sql, ReportRange r, std::string_view what) {
    auto s = stmt(sql);
    if (!s) return s.error();
    (*s)->bind(1, r.from_us);
    (*s)->bind(2, r.to_us);
    std::int64_t n = 0;
    if (auto st = each(**s, what, [&](const Statement& q) { n = q.int64(0); }); !st) {
      return st.error();
    }
    return n;
  }

  static Status check_group(std::span<const std::string> group) {
    if (group.size() > kMaxGroup) {
      return Error{ErrorCode::Invalid, "report: at most 32 categories in a group"};
    }
    return {};
  }
};

ReportQueries::ReportQueries(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReportQueries::~ReportQueries() { end_snapshot(); }

Result<std::unique_ptr<ReportQueries>> ReportQueries::open(const ReportQueriesOptions& options) {
  auto c = detail::open_current_read_only(options.path, options.busy_timeout, options.cache_mb,
                                          "report queries");
  if (!c) return c.error();
  auto impl = std::make_unique<Impl>();
  impl->conn = std::move(*c);
  return std::unique_ptr<ReportQueries>(new ReportQueries(std::move(impl)));
}

Status ReportQueries::begin_snapshot() {
  if (impl_->in_snapshot) return {};
  // A deferred transaction: the read snapshot is taken by the first SELECT
  // and held until COMMIT; query_only forbids any write inside it.
  if (auto s = impl_->conn.exec("BEGIN", "report snapshot"); !s) return s;
  impl_->in_snapshot = true;
  return {};
}

void ReportQueries::end_snapshot() noexcept {
  if (!impl_ || !impl_->in_snapshot) return;
  impl_->in_snapshot = false;
  (void)impl_->conn.exec("COMMIT", "report snapshot");
}

Status ReportQueries::scan_hits(ReportRange r, const std::function<void(const HitRow&)>& row) {
  // hits_time gives the range; the incident's status comes by primary key.
  auto s = impl_->stmt(
      "SELECT h.ts_us, h.device_id, coalesce(h.person_id, 0), coalesce(h.incident_id, 0), "
      "h.allowed, h.statutory, h.category, h.severity, h.action, h.kind, h.observation, h.value, "
      "h.list, h.entry, coalesce(i.status, '') FROM hits h "
      "LEFT JOIN incidents i ON i.id = h.incident_id WHERE h.ts_us >= ?1 AND h.ts_us < ?2");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  sqlite3_stmt* st = (*s)->get();
  auto view = [st](int col) {
    const unsigned char* p = sqlite3_column_text(st, col);
    const int n = sqlite3_column_bytes(st, col);
    if (p == nullptr || n <= 0) return std::string_view();
    return std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
  };
  // Streamed: the caller keeps only its aggregates, so no row bound applies.
  return impl_->each(
      **s, "hits",
      [&](const Statement& q) {
        HitRow h;
        h.ts_us = q.int64(0);
        h.device_id = q.int64(1);
        h.person_id = q.int64(2);
        h.incident_id = q.int64(3);
        h.allowed = q.int64(4) != 0;
        h.statutory = q.int64(5) != 0;
        h.category = view(6);
        h.severity = view(7);
        h.action = view(8);
        h.kind = view(9);
        h.observation = view(10);
        h.value = view(11);
        h.list = view(12);
        h.entry = view(13);
        h.incident_status = view(14);
        row(h);
      },
      std::numeric_limits<std::size_t>::max());
}

Result<TrendCounts> ReportQueries::trend_counts(ReportRange r, std::span<const std::string> group) {
  if (auto s = Impl::check_group(group); !s) return s.error();
  const std::string in_group =
      group.empty() ? std::string("0") : "category IN (" + placeholders(group.size(), 3) + ")";
  auto s = impl_->stmt(std::string("SELECT ") + kHitSplit + ", coalesce(sum(" + in_group +
                       "), 0), coalesce(sum(category = 'circumvention'), 0) "
                       "FROM hits WHERE ts_us >= ?1 AND ts_us < ?2");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  for (std::size_t i = 0; i < group.size(); ++i) (*s)->bind(3 + static_cast<int>(i), group[i]);
  TrendCounts out;
  if (auto st = impl_->each(**s, "trend",
                            [&](const Statement& q) {
                              out.hits = hit_split_at(q, 0);
                              out.group_hits = q.int64(10);
                              out.circumvention_hits = q.int64(11);
                            });
      !st) {
    return st.error();
  }
  return out;
}

// An incident's first hit is in the range. last_us >= first_us, so the
// bound on last_us lets incidents_recent(last_us, id) narrow the scan to
// the incidents active since the range began.
Result<std::vector<Tally>> ReportQueries::incidents_opened_by_category(ReportRange r) {
  auto s = impl_->stmt(
      "SELECT category, count(*) FROM incidents "
      "WHERE last_us >= ?1 AND first_us >= ?1 AND first_us < ?2 "
      // '+': group without the category index, so the range on last_us
      // (incidents_recent) bounds the scan rather than the whole table.
      "GROUP BY +category");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  std::vector<Tally> out;
  if (auto st = impl_->each(**s, "incidents by category",
                            [&](const Statement& q) {
                              out.push_back({q.text(0), q.int64(1)});
                            });
      !st) {
    return st.error();
  }
  return out;
}

Result<std::int64_t> ReportQueries::incidents_opened(ReportRange r) {
  return impl_->count(
      "SELECT count(*) FROM incidents WHERE last_us >= ?1 AND first_us >= ?1 AND first_us < ?2", r,
      "incidents opened");
}

Result<std::vector<std::pair<std::int64_t, std::int64_t>>>
ReportQueries::incidents_opened_by_person(ReportRange r) {
  auto s = impl_->stmt(
      "SELECT person_id, count(*) FROM incidents WHERE last_us >= ?1 AND first_us >= ?1 "
      "AND first_us < ?2 AND +person_id IS NOT NULL GROUP BY +person_id");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  if (auto st = impl_->each(**s, "incidents by person",
                            [&](const Statement& q) { out.emplace_back(q.int64(0), q.int64(1)); });
      !st) {
    return st.error();
  }
  return out;
}

Result<std::vector<std::int64_t>> ReportQueries::activity_devices(ReportRange r) {
  auto s = impl_->stmt(
      "SELECT DISTINCT device_id FROM activity WHERE minute >= ?1 AND minute < ?2 "
      "AND device_id <> 0");
  if (!s) return s.error();
  (*s)->bind(1, minute_at_or_after(r.from_us));
  (*s)->bind(2, minute_at_or_after(r.to_us));
  std::vector<std::int64_t> out;
  if (auto st = impl_->each(**s, "activity devices",
                            [&](const Statement& q) { out.push_back(q.int64(0)); });
      !st) {
    return st.error();
  }
  return out;
}

Result<std::vector<std::int64_t>> ReportQueries::attributed_devices(ReportRange r) {
  auto s = impl_->stmt(
      "SELECT DISTINCT device_id FROM device_people WHERE first_seen_us < ?2 "
      "AND last_seen_us >= ?1");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  std::vector<std::int64_t> out;
  if (auto st = impl_->each(**s, "attributed devices",
                            [&](const Statement& q) { out.push_back(q.int64(0)); });
      !st) {
    return st.error();
  }
  return out;
}

Result<ActivityCoverage> ReportQueries::activity(ReportRange r) {
  ActivityCoverage out;
  auto first = impl_->stmt("SELECT min(minute) FROM activity");
  if (!first) return first.error();
  if (auto st = impl_->each(**first, "activity",
                            [&](const Statement& q) {
                              if (!q.is_null(0)) out.log_starts_us = q.int64(0) * kMinuteUs;
                            });
      !st) {
    return st.error();
  }
  out.covered_from_us = r.from_us;
  if (out.log_starts_us && *out.log_starts_us > out.covered_from_us) {
    out.covered_from_us = *out.log_starts_us;
  }
  out.covered_to_us = r.to_us;
  const std::int64_t m0 = minute_at_or_after(out.covered_from_us);
  const std::int64_t m1 = minute_at_or_after(out.covered_to_us);
  if (m1 <= m0) {
    out.covered_from_us = out.covered_to_us;
    out.longest_silence_from_us = out.longest_silence_to_us = out.covered_to_us;
    return out;
  }
  auto s = impl_->stmt(
      "SELECT DISTINCT minute FROM activity WHERE minute >= ?1 AND minute < ?2 ORDER BY minute");
  if (!s) return s.error();
  (*s)->bind(1, m0);
  (*s)->bind(2, m1);
  std::set<std::int64_t> days;
  std::int64_t quiet_from = m0;  // first minute of the current silence
  std::int64_t best_from = m0;
  std::int64_t best_to = m0;
  // One row per minute: a month is at most 44,640, under each()'s bound.
  if (auto st = impl_->each(**s, "activity minutes",
                            [&](const Statement& q) {
                              const std::int64_t m = q.int64(0);
                              ++out.minutes_observed;
                              days.insert(m / kMinutesPerDay);
                              if (m - quiet_from > best_to - best_from) {
                                best_from = quiet_from;
                                best_to = m;
                              }
                              quiet_from = m + 1;
                            });
      !st) {
    return st.error();
  }
  if (m1 - quiet_from > best_to - best_from) {
    best_from = quiet_from;
    best_to = m1;
  }
  out.days_observed = static_cast<std::int64_t>(days.size());
  out.longest_silence_from_us = std::max(best_from * kMinuteUs, out.covered_from_us);
  out.longest_silence_to_us = std::min(best_to * kMinuteUs, out.covered_to_us);
  return out;
}

Result<std::optional<TimeUs>> ReportQueries::capture_health_starts() {
  auto s = impl_->stmt("SELECT min(ts_us) FROM capture_health");
  if (!s) return s.error();
  std::optional<TimeUs> out;
  if (auto st = impl_->each(**s, "capture health",
                            [&](const Statement& q) {
                              if (!q.is_null(0)) out = q.int64(0);
                            });
      !st) {
    return st.error();
  }
  return out;
}

Status ReportQueries::scan_capture_health(
    ReportRange r, const std::function<void(const CaptureHealthSample&)>& row) {
  auto s = impl_->stmt(
      "SELECT ts_us, interface, running, frames, kernel_drops, queue_drops, rules_generation "
      "FROM capture_health WHERE ts_us >= ?1 AND ts_us < ?2 ORDER BY ts_us, interface");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  // Streamed, not held: a month of several interfaces passes kMaxRows.
  return impl_->each(
      **s, "capture health",
      [&](const Statement& q) {
        row({q.int64(0), q.text(1), q.int64(2) != 0, q.int64(3), q.int64(4), q.int64(5),
             q.int64(6)});
      },
      std::numeric_limits<std::size_t>::max());
}

void CaptureHealthTally::add(const CaptureHealthSample& s) {
  if (s.ts_us < range_.from_us || s.ts_us >= range_.to_us) return;
  if (!open_time_ || *open_time_ != s.ts_us) {
    if (open_time_) close_time(s.ts_us);
    open_time_ = s.ts_us;
    open_up_ = true;
    ++out_.sample_times;
  }
  open_up_ = open_up_ && s.running;
  ++out_.samples;
  auto it = std::find_if(last_.begin(), last_.end(),
                         [&](const auto& l) { return l.first == s.interface; });
  const Last now{s.frames, s.kernel_drops, s.queue_drops};
  if (it == last_.end()) {
    last_.emplace_back(s.interface, now);
    ++out_.runs;
    return;
  }
  Last& was = it->second;
  if (now.frames < was.frames || now.kernel_drops < was.kernel_drops ||
      now.queue_drops < was.queue_drops) {
    ++out_.runs;  // vigild restarted: its counters began again at zero
  } else {
    out_.frames += now.frames - was.frames;
    out_.kernel_drops += now.kernel_drops - was.kernel_drops;
    out_.queue_drops += now.queue_drops - was.queue_drops;
  }
  was = now;
}

void CaptureHealthTally::close_time(TimeUs next_us) {
  const TimeUs t = *open_time_;
  if (!open_up_) return;
  const TimeUs cover = next_us - t <= kCaptureHealthMaxGap ? next_us - t : kCaptureHealthInterval;
  const TimeUs end = std::min(t + cover, range_.to_us);
  if (t > covered_until_ &&
      t - covered_until_ > out_.longest_outage_to_us - out_.longest_outage_from_us) {
    out_.longest_outage_from_us = covered_until_;
    out_.longest_outage_to_us = t;
  }
  const TimeUs start = std::max(t, covered_until_);
  if (end > start) out_.up_us += end - start;
  covered_until_ = std::max(covered_until_, end);
}

CaptureHealthSummary CaptureHealthTally::finish() {
  if (open_time_) close_time(std::numeric_limits<TimeUs>::max());
  open_time_.reset();
  if (range_.to_us > covered_until_ &&
      range_.to_us - covered_until_ > out_.longest_outage_to_us - out_.longest_outage_from_us) {
    out_.longest_outage_from_us = covered_until_;
    out_.longest_outage_to_us = range_.to_us;
  }
  return out_;
}

Result<std::vector<RuleSetLoad>> ReportQueries::rule_sets(ReportRange r) {
  auto s = impl_->stmt(
      "SELECT id, loaded_us, version, source, lists, entries, loaded_by FROM rule_sets "
      "WHERE id = (SELECT id FROM rule_sets WHERE loaded_us < ?1 "
      "            ORDER BY loaded_us DESC, id DESC LIMIT 1) "
      "OR (loaded_us >= ?1 AND loaded_us < ?2) ORDER BY loaded_us, id");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  std::vector<RuleSetLoad> out;
  if (auto st = impl_->each(**s, "rule sets",
                            [&](const Statement& q) {
                              out.push_back({q.int64(0), q.int64(1), q.text(2), q.text(3),
                                             q.int64(4), q.int64(5), q.text(6)});
                            });
      !st) {
    return st.error();
  }
  return out;
}

Result<std::vector<ConcernAsOf>> ReportQueries::concerns_as_of(TimeUs as_of) {
  // concern_events(concern_id, id) serves both subqueries.
  auto s = impl_->stmt(
      "SELECT c.id, coalesce(c.person_id, 0), c.raised_us, "
      "(SELECT min(e.ts_us) FROM concern_events e WHERE e.concern_id = c.id AND e.kind = 'state'), "
      "(SELECT e.to_state FROM concern_events e WHERE e.concern_id = c.id "
      " AND e.kind IN ('raised', 'state') AND e.ts_us < ?1 ORDER BY e.id DESC LIMIT 1) "
      "FROM concerns c WHERE c.raised_us < ?1 ORDER BY c.id");
  if (!s) return s.error();
  (*s)->bind(1, as_of);
  std::vector<ConcernAsOf> out;
  if (auto st = impl_->each(**s, "concerns",
                            [&](const Statement& q) {
                              ConcernAsOf c;
                              c.id = q.int64(0);
                              c.person_id = q.int64(1);
                              c.raised_us = q.int64(2);
                              if (!q.is_null(3)) c.first_decision_us = q.int64(3);
                              c.state = q.is_null(4) ? std::string("raised") : q.text(4);
                              out.push_back(std::move(c));
                            });
      !st) {
    return st.error();
  }
  auto events = impl_->stmt(
      "SELECT kind, text FROM concern_events WHERE concern_id = ?1 AND ts_us < ?2 "
      "AND kind IN ('state', 'review_due') ORDER BY id DESC");
  if (!events) return events.error();
  for (ConcernAsOf& c : out) {
    if (c.state != "internal_support") continue;
    (*events)->bind(1, c.id);
    (*events)->bind(2, as_of);
    if (auto st = impl_->each(**events, "concern events",
                              [&](const Statement& q) {
                                if (c.review_due_us) return;
                                c.review_due_us = review_date_in(q.text(0), q.text(1));
                              });
        !st) {
      return st.error();
    }
  }
  return out;
}

Result<std::int64_t> ReportQueries::concerns_raised(ReportRange r) {
  return impl_->count("SELECT count(*) FROM concerns WHERE raised_us >= ?1 AND raised_us < ?2", r,
                      "concerns raised");
}

Result<std::vector<ConcernTransition>> ReportQueries::concern_transitions(ReportRange r,
                                                                          bool with_text) {
  auto s = impl_->stmt(
      "SELECT e.concern_id, coalesce(c.person_id, 0), e.ts_us, e.actor, e.from_state, "
      "e.to_state, CASE WHEN ?3 THEN e.text ELSE '' END FROM concern_events e "
      "JOIN concerns c ON c.id = e.concern_id "
      "WHERE e.kind = 'state' AND e.ts_us >= ?1 AND e.ts_us < ?2 ORDER BY e.ts_us, e.id");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  (*s)->bind(3, std::int64_t{with_text ? 1 : 0});
  std::vector<ConcernTransition> out;
  if (auto st = impl_->each(**s, "concern transitions",
                            [&](const Statement& q) {
                              out.push_back({q.int64(0), q.int64(1), q.int64(2), q.text(3),
                                             q.text(4), q.text(5), q.text(6)});
                            });
      !st) {
    return st.error();
  }
  return out;
}

Result<std::int64_t> ReportQueries::count_decisions(ReportRange r) {
  return impl_->count("SELECT count(*) FROM decision_log WHERE ts_us >= ?1 AND ts_us < ?2", r,
                      "decision log");
}

Result<std::vector<DecisionLogRow>> ReportQueries::decisions(ReportRange r, std::size_t limit) {
  auto s = impl_->stmt(
      "SELECT id, ts_us, actor, change, target, list, reason FROM decision_log "
      "WHERE ts_us >= ?1 AND ts_us < ?2 ORDER BY ts_us, id LIMIT ?3");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  (*s)->bind(3, static_cast<std::int64_t>(std::min(limit, kMaxRows)));
  std::vector<DecisionLogRow> out;
  if (auto st = impl_->each(**s, "decision log",
                            [&](const Statement& q) {
                              out.push_back({q.int64(0), q.int64(1), q.text(2), q.text(3),
                                             q.text(4), q.text(5), q.text(6)});
                            });
      !st) {
    return st.error();
  }
  return out;
}

Result<std::int64_t> ReportQueries::count_checks(ReportRange r) {
  return impl_->count("SELECT count(*) FROM checks_log WHERE ts_us >= ?1 AND ts_us < ?2", r,
                      "checks log");
}

Result<std::vector<Tally>> ReportQueries::check_results(ReportRange r) {
  auto s = impl_->stmt(
      "SELECT result, count(*) FROM checks_log WHERE ts_us >= ?1 AND ts_us < ?2 "
      "GROUP BY result ORDER BY result");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  std::vector<Tally> out;
  if (auto st = impl_->each(**s, "checks log",
                            [&](const Statement& q) {
                              out.push_back({q.text(0), q.int64(1)});
                            });
      !st) {
    return st.error();
  }
  return out;
}

Result<std::vector<ChecksLogRow>> ReportQueries::checks(ReportRange r, std::size_t limit) {
  auto s = impl_->stmt(
      "SELECT id, ts_us, actor, what, result, action FROM checks_log "
      "WHERE ts_us >= ?1 AND ts_us < ?2 ORDER BY ts_us, id LIMIT ?3");
  if (!s) return s.error();
  (*s)->bind(1, r.from_us);
  (*s)->bind(2, r.to_us);
  (*s)->bind(3, static_cast<std::int64_t>(std::min(limit, kMaxRows)));
  std::vector<ChecksLogRow> out;
  if (auto st = impl_->each(
          **s, "checks log",
          [&](const Statement& q) {
            out.push_back({q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5)});
          });
      !st) {
    return st.error();
  }
  return out;
}

Result<AuditVerification> ReportQueries::verify_audit() {
  return detail::verify_audit_chain(impl_->conn);
}

Result<std::optional<Person>> ReportQueries::person(std::int64_t id) {
  auto s = impl_->stmt(
      "SELECT id, reference, display_name, kind, cohort, group_name, under_18 FROM people "
      "WHERE id = ?1");
  if (!s) return s.error();
  (*s)->bind(1, id);
  std::optional<Person> out;
  if (auto st = impl_->each(**s, "person",
                            [&](const Statement& q) {
                              out = Person{q.int64(0), q.text(1), q.text(2),      q.text(3),
                                           q.text(4),  q.text(5), q.int64(6) != 0};
                            });
      !st) {
    return st.error();
  }
  return out;
}

}  // namespace vigil::store
