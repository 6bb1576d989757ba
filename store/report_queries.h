#pragma once
// What the monthly report (admin/report/) and the annual review read from
// the store over a time range [from_us, to_us): one pass over the range's
// hits, and counts of everything else, on a read-only connection
// (query_only) of its own. Every query is a fixed SQL text with bound
// parameters; nothing is built from data. Not thread-safe: one
// ReportQueries per thread. Only the functions marked "Named" read anything
// that names a person; the report calls them only for a dsl or deputy_dsl
// audience.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/result.h"
#include "store/types.h"

namespace vigil::store {

// Half-open: from_us <= t < to_us.
struct ReportRange {
  TimeUs from_us = 0;
  TimeUs to_us = 0;
};

struct ReportQueriesOptions {
  std::string path;
  std::chrono::milliseconds busy_timeout{5'000};
  std::size_t cache_mb = 64;  // SQLite page cache of this connection
};

// Hits in a range, split by what was done with them. blocked + flagged +
// logged + allowed == hits: allowed hits (an allow entry overrode them) are
// counted as allowed whatever their action; of the rest, action 'block' is
// blocked, 'alert' flagged, anything else logged.
struct HitSplit {
  std::int64_t hits = 0;
  std::int64_t blocked = 0;
  std::int64_t flagged = 0;
  std::int64_t logged = 0;
  std::int64_t allowed = 0;
  std::int64_t danger = 0;      // severity danger
  std::int64_t statutory = 0;   // from a statutory list (IWF, CTIRU)
  std::int64_t attributed = 0;  // hits with a person
  std::int64_t devices = 0;     // distinct devices
  std::int64_t people = 0;      // distinct people
};

// A month of the trend: its hits, and how many were in the group of
// categories asked for (the Prevent ones) and in circumvention.
struct TrendCounts {
  HitSplit hits;
  std::int64_t group_hits = 0;
  std::int64_t circumvention_hits = 0;
};

// A count per name (a category, a check result, ...).
struct Tally {
  std::string name;
  std::int64_t count = 0;
};

// One hit as scan_hits() hands it over. The views point into SQLite's row
// and are valid only during the callback.
struct HitRow {
  TimeUs ts_us = 0;
  std::int64_t device_id = 0;
  std::int64_t person_id = 0;    // 0 = not attributed
  std::int64_t incident_id = 0;  // 0 = none (allowed hits)
  bool allowed = false;
  bool statutory = false;
  std::string_view category;
  std::string_view severity;
  std::string_view action;
  std::string_view kind;
  std::string_view observation;
  std::string_view value;  // attacker-chosen text
  std::string_view list;
  std::string_view entry;
  std::string_view incident_status;  // new, dismissed, linked; "" when no incident row
};

// What the activity log (one row per minute, device, kind and name) says
// about when vigild was recording in a range.
struct ActivityCoverage {
  std::optional<TimeUs> log_starts_us{};  // the oldest minute the whole log still holds
  TimeUs covered_from_us = 0;             // max(range start, log_starts_us)
  TimeUs covered_to_us = 0;               // the range end asked for
  std::int64_t minutes_observed = 0;      // distinct minutes with a row in [covered_from, to)
  std::int64_t days_observed = 0;         // distinct days (UTC) with a row
  // The longest stretch of [covered_from, covered_to) without any row, in
  // whole minutes: from the end of the minute before it to the start of
  // the minute after it (or the window's edges).
  TimeUs longest_silence_from_us = 0;
  TimeUs longest_silence_to_us = 0;
};

struct RuleSetLoad {
  std::int64_t id = 0;
  TimeUs loaded_us = 0;
  std::string version;
  std::string source;
  std::int64_t lists = 0;
  std::int64_t entries = 0;
  std::string loaded_by;
};

// One concern as it stood at the end of a range (`as_of`).
struct ConcernAsOf {
  std::int64_t id = 0;
  std::int64_t person_id = 0;  // 0 = none
  TimeUs raised_us = 0;
  std::optional<TimeUs> first_decision_us{};  // first state change out of 'raised', any time
  std::string state;                          // the state its last change before as_of left
  // For a concern in internal_support at as_of: the review date in force
  // then (from the last state change or review_due event before as_of).
  std::optional<TimeUs> review_due_us{};
};

struct ConcernTransition {
  std::int64_t concern_id = 0;
  std::int64_t person_id = 0;
  TimeUs ts_us = 0;
  std::string actor;
  std::string from_state;
  std::string to_state;
  std::string text;  // the note (and outcome): read only for a named audience
};

struct DecisionLogRow {
  std::int64_t id = 0;
  TimeUs ts_us = 0;
  std::string actor;
  std::string change;
  std::string target;
  std::string list;
  std::string reason;
};

struct ChecksLogRow {
  std::int64_t id = 0;
  TimeUs ts_us = 0;
  std::string actor;
  std::string what;
  std::string result;
  std::string action;
};

// What the capture_health rows (one per interface a minute, vigild's
// counters since it started) say about a range. Fed the rows of the range in
// (ts_us, interface) order; pure arithmetic, shared by the monthly report
// and vigilctl check.
//  - Counters: per interface, the sum over consecutive samples of each
//    counter's increase. A sample with any counter lower than its
//    interface's previous one (vigild restarted) starts a new run and adds
//    nothing: what it counted before it is not known to fall in the range.
//  - Uptime: a sample time (the rows sharing a ts_us) is up when every row
//    at it says running. An up sample covers the time to the next sample
//    time when that is at most kCaptureHealthMaxGap away, else (a gap:
//    vigild down) one minute; the last one covers one minute. Coverage is
//    cut at the range's end; everything not covered is down.
inline constexpr TimeUs kCaptureHealthMaxGap = 120'000'000;
inline constexpr TimeUs kCaptureHealthInterval = 60'000'000;

struct CaptureHealthSummary {
  std::int64_t samples = 0;       // rows
  std::int64_t sample_times = 0;  // distinct ts_us
  std::int64_t runs = 0;          // per interface: its first sample, and each restart
  std::int64_t frames = 0;
  std::int64_t kernel_drops = 0;
  std::int64_t queue_drops = 0;
  TimeUs up_us = 0;
  TimeUs longest_outage_from_us = 0;  // from == to: no outage
  TimeUs longest_outage_to_us = 0;
};

class CaptureHealthTally {
 public:
  explicit CaptureHealthTally(ReportRange range) : range_(range), covered_until_(range.from_us) {}
  void add(const CaptureHealthSample& s);
  CaptureHealthSummary finish();

