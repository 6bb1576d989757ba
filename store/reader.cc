#include "store/reader.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "store/detail/audit_chain.h"
#include "store/detail/schema.h"
#include "store/detail/sqlite.h"

namespace vigil::store {

using detail::Connection;
using detail::Statement;

namespace {

constexpr std::size_t kMaxFilterValues = 32;
constexpr std::size_t kMaxPage = 1'000;
constexpr std::size_t kMaxOffset = 10'000'000;

constexpr const char* kIncidentColumns =
    "SELECT i.id, coalesce(i.person_id, 0), coalesce(p.reference, ''), "
    "coalesce(p.display_name, ''), coalesce(p.under_18, 0), i.device_id, coalesce(d.ip, ''), "
    "coalesce(d.mac, ''), coalesce(d.hostname, ''), i.category, i.first_us, i.last_us, "
    "i.hit_count, i.score, i.highest_severity, i.status, i.dismiss_reason, "
    "coalesce(i.concern_id, 0) "
    "FROM incidents i LEFT JOIN people p ON p.id = i.person_id "
    "LEFT JOIN devices d ON d.id = i.device_id ";

Incident incident_row(const Statement& s) {
  Incident i;
  i.id = s.int64(0);
  i.person_id = s.int64(1);
  i.person_ref = s.text(2);
  i.person_name = s.text(3);
  i.under_18 = s.int64(4) != 0;
  i.device_id = s.int64(5);
  i.device_ip = s.text(6);
  i.device_mac = s.text(7);
  i.device_hostname = s.text(8);
  i.category = s.text(9);
  i.first_us = s.int64(10);
  i.last_us = s.int64(11);
  i.hit_count = s.int64(12);
  i.score = s.int64(13);
  i.highest_severity = s.text(14);
  i.status = parse_incident_status(s.text(15)).value_or(IncidentStatus::New);
  i.dismiss_reason = s.text(16);
  i.concern_id = s.int64(17);
  return i;
}

constexpr const char* kHitColumns =
    "SELECT id, ts_us, device_id, client_ip, kind, observation, value, search_term, list, entry, "
    "list_line, category, severity, action, reason, statutory, allowed, weight, flow_id, "
    "coalesce(person_id, 0), attribution_source, attribution_confidence, "
    "coalesce(incident_id, 0) FROM hits ";

StoredHit hit_row(const Statement& s) {
  StoredHit h;
  h.id = s.int64(0);
  h.ts_us = s.int64(1);
  h.device_id = s.int64(2);
  h.client_ip = s.text(3);
  h.kind = s.text(4);
  h.observation = s.text(5);
  h.value = s.text(6);
  h.search_term = s.text(7);
  h.list = s.text(8);
  h.entry = s.text(9);
  h.list_line = static_cast<std::uint32_t>(s.int64(10));
  h.category = s.text(11);
  h.severity = s.text(12);
  h.action = s.text(13);
  h.reason = s.text(14);
  h.statutory = s.int64(15) != 0;
  h.allowed = s.int64(16) != 0;
  h.weight = static_cast<std::int32_t>(s.int64(17));
  h.flow_id = static_cast<std::uint64_t>(s.int64(18));
  h.person_id = s.int64(19);
  h.attribution_source = s.text(20);
  h.attribution_confidence = s.real(21);
  h.incident_id = s.int64(22);
  return h;
}

constexpr const char* kConcernColumns =
    "SELECT c.id, coalesce(c.person_id, 0), coalesce(c.device_id, 0), c.state, c.summary, "
    "c.raised_by, c.raised_us, c.updated_us, coalesce(u.name, ''), c.review_due_us, c.outcome "
    "FROM concerns c LEFT JOIN users u ON u.id = c.assigned_user_id ";

Concern concern_row(const Statement& s) {
  Concern c;
  c.id = s.int64(0);
  c.person_id = s.int64(1);
  c.device_id = s.int64(2);
  c.state = parse_concern_state(s.text(3)).value_or(ConcernState::Raised);
  c.summary = s.text(4);
  c.raised_by = s.text(5);
  c.raised_us = s.int64(6);
  c.updated_us = s.int64(7);
  c.assigned_to = s.text(8);
  if (!s.is_null(9)) c.review_due_us = s.int64(9);
  c.outcome = s.text(10);
  return c;
}

// Collects the rows of a prepared statement through `row`.
template <class T, class F>
Result<std::vector<T>> collect(Connection& c, Statement& s, F row) {
  std::vector<T> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(row(s));
  if (rc != SQLITE_DONE) {
    Error e = c.error(rc, "query");
    s.reset();
    return e;
  }
  s.reset();
  return out;
}

template <class T, class F>
Result<std::optional<T>> one(Connection& c, Statement& s, F row) {
  auto all = collect<T>(c, s, row);
  if (!all) return all.error();
  if (all->empty()) return std::optional<T>{};
  return std::optional<T>{std::move(all->front())};
}

}  // namespace

struct Reader::Impl {
  Connection conn;
  std::unordered_map<std::string, Statement> cache;

