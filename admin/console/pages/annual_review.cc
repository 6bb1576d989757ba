// The annual filtering and monitoring review (DfE filtering and monitoring
// standards, Standard 2): a year of figures from the store and the checks
// log, the coverage statement, and the questions the standard asks, for the
// DSL to answer and the DSL and a senior leader to sign off.
//
// The year is the academic year: /reports/annual/2026 covers 1 August 2025
// 00:00 UTC up to (not including) 1 August 2026 00:00 UTC. The figures are
// read in one snapshot through store::ReportQueries with the monthly
// report's own aggregation (report::MonthHits), so a figure here means what
// it means in the monthly report (admin/report/README.md). Aggregate only:
// nothing that names a learner is read.
//
// Answers and sign-offs live in the settings table, one key each
// ("annual_review.2026.risk_profile", "annual_review.2026.signoff_dsl"):
// a setting value holds at most 16 KiB, which is one answer's bound, and
// Casework::set_setting audits every change (setting.set, with the text).
// One mutex orders the check-then-write of saving and signing, so an answer
// cannot be saved after the second sign-off in another thread.

#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "admin/console/html.h"
#include "admin/console/pages/admin_common.h"
#include "admin/console/pages/pages.h"
#include "admin/console/pages/safeguarding_util.h"
#include "admin/report/coverage.h"
#include "admin/report/month_hits.h"
#include "admin/report/report.h"
#include "inspect/eve_json.h"
#include "store/casework.h"
#include "store/reader.h"
#include "store/report_queries.h"

namespace vigil::console::pages {
namespace {

// Under the store's 16 KiB (kMaxTextBytes): set_setting's audit row holds
// "key = text" within that bound too.
constexpr std::size_t kMaxAnswerBytes = 16'000;
constexpr std::size_t kLatestDecisions = 20;
constexpr int kFirstYear = 2000;
constexpr int kLastYear = 9999;

struct Question {
  std::string_view key;  // the settings key's last part, and the form field
  std::string_view title;
  std::string_view hint;
};

// The questions Standard 2 asks a review to answer.
constexpr std::array<Question, 8> kQuestions{{
    {"risk_profile", "The risk profile of our learners",
     "Ages, SEND, vulnerabilities, and what they mean for filtering and monitoring."},
    {"blocked_allowed", "What is blocked or allowed, and why",
     "The lists and categories in force, the exceptions made, and the reasons for them."},
    {"outside_influences", "Outside safeguarding influences",
     "Local risks: county lines, local extremism, anything the local authority or police have "
     "raised."},
    {"teaching_needs", "Teaching and curriculum needs",
     "Where filtering got in the way of teaching or learning, and what was changed."},
    {"devices", "Devices and who uses them",
     "Which devices are on the network, who uses them, and what Vigil cannot see."},
    {"policies", "Related policies",
     "Safeguarding and child protection, acceptable use, the Prevent risk assessment: are they "
     "consistent with what the system does?"},
    {"checks_actions", "Checks done and actions taken",
     "What the checks log shows, and whether every failed check was acted on."},
    {"next_year", "What will change next year", "Actions, owners and dates."},
}};

struct SignOff {
  std::string name;
  std::string role;
  store::TimeUs time_us = 0;
};

struct ReviewState {
  std::map<std::string, std::string, std::less<>> answers;  // by question key
  std::optional<SignOff> dsl;
  std::optional<SignOff> senior;
  [[nodiscard]] bool frozen() const noexcept { return dsl.has_value() && senior.has_value(); }
};

struct Figures {
  store::ReportRange range;
  bool year_over = true;
  store::HitSplit totals;
  store::HitSplit prevent;
  store::HitSplit circumvention;
  std::vector<report::CategoryRow> categories;  // the Prevent ones first, zeros included
  std::int64_t incidents_opened = 0;
  std::int64_t concerns_raised = 0;
  std::int64_t concern_decisions = 0;
  std::int64_t concerns_closed = 0;
  std::vector<store::Tally> decisions_by_state;  // state changes by the state moved to
  std::vector<store::Tally> closed_from;         // closures by the decision closed from
  std::vector<report::TriageRow> lists;          // false positives per list
  std::int64_t decisions_total = 0;
  std::vector<store::DecisionLogRow> latest_decisions;  // newest first
  std::int64_t checks_total = 0;
  std::vector<store::ChecksLogRow> checks;  // every row of the year, oldest first
  std::int64_t devices_seen = 0;
  std::int64_t devices_attributed = 0;
  report::CoverageStatement statement;
};

struct AnnualShared {
  explicit AnnualShared(PagesOptions o) : options(std::move(o)) {}
  PagesOptions options;
  std::mutex write_mu;  // orders saving answers and signing off

