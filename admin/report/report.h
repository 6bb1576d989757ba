#pragma once
// admin/report: the monthly filtering and monitoring report for directors,
// governors and the DSL. build_monthly() reads one calendar month (UTC)
// from the store through store::ReportQueries into a plain data model;
// output.h turns the model into a self-contained HTML page and CSV and JSON
// files of every table. Every figure is a count the store holds, read in
// one snapshot; README.md gives each figure's exact definition.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/report/coverage.h"
#include "store/report_queries.h"
#include "store/result.h"
#include "store/types.h"

namespace vigil::report {

// Who the report is for. Aggregate (the default: governors, directors)
// names no one; Named (dsl and deputy_dsl only) adds the sections that name
// people.
enum class Audience : std::uint8_t { Aggregate, Named };
std::string_view audience_name(Audience a) noexcept;  // "aggregate", "named"
std::optional<Audience> parse_audience(std::string_view s) noexcept;

struct Month {
  int year = 1970;
  unsigned month = 1;  // 1..12
  friend bool operator==(const Month&, const Month&) = default;
};
// "YYYY-MM", year 2000..9999; nullopt for anything else.
std::optional<Month> parse_month(std::string_view text) noexcept;
std::string month_text(Month m);  // "2026-03"
Month previous_month(Month m) noexcept;
Month month_of(store::TimeUs us) noexcept;  // the UTC month holding `us`
// [first day 00:00:00 UTC, first day of the next month 00:00:00 UTC).
store::ReportRange month_range(Month m) noexcept;

// The Prevent duty's categories: extremism, terrorism, hate speech,
// discrimination, violence (rules::category_name spellings).
const std::vector<std::string>& prevent_categories();

struct ReportOptions {
  Audience audience = Audience::Aggregate;
  int trend_months = 6;             // this month and the five before it
  std::size_t top_domains = 10;     // per category
  std::size_t top_entries = 50;     // keyword-like entries in the false-positive table
  std::size_t top_people = 25;      // named: people listed by incidents
  std::size_t max_log_rows = 5000;  // decision and checks log rows listed (all are counted)
  // A statutory list whose file is older than this is not fresh.
  std::chrono::hours statutory_max_age{7 * 24};
  store::TimeUs generated_us = 0;  // "now"; 0: the system clock
  // The live configuration, for the coverage statement and the lists as
  // they are now; null: the statement says no configuration was given.
  const config::Config* config = nullptr;
  std::string config_source;  // where it came from: a file path, or "defaults"
};

// A count over a count, kept as both so a reader can check it; value() is
// empty when the denominator is 0.
struct Ratio {
  std::int64_t part = 0;
  std::int64_t whole = 0;
  std::optional<double> value() const noexcept {
    if (whole == 0) return std::nullopt;
    return static_cast<double>(part) / static_cast<double>(whole);
  }
};

struct DeviceCounts {
  std::int64_t seen = 0;         // with a hit or an activity-log row in the month
  std::int64_t with_hits = 0;    // with a hit
  std::int64_t in_activity = 0;  // in the activity log (device 0, hidden clients, left out)
  // Seen, and attributed to a person by a device_people row whose first and
  // last seen overlap the month.
  std::int64_t attributed = 0;
};

struct DayRow {
  std::int64_t day = 0;  // 0 = the month's first day (UTC)
  std::int64_t hits = 0;
  std::int64_t blocked = 0;
  std::int64_t flagged = 0;
  std::int64_t prevent_hits = 0;
};

// Circumvention-category hits per method: for nDPI's flow hits (kind
// 'circumvention') the flags it set ("vpn", "encrypted_dns,ech", ...); for
// list hits the list's name.
struct CircumventionRow {
  std::string source;  // "nDPI" or "list"
  std::string method;
  std::int64_t attempts = 0;
  std::int64_t blocked = 0;
  std::int64_t devices = 0;
  std::int64_t people = 0;
};

// Hits not allowed that were grouped into an incident, and what the DSL
// has since decided about those incidents (their status when the report is
// generated). Dismissed: judged a false positive.
struct TriageRow {
  std::string list;
  std::string kind;   // per entry only
  std::string entry;  // per entry only
  std::int64_t hits = 0;
  std::int64_t incidents = 0;
  std::int64_t dismissed = 0;
  std::int64_t linked = 0;
  std::int64_t untriaged = 0;
};

// Named: one person's month.
struct PersonRow {
  std::int64_t person_id = 0;
  std::string reference;
  std::string display_name;
  std::string kind;
  std::string cohort;
  std::string group;
  bool under_18 = false;
  std::int64_t hits = 0;
  std::int64_t prevent_hits = 0;
  std::int64_t danger_hits = 0;
  std::int64_t incidents_opened = 0;
};

struct CategoryRow {
  std::string category;
  bool prevent = false;
  store::HitSplit hits;
  std::int64_t incidents_opened = 0;
};

struct TrendRow {
  Month month;
  store::HitSplit hits;
  std::int64_t prevent_hits = 0;
  std::int64_t circumvention_hits = 0;
  std::int64_t incidents_opened = 0;
  std::int64_t concerns_raised = 0;
};

struct DomainRow {
  std::string category;
  int rank = 0;        // 1 = most hits
  std::string domain;  // registrable domain (libpsl), or the name itself (IP address, suffix)
  std::int64_t hits = 0;
  std::int64_t names = 0;  // distinct host names under it
};

struct ConcernFigures {
  std::int64_t raised = 0;                      // raised_us in the month
  std::int64_t decisions = 0;                   // state changes in the month
  std::int64_t closed = 0;                      // changes to closed in the month
  std::int64_t reopened = 0;                    // changes from closed in the month
  std::int64_t triaged = 0;                     // first state changes in the month
  std::optional<double> median_triage_hours{};  // of those, raised -> first change
  std::int64_t awaiting_triage_at_end = 0;      // raised before the end, no change before it
  std::int64_t open_at_end = 0;                 // raised before the end, not closed then
  std::int64_t reviews_overdue_at_end = 0;      // internal support, review date before the end
  std::int64_t review_date_unknown_at_end = 0;  // internal support, no readable review date
};

// Named sections.
struct PersonConcernsRow {
  std::string reference;
  std::string display_name;
  std::string cohort;
  std::int64_t raised = 0;  // in the month
  std::int64_t closed = 0;  // in the month
  std::int64_t open_at_end = 0;
};

struct ClosedConcernRow {
  std::int64_t concern_id = 0;
  std::string reference;  // "" when the concern names no person
  store::TimeUs closed_us = 0;
  std::string closed_by;
  std::string from_state;  // the decision it was closed from
  std::string text;        // the closing note and outcome as recorded
};

struct MonthlyReport {
  Month month;
  store::ReportRange range;
  store::TimeUs generated_us = 0;
  Audience audience = Audience::Aggregate;
  ReportOptions options;  // as used (config pointer cleared)

