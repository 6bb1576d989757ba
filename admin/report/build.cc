// build_monthly(): the month read from the store into the report's model.

#include <time.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "admin/report/month_hits.h"
#include "admin/report/report.h"
#include "rules/taxonomy.h"

namespace vigil::report {
namespace {

constexpr double kUsPerHour = 3'600'000'000.0;

// Every concern state, in the order of the procedure.
constexpr std::array<store::ConcernState, 7> kStates = {
    store::ConcernState::Raised,          store::ConcernState::UnderReview,
    store::ConcernState::NoFurtherAction, store::ConcernState::InternalSupport,
    store::ConcernState::Referred,        store::ConcernState::Emergency,
    store::ConcernState::Closed,
};

store::TimeUs system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

// Ends the read snapshot however build_monthly() returns.
class Snapshot {
 public:
  explicit Snapshot(store::ReportQueries& q) : q_(q) {}
  ~Snapshot() { q_.end_snapshot(); }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

 private:
  store::ReportQueries& q_;
};

std::vector<store::Tally> tally_states(const std::map<std::string, std::int64_t>& counts,
                                       bool include_raised) {
  std::vector<store::Tally> out;
  for (store::ConcernState s : kStates) {
    if (s == store::ConcernState::Raised && !include_raised) continue;
    const std::string name(store::concern_state_name(s));
    auto it = counts.find(name);
    out.push_back({name, it == counts.end() ? 0 : it->second});
  }
  // A state this code does not know (a newer store) is still counted.
  for (const auto& [name, n] : counts) {
    if (!store::parse_concern_state(name)) out.push_back({name, n});
  }
  return out;
}

}  // namespace

std::string_view audience_name(Audience a) noexcept {
  return a == Audience::Named ? "named" : "aggregate";
}

std::optional<Audience> parse_audience(std::string_view s) noexcept {
  if (s == "aggregate") return Audience::Aggregate;
  if (s == "named") return Audience::Named;
  return std::nullopt;
}

std::optional<Month> parse_month(std::string_view t) noexcept {
  if (t.size() != 7 || t[4] != '-') return std::nullopt;
  int year = 0;
  unsigned month = 0;
  for (std::size_t i = 0; i < 7; ++i) {
    if (i == 4) continue;
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
    if (i < 4) {
      year = year * 10 + (t[i] - '0');
    } else {
      month = month * 10 + static_cast<unsigned>(t[i] - '0');
    }
  }
  if (year < 2000 || month < 1 || month > 12) return std::nullopt;
  return Month{year, month};
}

std::string month_text(Month m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", m.year, m.month);
  return buf;
}

Month previous_month(Month m) noexcept {
  return m.month == 1 ? Month{m.year - 1, 12} : Month{m.year, m.month - 1};
}

Month month_of(store::TimeUs us) noexcept {
  using namespace std::chrono;
  const sys_days d = floor<days>(sys_time<microseconds>(microseconds(us)));
  const year_month_day ymd{d};
  return Month{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month())};
}

store::ReportRange month_range(Month m) noexcept {
  using namespace std::chrono;
  const year_month first = year(m.year) / month(m.month);
  const year_month next = first + months(1);
  auto us = [](year_month ym) {
    return duration_cast<microseconds>(sys_days(ym / 1).time_since_epoch()).count();
  };
  return {us(first), us(next)};
}

const std::vector<std::string>& prevent_categories() {
  static const std::vector<std::string> kPrevent = [] {
    std::vector<std::string> v;
    for (rules::Category c :
         {rules::Category::Extremism, rules::Category::Terrorism, rules::Category::HateSpeech,
          rules::Category::Discrimination, rules::Category::Violence}) {
      v.emplace_back(rules::category_name(c));
    }
    return v;
  }();
  return kPrevent;
}

std::string format_utc_minute(store::TimeUs us) {
  const time_t secs = static_cast<time_t>(us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &t);
  return buf;
}

std::string format_utc_iso(store::TimeUs us) {
  const std::int64_t micros = ((us % 1'000'000) + 1'000'000) % 1'000'000;
  const time_t secs = static_cast<time_t>((us - micros) / 1'000'000);
  tm t{};
  gmtime_r(&secs, &t);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s.%06lldZ", date, static_cast<long long>(micros));
  return buf;
}

