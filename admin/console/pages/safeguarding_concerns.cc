// Concerns: the list by state with review markers, one concern (summary,
// person, the allowed next steps, chronology, assignment, review date,
// linked incidents with their evidence), the staff form any member of staff
// uses to raise a concern, and "my concerns", where the person who raised
// one follows its progress and sees nothing else. HTML under /concerns,
// JSON under /api/concerns.

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "admin/console/html.h"
#include "admin/console/pages/safeguarding_evidence.h"
#include "admin/console/pages/safeguarding_json.h"
#include "admin/console/pages/safeguarding_util.h"
#include "admin/console/roles.h"
#include "inspect/eve_json.h"
#include "store/casework.h"

namespace vigil::console::pages::safeguarding {
namespace {

using S = store::ConcernState;

constexpr std::size_t kListLimit = 200;
constexpr std::size_t kEvidenceHits = 50;
constexpr std::array<S, 7> kStates{S::Raised,          S::UnderReview, S::NoFurtherAction,
                                   S::InternalSupport, S::Referred,    S::Emergency,
                                   S::Closed};

std::string href(std::int64_t id) { return "/concerns/" + std::to_string(id); }

std::optional<std::int64_t> path_id(const Request& r) {
  auto v = r.param("id");
  return v ? parse_id(*v) : std::nullopt;
}

std::string person_text(const store::Person& p) {
  return p.display_name.empty() ? p.reference : p.display_name + " (" + p.reference + ")";
}

// A review date typed as a date alone means by the end of that day.
std::optional<store::TimeUs> parse_review_date(std::string_view text) {
  auto t = parse_time(text);
  if (!t) return std::nullopt;
  if (trim(text).size() == 10) return end_of_local_day(*t) - 1;
  return t;
}

enum class ReviewMark { None, DueToday, Overdue };

ReviewMark review_mark(const store::Concern& c, store::TimeUs now) {
  if (!c.review_due_us || c.state == S::Closed) return ReviewMark::None;
  if (*c.review_due_us < now) return ReviewMark::Overdue;
  if (*c.review_due_us < end_of_local_day(now)) return ReviewMark::DueToday;
  return ReviewMark::None;
}

std::string review_html(const store::Concern& c, store::TimeUs now) {
  if (!c.review_due_us) return "<span class=\"muted\">None set</span>";
  std::string out = html::escape(format_time(*c.review_due_us));
  switch (review_mark(c, now)) {
    case ReviewMark::Overdue:
      out += " <span class=\"badge overdue\">Overdue (" +
             html::escape(relative_time(*c.review_due_us, now)) + ")</span>";
      break;
    case ReviewMark::DueToday:
      out += " <span class=\"badge due-today\">Due today</span>";
      break;
    case ReviewMark::None:
      break;
  }
  return out;
}

std::string state_badge(S state) {
  return "<span class=\"badge state-" + std::string(store::concern_state_name(state)) + "\">" +
         html::escape(concern_state_label(state)) + "</span>";
}

// ---- The list -------------------------------------------------------------

struct ListQuery {
  store::ConcernFilter filter;
  std::string state;   // "" (open), a state name, or "all"
  std::string review;  // "", "today" or "overdue"
};

std::optional<ListQuery> parse_list_query(const Request& r, store::TimeUs now, std::string& error) {
  ListQuery q;
  q.filter.limit = kListLimit;
  q.state = trim(r.param("state").value_or(""));
  if (q.state == "all") {
    q.filter.include_closed = true;
  } else if (!q.state.empty()) {
    auto s = store::parse_concern_state(q.state);
    if (!s) {
      error = "Unknown state \"" + q.state + "\".";
      return std::nullopt;
    }
    q.filter.states = {*s};
  }
  q.review = trim(r.param("review").value_or(""));
  if (q.review == "overdue") {
    q.filter.review_due_before = now - 1;
  } else if (q.review == "today") {
    q.filter.review_due_before = end_of_local_day(now) - 1;
  } else if (!q.review.empty()) {
    error = "review must be today or overdue.";
    return std::nullopt;
  }
  return q;
}

struct Row {
  store::Concern concern;
  std::optional<store::Person> person;
};

store::Result<std::vector<Row>> read_list(PageContext& ctx, const ListQuery& q, store::TimeUs now) {
  store::Reader& reader = ctx.casework.reader();
  auto list = reader.concerns(q.filter);
  if (!list) return list.error();
  std::vector<Row> rows;
  for (store::Concern& c : *list) {
    // "Due today" leaves out the overdue ones, which have their own list.
    if (q.review == "today" && c.review_due_us && *c.review_due_us < now) continue;
    Row row{std::move(c), std::nullopt};
    if (row.concern.person_id != 0) {
      auto p = reader.person(row.concern.person_id);
      if (!p) return p.error();
      row.person = *p;
    }
    rows.push_back(std::move(row));
  }
  std::string detail = "state=" + (q.state.empty() ? std::string("open") : q.state);
  if (!q.review.empty()) detail += " review=" + q.review;
  auto a = ctx.casework.audit(ctx.user.name, "concern.list", "concern", 0,
                              detail + " -> " + std::to_string(rows.size()));
  if (!a) return a.error();
  return rows;
}

std::string list_html(const ListQuery& q, const std::vector<Row>& rows, store::TimeUs now) {
  std::string out =
      "<form class=\"filters\" method=\"get\" action=\"/concerns\" role=\"search\">"
      "<div class=\"field\"><label for=\"f-state\">State</label><select id=\"f-state\" "
      "name=\"state\"><option value=\"\">All open concerns</option>";
  for (S s : kStates) {
    const std::string_view name = store::concern_state_name(s);
    out += "<option value=\"" + std::string(name) + "\"";
    if (q.state == name) out += " selected";
    out += ">" + html::escape(concern_state_label(s)) + "</option>";
  }
  out += "<option value=\"all\"";
  if (q.state == "all") out += " selected";
  out += ">Every concern, closed ones too</option></select></div>";
  out +=
      "<div class=\"field\"><label for=\"f-review\">Review</label><select id=\"f-review\" "
      "name=\"review\"><option value=\"\">Any</option>";
  for (auto [value, label] : {std::pair{"today", "Due today"}, std::pair{"overdue", "Overdue"}}) {
    out += "<option value=\"" + std::string(value) + "\"";
    if (q.review == value) out += " selected";
    out += ">" + std::string(label) + "</option>";
  }
  out +=
      "</select></div><div class=\"buttons\"><button type=\"submit\">Show</button> "
      "<a href=\"/concerns/new\">Raise a new concern</a></div></form>";
  out +=
      "<div class=\"table-wrap\"><table class=\"concerns responsive\"><caption>Concerns, the "
      "earliest review first</caption><thead><tr><th scope=\"col\">Concern</th>"
      "<th scope=\"col\">About</th><th scope=\"col\">Summary</th><th scope=\"col\">State</th>"
      "<th scope=\"col\">Assigned to</th><th scope=\"col\">Review</th></tr></thead><tbody>";
  for (const Row& row : rows) {
    const store::Concern& c = row.concern;
    const ReviewMark mark = review_mark(c, now);
    out += mark == ReviewMark::Overdue ? "<tr class=\"overdue\">" : "<tr>";
    out += "<td data-label=\"Concern\"><a href=\"" + href(c.id) + "\">Concern " +
           std::to_string(c.id) + "</a><br><span class=\"muted\">raised " +
           html::escape(format_date(c.raised_us)) + "</span></td>";
    out += "<td data-label=\"About\">";
    if (row.person) {
      out += html::escape(person_text(*row.person));
      if (row.person->under_18) out += " " + under_18_badge();
    } else {
      out += "<span class=\"muted\">No person recorded</span>";
    }
    std::string summary = c.summary.size() > 160 ? c.summary.substr(0, 160) + "..." : c.summary;
    out += "</td><td data-label=\"Summary\" class=\"text\">" + multiline(summary) + "</td>";
    out += "<td data-label=\"State\">" + state_badge(c.state) + "</td>";
    out += "<td data-label=\"Assigned to\">" +
           (c.assigned_to.empty() ? std::string("<span class=\"muted\">Nobody yet</span>")
                                  : html::escape(c.assigned_to)) +
           "</td>";
    out += "<td data-label=\"Review\">" + review_html(c, now) + "</td></tr>";
  }
  if (rows.empty()) out += "<tr><td colspan=\"6\">No concerns match.</td></tr>";
  out += "</tbody></table></div>";
  return out;
}

inspect::JsonObject concern_json(const store::Concern& c, const std::optional<store::Person>& p,
                                 store::TimeUs now) {
  inspect::JsonObject o;
  o.num("id", c.id)
      .str("state", store::concern_state_name(c.state))
      .str("summary", c.summary)
      .str("raised_by", c.raised_by)
      .num("raised_us", c.raised_us)
      .str("raised", iso_time(c.raised_us))
      .num("updated_us", c.updated_us)
      .str("assigned_to", c.assigned_to)
      .num("person_id", c.person_id)
      .num("device_id", c.device_id);
  if (p) {
    o.str("person_ref", p->reference)
        .str("person_name", p->display_name)
        .boolean("under_18", p->under_18);
  }
  if (c.review_due_us) {
    const ReviewMark mark = review_mark(c, now);
    o.num("review_due_us", *c.review_due_us)
        .str("review_due", iso_time(*c.review_due_us))
        .boolean("review_overdue", mark == ReviewMark::Overdue)
        .boolean("review_due_today", mark == ReviewMark::DueToday);
  }
  if (c.state == S::Closed) o.str("outcome", c.outcome);
  return o;
}

// ---- One concern ----------------------------------------------------------

struct LinkedIncident {
  store::Incident incident;
  std::vector<store::StoredHit> hits;
  bool more_hits = false;
};

struct Detail {
  store::ConcernRecord record;
  std::optional<store::Person> person;
  std::vector<LinkedIncident> incidents;
  FalsePositiveIndex false_positives;
  std::vector<store::User> leads;  // who a concern may be assigned to
};

store::Result<Detail> read_detail(PageContext& ctx, std::int64_t id, std::size_t evidence_hits) {
  Detail d;
  store::Casework& cw = ctx.casework;
  auto rec = cw.read_concern(ctx.user.name, id);
  if (!rec) return rec.error();
  d.record = std::move(*rec);
  store::Reader& reader = cw.reader();
  if (d.record.concern.person_id != 0) {
    auto p = reader.person(d.record.concern.person_id);
    if (!p) return p.error();
    d.person = *p;
  }
  for (const store::Incident& i : d.record.incidents) {
    LinkedIncident li{i, {}, false};
    auto hits = cw.read_incident_hits(ctx.user.name, i.id, 0, evidence_hits + 1);
    if (!hits) return hits.error();
    li.hits = std::move(*hits);
    if (li.hits.size() > evidence_hits) {
      li.hits.resize(evidence_hits);
      li.more_hits = true;
    }
    d.incidents.push_back(std::move(li));
  }
  auto fp = reader.false_positive_counts();
  if (!fp) return fp.error();
  d.false_positives = index_false_positives(*fp);
  auto users = reader.users();
  if (!users) return users.error();
  for (store::User& u : *users)
    if (!u.disabled && (u.role == store::Role::Dsl || u.role == store::Role::DeputyDsl))
      d.leads.push_back(std::move(u));
  return d;
}

std::string_view event_label(const store::ConcernEvent& e) {
  if (e.kind == "raised") return "Raised";
  if (e.kind == "state") return "State changed";
  if (e.kind == "note") return "Note";
  if (e.kind == "assigned") return "Assigned";
  if (e.kind == "review_due") return "Review date set";
  if (e.kind == "incident_linked") return "Incident added";
  if (e.kind == "referral") return "Referral content edited";
  if (e.kind == "escalated") return "Review overdue: passed to the deputy DSL";
  return "Event";
}

// The store writes review dates into event text as microseconds; show them as dates.
std::string readable_event_text(const store::ConcernEvent& e) {
  if (e.kind == "review_due") {
    if (auto t = parse_time(e.text)) return format_time(*t);
    return e.text;
  }
  std::string out;
  std::string_view text = e.text;
  while (!text.empty()) {
    const std::size_t lf = text.find('\n');
    std::string_view line = text.substr(0, lf);
    text = lf == std::string_view::npos ? std::string_view{} : text.substr(lf + 1);
    constexpr std::string_view kDue = "Review due: ";
    if (line.starts_with(kDue)) {
      if (auto t = parse_time(line.substr(kDue.size()))) {
        out += "Review due: " + format_time(*t);
      } else {
        out += line;
      }
    } else {
      out += line;
    }
    if (lf != std::string_view::npos) out += '\n';
  }
  return out;
}

std::string chronology_html(const std::vector<store::ConcernEvent>& events) {
  std::string out =
      "<section aria-labelledby=\"chrono-h\"><h2 id=\"chrono-h\">Chronology</h2>"
      "<p class=\"hint\">Everything that happened, oldest first. Entries cannot be changed or "
      "removed.</p><ol class=\"chronology\">";
  for (const store::ConcernEvent& e : events) {
    out += "<li class=\"event event-" + html::attr(e.kind) + "\"><p class=\"when\">" +
           html::escape(format_time(e.ts_us)) + " &middot; " + html::escape(e.actor) +
           "</p><p class=\"what\"><strong>" + html::escape(event_label(e)) + "</strong>";
    if (!e.from_state.empty() || !e.to_state.empty()) {
      auto from = store::parse_concern_state(e.from_state);
      auto to = store::parse_concern_state(e.to_state);
      out += ": ";
      if (from) out += html::escape(concern_state_label(*from)) + " &rarr; ";
      if (to) out += html::escape(concern_state_label(*to));
    }
    out += "</p>";
    const std::string text = readable_event_text(e);
    if (!text.empty()) out += "<p class=\"text\">" + multiline(text) + "</p>";
    out += "</li>";
  }
  out += "</ol></section>";
  return out;
}

std::string next_steps_html(const store::Concern& c, const Principal& user, store::TimeUs now) {
  std::vector<S> next;
  for (S to : kStates)
    if (store::concern_transition_allowed(c.state, to)) next.push_back(to);
  std::string out =
      "<section class=\"no-print\" aria-labelledby=\"next-h\"><h2 id=\"next-h\">Next step</h2>";
  if (next.empty()) return out + "<p>There is no next step from here.</p></section>";
  const bool can_close = std::find(next.begin(), next.end(), S::Closed) != next.end();
  const bool can_support = std::find(next.begin(), next.end(), S::InternalSupport) != next.end();
  const bool can_emergency = std::find(next.begin(), next.end(), S::Emergency) != next.end();
  out += "<form class=\"steps\" method=\"post\" action=\"" + href(c.id) + "/state\">";
  out += html::csrf_field(user);
  out +=
      "<label for=\"note\">Note for the chronology</label>"
      "<textarea id=\"note\" name=\"note\" rows=\"3\"></textarea>"
      "<p class=\"hint\">A note is needed for no further action, a referral and reopening.</p>";
  if (can_close)
    out +=
        "<label for=\"outcome\">Outcome (needed to close)</label>"
        "<textarea id=\"outcome\" name=\"outcome\" rows=\"2\"></textarea>";
  if (can_support)
    out +=
        "<label for=\"review_due\">Review date for internal support</label>"
        "<input id=\"review_due\" type=\"datetime-local\" name=\"review_due\" value=\"" +
        html::attr(input_time(now + 48 * kHourUs)) +
        "\"><p class=\"hint\">Two days from now unless you change it.</p>";
  if (can_emergency)
    out +=
        "<p class=\"warning\">Emergency means someone may be harmed now. Call 999 first, then "
        "record it here.</p>";
  out += "<div class=\"buttons\">";
  for (S to : next) {
    out += "<button type=\"submit\" name=\"to\" value=\"" +
           std::string(store::concern_state_name(to)) + "\"";
    if (to == S::Emergency) out += " class=\"danger\"";
    out += ">" + html::escape(transition_label(c.state, to)) + "</button>";
  }
  out += "</div></form></section>";
  return out;
}

std::string manage_html(const Detail& d, const Principal& user, store::TimeUs now) {
  const store::Concern& c = d.record.concern;
  const std::string base = href(c.id);
  std::string out = next_steps_html(c, user, now);
  out +=
      "<section class=\"no-print manage\" aria-labelledby=\"manage-h\">"
      "<h2 id=\"manage-h\">Work on this concern</h2><div class=\"choices\">";
  out += "<form class=\"choice\" method=\"post\" action=\"" + base + "/note\">" +
         html::csrf_field(user) +
         "<h3>Add a note</h3><label for=\"note-text\">Note</label>"
         "<textarea id=\"note-text\" name=\"text\" rows=\"3\" required></textarea>"
         "<button type=\"submit\">Add the note</button></form>";
  out += "<form class=\"choice\" method=\"post\" action=\"" + base + "/assign\">" +
         html::csrf_field(user) +
         "<h3>Assign</h3><label for=\"assign-user\">Who is working on it</label>"
         "<select id=\"assign-user\" name=\"user\">";
  for (const store::User& u : d.leads) {
    out += "<option value=\"" + html::attr(u.name) + "\"";
    if (u.name == c.assigned_to) out += " selected";
    out += ">" + html::escape(u.name) + " (" + (u.role == store::Role::Dsl ? "DSL" : "deputy DSL") +
           ")</option>";
  }
  out += "</select><button type=\"submit\">Assign</button></form>";
  if (c.state != S::Closed) {
    out += "<form class=\"choice\" method=\"post\" action=\"" + base + "/review\">" +
           html::csrf_field(user) +
           "<h3>Review date</h3><label for=\"review-date\">Review by</label>"
           "<input id=\"review-date\" type=\"datetime-local\" name=\"review_due\" required "
           "value=\"" +
           html::attr(input_time(c.review_due_us ? *c.review_due_us : now + 48 * kHourUs)) +
           "\"><button type=\"submit\">Set the review date</button></form>";
    out += "<form class=\"choice\" method=\"post\" action=\"" + base + "/link\">" +
           html::csrf_field(user) +
           "<h3>Add an incident</h3><label for=\"incident-id\">Incident number</label>"
           "<input id=\"incident-id\" name=\"incident_id\" inputmode=\"numeric\" "
           "pattern=\"[0-9]+\" required><button type=\"submit\">Add the incident</button>"
           "</form>";
  }
  out += "</div></section>";
  return out;
}

std::string detail_html(const Detail& d, const Principal& user, store::TimeUs now) {
  const store::Concern& c = d.record.concern;
  std::string out;
  if (c.state == S::Emergency) {
    out +=
        "<div class=\"emergency\" role=\"alert\"><p><strong>Call 999 now if anyone is in "
        "immediate danger.</strong></p><p>Then tell the police Prevent team or the local "
        "authority's safeguarding team, and record here what you did.</p></div>";
  }
  out += "<section aria-labelledby=\"summary-h\"><h2 id=\"summary-h\">Summary</h2>";
  out += "<p class=\"text\">" + multiline(c.summary) + "</p><dl class=\"facts\">";
  out += "<dt>State</dt><dd>" + state_badge(c.state) + "</dd>";
  out += "<dt>Raised</dt><dd>" + html::escape(format_time(c.raised_us)) + " by " +
         html::escape(c.raised_by) + "</dd>";
  out += "<dt>Assigned to</dt><dd>" +
         (c.assigned_to.empty() ? std::string("Nobody yet") : html::escape(c.assigned_to)) +
         "</dd>";
  out += "<dt>Review</dt><dd>" + review_html(c, now) + "</dd>";
  if (c.state == S::Closed)
    out += "<dt>Outcome</dt><dd class=\"text\">" + multiline(c.outcome) + "</dd>";
  out += "</dl></section>";

  out += "<section aria-labelledby=\"person-h\"><h2 id=\"person-h\">Person</h2>";
  if (d.person) {
    const store::Person& p = *d.person;
    if (p.under_18)
      out +=
          "<p class=\"u18-note\"><strong>Enhanced handling: under 18.</strong> Follow the "
          "procedures for children; the referral asks what support parents or carers give.</p>";
    out += "<dl class=\"facts\"><dt>Name</dt><dd>" +
           (p.display_name.empty() ? std::string("<span class=\"muted\">Not recorded</span>")
                                   : html::escape(p.display_name)) +
           "</dd><dt>Reference</dt><dd>" + html::escape(p.reference) + "</dd><dt>Kind</dt><dd>" +
           html::escape(p.kind) + "</dd>";
    if (!p.cohort.empty()) out += "<dt>Cohort</dt><dd>" + html::escape(p.cohort) + "</dd>";
    if (!p.group.empty()) out += "<dt>Group</dt><dd>" + html::escape(p.group) + "</dd>";
    out += "</dl><p><a href=\"/incidents?person_id=" + std::to_string(p.id) +
           "\">All incidents for this person</a></p>";
  } else {
    out += "<p class=\"muted\">No person is recorded on this concern.</p>";
  }
  out += "</section>";

  if (allowed(user.role, Capability::ManageConcerns)) out += manage_html(d, user, now);
  if (allowed(user.role, Capability::ExportReferral))
    out += "<p class=\"no-print\"><a class=\"button\" href=\"" + href(c.id) +
           "/referral\">Prevent referral: prepare and print</a></p>";

  out += chronology_html(d.record.events);

  out += "<section aria-labelledby=\"evidence-h\"><h2 id=\"evidence-h\">Linked incidents</h2>";
  if (d.incidents.empty()) out += "<p class=\"muted\">No incidents are linked to this concern.</p>";
  for (const LinkedIncident& li : d.incidents) {
    out += "<article class=\"linked-incident\"><h3><a href=\"/incidents/" +
           std::to_string(li.incident.id) + "\">Incident " + std::to_string(li.incident.id) +
           "</a></h3>";
    out += incident_summary_html(li.incident, false);
    out += hits_table_html(li.hits, &d.false_positives, "Evidence: what was seen");
    if (li.more_hits)
      out += "<p><a href=\"/incidents/" + std::to_string(li.incident.id) +
             "\">See every hit on the incident page</a></p>";
    out += "</article>";
  }
  out += "</section>";
  return out;
}

inspect::JsonObject detail_json(const Detail& d, store::TimeUs now) {
  inspect::JsonObject o;
  o.object("concern", concern_json(d.record.concern, d.person, now));
  if (d.person) {
    const store::Person& p = *d.person;
    inspect::JsonObject person;
    person.num("id", p.id)
        .str("reference", p.reference)
        .str("name", p.display_name)
        .str("kind", p.kind)
        .str("cohort", p.cohort)
        .str("group", p.group)
        .boolean("under_18", p.under_18);
    o.object("person", person);
  }
  std::vector<std::string> next;
  for (S to : kStates)
    if (store::concern_transition_allowed(d.record.concern.state, to))
      next.emplace_back(store::concern_state_name(to));
  o.strings("next_states", next);
  std::vector<inspect::JsonObject> events;
  for (const store::ConcernEvent& e : d.record.events) {
    events.emplace_back()
        .num("id", e.id)
        .num("ts_us", e.ts_us)
        .str("time", iso_time(e.ts_us))
        .str("actor", e.actor)
        .str("kind", e.kind)
        .str("from_state", e.from_state)
        .str("to_state", e.to_state)
        .str("text", e.text);
  }
  o.array("events", events);
  std::vector<inspect::JsonObject> incidents;
  for (const LinkedIncident& li : d.incidents) {
    inspect::JsonObject j = incident_json(li.incident);
    std::vector<inspect::JsonObject> hits;
    for (const store::StoredHit& h : li.hits) hits.push_back(hit_json(h, &d.false_positives));
    j.array("hits", hits).boolean("more_hits", li.more_hits);
    incidents.push_back(std::move(j));
  }
  o.array("incidents", incidents);
  return o;
}

// ---- Changes --------------------------------------------------------------

struct Posted {
  std::int64_t id = 0;
  Fields fields;
};

// The concern id and the posted fields, or the answer refusing them.
std::variant<Posted, Response> posted(const Request& r, PageContext& ctx) {
  auto id = path_id(r);
  if (!id) return error_response(r, 404, "No such concern.");
  std::string error;
  auto fields = post_fields(r, error);
  if (!fields) return form_problem(r, ctx.user, 400, error, href(*id));
  return Posted{*id, std::move(*fields)};
}

Response done(const Request& r, std::int64_t id, std::string_view what) {
  if (r.api) return json_reply(inspect::JsonObject{}.boolean("ok", true).num("id", id));
  return redirect(href(id) + "?done=" + std::string(what));
}

Response change_state(const Request& r, PageContext& ctx) {
  auto p = posted(r, ctx);
  if (auto* refused = std::get_if<Response>(&p)) return std::move(*refused);
  auto& [id, fields] = std::get<Posted>(p);
  const std::string to_text = trim(field(fields, "to").value_or(""));
  auto to = store::parse_concern_state(to_text);
  if (!to) return form_problem(r, ctx.user, 400, "Choose a next step.", href(id));
  std::optional<store::TimeUs> review;
  if (*to == S::InternalSupport) {
    const std::string typed = trim(field(fields, "review_due").value_or(""));
    if (!typed.empty()) {
      review = parse_review_date(typed);
      if (!review)
        return form_problem(r, ctx.user, 400, "The review date is not a date.", href(id));
    }
  }
  const std::string note = trim(field(fields, "note").value_or(""));
  const std::string outcome = trim(field(fields, "outcome").value_or(""));
  if (*to == S::Closed && outcome.empty())
    return form_problem(r, ctx.user, 400, "Record the outcome to close the concern.", href(id));
  if (auto s = ctx.casework.transition_concern(ctx.user.name, id, *to, note, outcome, review); !s)
    return form_store_error(r, ctx.user, s.error(), href(id));
  if (r.api) {
    return json_reply(inspect::JsonObject{}
                          .boolean("ok", true)
                          .num("id", id)
                          .str("state", store::concern_state_name(*to)));
  }
  return redirect(href(id) + "?done=state");
}

Response add_note(const Request& r, PageContext& ctx) {
  auto p = posted(r, ctx);
  if (auto* refused = std::get_if<Response>(&p)) return std::move(*refused);
  auto& [id, fields] = std::get<Posted>(p);
  const std::string text = trim(field(fields, "text").value_or(""));
  if (text.empty()) return form_problem(r, ctx.user, 400, "The note is empty.", href(id));
  if (auto s = ctx.casework.add_note(ctx.user.name, id, text); !s)
    return form_store_error(r, ctx.user, s.error(), href(id));
  return done(r, id, "note");
}

Response assign(const Request& r, PageContext& ctx) {
  auto p = posted(r, ctx);
  if (auto* refused = std::get_if<Response>(&p)) return std::move(*refused);
  auto& [id, fields] = std::get<Posted>(p);
  const std::string user = trim(field(fields, "user").value_or(""));
  if (user.empty()) return form_problem(r, ctx.user, 400, "Choose who to assign it to.", href(id));
  if (auto s = ctx.casework.assign_concern(ctx.user.name, id, user); !s)
    return form_store_error(r, ctx.user, s.error(), href(id));
  return done(r, id, "assigned");
}

Response set_review(const Request& r, PageContext& ctx) {
  auto p = posted(r, ctx);
  if (auto* refused = std::get_if<Response>(&p)) return std::move(*refused);
  auto& [id, fields] = std::get<Posted>(p);
  auto when = parse_review_date(field(fields, "review_due").value_or(""));
  if (!when) return form_problem(r, ctx.user, 400, "The review date is not a date.", href(id));
  if (auto s = ctx.casework.set_review_due(ctx.user.name, id, *when); !s)
    return form_store_error(r, ctx.user, s.error(), href(id));
  return done(r, id, "review");
}

Response link_incident(const Request& r, PageContext& ctx) {
  auto p = posted(r, ctx);
  if (auto* refused = std::get_if<Response>(&p)) return std::move(*refused);
  auto& [id, fields] = std::get<Posted>(p);
  auto incident = parse_id(trim(field(fields, "incident_id").value_or("")));
  if (!incident) return form_problem(r, ctx.user, 400, "Give the incident's number.", href(id));
  if (auto s = ctx.casework.link_incident(ctx.user.name, id, *incident); !s)
    return form_store_error(r, ctx.user, s.error(), href(id));
  return done(r, id, "linked");
}

// ---- Raising a concern (any member of staff) ------------------------------

constexpr std::string_view kDangerNote =
    "<div class=\"emergency\" role=\"note\"><p><strong>If anyone is in immediate danger, call "
    "999 now</strong>, then tell the safeguarding lead in person.</p></div>";

std::string raise_form_html(const Principal& user) {
  std::string out(kDangerNote);
  out +=
      "<p>Use this form to pass a worry about a learner or anyone else to the safeguarding "
      "team. Write what you saw or heard in your own words. You do not need to be sure.</p>"
      "<form class=\"raise\" method=\"post\" action=\"/concerns/new\">";
  out += html::csrf_field(user);
  out +=
      "<label for=\"who\">Who are you worried about?</label>"
      "<input id=\"who\" name=\"who\" autocomplete=\"off\">"
      "<p class=\"hint\">A name, or how you know them (group, course).</p>"
      "<label for=\"person_ref\">Their learner or staff reference, if you know it</label>"
      "<input id=\"person_ref\" name=\"person_ref\" autocomplete=\"off\">"
      "<label for=\"what\">What happened? (required)</label>"
      "<textarea id=\"what\" name=\"what\" rows=\"6\" required></textarea>"
      "<p class=\"hint\">What you saw, heard or were told, and anything said word for word.</p>"
      "<label for=\"when\">When did it happen?</label>"
      "<input id=\"when\" name=\"when\" autocomplete=\"off\">"
      "<div class=\"buttons\"><button type=\"submit\">Send to the safeguarding team</button></div>"
      "</form>";
  return out;
}

std::string compose_summary(const Fields& f) {
  std::string out = trim(field(f, "summary").value_or(""));
  auto add = [&](std::string_view label, std::string_view name) {
    const std::string v = trim(field(f, name).value_or(""));
    if (v.empty()) return;
    if (!out.empty()) out += '\n';
    out += std::string(label) + ": " + v;
  };
  add("What happened", "what");
  add("Who", "who");
  add("When", "when");
  add("Reference given", "person_ref");
  return out;
}

Response raise(const Request& r, PageContext& ctx) {
  std::string error;
  auto fields = post_fields(r, error);
  if (!fields) return form_problem(r, ctx.user, 400, error, "/concerns/new");
  if (trim(field(*fields, "summary").value_or("")).empty() &&
      trim(field(*fields, "what").value_or("")).empty()) {
    return form_problem(r, ctx.user, 400, "Say what happened.", "/concerns/new");
  }
  store::NewConcern nc;
  nc.summary = compose_summary(*fields);
  const std::string ref = trim(field(*fields, "person_ref").value_or(""));
  if (!ref.empty() && ref.size() <= store::kMaxNameBytes) {
    auto p = ctx.casework.reader().person_by_reference(ref);
    if (!p) return form_store_error(r, ctx.user, p.error(), "/concerns/new");
    // A reference that matches no one stays in the summary; whether it
    // matched is not told, so the form cannot be used to look people up.
    if (p->has_value()) nc.person_id = (*p)->id;
  }
  for (std::string_view v : field_values(*fields, "incident_ids")) {
    if (!allowed(ctx.user.role, Capability::TriageIncidents)) return forbidden(r);
    auto id = parse_id(trim(v));
    if (!id)
      return form_problem(r, ctx.user, 400, "incident_ids must be incident numbers.",
                          "/concerns/new");
    nc.incident_ids.push_back(*id);
  }
  if (auto a = field(*fields, "assign_to"); a && !trim(*a).empty()) {
    if (!allowed(ctx.user.role, Capability::ManageConcerns)) return forbidden(r);
    nc.assign_to = trim(*a);
  }
  auto id = ctx.casework.open_concern(ctx.user.name, nc);
  if (!id) return form_store_error(r, ctx.user, id.error(), "/concerns/new");
  if (r.api) {
    return json_reply(
        inspect::JsonObject{}.boolean("ok", true).num("id", *id).str("status", "received"), 201);
  }
  return redirect("/concerns/mine?done=raised");
}

// ---- My concerns: state only ----------------------------------------------

// What the person who raised a concern is told: whether it was received,
// is being dealt with, or is closed. The decision itself (support, a
// referral) is for those who need to know.
std::pair<std::string_view, std::string_view> reporter_status(S state) {
  if (state == S::Raised) return {"received", "Received: waiting for the safeguarding team"};
  if (state == S::Closed) return {"closed", "Closed by the safeguarding team"};
  return {"in_progress", "Being dealt with by the safeguarding team"};
}

store::Result<std::vector<store::Concern>> read_mine(PageContext& ctx) {
  auto list = ctx.casework.reader().concerns_raised_by(ctx.user.name, kListLimit);
  if (!list) return list.error();
  auto a = ctx.casework.audit(ctx.user.name, "concern.list_mine", "concern", 0,
                              std::to_string(list->size()) + " raised by this user");
  if (!a) return a.error();
  return list;
}

std::string mine_html(const std::vector<store::Concern>& list) {
  std::string out =
      "<p>The concerns you raised and where they are. The safeguarding team may not be able to "
      "tell you more; if you have something to add, raise another concern or speak to them.</p>"
      "<p><a class=\"button\" href=\"/concerns/new\">Raise a new concern</a></p>"
      "<div class=\"table-wrap\"><table class=\"mine responsive\"><caption>Concerns you raised"
      "</caption><thead><tr><th scope=\"col\">Raised</th><th scope=\"col\">What you wrote</th>"
      "<th scope=\"col\">Where it is</th></tr></thead><tbody>";
  for (const store::Concern& c : list) {
    out += "<tr><td data-label=\"Raised\">" + html::escape(format_time(c.raised_us)) +
           "</td><td data-label=\"What you wrote\" class=\"text\">" + multiline(c.summary) +
           "</td><td data-label=\"Where it is\">" + html::escape(reporter_status(c.state).second) +
           "</td></tr>";
  }
  if (list.empty()) out += "<tr><td colspan=\"3\">You have not raised any concerns.</td></tr>";
  out += "</tbody></table></div>";
  return out;
}

inspect::JsonObject mine_json(const std::vector<store::Concern>& list) {
  std::vector<inspect::JsonObject> items;
  for (const store::Concern& c : list) {
    auto [status, label] = reporter_status(c.state);
    items.emplace_back()
        .num("id", c.id)
        .num("raised_us", c.raised_us)
        .str("raised", iso_time(c.raised_us))
        .str("summary", c.summary)
        .str("status", status)
        .str("status_label", label);
  }
  inspect::JsonObject o;
  o.array("items", items);
  return o;
}

std::string_view done_message(const Request& r) {
  auto d = r.param("done");
  if (!d) return {};
  if (*d == "opened") return "The concern is open.";
  if (*d == "linked") return "The incident is now part of this concern.";
  if (*d == "state") return "The concern has moved on.";
  if (*d == "note") return "Your note has been added.";
  if (*d == "assigned") return "The concern has been assigned.";
  if (*d == "review") return "The review date has been set.";
  if (*d == "raised") return "Thank you. Your concern has been passed to the safeguarding team.";
  return {};
}

Response page(const Request& r, const Principal& user, std::string title, std::string body,
              std::string_view nav) {
  return page_response(std::move(title), std::move(body), user, nav, std::string(done_message(r)));
}

}  // namespace

std::vector<Route> concern_routes(const PagesOptions& options) {
  using C = Capability;
  std::vector<Route> routes;
  auto list = [options](bool api) {
    return [options, api](const Request& r, PageContext& ctx) {
      const store::TimeUs now = now_us(options);
      std::string error;
      auto q = parse_list_query(r, now, error);
      if (!q) return bad_request(r, error);
      auto rows = read_list(ctx, *q, now);
      if (!rows) return store_error(r, rows.error());
      if (api) {
        std::vector<inspect::JsonObject> items;
        for (const Row& row : *rows) items.push_back(concern_json(row.concern, row.person, now));
        return json_reply(inspect::JsonObject{}.array("items", items));
      }
      return page(r, ctx.user, "Concerns", list_html(*q, *rows, now), "concerns");
    };
  };
  auto detail = [options](bool api) {
    return [options, api](const Request& r, PageContext& ctx) {
      auto id = path_id(r);
      if (!id) return error_response(r, 404, "No such concern.");
      auto d = read_detail(ctx, *id, kEvidenceHits);
      if (!d) return store_error(r, d.error());
      const store::TimeUs now = now_us(options);
      if (api) return json_reply(detail_json(*d, now));
      return page(r, ctx.user, "Concern " + std::to_string(*id), detail_html(*d, ctx.user, now),
                  "concerns");
    };
  };
  auto mine = [](bool api) {
    return [api](const Request& r, PageContext& ctx) {
      auto own = read_mine(ctx);
      if (!own) return store_error(r, own.error());
      if (api) return json_reply(mine_json(*own));
      return page(r, ctx.user, "My concerns", mine_html(*own), "mine");
    };
  };

  routes.push_back(guarded(Method::Get, "/concerns", C::ViewConcerns, list(false)));
  routes.push_back(guarded(
      Method::Get, "/concerns/new", C::RaiseConcern, [](const Request& r, PageContext& ctx) {
        return page(r, ctx.user, "Raise a concern", raise_form_html(ctx.user), "raise");
      }));
  routes.push_back(guarded(Method::Post, "/concerns/new", C::RaiseConcern, raise));
  routes.push_back(guarded(Method::Get, "/concerns/mine", C::ViewOwnConcerns, mine(false)));
  routes.push_back(guarded(Method::Get, "/concerns/{id}", C::ViewConcerns, detail(false)));
  routes.push_back(guarded(Method::Post, "/concerns/{id}/state", C::ManageConcerns, change_state));
  routes.push_back(guarded(Method::Post, "/concerns/{id}/note", C::ManageConcerns, add_note));
  routes.push_back(guarded(Method::Post, "/concerns/{id}/assign", C::ManageConcerns, assign));
  routes.push_back(guarded(Method::Post, "/concerns/{id}/review", C::ManageConcerns, set_review));
  routes.push_back(guarded(Method::Post, "/concerns/{id}/link", C::ManageConcerns, link_incident));

  routes.push_back(guarded(Method::Get, "/api/concerns", C::ViewConcerns, list(true)));
  routes.push_back(guarded(Method::Post, "/api/concerns", C::RaiseConcern, raise));
  routes.push_back(guarded(Method::Get, "/api/concerns/mine", C::ViewOwnConcerns, mine(true)));
  routes.push_back(guarded(Method::Get, "/api/concerns/{id}", C::ViewConcerns, detail(true)));
  routes.push_back(
      guarded(Method::Post, "/api/concerns/{id}/state", C::ManageConcerns, change_state));
  routes.push_back(guarded(Method::Post, "/api/concerns/{id}/note", C::ManageConcerns, add_note));
  routes.push_back(guarded(Method::Post, "/api/concerns/{id}/assign", C::ManageConcerns, assign));
  routes.push_back(
      guarded(Method::Post, "/api/concerns/{id}/review", C::ManageConcerns, set_review));
  routes.push_back(
      guarded(Method::Post, "/api/concerns/{id}/link", C::ManageConcerns, link_incident));
  return routes;
}

}  // namespace vigil::console::pages::safeguarding