  [[nodiscard]] store::TimeUs now() const {
    if (options.clock) return options.clock();
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

using SharedPtr = std::shared_ptr<AnnualShared>;

// ------------------------------------------------------------------ the year

std::optional<int> request_year(const Request& req) {
  const std::string text = admin::field(req, "year");
  if (text.size() != 4) return std::nullopt;
  int year = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    year = year * 10 + (c - '0');
  }
  if (year < kFirstYear || year > kLastYear) return std::nullopt;
  return year;
}

store::TimeUs first_of_august(int year) {
  using namespace std::chrono;
  const sys_days d{std::chrono::year{year} / August / 1};
  return duration_cast<microseconds>(d.time_since_epoch()).count();
}

// 1 August of the year before, up to 1 August of `year` (UTC).
store::ReportRange academic_year(int year) {
  return {first_of_august(year - 1), first_of_august(year)};
}

// The academic year holding `now_us`, named by the year it ends in.
int academic_year_of(store::TimeUs now_us) {
  const report::Month m = report::month_of(now_us);
  return m.month >= 8 ? m.year + 1 : m.year;
}

std::string year_name(int year) {  // "2025-26"
  const std::string end = std::to_string(year % 100);
  return std::to_string(year - 1) + "-" + (end.size() < 2 ? "0" + end : end);
}

std::string setting_key(int year, std::string_view part) {
  return "annual_review." + std::to_string(year) + "." + std::string(part);
}

// ------------------------------------------------------------------ state

SignOff parse_signoff(const std::string& text) {
  SignOff s;
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  if (o == nullptr) {
    // Still a sign-off: a damaged record must not unfreeze the answers.
    s.name = "(unreadable record)";
    return s;
  }
  if (const auto* n = o->if_contains("name"); n != nullptr && n->is_string()) {
    s.name = std::string(n->as_string());
  }
  if (const auto* r = o->if_contains("role"); r != nullptr && r->is_string()) {
    s.role = std::string(r->as_string());
  }
  if (const auto* t = o->if_contains("time_us"); t != nullptr && t->is_int64()) {
    s.time_us = t->as_int64();
  }
  return s;
}

store::Result<ReviewState> load_state(store::Reader& reader, int year) {
  ReviewState st;
  for (const Question& q : kQuestions) {
    auto v = reader.setting(setting_key(year, q.key));
    if (!v) return v.error();
    if (*v) st.answers.emplace(std::string(q.key), std::move(**v));
  }
  for (auto [part, slot] : {std::pair{"signoff_dsl", &st.dsl}, {"signoff_senior", &st.senior}}) {
    auto v = reader.setting(setting_key(year, part));
    if (!v) return v.error();
    if (*v) *slot = parse_signoff(**v);
  }
  return st;
}

// ------------------------------------------------------------------ figures

store::Result<Figures> read_figures(const AnnualShared& s, store::ReportQueries& q,
                                    store::ReportRange range) {
  Figures f;
  f.range = range;
  const store::TimeUs now = s.now();
  f.year_over = now >= range.to_us;
  const std::vector<std::string>& prevent = report::prevent_categories();

  report::MonthHits hits(range, prevent);
  if (auto st = q.scan_hits(range, [&](const store::HitRow& h) { hits.add(h); }); !st) {
    return st.error();
  }
  f.totals = hits.totals();
  f.prevent = hits.prevent();
  f.circumvention = hits.circumvention();
  f.lists = hits.triage_by_list();

  auto opened = q.incidents_opened_by_category(range);
  if (!opened) return opened.error();
  std::map<std::string, report::CategoryRow, std::less<>> other;
  for (const auto& [category, split] : hits.by_category()) other[category].hits = split;
  for (const store::Tally& t : *opened) {
    other[t.name].incidents_opened = t.count;
    f.incidents_opened += t.count;
  }
  for (const std::string& c : prevent) {
    report::CategoryRow row;
    if (auto it = other.find(c); it != other.end()) {
      row = it->second;
      other.erase(it);
    }
    row.category = c;
    row.prevent = true;
    f.categories.push_back(std::move(row));
  }
  for (auto& [category, row] : other) {
    row.category = category;
    f.categories.push_back(std::move(row));
  }

  auto raised = q.concerns_raised(range);
  if (!raised) return raised.error();
  f.concerns_raised = *raised;
  auto transitions = q.concern_transitions(range, /*with_text=*/false);
  if (!transitions) return transitions.error();
  std::map<std::string, std::int64_t> by_state;
  std::map<std::string, std::int64_t> closed_from;
  for (const store::ConcernTransition& t : *transitions) {
    ++f.concern_decisions;
    ++by_state[t.to_state];
    if (t.to_state == "closed") {
      ++f.concerns_closed;
      ++closed_from[t.from_state];
    }
  }
  for (const auto& [n, c] : by_state) f.decisions_by_state.push_back({n, c});
  for (const auto& [n, c] : closed_from) f.closed_from.push_back({n, c});

  auto decisions = q.count_decisions(range);
  if (!decisions) return decisions.error();
  f.decisions_total = *decisions;
  if (f.decisions_total > 0) {
    // Oldest first from the store: the year's rows, the last ones kept.
    auto rows = q.decisions(range, static_cast<std::size_t>(f.decisions_total));
    if (!rows) return rows.error();
    for (auto it = rows->rbegin();
         it != rows->rend() && f.latest_decisions.size() < kLatestDecisions; ++it) {
      f.latest_decisions.push_back(std::move(*it));
    }
  }
  auto checks = q.count_checks(range);
  if (!checks) return checks.error();
  f.checks_total = *checks;
  if (f.checks_total > 0) {
    auto rows = q.checks(range, static_cast<std::size_t>(f.checks_total));
    if (!rows) return rows.error();
    f.checks = std::move(*rows);
  }

  // Devices as the monthly report counts them: with a hit or in the
  // activity log, and of those, attributed to a person during the year.
  auto active = q.activity_devices(range);
  if (!active) return active.error();
  auto attributed = q.attributed_devices(range);
  if (!attributed) return attributed.error();
  std::set<std::int64_t> seen(hits.devices().begin(), hits.devices().end());
  seen.insert(active->begin(), active->end());
  f.devices_seen = static_cast<std::int64_t>(seen.size());
  for (std::int64_t d : *attributed) f.devices_attributed += seen.contains(d) ? 1 : 0;

  if (s.options.config != nullptr) {
    const report::ListInventory lists =
        report::list_inventory(*s.options.config, now, std::chrono::hours(7 * 24));
    f.statement = report::coverage_statement(*s.options.config, s.options.config_source, &lists);
  } else {
    f.statement = report::coverage_statement(
        config::Config{},
        "defaults (no configuration was given: this describes vigild with every key at its "
        "default)");
  }
  return f;
}

store::Result<Figures> figures(const AnnualShared& s, store::ReportRange range) {
  store::ReportQueriesOptions qo;
  qo.path = s.options.store_path;
  auto q = store::ReportQueries::open(qo);
  if (!q) return q.error();
  if (auto st = (*q)->begin_snapshot(); !st) return st.error();
  auto f = read_figures(s, **q, range);
  (*q)->end_snapshot();
  return f;
}

// ------------------------------------------------------------------ rendering

std::string percent(std::int64_t part, std::int64_t whole) {
  if (whole == 0) return "n/a";
  const long long tenths = (part * 1000 + whole / 2) / whole;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%";
}

std::string cell(std::int64_t n) { return "<td>" + std::to_string(n) + "</td>"; }
std::string cell(std::string_view text) { return "<td>" + html::escape(text) + "</td>"; }

bool edits_answers(store::Role role) { return allowed(role, Capability::ManageConcerns); }

std::string signoff_text(const std::optional<SignOff>& s) {
  if (!s) return "Not signed yet.";
  return "Signed by " + html::escape(s->name) + " (" + html::escape(s->role) + ") on " +
         html::escape(admin::format_time(s->time_us)) + ".";
}

std::string figures_html(const Figures& f) {
  std::string b;
  b += "<h2>The year in figures</h2>";
  b += "<table><tbody>";
  b += "<tr><th>Hits</th>" + cell(f.totals.hits) + "</tr>";
  b += "<tr><th>Blocked</th>" + cell(f.totals.blocked) + "</tr>";
  b += "<tr><th>Flagged</th>" + cell(f.totals.flagged) + "</tr>";
  b += "<tr><th>Logged only</th>" + cell(f.totals.logged) + "</tr>";
  b += "<tr><th>Allowed by an allow entry</th>" + cell(f.totals.allowed) + "</tr>";
  b += "<tr><th>Prevent-category hits</th>" + cell(f.prevent.hits) + "</tr>";
  b += "<tr><th>Circumvention attempts</th>" + cell(f.circumvention.hits) + "</tr>";
  b += "<tr><th>Circumvention attempts blocked</th>" + cell(f.circumvention.blocked) + "</tr>";
  b += "<tr><th>Incidents opened</th>" + cell(f.incidents_opened) + "</tr>";
  b += "</tbody></table>";

  b += "<h3>By category (Prevent categories first)</h3>";
  b += "<table id=\"categories\"><thead><tr><th>Category</th><th>Prevent</th><th>Hits</th>"
       "<th>Blocked</th><th>Flagged</th><th>Allowed</th><th>Incidents opened</th></tr></thead>"
       "<tbody>";
  for (const report::CategoryRow& c : f.categories) {
    b += "<tr>" + cell(c.category) + cell(c.prevent ? "yes" : "") + cell(c.hits.hits) +
         cell(c.hits.blocked) + cell(c.hits.flagged) + cell(c.hits.allowed) +
         cell(c.incidents_opened) + "</tr>";
  }
  b += "</tbody></table>";

  b += "<h3>Concerns</h3><table><tbody>";
  b += "<tr><th>Raised</th>" + cell(f.concerns_raised) + "</tr>";
  b += "<tr><th>Decisions (state changes)</th>" + cell(f.concern_decisions) + "</tr>";
  b += "<tr><th>Closed</th>" + cell(f.concerns_closed) + "</tr>";
  b += "</tbody></table>";
  if (!f.decisions_by_state.empty()) {
    b += "<table><thead><tr><th>Moved to</th><th>Times</th></tr></thead><tbody>";
    for (const store::Tally& t : f.decisions_by_state) {
      b += "<tr>" + cell(t.name) + cell(t.count) + "</tr>";
    }
    b += "</tbody></table>";
  }
  if (!f.closed_from.empty()) {
    b += "<table><thead><tr><th>Closed after</th><th>Concerns</th></tr></thead><tbody>";
    for (const store::Tally& t : f.closed_from)
      b += "<tr>" + cell(t.name) + cell(t.count) + "</tr>";
    b += "</tbody></table>";
  }

  b += "<h3>False positives per list</h3>";
  if (f.lists.empty()) {
    b += "<p>No hit led to an incident this year.</p>";
  } else {
    b += "<p class=\"hint\">Incidents a DSL dismissed as a false positive, over the incidents "
         "the list's hits were in.</p><table><thead><tr><th>List</th><th>Hits</th>"
         "<th>Incidents</th><th>Dismissed</th><th>False-positive rate</th></tr></thead><tbody>";
    for (const report::TriageRow& t : f.lists) {
      b += "<tr>" + cell(t.list) + cell(t.hits) + cell(t.incidents) + cell(t.dismissed) +
           cell(percent(t.dismissed, t.incidents)) + "</tr>";
    }
    b += "</tbody></table>";
  }

  b += "<h3>Devices</h3><table><tbody>";
  b += "<tr><th>Devices seen</th>" + cell(f.devices_seen) + "</tr>";
  b += "<tr><th>Attributed to a person</th>" + cell(f.devices_attributed) + "</tr>";
  b += "<tr><th>Attribution share</th>" + cell(percent(f.devices_attributed, f.devices_seen)) +
       "</tr>";
  b += "</tbody></table>";

  b += "<h3>Decision log</h3><p>" + std::to_string(f.decisions_total) +
       " entries this year; the latest " + std::to_string(f.latest_decisions.size()) +
       " below. The full log is at <a href=\"/decisions\">Decision log</a>.</p>";
  if (!f.latest_decisions.empty()) {
    b += "<table><thead><tr><th>When</th><th>Who</th><th>Change</th><th>Target</th><th>List</th>"
         "<th>Reason</th></tr></thead><tbody>";
    for (const store::DecisionLogRow& d : f.latest_decisions) {
      b += "<tr>" + cell(admin::format_time(d.ts_us)) + cell(d.actor) + cell(d.change) +
           cell(d.target) + cell(d.list) + cell(d.reason) + "</tr>";
    }
    b += "</tbody></table>";
  }

  b += "<h3>Checks log</h3><p>" + std::to_string(f.checks_total) + " checks this year.</p>";
  if (f.checks.empty()) {
    b += "<p>No check was recorded this year: the standard asks for at least one a year, and "
         "whenever something changes.</p>";
  } else {
    b += "<table id=\"checks\"><thead><tr><th>When</th><th>Who</th><th>What was tested</th>"
         "<th>Result</th><th>Action</th></tr></thead><tbody>";
    for (const store::ChecksLogRow& c : f.checks) {
      b += "<tr>" + cell(admin::format_time(c.ts_us)) + cell(c.actor) + "<td>" +
           safeguarding::multiline(c.what) + "</td>" + cell(c.result) + "<td>" +
           safeguarding::multiline(c.action) + "</td></tr>";
    }
    b += "</tbody></table>";
  }

  b += "<h3>What Vigil can and cannot see</h3><p class=\"hint\">Generated from " +
       html::escape(f.statement.source) +
       ".</p><table><thead><tr><th>Topic</th><th>Status</th>"
       "<th>Statement</th></tr></thead><tbody>";
  for (const report::CoverageItem& i : f.statement.items) {
    b += "<tr>" + cell(i.topic) + cell(i.status) + cell(i.text) + "</tr>";
  }
  b += "</tbody></table>";
  return b;
}

std::string review_html(int year, const Figures& f, const ReviewState& st, PageContext& ctx) {
  std::string b;
  b += "<p>The annual review of filtering and monitoring (DfE filtering and monitoring "
       "standards, Standard 2) for the academic year " +
       html::escape(year_name(year)) + ": 1 August " + std::to_string(year - 1) + " to 31 July " +
       std::to_string(year) +
       " (UTC). The figures are filled in from the store and the checks log; the DSL answers "
       "the questions, then the DSL and a senior leader sign it off. It names no learner.</p>";
  if (!f.year_over) {
    b += "<p class=\"hint\">The year is not over: the figures are those recorded so far.</p>";
  }
  b += figures_html(f);

  b += "<h2>The review</h2>";
  const bool editable = edits_answers(ctx.user.role) && !st.frozen();
  if (st.frozen()) {
    b += "<p>Signed off by both: the answers can no longer be changed.</p>";
  }
  const std::string action = "/reports/annual/" + std::to_string(year);
  if (editable) b += admin::form_open(ctx, action, "stack");
  for (const Question& q : kQuestions) {
    const auto it = st.answers.find(q.key);
    const std::string answer = it == st.answers.end() ? std::string{} : it->second;
    b += "<h3>" + html::escape(q.title) + "</h3><p class=\"hint\">" + html::escape(q.hint) + "</p>";
    if (editable) {
      b += "<textarea name=\"" + html::attr(q.key) + "\" aria-label=\"" + html::attr(q.title) +
           "\" rows=\"6\" maxlength=\"" + std::to_string(kMaxAnswerBytes) + "\">" +
           safeguarding::textarea_text(answer) + "</textarea>";
    } else if (answer.empty()) {
      b += "<p>Not answered yet.</p>";
    } else {
      b += "<p class=\"answer\">" + safeguarding::multiline(answer) + "</p>";
    }
  }
  if (editable) b += "<button type=\"submit\">Save the answers</button></form>";

  b += "<h2>Sign-off</h2><table><tbody>";
  b += "<tr><th>Designated Safeguarding Lead</th><td>" + signoff_text(st.dsl) + "</td></tr>";
  b += "<tr><th>Senior leader</th><td>" + signoff_text(st.senior) + "</td></tr>";
  b += "</tbody></table>";
  const store::Role role = ctx.user.role;
  const bool as_dsl = role == store::Role::Dsl || role == store::Role::DeputyDsl;
  const bool as_senior = role == store::Role::Auditor;
  if ((as_dsl && !st.dsl) || (as_senior && !st.senior)) {
    b += admin::form_open(ctx, action + "/signoff") + "<button type=\"submit\">Sign off as " +
         std::string(as_dsl ? "the DSL" : "the senior leader") + "</button></form>";
  }
  return b;
}

inspect::JsonObject signoff_json(const SignOff& s) {
  inspect::JsonObject o;
  o.str("name", s.name).str("role", s.role).str("time", admin::iso_time(s.time_us));
  return o;
}

std::string review_json(int year, const Figures& f, const ReviewState& st) {
  auto split = [](const store::HitSplit& h) {
    inspect::JsonObject o;
    o.num("hits", h.hits)
        .num("blocked", h.blocked)
        .num("flagged", h.flagged)
        .num("logged", h.logged)
        .num("allowed", h.allowed);
    return o;
  };
  auto tallies = [](const std::vector<store::Tally>& ts) {
    std::vector<inspect::JsonObject> out;
    for (const store::Tally& t : ts) {
      inspect::JsonObject o;
      o.str("name", t.name).num("count", t.count);
      out.push_back(std::move(o));
    }
    return out;
  };
  inspect::JsonObject period;
  period.str("academic_year", year_name(year))
      .str("from", admin::iso_time(f.range.from_us))
      .str("to", admin::iso_time(f.range.to_us))
      .boolean("over", f.year_over);

  std::vector<inspect::JsonObject> categories;
  for (const report::CategoryRow& c : f.categories) {
    inspect::JsonObject o = split(c.hits);
    o.str("category", c.category)
        .boolean("prevent", c.prevent)
        .num("incidents_opened", c.incidents_opened);
    categories.push_back(std::move(o));
  }
  inspect::JsonObject concerns;
  concerns.num("raised", f.concerns_raised)
      .num("decisions", f.concern_decisions)
      .num("closed", f.concerns_closed)
      .array("decisions_by_state", tallies(f.decisions_by_state))
      .array("closed_from", tallies(f.closed_from));
  std::vector<inspect::JsonObject> lists;
  for (const report::TriageRow& t : f.lists) {
    inspect::JsonObject o;
    o.str("list", t.list)
        .num("hits", t.hits)
        .num("incidents", t.incidents)
        .num("dismissed", t.dismissed);
    lists.push_back(std::move(o));
  }
  std::vector<inspect::JsonObject> decisions;
  for (const store::DecisionLogRow& d : f.latest_decisions) {
    inspect::JsonObject o;
    o.num("id", d.id)
        .str("time", admin::iso_time(d.ts_us))
        .str("actor", d.actor)
        .str("change", d.change)
        .str("target", d.target)
        .str("list", d.list)
        .str("reason", d.reason);
    decisions.push_back(std::move(o));
  }
  std::vector<inspect::JsonObject> checks;
  for (const store::ChecksLogRow& c : f.checks) {
    inspect::JsonObject o;
    o.num("id", c.id)
        .str("time", admin::iso_time(c.ts_us))
        .str("actor", c.actor)
        .str("what", c.what)
        .str("result", c.result)
        .str("action", c.action);
    checks.push_back(std::move(o));
  }
  inspect::JsonObject devices;
  devices.num("seen", f.devices_seen).num("attributed", f.devices_attributed);
  std::vector<inspect::JsonObject> coverage_items;
  for (const report::CoverageItem& i : f.statement.items) {
    inspect::JsonObject o;
    o.str("topic", i.topic).str("status", i.status).str("text", i.text);
    coverage_items.push_back(std::move(o));
  }
  inspect::JsonObject coverage;
  coverage.str("source", f.statement.source)
      .str("text", f.statement.text())
      .array("items", coverage_items);
  std::vector<inspect::JsonObject> questions;
  for (const Question& q : kQuestions) {
    const auto it = st.answers.find(q.key);
    inspect::JsonObject o;
    o.str("key", q.key)
        .str("question", q.title)
        .str("answer", it == st.answers.end() ? std::string_view{} : std::string_view{it->second});
    questions.push_back(std::move(o));
  }
  inspect::JsonObject signoffs;
  if (st.dsl) signoffs.object("dsl", signoff_json(*st.dsl));
  if (st.senior) signoffs.object("senior_leader", signoff_json(*st.senior));

  inspect::JsonObject o;
  o.num("year", static_cast<std::int64_t>(year))
      .object("period", period)
      .object("totals", split(f.totals))
      .object("prevent", split(f.prevent))
      .object("circumvention", split(f.circumvention))
      .num("incidents_opened", f.incidents_opened)
      .array("categories", categories)
      .object("concerns", concerns)
      .array("false_positives_by_list", lists)
      .num("decisions_total", f.decisions_total)
      .array("latest_decisions", decisions)
      .num("checks_total", f.checks_total)
      .array("checks", checks)
      .object("devices", devices)
      .object("coverage", coverage)
      .array("questions", questions)
      .object("signoffs", signoffs)
      .boolean("frozen", st.frozen());
  return o.text();
}

// ------------------------------------------------------------------ handlers

// The year of the request, when it is a year whose review exists (started).
std::optional<int> review_year(const SharedPtr& s, const Request& req) {
  const auto year = request_year(req);
  if (!year || academic_year(*year).from_us > s->now()) return std::nullopt;
  return year;
}

Response view(const SharedPtr& s, const Request& req, PageContext& ctx, std::string_view flash = {},
              int status = 200) {
  const auto year = review_year(s, req);
  if (!year) return error_response(req, 404, "There is no review for that year.");
  auto f = figures(*s, academic_year(*year));
  if (!f) return admin::store_failure(req, f.error());
  auto st = load_state(ctx.casework.reader(), *year);
  if (!st) return admin::store_failure(req, st.error());
  if (req.api) {
    Response r = json_response(review_json(*year, *f, *st));
    r.status = status;
    return r;
  }
  return admin::page(ctx, "Annual review " + year_name(*year), review_html(*year, *f, *st, ctx),
                     "reports", flash, status);
}

// Line breaks as "\n"; nullopt with the reason when the text is refused.
std::optional<std::string> answer_problem(std::string& text, std::string_view title) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      continue;
    }
    out += text[i];
  }
  text = std::move(out);
  const std::string what = "The answer to \"" + std::string(title) + "\"";
  if (text.size() > kMaxAnswerBytes) {
    return what + " is longer than " + std::to_string(kMaxAnswerBytes) + " bytes";
  }
  if (!admin::valid_utf8(text)) return what + " is not valid UTF-8";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) return what + " holds a control character";
  }
  return std::nullopt;
}

