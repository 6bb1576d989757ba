#include "store/casework.h"

#include <mutex>
#include <string>
#include <utility>

#include "store/detail/audit_chain.h"
#include "store/detail/people.h"
#include "store/detail/schema.h"
#include "store/detail/sqlite.h"

namespace vigil::store {

using detail::Connection;
using detail::Transaction;

namespace {

TimeUs system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool has_control(std::string_view s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return true;
  }
  return false;
}

Status check_actor(std::string_view actor) {
  if (actor.empty() || actor.size() > kMaxNameBytes || has_control(actor)) {
    return Error{ErrorCode::Invalid, "actor: a user name of 1..255 printable bytes is required"};
  }
  return {};
}

Status check_text(std::string_view what, std::string_view text, bool required,
                  std::size_t max = kMaxTextBytes) {
  if (required && text.empty())
    return Error{ErrorCode::Invalid, std::string(what) + " is required"};
  if (text.size() > max) {
    return Error{ErrorCode::Invalid,
                 std::string(what) + " is longer than " + std::to_string(max) + " bytes"};
  }
  return {};
}

bool is_user_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char ch : s) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-' || ch == '@';
    if (!ok) return false;
  }
  return true;
}

bool is_key(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char ch : s) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.')) {
      return false;
    }
  }
  return true;
}

std::string filter_text(const IncidentFilter& f, const PageRequest& p) {
  std::string s;
  auto list = [&](const char* name, const std::vector<std::string>& v) {
    if (v.empty()) return;
    s += name;
    s += '=';
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
    s += ' ';
  };
  list("severity", f.severities);
  list("category", f.categories);
  std::vector<std::string> st;
  for (auto x : f.statuses) st.emplace_back(incident_status_name(x));
  list("status", st);
  if (f.person_id) s += "person=" + std::to_string(*f.person_id) + ' ';
  if (f.device_id) s += "device=" + std::to_string(*f.device_id) + ' ';
  if (f.from_us) s += "from=" + std::to_string(*f.from_us) + ' ';
  if (f.to_us) s += "to=" + std::to_string(*f.to_us) + ' ';
  if (p.after) {
    s += "after=" + std::to_string(p.after->last_us) + ':' + std::to_string(p.after->id) + ' ';
  } else if (p.offset != 0) {
    s += "offset=" + std::to_string(p.offset) + ' ';
  }
  s += "limit=" + std::to_string(p.limit);
  if (s.size() > kMaxTextBytes) s.resize(kMaxTextBytes);
  return s;
}

// The write transactions of every Casework in this process (the console's
// worker threads) take turns on this mutex before asking SQLite for the
// write lock. SQLite's own busy handler waits by sleeping in growing steps
// (up to 100 ms), so under 16 concurrent console requests, each writing an
// audit row, a few requests waited over a second; a mutex wakes the next
// writer as soon as the lock is free. Other processes (vigild's writer)
// are still waited for by busy_timeout.
std::mutex& process_writers() {
  static std::mutex m;
  return m;
}

}  // namespace

struct Casework::Impl {
  CaseworkOptions opt;
  Connection conn;
  std::unique_ptr<Reader> reader;

  TimeUs now() const { return opt.clock ? opt.clock() : system_now_us(); }

  // Runs fn(now) inside BEGIN IMMEDIATE ... COMMIT; rolls back on failure.
  template <class F>
  auto in_transaction(F&& fn) -> decltype(fn(TimeUs{})) {
    std::lock_guard turn(process_writers());
    Transaction tx(conn);
    if (auto s = tx.begin(); !s) return s.error();
    auto r = fn(now());
    if (!r) return r;
    if (auto s = tx.commit(); !s) return s.error();
    return r;
  }

  Status audit(TimeUs ts, std::string_view actor, std::string_view action,
               std::string_view object_type, std::int64_t id, std::string_view detail) {
    auto r = detail::append_audit(conn, ts, actor, action, object_type, id, detail);
    if (!r) return r.error();
    return {};
  }