  // Coverage.
  store::HitSplit totals;
  store::HitSplit prevent;
  store::HitSplit circumvention_totals;
  DeviceCounts devices;
  store::ActivityCoverage activity;
  // Capture health (capture_health rows) over [capture_from_us,
  // capture_to_us): the month, from the oldest row if later, up to the
  // generation time for a month not over. No samples: uptime falls back to
  // the activity log's lower bound.
  store::TimeUs capture_from_us = 0;
  store::TimeUs capture_to_us = 0;
  store::CaptureHealthSummary capture;
  std::int64_t vigild_starts = 0;  // rule sets recorded by "vigild (start)" in the month
  std::int64_t rule_set_loads = 0;
  std::vector<store::RuleSetLoad> rule_sets;  // in force at the start, then loaded in the month
  CoverageStatement statement;
  std::optional<ListInventory> lists;  // with a configuration

  // Activity.
  std::vector<CategoryRow> categories;    // every category with a hit or an incident
  std::vector<CategoryRow> prevent_rows;  // the five Prevent categories, zeros included
  std::int64_t incidents_opened = 0;
  std::int64_t prevent_incidents_opened = 0;
  std::vector<TrendRow> trend;         // oldest first, this month last
  std::vector<DayRow> days;            // every day of the month, zeros included
  std::vector<DomainRow> top_domains;  // per category, rank order
  std::int64_t host_hits = 0;          // hits (not allowed) whose value is a host name
  std::vector<CircumventionRow> circumvention;

  // Safeguarding work.
  ConcernFigures concerns;
  std::vector<store::Tally> concern_states_at_end;  // every state, zeros included
  std::vector<store::Tally> decisions_by_state;     // state changes in the month by new state
  std::vector<store::Tally> closed_from;            // closures in the month by prior decision
  std::vector<TriageRow> false_positives_by_list;
  std::vector<TriageRow> false_positives_by_entry;
  std::int64_t decisions_total = 0;
  std::vector<store::DecisionLogRow> decisions;
  std::int64_t checks_total = 0;
  std::vector<store::Tally> check_results;  // pass, fail, partial
  std::vector<store::ChecksLogRow> checks;
  store::AuditVerification audit;

  // Named only (empty for an aggregate report).
  std::vector<PersonRow> people;
  std::vector<PersonConcernsRow> people_concerns;
  std::vector<ClosedConcernRow> closed_concerns;

  bool empty() const noexcept;  // no hit, incident, concern change, decision or check
};

// Reads the month in one read snapshot. Errors are the store's (busy
// beyond the timeout, corrupt file), one line each.
store::Result<MonthlyReport> build_monthly(store::ReportQueries& queries, Month month,
                                           const ReportOptions& options);

// "2026-03-31 23:59 UTC" and "2026-03-31T23:59:59.999999Z".
std::string format_utc_minute(store::TimeUs us);
std::string format_utc_iso(store::TimeUs us);

}  // namespace vigil::report