const std::string* form_value(const Request& req, std::string_view name) {
  for (const auto& [k, v] : req.form) {
    if (k == name) return &v;
  }
  return nullptr;
}

Response save(const SharedPtr& s, const Request& req, PageContext& ctx) {
  const auto year = review_year(s, req);
  if (!year) return error_response(req, 404, "There is no review for that year.");
  // Every answer checked before any is written.
  std::vector<std::pair<const Question*, std::string>> sent;
  for (const Question& q : kQuestions) {
    const std::string* v = form_value(req, q.key);
    if (v == nullptr) continue;  // not sent: kept as it is
    std::string text = *v;
    if (auto problem = answer_problem(text, q.title)) {
      return view(s, req, ctx, *problem + ". Nothing was saved.", 400);
    }
    sent.emplace_back(&q, std::move(text));
  }
  std::lock_guard lock(s->write_mu);
  auto st = load_state(ctx.casework.reader(), *year);
  if (!st) return admin::store_failure(req, st.error());
  if (st->frozen()) {
    return error_response(req, 409,
                          "The review was signed off by the DSL and a senior leader: its answers "
                          "can no longer be changed.");
  }
  for (const auto& [q, text] : sent) {
    const auto it = st->answers.find(q->key);
    if (it != st->answers.end() ? it->second == text : text.empty()) continue;
    if (auto w = ctx.casework.set_setting(ctx.user.name, setting_key(*year, q->key), text); !w) {
      return admin::store_failure(req, w.error());
    }
  }
  return redirect("/reports/annual/" + std::to_string(*year));
}