  Status event(std::int64_t concern_id, TimeUs ts, std::string_view actor, std::string_view kind,
               std::string_view from, std::string_view to, std::string_view text) {
    auto s = conn.prepare(
        "INSERT INTO concern_events(concern_id, ts_us, actor, kind, from_state, to_state, text) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!s) return s.error();
    s->bind(1, concern_id);
    s->bind(2, ts);
    s->bind(3, actor);
    s->bind(4, kind);
    s->bind(5, from);
    s->bind(6, to);
    s->bind(7, text);
    if (auto r = detail::run(conn, *s, "concern event"); !r) return r;
    auto t = conn.prepare("UPDATE concerns SET updated_us = ? WHERE id = ?");
    if (!t) return t.error();
    t->bind(1, ts);
    t->bind(2, concern_id);
    return detail::run(conn, *t, "concern");
  }

  // The concern's state, or NotFound.
  Result<ConcernState> state_of(std::int64_t concern_id) {
    auto s = conn.prepare("SELECT state FROM concerns WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, concern_id);
    int rc = s->step();
    if (rc == SQLITE_DONE) {
      return Error{ErrorCode::NotFound, "concern " + std::to_string(concern_id) + " not found"};
    }
    if (rc != SQLITE_ROW) return conn.error(rc, "concern");
    auto st = parse_concern_state(s->text(0));
    if (!st)
      return Error{ErrorCode::Corrupt, "concern " + std::to_string(concern_id) + ": bad state"};
    return *st;
  }

  // Links one incident; the caller has checked the concern.
  Status link(std::int64_t concern_id, std::int64_t incident_id, TimeUs ts,
              std::string_view actor) {
    auto q = conn.prepare(
        "SELECT status, coalesce(concern_id, 0), category, hit_count, highest_severity "
        "FROM incidents WHERE id = ?");
    if (!q) return q.error();
    q->bind(1, incident_id);
    int rc = q->step();
    if (rc == SQLITE_DONE) {
      return Error{ErrorCode::NotFound, "incident " + std::to_string(incident_id) + " not found"};
    }
    if (rc != SQLITE_ROW) return conn.error(rc, "incident");
    if (q->text(0) == "linked") {
      return Error{ErrorCode::Invalid, "incident " + std::to_string(incident_id) +
                                           " is already linked to concern " +
                                           std::to_string(q->int64(1))};
    }
    std::string text = "incident " + std::to_string(incident_id) + ": " + q->text(2) + ", " +
                       std::to_string(q->int64(3)) + " hits, highest " + q->text(4);
    q->reset();
    auto u = conn.prepare("UPDATE incidents SET status = 'linked', concern_id = ? WHERE id = ?");
    if (!u) return u.error();
    u->bind(1, concern_id);
    u->bind(2, incident_id);
    if (auto s = detail::run(conn, *u, "incident"); !s) return s;
    return event(concern_id, ts, actor, "incident_linked", {}, {}, text);
  }

  Result<std::int64_t> dsl_user(std::string_view name) {
    auto q = conn.prepare("SELECT id, role, disabled FROM users WHERE name = ?");
    if (!q) return q.error();
    q->bind(1, name);
    int rc = q->step();
    if (rc == SQLITE_DONE)
      return Error{ErrorCode::NotFound, "user " + std::string(name) + " not found"};
    if (rc != SQLITE_ROW) return conn.error(rc, "user");
    std::string role = q->text(1);
    if (q->int64(2) != 0)
      return Error{ErrorCode::Invalid, "user " + std::string(name) + " is disabled"};
    if (role != "dsl" && role != "deputy_dsl") {
      return Error{ErrorCode::Invalid,
                   "user " + std::string(name) + " is " + role + ", not a dsl or deputy_dsl"};
    }
    return q->int64(0);
  }
};

Casework::Casework(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Casework::~Casework() = default;

Result<std::unique_ptr<Casework>> Casework::open(const CaseworkOptions& options) {
  auto r = Reader::open(ReaderOptions{options.path, options.busy_timeout});
  if (!r) return r.error();
  auto c = Connection::open(options.path, detail::OpenMode::ReadWrite, options.busy_timeout);
  if (!c) return c.error();
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  impl->conn = std::move(*c);
  impl->reader = std::move(*r);
  return std::unique_ptr<Casework>(new Casework(std::move(impl)));
}

Reader& Casework::reader() { return *impl_->reader; }

Result<IncidentPage> Casework::list_incidents(std::string_view actor, const IncidentFilter& filter,
                                              const PageRequest& page) {
  if (auto s = check_actor(actor); !s) return s.error();
  auto r = impl_->reader->incidents(filter, page);
  if (!r) return r.error();
  std::string detail = filter_text(filter, page) + " -> " + std::to_string(r->items.size());
  auto a = impl_->in_transaction(
      [&](TimeUs now) { return impl_->audit(now, actor, "incident.list", "incident", 0, detail); });
  if (!a) return a.error();
  return r;
}

Result<Incident> Casework::read_incident(std::string_view actor, std::int64_t incident_id) {
  if (auto s = check_actor(actor); !s) return s.error();
  auto r = impl_->reader->incident(incident_id);
  if (!r) return r.error();
  if (!r->has_value()) {
    return Error{ErrorCode::NotFound, "incident " + std::to_string(incident_id) + " not found"};
  }
  auto a = impl_->in_transaction([&](TimeUs now) {
    return impl_->audit(now, actor, "incident.read", "incident", incident_id, {});
  });
  if (!a) return a.error();
  return std::move(**r);
}

Result<std::vector<StoredHit>> Casework::read_incident_hits(std::string_view actor,
                                                            std::int64_t incident_id,
                                                            std::int64_t after_id,
                                                            std::size_t limit) {
  if (auto s = check_actor(actor); !s) return s.error();
  auto r = impl_->reader->incident_hits(incident_id, after_id, limit);
  if (!r) return r.error();
  auto a = impl_->in_transaction([&](TimeUs now) {
    return impl_->audit(now, actor, "incident.read_hits", "incident", incident_id,
                        std::to_string(r->size()) + " hits after " + std::to_string(after_id));
  });
  if (!a) return a.error();
  return r;
}

Result<ConcernRecord> Casework::read_concern(std::string_view actor, std::int64_t concern_id) {
  if (auto s = check_actor(actor); !s) return s.error();
  Reader& rd = *impl_->reader;
  auto c = rd.concern(concern_id);
  if (!c) return c.error();
  if (!c->has_value()) {
    return Error{ErrorCode::NotFound, "concern " + std::to_string(concern_id) + " not found"};
  }
  ConcernRecord rec;
  rec.concern = std::move(**c);
  auto ev = rd.concern_events(concern_id);
  if (!ev) return ev.error();
  rec.events = std::move(*ev);
  auto ref = rd.referral(concern_id);
  if (!ref) return ref.error();
  if (ref->has_value()) rec.referral = std::move(**ref);
  auto inc = rd.incidents_of_concern(concern_id);
  if (!inc) return inc.error();
  rec.incidents = std::move(*inc);
  auto a = impl_->in_transaction([&](TimeUs now) {
    return impl_->audit(now, actor, "concern.read", "concern", concern_id, {});
  });
  if (!a) return a.error();
  return rec;
}

Status Casework::dismiss_incident(std::string_view actor, std::int64_t incident_id,
                                  std::string_view reason) {
  if (auto s = check_actor(actor); !s) return s;
  if (auto s = check_text("dismissal reason", reason, true); !s) return s;
  return impl_->in_transaction([&](TimeUs now) -> Status {
    Connection& c = impl_->conn;
    auto q = c.prepare("SELECT status FROM incidents WHERE id = ?");
    if (!q) return q.error();
    q->bind(1, incident_id);
    int rc = q->step();
    if (rc == SQLITE_DONE) {
      return Error{ErrorCode::NotFound, "incident " + std::to_string(incident_id) + " not found"};
    }
    if (rc != SQLITE_ROW) return c.error(rc, "incident");
    if (q->text(0) != "new") {
      return Error{ErrorCode::Invalid,
                   "incident " + std::to_string(incident_id) + " is " + q->text(0) + ", not new"};
    }
    q->reset();
    auto u =
        c.prepare("UPDATE incidents SET status = 'dismissed', dismiss_reason = ? WHERE id = ?");
    if (!u) return u.error();
    u->bind(1, reason);
    u->bind(2, incident_id);
    if (auto s = detail::run(c, *u, "incident"); !s) return s;
    return impl_->audit(now, actor, "incident.dismiss", "incident", incident_id, reason);
  });
}

Result<std::int64_t> Casework::open_concern(std::string_view actor, const NewConcern& nc) {
  if (auto s = check_actor(actor); !s) return s.error();
  if (auto s = check_text("summary", nc.summary, true); !s) return s.error();
  if (nc.incident_ids.size() > 1000) return Error{ErrorCode::Invalid, "too many incidents"};
  return impl_->in_transaction([&](TimeUs now) -> Result<std::int64_t> {
    Connection& c = impl_->conn;
    std::optional<std::int64_t> person = nc.person_id;
    std::optional<std::int64_t> device = nc.device_id;
    if (!nc.incident_ids.empty() && !person && !device) {
      auto q = c.prepare("SELECT person_id, device_id FROM incidents WHERE id = ?");
      if (!q) return q.error();
      q->bind(1, nc.incident_ids.front());
      if (q->step() == SQLITE_ROW) {
        if (!q->is_null(0)) person = q->int64(0);
        device = q->int64(1);
      }
    }
    std::optional<std::int64_t> assignee;
    if (!nc.assign_to.empty()) {
      auto u = impl_->dsl_user(nc.assign_to);
      if (!u) return u.error();
      assignee = *u;
    }
    auto ins = c.prepare(
        "INSERT INTO concerns(person_id, device_id, state, summary, raised_by, raised_us, "
        "updated_us, assigned_user_id) VALUES (?, ?, 'raised', ?, ?, ?, ?, ?)");
    if (!ins) return ins.error();
    ins->bind_optional(1, person);
    ins->bind_optional(2, device);
    ins->bind(3, nc.summary);
    ins->bind(4, actor);
    ins->bind(5, now);
    ins->bind(6, now);
    ins->bind_optional(7, assignee);
    if (auto s = detail::run(c, *ins, "concern"); !s) return s.error();
    const std::int64_t id = sqlite3_last_insert_rowid(c.get());
    if (auto s = impl_->event(id, now, actor, "raised", {}, "raised", nc.summary); !s) {
      return s.error();
    }
    std::string linked;
    for (std::int64_t inc : nc.incident_ids) {
      if (auto s = impl_->link(id, inc, now, actor); !s) return s.error();
      linked += (linked.empty() ? "" : ",") + std::to_string(inc);
    }
    if (assignee) {
      if (auto s = impl_->event(id, now, actor, "assigned", {}, {}, nc.assign_to); !s) {
        return s.error();
      }
    }
    auto ref = c.prepare(
        "INSERT INTO concern_referrals(concern_id, how_arose, internet_use, updated_us, "
        "updated_by) SELECT ?1, ?2, coalesce((SELECT group_concat(i.category || ': ' || "
        "i.hit_count || ' hits, highest ' || i.highest_severity, '; ') FROM incidents i "
        "WHERE i.concern_id = ?1), ''), ?3, ?4");
    if (!ref) return ref.error();
    ref->bind(1, id);
    ref->bind(2, nc.summary);
    ref->bind(3, now);
    ref->bind(4, actor);
    if (auto s = detail::run(c, *ref, "referral"); !s) return s.error();
    if (auto s = impl_->audit(now, actor, "concern.open", "concern", id,
                              linked.empty() ? std::string() : "incidents " + linked);
        !s) {
      return s.error();
    }
    return id;
  });
}

Status Casework::link_incident(std::string_view actor, std::int64_t concern_id,
                               std::int64_t incident_id) {
  if (auto s = check_actor(actor); !s) return s;
  return impl_->in_transaction([&](TimeUs now) -> Status {
    auto st = impl_->state_of(concern_id);
    if (!st) return st.error();
    if (*st == ConcernState::Closed) {
      return Error{ErrorCode::Invalid, "concern " + std::to_string(concern_id) + " is closed"};
    }
    if (auto s = impl_->link(concern_id, incident_id, now, actor); !s) return s;
    return impl_->audit(now, actor, "concern.link_incident", "concern", concern_id,
                        "incident " + std::to_string(incident_id));
  });
}

Status Casework::transition_concern(std::string_view actor, std::int64_t concern_id,
                                    ConcernState to, std::string_view note,
                                    std::string_view outcome, std::optional<TimeUs> review_due) {
  if (auto s = check_actor(actor); !s) return s;
  if (auto s = check_text("note", note, false); !s) return s;
  if (auto s = check_text("outcome", outcome, to == ConcernState::Closed); !s) return s;
  if (review_due && *review_due <= 0) return Error{ErrorCode::Invalid, "review date is invalid"};
  return impl_->in_transaction([&](TimeUs now) -> Status {
    auto from = impl_->state_of(concern_id);
    if (!from) return from.error();
    if (!concern_transition_allowed(*from, to)) {
      return Error{ErrorCode::Invalid, "concern " + std::to_string(concern_id) +
                                           ": cannot go from " +
                                           std::string(concern_state_name(*from)) + " to " +
                                           std::string(concern_state_name(to))};
    }
    const bool needs_note = to == ConcernState::NoFurtherAction || to == ConcernState::Referred ||
                            *from == ConcernState::Closed;
    if (needs_note && note.empty()) {
      return Error{ErrorCode::Invalid, std::string("a note is required to move a concern to ") +
                                           std::string(concern_state_name(to))};
    }
    Connection& c = impl_->conn;
    auto u = c.prepare(
        "UPDATE concerns SET state = ?1, updated_us = ?2, "
        "outcome = CASE WHEN ?1 = 'closed' THEN ?3 WHEN ?4 THEN '' ELSE outcome END, "
        "review_due_us = CASE WHEN ?1 = 'closed' THEN NULL WHEN ?5 IS NOT NULL THEN ?5 "
        "ELSE review_due_us END WHERE id = ?6");
    if (!u) return u.error();
    std::optional<TimeUs> due = review_due;
    if (to == ConcernState::InternalSupport && !due) {
      due =
          now +
          std::chrono::duration_cast<std::chrono::microseconds>(impl_->opt.default_review).count();
    }
    u->bind(1, concern_state_name(to));
    u->bind(2, now);
    u->bind(3, outcome);
    u->bind(4, std::int64_t{*from == ConcernState::Closed ? 1 : 0});
    u->bind_optional(5, due);
    u->bind(6, concern_id);
    if (auto s = detail::run(c, *u, "concern"); !s) return s;
    std::string text(note);
    if (to == ConcernState::Closed)
      text += (text.empty() ? "" : "\n") + std::string("Outcome: ") + std::string(outcome);
    if (due)
      text += (text.empty() ? "" : "\n") + std::string("Review due: ") + std::to_string(*due);
    if (auto s = impl_->event(concern_id, now, actor, "state", concern_state_name(*from),
                              concern_state_name(to), text);
        !s) {
      return s;
    }
    return impl_->audit(
        now, actor, "concern.state", "concern", concern_id,
        std::string(concern_state_name(*from)) + " -> " + std::string(concern_state_name(to)));
  });
}

Status Casework::assign_concern(std::string_view actor, std::int64_t concern_id,
                                std::string_view user_name) {
  if (auto s = check_actor(actor); !s) return s;
  return impl_->in_transaction([&](TimeUs now) -> Status {
    if (auto st = impl_->state_of(concern_id); !st) return st.error();
    auto user = impl_->dsl_user(user_name);
    if (!user) return user.error();
    auto u = impl_->conn.prepare("UPDATE concerns SET assigned_user_id = ? WHERE id = ?");
    if (!u) return u.error();
    u->bind(1, *user);
    u->bind(2, concern_id);
    if (auto s = detail::run(impl_->conn, *u, "concern"); !s) return s;
    if (auto s = impl_->event(concern_id, now, actor, "assigned", {}, {}, user_name); !s) return s;
    return impl_->audit(now, actor, "concern.assign", "concern", concern_id, user_name);
  });
}

Status Casework::set_review_due(std::string_view actor, std::int64_t concern_id,
                                TimeUs review_due_us) {
  if (auto s = check_actor(actor); !s) return s;
  if (review_due_us <= 0) return Error{ErrorCode::Invalid, "review date is invalid"};
  return impl_->in_transaction([&](TimeUs now) -> Status {
    auto st = impl_->state_of(concern_id);
    if (!st) return st.error();
    if (*st == ConcernState::Closed) {
      return Error{ErrorCode::Invalid, "concern " + std::to_string(concern_id) + " is closed"};
    }
    auto u = impl_->conn.prepare("UPDATE concerns SET review_due_us = ? WHERE id = ?");
    if (!u) return u.error();
    u->bind(1, review_due_us);
    u->bind(2, concern_id);
    if (auto s = detail::run(impl_->conn, *u, "concern"); !s) return s;
    std::string when = std::to_string(review_due_us);
    if (auto s = impl_->event(concern_id, now, actor, "review_due", {}, {}, when); !s) return s;
    return impl_->audit(now, actor, "concern.review_due", "concern", concern_id, when);
  });
}

Status Casework::add_note(std::string_view actor, std::int64_t concern_id, std::string_view text) {
  if (auto s = check_actor(actor); !s) return s;
  if (auto s = check_text("note", text, true); !s) return s;
  return impl_->in_transaction([&](TimeUs now) -> Status {
    if (auto st = impl_->state_of(concern_id); !st) return st.error();
    if (auto s = impl_->event(concern_id, now, actor, "note", {}, {}, text); !s) return s;
    return impl_->audit(now, actor, "concern.note", "concern", concern_id, {});
  });
}

Status Casework::update_referral(std::string_view actor, std::int64_t concern_id,
                                 const ReferralContent& r) {
  if (auto s = check_actor(actor); !s) return s;
  const std::pair<const char*, const std::string*> fields[] = {
      {"how the concern arose", &r.how_arose},
      {"indicators", &r.indicators},
      {"internet use", &r.internet_use},
      {"how it was found", &r.how_found},
      {"contacts", &r.contacts},
      {"additional needs", &r.additional_needs},
      {"other safeguarding concerns", &r.other_concerns},
      {"discussions held", &r.discussions},
      {"parent/carer support", &r.parent_carer_support},
      {"what you are worried about", &r.worries},
  };
  for (const auto& [name, value] : fields) {
    if (auto s = check_text(name, *value, false); !s) return s;
  }
  return impl_->in_transaction([&](TimeUs now) -> Status {
    if (auto st = impl_->state_of(concern_id); !st) return st.error();
    auto u = impl_->conn.prepare(
        "INSERT INTO concern_referrals(concern_id, how_arose, indicators, internet_use, "
        "how_found, contacts, additional_needs, other_concerns, discussions, "
        "parent_carer_support, worries, updated_us, updated_by) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
        "ON CONFLICT(concern_id) DO UPDATE SET how_arose = ?2, indicators = ?3, "
        "internet_use = ?4, how_found = ?5, contacts = ?6, additional_needs = ?7, "
        "other_concerns = ?8, discussions = ?9, parent_carer_support = ?10, worries = ?11, "
        "updated_us = ?12, updated_by = ?13");
    if (!u) return u.error();
    u->bind(1, concern_id);
    int n = 2;
    for (const auto& f : fields) u->bind(n++, *f.second);
    u->bind(12, now);
    u->bind(13, actor);
    if (auto s = detail::run(impl_->conn, *u, "referral"); !s) return s;
    if (auto s =
            impl_->event(concern_id, now, actor, "referral", {}, {}, "referral content edited");
        !s) {
      return s;
    }
    return impl_->audit(now, actor, "concern.referral", "concern", concern_id, {});
  });
}

Result<std::int64_t> Casework::upsert_person(std::string_view actor, const PersonRecord& p) {
  if (auto s = check_actor(actor); !s) return s.error();
  if (!detail::person_fields_valid(p) || has_control(p.reference)) {
    return Error{ErrorCode::Invalid, "person: reference, name, kind, cohort or group invalid"};
  }
  return impl_->in_transaction([&](TimeUs now) -> Result<std::int64_t> {
    auto row = detail::upsert_person_row(impl_->conn, p, now);
    if (!row) return row.error();
    const std::int64_t id = *row;
    if (auto s = impl_->audit(now, actor, "person.upsert", "person", id, {}); !s) return s.error();
    return id;
  });
}

Status Casework::attribute_device(std::string_view actor, std::int64_t device_id,
                                  std::int64_t person_id, std::string_view source,
                                  double confidence) {
  if (auto s = check_actor(actor); !s) return s;
  if (!is_key(source, kMaxTokenBytes) || !(confidence >= 0.0 && confidence <= 1.0)) {
    return Error{ErrorCode::Invalid, "attribution: source must be a name, confidence 0..1"};
  }
  return impl_->in_transaction([&](TimeUs now) -> Status {
    auto up = impl_->conn.prepare(
        "INSERT INTO device_people(device_id, person_id, source, confidence, first_seen_us, "
        "last_seen_us) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(device_id, person_id, source) "
        "DO UPDATE SET confidence = excluded.confidence, last_seen_us = excluded.last_seen_us");
    if (!up) return up.error();
    up->bind(1, device_id);
    up->bind(2, person_id);
    up->bind(3, source);
    up->bind(4, confidence);
    up->bind(5, now);
    if (auto s = detail::run(impl_->conn, *up, "attribution"); !s) {
      if (s.error().code == ErrorCode::Invalid) {
        return Error{ErrorCode::NotFound, "attribution: no such device or person"};
      }
      return s;
    }
    return impl_->audit(now, actor, "device.attribute", "device", device_id,
                        "person " + std::to_string(person_id) + " via " + std::string(source));
  });
}

Result<std::int64_t> Casework::add_user(std::string_view actor, std::string_view name, Role role,
                                        std::string_view password_hash) {
  if (auto s = check_actor(actor); !s) return s.error();
  if (!is_user_name(name)) {
    return Error{ErrorCode::Invalid, "user name: 1..64 of A-Z a-z 0-9 . _ - @"};
  }
  if (password_hash.size() > 1024 || has_control(password_hash)) {
    return Error{ErrorCode::Invalid, "password hash: at most 1024 printable bytes"};
  }
  return impl_->in_transaction([&](TimeUs now) -> Result<std::int64_t> {
    auto ins = impl_->conn.prepare(
        "INSERT INTO users(name, role, password_hash, created_us) VALUES (?, ?, ?, ?)");
    if (!ins) return ins.error();
    ins->bind(1, name);
    ins->bind(2, role_name(role));
    ins->bind(3, password_hash);
    ins->bind(4, now);
    if (auto s = detail::run(impl_->conn, *ins, "user"); !s) {
      if (s.error().code == ErrorCode::Invalid) {
        return Error{ErrorCode::Exists, "user " + std::string(name) + " already exists"};
      }
      return s.error();
    }
    std::int64_t id = sqlite3_last_insert_rowid(impl_->conn.get());
    if (auto s = impl_->audit(now, actor, "user.add", "user", id,
                              std::string(name) + " as " + std::string(role_name(role)));
        !s) {
      return s.error();
    }
    return id;
  });
}

Status Casework::set_user_disabled(std::string_view actor, std::string_view name, bool disabled) {
  if (auto s = check_actor(actor); !s) return s;
  return impl_->in_transaction([&](TimeUs now) -> Status {
    auto u = impl_->conn.prepare("UPDATE users SET disabled = ? WHERE name = ? RETURNING id");
    if (!u) return u.error();
    u->bind(1, std::int64_t{disabled ? 1 : 0});
    u->bind(2, name);
    int rc = u->step();
    if (rc == SQLITE_DONE)
      return Error{ErrorCode::NotFound, "user " + std::string(name) + " not found"};
    if (rc != SQLITE_ROW) return impl_->conn.error(rc, "user");
    std::int64_t id = u->int64(0);
    u->reset();
    return impl_->audit(now, actor, disabled ? "user.disable" : "user.enable", "user", id, name);
  });
}

Status Casework::set_setting(std::string_view actor, std::string_view key, std::string_view value) {
  if (auto s = check_actor(actor); !s) return s;
  if (!is_key(key, 128) || key.starts_with("store.")) {
    return Error{ErrorCode::Invalid, "setting key: 1..128 of a-z 0-9 _ . (store.* is reserved)"};
  }
  if (auto s = check_text("setting value", value, false); !s) return s;
  return impl_->in_transaction([&](TimeUs now) -> Status {
    auto up = impl_->conn.prepare(
        "INSERT INTO settings(key, value, updated_us, updated_by) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(key) DO UPDATE SET value = ?2, updated_us = ?3, updated_by = ?4");
    if (!up) return up.error();
    up->bind(1, key);
    up->bind(2, value);
    up->bind(3, now);
    up->bind(4, actor);
    if (auto s = detail::run(impl_->conn, *up, "setting"); !s) return s;
    return impl_->audit(now, actor, "setting.set", "setting", 0,
                        std::string(key) + " = " + std::string(value));
  });
}

Result<std::int64_t> Casework::record_decision(std::string_view actor, const DecisionEntry& d) {
  if (auto s = check_actor(actor); !s) return s.error();
  if (!is_key(d.change, kMaxTokenBytes))
    return Error{ErrorCode::Invalid, "decision: bad change name"};
  if (auto s = check_text("decision target", d.target, true, kMaxValueBytes); !s) return s.error();
  if (auto s = check_text("decision list", d.list, false, kMaxNameBytes); !s) return s.error();
  if (auto s = check_text("decision reason", d.reason, true); !s) return s.error();
  return impl_->in_transaction([&](TimeUs now) -> Result<std::int64_t> {
    auto ins = impl_->conn.prepare(
        "INSERT INTO decision_log(ts_us, actor, change, target, list, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    if (!ins) return ins.error();
    ins->bind(1, now);
    ins->bind(2, actor);
    ins->bind(3, d.change);
    ins->bind(4, d.target);
    ins->bind(5, d.list);
    ins->bind(6, d.reason);
    if (auto s = detail::run(impl_->conn, *ins, "decision"); !s) return s.error();
    std::int64_t id = sqlite3_last_insert_rowid(impl_->conn.get());
    if (auto s =
            impl_->audit(now, actor, "decision.record", "decision", id, d.change + " " + d.target);
        !s) {
      return s.error();
    }
    return id;
  });
}

Result<std::int64_t> Casework::record_check(std::string_view actor, const CheckEntry& e) {
  if (auto s = check_actor(actor); !s) return s.error();
  if (e.result != "pass" && e.result != "fail" && e.result != "partial") {
    return Error{ErrorCode::Invalid, "check result must be pass, fail or partial"};
  }
  if (auto s = check_text("what was checked", e.what, true); !s) return s.error();
  if (auto s = check_text("action", e.action, false); !s) return s.error();
  return impl_->in_transaction([&](TimeUs now) -> Result<std::int64_t> {
    auto ins = impl_->conn.prepare(
        "INSERT INTO checks_log(ts_us, actor, what, result, action) VALUES (?, ?, ?, ?, ?)");
    if (!ins) return ins.error();
    ins->bind(1, now);
    ins->bind(2, actor);
    ins->bind(3, e.what);
    ins->bind(4, e.result);
    ins->bind(5, e.action);
    if (auto s = detail::run(impl_->conn, *ins, "check"); !s) return s.error();
    std::int64_t id = sqlite3_last_insert_rowid(impl_->conn.get());
    if (auto s = impl_->audit(now, actor, "check.record", "check", id, e.result); !s) {
      return s.error();
    }
    return id;
  });
}

Result<std::int64_t> Casework::audit(std::string_view actor, std::string_view action,
                                     std::string_view object_type, std::int64_t object_id,
                                     std::string_view detail) {
  if (auto s = check_actor(actor); !s) return s.error();
  if (!is_key(action, 64) || !is_key(object_type, 64)) {
    return Error{ErrorCode::Invalid, "audit: action and object type are names (a-z 0-9 _ .)"};
  }
  if (auto s = check_text("audit detail", detail, false); !s) return s.error();
  return impl_->in_transaction([&](TimeUs now) -> Result<std::int64_t> {
    return detail::append_audit(impl_->conn, now, actor, action, object_type, object_id, detail);
  });
}

// ---- Console admin pages (issue 6) ----------------------------------------

Status Casework::set_user_role(std::string_view actor, std::string_view name, Role role) {
  if (auto s = check_actor(actor); !s) return s;
  return impl_->in_transaction([&](TimeUs now) -> Status {
    auto q = impl_->conn.prepare("SELECT id, role, disabled FROM users WHERE name = ?");
    if (!q) return q.error();
    q->bind(1, name);
    int rc = q->step();
    if (rc == SQLITE_DONE)
      return Error{ErrorCode::NotFound, "user " + std::string(name) + " not found"};
    if (rc != SQLITE_ROW) return impl_->conn.error(rc, "user");
    const std::int64_t id = q->int64(0);
    const std::string old_role = q->text(1);
    const bool enabled_admin = old_role == "admin" && q->int64(2) == 0;
    q->reset();
    if (enabled_admin && role != Role::Admin) {
      auto admins =
          impl_->conn.query_int("SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0");
      if (!admins) return admins.error();
      if (*admins <= 1) {
        return Error{ErrorCode::Invalid, std::string(name) +
                                             " is the only enabled admin: make another user an "
                                             "admin first"};
      }
    }
    auto u = impl_->conn.prepare("UPDATE users SET role = ? WHERE id = ?");
    if (!u) return u.error();
    u->bind(1, role_name(role));
    u->bind(2, id);
    if (auto s = detail::run(impl_->conn, *u, "user"); !s) return s;
    return impl_->audit(
        now, actor, "user.role", "user", id,
        std::string(name) + ": " + old_role + " -> " + std::string(role_name(role)));
  });
}
// ---- end of the console admin pages' block

// ---- Console safeguarding pages (issue 6): review escalation --------------

Result<bool> Casework::escalate_review(std::string_view actor, std::int64_t concern_id,
                                       TimeUs now_us, std::string_view text) {
  if (auto s = check_actor(actor); !s) return s.error();
  if (auto s = check_text("escalation text", text, true); !s) return s.error();
  return impl_->in_transaction([&](TimeUs now) -> Result<bool> {
    Connection& c = impl_->conn;
    auto q = c.prepare("SELECT state, review_due_us FROM concerns WHERE id = ?");
    if (!q) return q.error();
    q->bind(1, concern_id);
    int rc = q->step();
    if (rc == SQLITE_DONE) {
      return Error{ErrorCode::NotFound, "concern " + std::to_string(concern_id) + " not found"};
    }
    if (rc != SQLITE_ROW) return c.error(rc, "concern");
    if (q->text(0) == "closed" || q->is_null(1) || q->int64(1) >= now_us) return false;
    q->reset();
    // The review date is set by a 'review_due' event or by a move to
    // internal support ("Review due: ..." in the state event's text). An
    // escalation after the latest of those covers the date now in force.
    auto done = c.prepare(
        "SELECT count(*) FROM concern_events WHERE concern_id = ?1 AND kind = 'escalated' "
        "AND actor = ?2 AND id > (SELECT coalesce(max(id), 0) FROM concern_events "
        "WHERE concern_id = ?1 AND (kind = 'review_due' OR (kind = 'state' AND "
        "instr(text, 'Review due: ') > 0)))");
    if (!done) return done.error();
    done->bind(1, concern_id);
    done->bind(2, actor);
    rc = done->step();
    if (rc != SQLITE_ROW) return c.error(rc, "concern events");
    const bool escalated_already = done->int64(0) > 0;
    done->reset();
    if (escalated_already) return false;
    if (auto s = impl_->event(concern_id, now, actor, "escalated", {}, {}, text); !s) {
      return s.error();
    }
    if (auto s =
            impl_->audit(now, actor, "concern.escalate", "concern", concern_id, "review overdue");
        !s) {
      return s.error();
    }
    return true;
  });
}
// ---- end of the console safeguarding pages' block

}  // namespace vigil::store