 private:
  void close_time(TimeUs next_us);

  struct Last {
    std::int64_t frames = 0;
    std::int64_t kernel_drops = 0;
    std::int64_t queue_drops = 0;
  };
  ReportRange range_;
  CaptureHealthSummary out_{};
  std::vector<std::pair<std::string, Last>> last_;  // per interface (few)
  std::optional<TimeUs> open_time_{};               // the sample time being gathered
  bool open_up_ = false;
  TimeUs covered_until_ = 0;
};

class ReportQueries {
 public:
  // Refuses a database whose schema is not this code's (like Reader).
  static Result<std::unique_ptr<ReportQueries>> open(const ReportQueriesOptions& options);
  ~ReportQueries();
  ReportQueries(const ReportQueries&) = delete;
  ReportQueries& operator=(const ReportQueries&) = delete;

  // Holds one read transaction until end_snapshot(), so every query between
  // them sees the same committed state while the writer carries on (WAL).
  Status begin_snapshot();
  void end_snapshot() noexcept;

  // Every hit in the range, in no particular order, with its incident's
  // status: one pass over the month, which the report aggregates itself
  // (one scan instead of one per figure).
  Status scan_hits(ReportRange r, const std::function<void(const HitRow&)>& row);
  // The hits of a range counted by SQL, for the months of the trend;
  // `group` is the Prevent categories.
  Result<TrendCounts> trend_counts(ReportRange r, std::span<const std::string> group);

  // Incidents whose first hit is in the range, per category (in no order).
  Result<std::vector<Tally>> incidents_opened_by_category(ReportRange r);
  Result<std::int64_t> incidents_opened(ReportRange r);
  // Named: incidents opened in the range per person id (no names).
  Result<std::vector<std::pair<std::int64_t, std::int64_t>>> incidents_opened_by_person(
      ReportRange r);

  // Distinct devices in the range's activity log (device 0, the log's
  // "hidden" device, left out), and devices attributed to a person by a
  // device_people row whose first/last seen overlaps the range.
  Result<std::vector<std::int64_t>> activity_devices(ReportRange r);
  Result<std::vector<std::int64_t>> attributed_devices(ReportRange r);
  Result<ActivityCoverage> activity(ReportRange r);
  // The oldest capture_health row's time; nullopt when there is none.
  Result<std::optional<TimeUs>> capture_health_starts();
  // Every capture_health row in the range, in (ts_us, interface) order.
  Status scan_capture_health(ReportRange r,
                             const std::function<void(const CaptureHealthSample&)>& row);

  // The rule set in force at r.from_us (the last loaded before it), then
  // those loaded within r, oldest first.
  Result<std::vector<RuleSetLoad>> rule_sets(ReportRange r);

  // Every concern raised before as_of, as it stood then.
  Result<std::vector<ConcernAsOf>> concerns_as_of(TimeUs as_of);
  Result<std::int64_t> concerns_raised(ReportRange r);
  // State changes within r, oldest first; their notes (which may name
  // people) only `with_text`, for a named report.
  Result<std::vector<ConcernTransition>> concern_transitions(ReportRange r, bool with_text);

  Result<std::int64_t> count_decisions(ReportRange r);
  Result<std::vector<DecisionLogRow>> decisions(ReportRange r, std::size_t limit);
  Result<std::int64_t> count_checks(ReportRange r);
  Result<std::vector<Tally>> check_results(ReportRange r);  // per result, in name order
  Result<std::vector<ChecksLogRow>> checks(ReportRange r, std::size_t limit);

  Result<AuditVerification> verify_audit();

  // Named: one person's record, for the named sections.
  Result<std::optional<Person>> person(std::int64_t id);

  struct Impl;

 private:
  explicit ReportQueries(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::store