bool MonthlyReport::empty() const noexcept {
  return totals.hits == 0 && incidents_opened == 0 && concerns.raised == 0 &&
         concerns.decisions == 0 && decisions_total == 0 && checks_total == 0;
}

store::Result<MonthlyReport> build_monthly(store::ReportQueries& q, Month month,
                                           const ReportOptions& options) {
  if (options.trend_months < 1 || options.trend_months > 36) {
    return store::Error{store::ErrorCode::Invalid, "report: trend_months must be 1..36"};
  }
  MonthlyReport m;
  m.month = month;
  m.range = month_range(month);
  m.generated_us = options.generated_us != 0 ? options.generated_us : system_now_us();
  m.audience = options.audience;
  m.options = options;
  m.options.config = nullptr;
  m.options.generated_us = m.generated_us;
  const store::ReportRange r = m.range;
  const std::vector<std::string>& prevent = prevent_categories();

  if (auto s = q.begin_snapshot(); !s) return s.error();
  Snapshot snapshot(q);

  // The month's hits, in one pass.
  MonthHits hits(r, prevent);
  if (auto s = q.scan_hits(r, [&](const store::HitRow& h) { hits.add(h); }); !s) {
    return s.error();
  }
  m.totals = hits.totals();
  m.prevent = hits.prevent();
  m.circumvention_totals = hits.circumvention();

  // Coverage.
  auto activity_devices = q.activity_devices(r);
  if (!activity_devices) return activity_devices.error();
  auto attributed = q.attributed_devices(r);
  if (!attributed) return attributed.error();
  {
    std::unordered_set<std::int64_t> seen = hits.devices();
    seen.insert(activity_devices->begin(), activity_devices->end());
    m.devices.with_hits = static_cast<std::int64_t>(hits.devices().size());
    m.devices.in_activity = static_cast<std::int64_t>(activity_devices->size());
    m.devices.seen = static_cast<std::int64_t>(seen.size());
    for (std::int64_t d : *attributed) {
      if (seen.count(d) != 0) ++m.devices.attributed;
    }
  }
  // Recording is judged up to now for a month not yet over.
  auto activity = q.activity({r.from_us, std::min(r.to_us, std::max(r.from_us, m.generated_us))});
  if (!activity) return activity.error();
  m.activity = *activity;
  auto capture_starts = q.capture_health_starts();
  if (!capture_starts) return capture_starts.error();
  m.capture_to_us = std::min(r.to_us, std::max(r.from_us, m.generated_us));
  m.capture_from_us = std::min(m.capture_to_us, std::max(r.from_us, capture_starts->value_or(0)));
  {
    store::CaptureHealthTally tally({m.capture_from_us, m.capture_to_us});
    if (auto s = q.scan_capture_health({m.capture_from_us, m.capture_to_us},
                                       [&](const store::CaptureHealthSample& h) { tally.add(h); });
        !s) {
      return s.error();
    }
    m.capture = tally.finish();
  }
  auto rule_sets = q.rule_sets(r);
  if (!rule_sets) return rule_sets.error();
  m.rule_sets = std::move(*rule_sets);
  for (const store::RuleSetLoad& rs : m.rule_sets) {
    if (rs.loaded_us < r.from_us) continue;
    ++m.rule_set_loads;
    if (rs.loaded_by == "vigild (start)") ++m.vigild_starts;
  }
  if (options.config != nullptr) {
    m.lists = list_inventory(*options.config, m.generated_us, options.statutory_max_age);
    m.statement = coverage_statement(*options.config, options.config_source, &*m.lists);
  } else {
    m.statement =
        coverage_statement(config::Config{},
                           "defaults (no configuration was given: this describes vigild with "
                           "every key at its default)");
  }

  // Activity by category.
  auto opened = q.incidents_opened_by_category(r);
  if (!opened) return opened.error();
  std::map<std::string, CategoryRow> rows;
  for (const auto& [category, split] : hits.by_category()) rows[category].hits = split;
  for (const store::Tally& t : *opened) {
    rows[t.name].incidents_opened = t.count;
    m.incidents_opened += t.count;
  }
  for (auto& [name, row] : rows) {
    row.category = name;
    row.prevent = std::find(prevent.begin(), prevent.end(), name) != prevent.end();
    if (row.prevent) m.prevent_incidents_opened += row.incidents_opened;
    m.categories.push_back(row);
  }
  std::stable_sort(
      m.categories.begin(), m.categories.end(),
      [](const CategoryRow& a, const CategoryRow& b) { return a.hits.hits > b.hits.hits; });
  for (const std::string& p : prevent) {
    auto it = rows.find(p);
    CategoryRow row = it != rows.end() ? it->second : CategoryRow{p, true, {}, 0};
    m.prevent_rows.push_back(row);
  }

  // Trend: this month and the ones before it.
  Month tm = month;
  for (int i = 1; i < options.trend_months; ++i) tm = previous_month(tm);
  for (int i = 0; i < options.trend_months;
       ++i, tm = Month{tm.month == 12 ? tm.year + 1 : tm.year, tm.month == 12 ? 1 : tm.month + 1}) {
    TrendRow t;
    t.month = tm;
    const store::ReportRange tr = month_range(tm);
    if (tm == month) {
      t.hits = m.totals;
      t.prevent_hits = m.prevent.hits;
      t.circumvention_hits = m.circumvention_totals.hits;
      t.incidents_opened = m.incidents_opened;
    } else {
      auto counts = q.trend_counts(tr, prevent);
      if (!counts) return counts.error();
      t.hits = counts->hits;
      t.prevent_hits = counts->group_hits;
      t.circumvention_hits = counts->circumvention_hits;
      auto inc = q.incidents_opened(tr);
      if (!inc) return inc.error();
      t.incidents_opened = *inc;
    }
    auto raised = q.concerns_raised(tr);
    if (!raised) return raised.error();
    t.concerns_raised = *raised;
    m.trend.push_back(t);
  }

  m.days = hits.days();
  m.top_domains = hits.top_domains(options.top_domains, m.host_hits);
  m.circumvention = hits.circumvention_methods();

  // Concerns.
  auto raised = q.concerns_raised(r);
  if (!raised) return raised.error();
  m.concerns.raised = *raised;
  auto as_of = q.concerns_as_of(r.to_us);
  if (!as_of) return as_of.error();
  auto transitions = q.concern_transitions(r, options.audience == Audience::Named);
  if (!transitions) return transitions.error();
  std::map<std::string, std::int64_t> at_end;
  std::vector<double> triage_hours;
  for (const store::ConcernAsOf& c : *as_of) {
    ++at_end[c.state];
    if (c.state != "closed") ++m.concerns.open_at_end;
    if (!c.first_decision_us || *c.first_decision_us >= r.to_us) {
      ++m.concerns.awaiting_triage_at_end;
    } else if (*c.first_decision_us >= r.from_us) {
      ++m.concerns.triaged;
      triage_hours.push_back(static_cast<double>(*c.first_decision_us - c.raised_us) / kUsPerHour);
    }
    if (c.state == "internal_support") {
      if (!c.review_due_us) {
        ++m.concerns.review_date_unknown_at_end;
      } else if (*c.review_due_us < r.to_us) {
        ++m.concerns.reviews_overdue_at_end;
      }
    }
  }
  m.concerns.median_triage_hours = median(std::move(triage_hours));
  std::map<std::string, std::int64_t> to_state;
  std::map<std::string, std::int64_t> closed_from;
  for (const store::ConcernTransition& t : *transitions) {
    ++m.concerns.decisions;
    ++to_state[t.to_state];
    if (t.to_state == "closed") {
      ++m.concerns.closed;
      ++closed_from[t.from_state];
    }
    if (t.from_state == "closed") ++m.concerns.reopened;
  }
  m.concern_states_at_end = tally_states(at_end, true);
  m.decisions_by_state = tally_states(to_state, false);
  for (const store::Tally& t : tally_states(closed_from, true)) {
    if (t.name != "closed") m.closed_from.push_back(t);
  }

  // False positives, decision and checks logs, audit chain.
  m.false_positives_by_list = hits.triage_by_list();
  m.false_positives_by_entry = hits.triage_by_entry(options.top_entries);
  auto decisions_total = q.count_decisions(r);
  if (!decisions_total) return decisions_total.error();
  m.decisions_total = *decisions_total;
  auto decisions = q.decisions(r, options.max_log_rows);
  if (!decisions) return decisions.error();
  m.decisions = std::move(*decisions);
  auto checks_total = q.count_checks(r);
  if (!checks_total) return checks_total.error();
  m.checks_total = *checks_total;
  auto results = q.check_results(r);
  if (!results) return results.error();
  for (const char* name : {"pass", "fail", "partial"}) {
    auto it = std::find_if(results->begin(), results->end(),
                           [&](const store::Tally& t) { return t.name == name; });
    m.check_results.push_back({name, it == results->end() ? 0 : it->count});
  }
  auto checks = q.checks(r, options.max_log_rows);
  if (!checks) return checks.error();
  m.checks = std::move(*checks);
  auto audit = q.verify_audit();
  if (!audit) return audit.error();
  m.audit = *audit;

  if (options.audience != Audience::Named) return m;

  // Named sections: only ever read for a dsl or deputy_dsl audience.
  auto opened_by_person = q.incidents_opened_by_person(r);
  if (!opened_by_person) return opened_by_person.error();
  std::map<std::int64_t, PersonRow> people;
  for (const auto& [id, c] : hits.people()) {
    PersonRow& p = people[id];
    p.hits = c.hits;
    p.prevent_hits = c.prevent;
    p.danger_hits = c.danger;
  }
  for (const auto& [id, n] : *opened_by_person) people[id].incidents_opened = n;
  for (auto& [id, p] : people) {
    auto person = q.person(id);
    if (!person) return person.error();
    p.person_id = id;
    if (*person) {
      p.reference = (*person)->reference;
      p.display_name = (*person)->display_name;
      p.kind = (*person)->kind;
      p.cohort = (*person)->cohort;
      p.group = (*person)->group;
      p.under_18 = (*person)->under_18;
    }
    m.people.push_back(p);
  }
  // Most incidents opened, then most hits; ties by reference.
  std::sort(m.people.begin(), m.people.end(), [](const PersonRow& a, const PersonRow& b) {
    return std::tie(b.incidents_opened, b.hits, a.reference) <
           std::tie(a.incidents_opened, a.hits, b.reference);
  });
  if (m.people.size() > options.top_people) m.people.resize(options.top_people);
  std::map<std::int64_t, PersonConcernsRow> per_person;
  for (const store::ConcernAsOf& c : *as_of) {
    if (c.person_id == 0) continue;
    PersonConcernsRow& p = per_person[c.person_id];
    if (c.raised_us >= r.from_us) ++p.raised;
    if (c.state != "closed") ++p.open_at_end;
  }
  for (const store::ConcernTransition& t : *transitions) {
    if (t.person_id != 0 && t.to_state == "closed") ++per_person[t.person_id].closed;
  }
  std::map<std::int64_t, std::string> refs;
  for (auto& [id, row] : per_person) {
    auto p = q.person(id);
    if (!p) return p.error();
    if (*p) {
      row.reference = (*p)->reference;
      row.display_name = (*p)->display_name;
      row.cohort = (*p)->cohort;
      refs[id] = (*p)->reference;
    }
    if (row.raised > 0 || row.closed > 0 || row.open_at_end > 0) m.people_concerns.push_back(row);
  }
  std::stable_sort(m.people_concerns.begin(), m.people_concerns.end(),
                   [](const PersonConcernsRow& a, const PersonConcernsRow& b) {
                     return std::tie(b.open_at_end, b.raised) < std::tie(a.open_at_end, a.raised);
                   });
  for (const store::ConcernTransition& t : *transitions) {
    if (t.to_state != "closed") continue;
    ClosedConcernRow c;
    c.concern_id = t.concern_id;
    if (auto it = refs.find(t.person_id); it != refs.end()) c.reference = it->second;
    c.closed_us = t.ts_us;
    c.closed_by = t.actor;
    c.from_state = t.from_state;
    c.text = t.text;
    m.closed_concerns.push_back(std::move(c));
  }
  return m;
}

}  // namespace vigil::report