  // Prepared once per distinct SQL text (filters make a handful of shapes).
  Result<Statement*> stmt(const std::string& sql) {
    if (auto it = cache.find(sql); it != cache.end()) {
      it->second.reset();
      return &it->second;
    }
    if (cache.size() > 128) cache.clear();
    auto s = conn.prepare(sql);
    if (!s) return s.error();
    auto [it, ok] = cache.emplace(sql, std::move(*s));
    return &it->second;
  }

  // WHERE clause and its bindings for an incident filter.
  struct Where {
    std::string sql;
    std::vector<std::string> texts;  // bound in order, before ints
    std::vector<std::int64_t> ints;
  };
  static Result<Where> where(const IncidentFilter& f) {
    if (f.severities.size() > kMaxFilterValues || f.categories.size() > kMaxFilterValues ||
        f.statuses.size() > kMaxFilterValues) {
      return Error{ErrorCode::Invalid, "incident filter: too many values"};
    }
    Where w;
    std::vector<std::string> parts;
    auto in_list = [&](const char* col, const std::vector<std::string>& values) {
      if (values.empty()) return;
      std::string p = std::string(col) + " IN (";
      for (std::size_t i = 0; i < values.size(); ++i) {
        p += i == 0 ? "?" : ", ?";
        w.texts.push_back(values[i]);
      }
      p += ")";
      parts.push_back(std::move(p));
    };
    in_list("i.highest_severity", f.severities);
    in_list("i.category", f.categories);
    std::vector<std::string> statuses;
    for (IncidentStatus s : f.statuses) statuses.emplace_back(incident_status_name(s));
    in_list("i.status", statuses);
    if (f.person_id) {
      parts.emplace_back("i.person_id = ?");
      w.ints.push_back(*f.person_id);
    }
    if (f.device_id) {
      parts.emplace_back("i.device_id = ?");
      w.ints.push_back(*f.device_id);
    }
    if (f.from_us) {
      parts.emplace_back("i.last_us >= ?");
      w.ints.push_back(*f.from_us);
    }
    if (f.to_us) {
      parts.emplace_back("i.first_us < ?");
      w.ints.push_back(*f.to_us);
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      w.sql += i == 0 ? "WHERE " : " AND ";
      w.sql += parts[i];
    }
    return w;
  }