Response signoff(const SharedPtr& s, const Request& req, PageContext& ctx) {
  const auto year = review_year(s, req);
  if (!year) return error_response(req, 404, "There is no review for that year.");
  const store::Role role = ctx.user.role;
  std::string_view part;
  if (role == store::Role::Dsl || role == store::Role::DeputyDsl) {
    part = "signoff_dsl";
  } else if (role == store::Role::Auditor) {
    part = "signoff_senior";
  } else {
    return error_response(req, 403,
                          "The review is signed off by the DSL (or deputy) and by a senior "
                          "leader (the auditor role).");
  }
  std::lock_guard lock(s->write_mu);
  auto st = load_state(ctx.casework.reader(), *year);
  if (!st) return admin::store_failure(req, st.error());
  if (part == "signoff_dsl" ? st->dsl.has_value() : st->senior.has_value()) {
    return error_response(req, 409, "This review has already been signed off in that role.");
  }
  inspect::JsonObject record;
  record.str("name", ctx.user.name)
      .str("role", store::role_name(role))
      .num("time_us", static_cast<std::int64_t>(s->now()));
  if (auto w = ctx.casework.set_setting(ctx.user.name, setting_key(*year, part), record.text());
      !w) {
    return admin::store_failure(req, w.error());
  }
  return redirect("/reports/annual/" + std::to_string(*year));
}

}  // namespace

std::vector<Route> annual_review_routes(const PagesOptions& options) {
  auto s = std::make_shared<AnnualShared>(options);
  // Before report_routes(): "/reports/{month}/{file}" would take these paths.
  return {
      {Method::Get, "/reports/annual", Capability::ViewReports,
       [s](const Request&, PageContext&) {
         return redirect("/reports/annual/" + std::to_string(academic_year_of(s->now())));
       }},
      {Method::Get, "/reports/annual/{year}", Capability::ViewReports,
       [s](const Request& r, PageContext& c) { return view(s, r, c); }},
      {Method::Get, "/api/reports/annual/{year}", Capability::ViewReports,
       [s](const Request& r, PageContext& c) { return view(s, r, c); }},
      {Method::Post, "/reports/annual/{year}", Capability::ManageConcerns,
       admin::with_fields([s](const Request& r, PageContext& c) { return save(s, r, c); })},
      {Method::Post, "/reports/annual/{year}/signoff", Capability::ViewReports,
       admin::with_fields([s](const Request& r, PageContext& c) { return signoff(s, r, c); })},
  };
}

}  // namespace vigil::console::pages