  static int bind_where(Statement& s, const Where& w) {
    int n = 1;
    for (const auto& t : w.texts) s.bind(n++, t);
    for (std::int64_t v : w.ints) s.bind(n++, v);
    return n;
  }
};

Reader::Reader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reader::~Reader() = default;

Result<std::unique_ptr<Reader>> Reader::open(const ReaderOptions& options) {
  auto c = detail::open_current_read_only(options.path, options.busy_timeout, options.cache_mb,
                                          "reader");
  if (!c) return c.error();
  auto impl = std::make_unique<Impl>();
  impl->conn = std::move(*c);
  return std::unique_ptr<Reader>(new Reader(std::move(impl)));
}

Result<IncidentPage> Reader::incidents(const IncidentFilter& filter, const PageRequest& page) {
  if (page.limit == 0 || page.limit > kMaxPage || page.offset > kMaxOffset) {
    return Error{ErrorCode::Invalid, "incident page: limit must be 1..1000, offset at most 10^7"};
  }
  auto w = Impl::where(filter);
  if (!w) return w.error();
  std::string sql = kIncidentColumns + w->sql;
  if (page.after) {
    sql += w->sql.empty() ? "WHERE " : " AND ";
    sql += "(i.last_us, i.id) < (?, ?)";
  }
  sql += " ORDER BY i.last_us DESC, i.id DESC LIMIT ? OFFSET ?";
  auto s = impl_->stmt(sql);
  if (!s) return s.error();
  Statement& st = **s;
  int n = Impl::bind_where(st, *w);
  if (page.after) {
    st.bind(n++, page.after->last_us);
    st.bind(n++, page.after->id);
  }
  st.bind(n++, static_cast<std::int64_t>(page.limit + 1));  // one more says "there is a next page"
  st.bind(n++, static_cast<std::int64_t>(page.after ? 0 : page.offset));
  auto rows = collect<Incident>(impl_->conn, st, incident_row);
  if (!rows) return rows.error();
  IncidentPage out;
  out.items = std::move(*rows);
  if (out.items.size() > page.limit) {
    out.items.resize(page.limit);
    out.next = IncidentCursor{out.items.back().last_us, out.items.back().id};
  }
  return out;
}

Result<std::int64_t> Reader::count_incidents(const IncidentFilter& filter) {
  auto w = Impl::where(filter);
  if (!w) return w.error();
  auto s = impl_->stmt("SELECT count(*) FROM incidents i " + w->sql);
  if (!s) return s.error();
  Impl::bind_where(**s, *w);
  int rc = (*s)->step();
  if (rc != SQLITE_ROW) return impl_->conn.error(rc, "count incidents");
  std::int64_t n = (*s)->int64(0);
  (*s)->reset();
  return n;
}

Result<std::optional<Incident>> Reader::incident(std::int64_t id) {
  auto s = impl_->stmt(std::string(kIncidentColumns) + "WHERE i.id = ?");
  if (!s) return s.error();
  (*s)->bind(1, id);
  return one<Incident>(impl_->conn, **s, incident_row);
}

Result<std::vector<Incident>> Reader::incidents_of_concern(std::int64_t concern_id) {
  auto s = impl_->stmt(std::string(kIncidentColumns) +
                       "WHERE i.concern_id = ? ORDER BY i.first_us, i.id");
  if (!s) return s.error();
  (*s)->bind(1, concern_id);
  return collect<Incident>(impl_->conn, **s, incident_row);
}

Result<std::vector<StoredHit>> Reader::incident_hits(std::int64_t incident_id,
                                                     std::int64_t after_id, std::size_t limit) {
  if (limit == 0 || limit > 10'000) {
    return Error{ErrorCode::Invalid, "incident hits: limit must be 1..10000"};
  }
  // after_id continues a previous page: hits are ordered by (ts_us, id), and
  // the cursor hit's time is looked up so the caller only keeps an id.
  auto s = impl_->stmt(std::string(kHitColumns) +
                       "WHERE incident_id = ?1 AND (?2 = 0 OR (ts_us, id) > "
                       "((SELECT ts_us FROM hits WHERE id = ?2), ?2)) "
                       "ORDER BY ts_us, id LIMIT ?3");
  if (!s) return s.error();
  (*s)->bind(1, incident_id);
  (*s)->bind(2, after_id);
  (*s)->bind(3, static_cast<std::int64_t>(limit));
  return collect<StoredHit>(impl_->conn, **s, hit_row);
}

Result<std::optional<StoredHit>> Reader::hit(std::int64_t id) {
  auto s = impl_->stmt(std::string(kHitColumns) + "WHERE id = ?");
  if (!s) return s.error();
  (*s)->bind(1, id);
  return one<StoredHit>(impl_->conn, **s, hit_row);
}

Result<std::int64_t> Reader::count_hits() {
  return impl_->conn.query_int("SELECT count(*) FROM hits");
}

Result<std::optional<Device>> Reader::device(std::int64_t id) {
  auto s = impl_->stmt(
      "SELECT id, mac, ip, hostname, first_seen_us, last_seen_us FROM devices WHERE id = ?");
  if (!s) return s.error();
  (*s)->bind(1, id);
  return one<Device>(impl_->conn, **s, [](const Statement& r) {
    return Device{r.int64(0), r.text(1), r.text(2), r.text(3), r.int64(4), r.int64(5)};
  });
}

namespace {
Person person_row(const Statement& r) {
  return Person{r.int64(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5), r.int64(6) != 0};
}
constexpr const char* kPersonColumns =
    "SELECT id, reference, display_name, kind, cohort, group_name, under_18 FROM people ";
}  // namespace

Result<std::optional<Person>> Reader::person(std::int64_t id) {
  auto s = impl_->stmt(std::string(kPersonColumns) + "WHERE id = ?");
  if (!s) return s.error();
  (*s)->bind(1, id);
  return one<Person>(impl_->conn, **s, person_row);
}

Result<std::optional<Person>> Reader::person_by_reference(const std::string& reference) {
  auto s = impl_->stmt(std::string(kPersonColumns) + "WHERE reference = ?");
  if (!s) return s.error();
  (*s)->bind(1, reference);
  return one<Person>(impl_->conn, **s, person_row);
}

Result<std::vector<Attribution>> Reader::attributions_of_device(std::int64_t device_id) {
  auto s = impl_->stmt(
      "SELECT device_id, person_id, source, confidence, first_seen_us, last_seen_us "
      "FROM device_people WHERE device_id = ? ORDER BY last_seen_us DESC");
  if (!s) return s.error();
  (*s)->bind(1, device_id);
  return collect<Attribution>(impl_->conn, **s, [](const Statement& r) {
    return Attribution{r.int64(0), r.int64(1), r.text(2), r.real(3), r.int64(4), r.int64(5)};
  });
}

Result<std::optional<Concern>> Reader::concern(std::int64_t id) {
  auto s = impl_->stmt(std::string(kConcernColumns) + "WHERE c.id = ?");
  if (!s) return s.error();
  (*s)->bind(1, id);
  return one<Concern>(impl_->conn, **s, concern_row);
}

Result<std::vector<ConcernEvent>> Reader::concern_events(std::int64_t concern_id) {
  auto s = impl_->stmt(
      "SELECT id, concern_id, ts_us, actor, kind, from_state, to_state, text "
      "FROM concern_events WHERE concern_id = ? ORDER BY id");
  if (!s) return s.error();
  (*s)->bind(1, concern_id);
  return collect<ConcernEvent>(impl_->conn, **s, [](const Statement& r) {
    return ConcernEvent{r.int64(0), r.int64(1), r.int64(2), r.text(3),
                        r.text(4),  r.text(5),  r.text(6),  r.text(7)};
  });
}

Result<std::optional<ReferralContent>> Reader::referral(std::int64_t concern_id) {
  auto s = impl_->stmt(
      "SELECT how_arose, indicators, internet_use, how_found, contacts, additional_needs, "
      "other_concerns, discussions, parent_carer_support, worries, updated_us, updated_by "
      "FROM concern_referrals WHERE concern_id = ?");
  if (!s) return s.error();
  (*s)->bind(1, concern_id);
  return one<ReferralContent>(impl_->conn, **s, [](const Statement& r) {
    ReferralContent c;
    c.how_arose = r.text(0);
    c.indicators = r.text(1);
    c.internet_use = r.text(2);
    c.how_found = r.text(3);
    c.contacts = r.text(4);
    c.additional_needs = r.text(5);
    c.other_concerns = r.text(6);
    c.discussions = r.text(7);
    c.parent_carer_support = r.text(8);
    c.worries = r.text(9);
    c.updated_us = r.int64(10);
    c.updated_by = r.text(11);
    return c;
  });
}

Result<std::vector<Concern>> Reader::concerns(const ConcernFilter& filter) {
  if (filter.limit == 0 || filter.limit > kMaxPage || filter.states.size() > kMaxFilterValues) {
    return Error{ErrorCode::Invalid, "concern filter: limit must be 1..1000"};
  }
  std::string sql = kConcernColumns;
  std::vector<std::string> parts;
  if (!filter.states.empty()) {
    std::string p = "c.state IN (";
    for (std::size_t i = 0; i < filter.states.size(); ++i) p += i == 0 ? "?" : ", ?";
    parts.push_back(p + ")");
  } else if (!filter.include_closed) {
    parts.emplace_back("c.state <> 'closed'");
  }
  if (filter.review_due_before) parts.emplace_back("c.review_due_us <= ?");
  if (filter.person_id) parts.emplace_back("c.person_id = ?");
  for (std::size_t i = 0; i < parts.size(); ++i) sql += (i == 0 ? "WHERE " : " AND ") + parts[i];
  sql += " ORDER BY c.review_due_us IS NULL, c.review_due_us, c.id LIMIT ?";
  auto s = impl_->stmt(sql);
  if (!s) return s.error();
  int n = 1;
  for (ConcernState st : filter.states) (*s)->bind(n++, concern_state_name(st));
  if (filter.review_due_before) (*s)->bind(n++, *filter.review_due_before);
  if (filter.person_id) (*s)->bind(n++, *filter.person_id);
  (*s)->bind(n++, static_cast<std::int64_t>(filter.limit));
  return collect<Concern>(impl_->conn, **s, concern_row);
}

namespace {
User user_row(const Statement& r) {
  return User{r.int64(0), r.text(1), parse_role(r.text(2)).value_or(Role::Reporter),
              r.int64(3) != 0, r.int64(4)};
}
}  // namespace

Result<std::vector<User>> Reader::users() {
  auto s = impl_->stmt("SELECT id, name, role, disabled, created_us FROM users ORDER BY name");
  if (!s) return s.error();
  return collect<User>(impl_->conn, **s, user_row);
}

Result<std::optional<User>> Reader::user(const std::string& name) {
  auto s = impl_->stmt("SELECT id, name, role, disabled, created_us FROM users WHERE name = ?");
  if (!s) return s.error();
  (*s)->bind(1, name);
  return one<User>(impl_->conn, **s, user_row);
}

Result<std::optional<std::string>> Reader::setting(const std::string& key) {
  auto s = impl_->stmt("SELECT value FROM settings WHERE key = ?");
  if (!s) return s.error();
  (*s)->bind(1, key);
  return one<std::string>(impl_->conn, **s, [](const Statement& r) { return r.text(0); });
}

Result<std::vector<HourlyStat>> Reader::hourly_stats(TimeUs from_us, TimeUs to_us) {
  auto s = impl_->stmt(
      "SELECT hour, category, severity, action, hits, devices, people FROM hourly_stats "
      "WHERE hour >= ?1 / 3600000000 AND hour < (?2 + 3599999999) / 3600000000 "
      "ORDER BY hour, category, severity, action");
  if (!s) return s.error();
  (*s)->bind(1, from_us);
  (*s)->bind(2, to_us);
  return collect<HourlyStat>(impl_->conn, **s, [](const Statement& r) {
    return HourlyStat{r.int64(0) * 3'600'000'000,
                      r.text(1),
                      r.text(2),
                      r.text(3),
                      r.int64(4),
                      r.int64(5),
                      r.int64(6)};
  });
}

Result<std::vector<AuditRow>> Reader::audit_rows(std::int64_t after_id, std::size_t limit) {
  if (limit == 0 || limit > 10'000) return Error{ErrorCode::Invalid, "audit rows: limit 1..10000"};
  auto s = impl_->stmt(
      "SELECT id, ts_us, actor, action, object_type, object_id, detail, prev_hash, hash "
      "FROM audit_log WHERE id > ? ORDER BY id LIMIT ?");
  if (!s) return s.error();
  (*s)->bind(1, after_id);
  (*s)->bind(2, static_cast<std::int64_t>(limit));
  return collect<AuditRow>(impl_->conn, **s, [](const Statement& r) {
    return AuditRow{r.int64(0), r.int64(1), r.text(2), r.text(3), r.text(4),
                    r.int64(5), r.text(6),  r.text(7), r.text(8)};
  });
}

Result<AuditVerification> Reader::verify_audit() { return detail::verify_audit_chain(impl_->conn); }

// ---- Console admin pages (issue 6) ----------------------------------------

namespace {
Device device_row(const Statement& r) {
  return Device{r.int64(0), r.text(1), r.text(2), r.text(3), r.int64(4), r.int64(5)};
}
constexpr const char* kDeviceColumns =
    "SELECT id, mac, ip, hostname, first_seen_us, last_seen_us FROM devices ";

Status check_page(std::size_t limit, std::size_t offset) {
  if (limit == 0 || limit > kMaxPage || offset > kMaxOffset) {
    return Error{ErrorCode::Invalid, "page: limit must be 1..1000"};
  }
  return {};
}
}  // namespace

Result<std::vector<Person>> Reader::people(std::size_t limit, std::size_t offset) {
  if (auto c = check_page(limit, offset); !c) return c.error();
  auto s = impl_->stmt(std::string(kPersonColumns) + "ORDER BY reference LIMIT ? OFFSET ?");
  if (!s) return s.error();
  (*s)->bind(1, static_cast<std::int64_t>(limit));
  (*s)->bind(2, static_cast<std::int64_t>(offset));
  return collect<Person>(impl_->conn, **s, person_row);
}

Result<std::int64_t> Reader::count_people() {
  return impl_->conn.query_int("SELECT count(*) FROM people");
}

Result<std::vector<Device>> Reader::devices(std::size_t limit, std::size_t offset) {
  if (auto c = check_page(limit, offset); !c) return c.error();
  auto s = impl_->stmt(std::string(kDeviceColumns) +
                       "ORDER BY last_seen_us DESC, id DESC LIMIT ? OFFSET ?");
  if (!s) return s.error();
  (*s)->bind(1, static_cast<std::int64_t>(limit));
  (*s)->bind(2, static_cast<std::int64_t>(offset));
  return collect<Device>(impl_->conn, **s, device_row);
}

Result<std::int64_t> Reader::count_devices() {
  return impl_->conn.query_int("SELECT count(*) FROM devices");
}

Result<std::optional<Device>> Reader::device_by_mac(const std::string& mac) {
  // Devices are keyed "mac:<lower-case MAC>" by the writer.
  auto s = impl_->stmt(std::string(kDeviceColumns) + "WHERE device_key = ?");
  if (!s) return s.error();
  (*s)->bind(1, "mac:" + mac);
  return one<Device>(impl_->conn, **s, device_row);
}

Result<std::vector<DecisionRow>> Reader::decisions(std::int64_t before_id, std::size_t limit) {
  if (auto c = check_page(limit, 0); !c) return c.error();
  auto s = impl_->stmt(
      "SELECT id, ts_us, actor, change, target, list, reason FROM decision_log "
      "WHERE ?1 <= 0 OR id < ?1 ORDER BY id DESC LIMIT ?2");
  if (!s) return s.error();
  (*s)->bind(1, before_id);
  (*s)->bind(2, static_cast<std::int64_t>(limit));
  return collect<DecisionRow>(impl_->conn, **s, [](const Statement& r) {
    return DecisionRow{r.int64(0), r.int64(1), r.text(2),
                       DecisionEntry{r.text(3), r.text(4), r.text(5), r.text(6)}};
  });
}

Result<std::vector<CheckRow>> Reader::checks(std::int64_t before_id, std::size_t limit) {
  if (auto c = check_page(limit, 0); !c) return c.error();
  auto s = impl_->stmt(
      "SELECT id, ts_us, actor, what, result, action FROM checks_log "
      "WHERE ?1 <= 0 OR id < ?1 ORDER BY id DESC LIMIT ?2");
  if (!s) return s.error();
  (*s)->bind(1, before_id);
  (*s)->bind(2, static_cast<std::int64_t>(limit));
  return collect<CheckRow>(impl_->conn, **s, [](const Statement& r) {
    return CheckRow{r.int64(0), r.int64(1), r.text(2), CheckEntry{r.text(3), r.text(4), r.text(5)}};
  });
}

Result<std::vector<AuditRow>> Reader::audit_rows_before(std::int64_t before_id, std::size_t limit) {
  if (auto c = check_page(limit, 0); !c) return c.error();
  auto s = impl_->stmt(
      "SELECT id, ts_us, actor, action, object_type, object_id, detail, prev_hash, hash "
      "FROM audit_log WHERE ?1 <= 0 OR id < ?1 ORDER BY id DESC LIMIT ?2");
  if (!s) return s.error();
  (*s)->bind(1, before_id);
  (*s)->bind(2, static_cast<std::int64_t>(limit));
  return collect<AuditRow>(impl_->conn, **s, [](const Statement& r) {
    return AuditRow{r.int64(0), r.int64(1), r.text(2), r.text(3), r.text(4),
                    r.int64(5), r.text(6),  r.text(7), r.text(8)};
  });
}

Result<std::vector<ListHitCount>> Reader::hits_by_list(TimeUs from_us) {
  // hits_time bounds the scan to the period; the incident is found by its key.
  auto s = impl_->stmt(
      "SELECT h.list, count(*), coalesce(sum(i.status = 'dismissed'), 0), max(h.ts_us) "
      "FROM hits h LEFT JOIN incidents i ON i.id = h.incident_id "
      "WHERE h.ts_us >= ? GROUP BY h.list ORDER BY h.list");
  if (!s) return s.error();
  (*s)->bind(1, from_us);
  return collect<ListHitCount>(impl_->conn, **s, [](const Statement& r) {
    return ListHitCount{r.text(0), r.int64(1), r.int64(2), r.int64(3)};
  });
}
// ---- end of the console admin pages' block

// ---- Console safeguarding pages (issue 6) ----------------------------------

Result<std::vector<FalsePositiveCount>> Reader::false_positive_counts() {
  // incidents_status narrows to the dismissed incidents; hits_incident finds their hits.
  auto s = impl_->stmt(
      "SELECT h.list, h.entry, count(DISTINCT h.incident_id), count(*) "
      "FROM incidents i JOIN hits h ON h.incident_id = i.id WHERE i.status = 'dismissed' "
      "GROUP BY h.list, h.entry ORDER BY 3 DESC, 1, 2");
  if (!s) return s.error();
  return collect<FalsePositiveCount>(impl_->conn, **s, [](const Statement& r) {
    return FalsePositiveCount{r.text(0), r.text(1), r.int64(2), r.int64(3)};
  });
}

Result<IncidentPage> Reader::incidents_newer(const IncidentFilter& filter, IncidentCursor before,
                                             std::size_t limit) {
  if (limit == 0 || limit > kMaxPage) {
    return Error{ErrorCode::Invalid, "incident page: limit must be 1..1000"};
  }
  auto w = Impl::where(filter);
  if (!w) return w.error();
  // Oldest first from the cursor, reversed below into the list's order.
  std::string sql = kIncidentColumns + w->sql;
  sql += w->sql.empty() ? "WHERE " : " AND ";
  sql += "(i.last_us, i.id) > (?, ?) ORDER BY i.last_us, i.id LIMIT ?";
  auto s = impl_->stmt(sql);
  if (!s) return s.error();
  Statement& st = **s;
  int n = Impl::bind_where(st, *w);
  st.bind(n++, before.last_us);
  st.bind(n++, before.id);
  st.bind(n++, static_cast<std::int64_t>(limit + 1));
  auto rows = collect<Incident>(impl_->conn, st, incident_row);
  if (!rows) return rows.error();
  IncidentPage out;
  out.items = std::move(*rows);
  const bool more = out.items.size() > limit;
  if (more) out.items.resize(limit);
  std::reverse(out.items.begin(), out.items.end());
  if (more) out.next = IncidentCursor{out.items.front().last_us, out.items.front().id};
  return out;
}

Result<std::vector<ActivityRow>> Reader::activity(const std::vector<std::int64_t>& device_ids,
                                                  TimeUs from_us, TimeUs to_us, std::size_t limit) {
  if (limit == 0 || limit > 10'000 || device_ids.size() > 64) {
    return Error{ErrorCode::Invalid, "activity: limit 1..10000, at most 64 devices"};
  }
  if (device_ids.empty()) return std::vector<ActivityRow>{};
  // activity_device (device_id, minute) serves each device's range.
  std::string sql =
      "SELECT minute, device_id, kind, name, privacy, count FROM activity "
      "WHERE minute >= ? AND minute <= ? AND device_id IN (";
  for (std::size_t i = 0; i < device_ids.size(); ++i) sql += i == 0 ? "?" : ", ?";
  sql += ") ORDER BY minute, device_id, kind, name LIMIT ?";
  auto s = impl_->stmt(sql);
  if (!s) return s.error();
  int n = 1;
  (*s)->bind(n++, from_us / 60'000'000);
  (*s)->bind(n++, to_us / 60'000'000);
  for (std::int64_t d : device_ids) (*s)->bind(n++, d);
  (*s)->bind(n++, static_cast<std::int64_t>(limit));
  return collect<ActivityRow>(impl_->conn, **s, [](const Statement& r) {
    return ActivityRow{
        r.int64(0) * 60'000'000, r.int64(1), r.text(2), r.text(3), r.text(4), r.int64(5)};
  });
}

Result<std::vector<std::int64_t>> Reader::devices_of_person(std::int64_t person_id) {
  auto s = impl_->stmt(
      "SELECT device_id FROM device_people WHERE person_id = ? "
      "GROUP BY device_id ORDER BY max(last_seen_us) DESC, device_id LIMIT 64");
  if (!s) return s.error();
  (*s)->bind(1, person_id);
  return collect<std::int64_t>(impl_->conn, **s, [](const Statement& r) { return r.int64(0); });
}

Result<std::optional<RuleSetRecord>> Reader::latest_rule_set() {
  auto s = impl_->stmt(
      "SELECT loaded_us, version, source, lists, entries, loaded_by FROM rule_sets "
      "ORDER BY loaded_us DESC, id DESC LIMIT 1");
  if (!s) return s.error();
  return one<RuleSetRecord>(impl_->conn, **s, [](const Statement& r) {
    return RuleSetRecord{r.int64(0), r.text(1), r.text(2), r.int64(3), r.int64(4), r.text(5)};
  });
}

Result<std::int64_t> Reader::count_concerns(const ConcernFilter& filter) {
  if (filter.states.size() > kMaxFilterValues) {
    return Error{ErrorCode::Invalid, "concern filter: too many states"};
  }
  // The same clauses as concerns().
  std::string sql = "SELECT count(*) FROM concerns c ";
  std::vector<std::string> parts;
  if (!filter.states.empty()) {
    std::string p = "c.state IN (";
    for (std::size_t i = 0; i < filter.states.size(); ++i) p += i == 0 ? "?" : ", ?";
    parts.push_back(p + ")");
  } else if (!filter.include_closed) {
    parts.emplace_back("c.state <> 'closed'");
  }
  if (filter.review_due_before) parts.emplace_back("c.review_due_us <= ?");
  if (filter.person_id) parts.emplace_back("c.person_id = ?");
  for (std::size_t i = 0; i < parts.size(); ++i) sql += (i == 0 ? "WHERE " : " AND ") + parts[i];
  auto s = impl_->stmt(sql);
  if (!s) return s.error();
  int n = 1;
  for (ConcernState st : filter.states) (*s)->bind(n++, concern_state_name(st));
  if (filter.review_due_before) (*s)->bind(n++, *filter.review_due_before);
  if (filter.person_id) (*s)->bind(n++, *filter.person_id);
  int rc = (*s)->step();
  if (rc != SQLITE_ROW) {
    Error e = impl_->conn.error(rc, "count concerns");
    (*s)->reset();
    return e;
  }
  std::int64_t count = (*s)->int64(0);
  (*s)->reset();
  return count;
}

Result<std::vector<Concern>> Reader::concerns_raised_by(const std::string& user,
                                                        std::size_t limit) {
  if (limit == 0 || limit > kMaxPage) {
    return Error{ErrorCode::Invalid, "concerns: limit must be 1..1000"};
  }
  auto s = impl_->stmt(std::string(kConcernColumns) +
                       "WHERE c.raised_by = ? ORDER BY c.raised_us DESC, c.id DESC LIMIT ?");
  if (!s) return s.error();
  (*s)->bind(1, user);
  (*s)->bind(2, static_cast<std::int64_t>(limit));
  return collect<Concern>(impl_->conn, **s, concern_row);
}
// ---- end of the console safeguarding pages' block

}  // namespace vigil::store
