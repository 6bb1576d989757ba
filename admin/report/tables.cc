// The model as tables: one definition per table and figure, shared by the
// HTML page, the CSV files and the JSON file.

#include <utility>

#include "admin/report/output.h"

namespace vigil::report {
namespace {

constexpr double kUsPerDay = 86'400'000'000.0;

Cell ratio(std::int64_t part, std::int64_t whole) {
  if (auto v = Ratio{part, whole}.value()) return *v;
  return std::monostate{};
}

Cell optional_real(const std::optional<double>& v) {
  if (v) return *v;
  return std::monostate{};
}

Cell optional_time(const std::optional<store::TimeUs>& v) {
  if (v) return TimeCell{*v};
  return std::monostate{};
}

// A two-column table of named figures with a definition each.
class Figures {
 public:
  Figures(std::string id, std::string title, std::string definition) {
    t_.id = std::move(id);
    t_.title = std::move(title);
    t_.definition = std::move(definition);
    t_.columns = {{"figure", "Figure"}, {"value", "Value"}, {"definition", "Definition"}};
  }
  Figures& add(std::string name, Cell value, std::string definition) {
    t_.rows.push_back({std::move(name), std::move(value), std::move(definition)});
    return *this;
  }
  Table take() { return std::move(t_); }

 private:
  Table t_;
};

Table make(std::string id, std::string title, std::string definition, std::vector<Column> columns) {
  Table t;
  t.id = std::move(id);
  t.title = std::move(title);
  t.definition = std::move(definition);
  t.columns = std::move(columns);
  return t;
}

std::vector<Cell> split_cells(const store::HitSplit& h) {
  return {h.hits,   h.blocked,   h.flagged, h.logged, h.allowed,
          h.danger, h.statutory, h.devices, h.people};
}

std::vector<Column> split_columns() {
  return {{"hits", "Hits"},           {"blocked", "Blocked"}, {"flagged", "Flagged"},
          {"logged", "Logged"},       {"allowed", "Allowed"}, {"danger", "Danger"},
          {"statutory", "Statutory"}, {"devices", "Devices"}, {"people", "People"}};
}

constexpr const char* kSplitDefinition =
    "Hits in the month. Allowed: an allow entry overrode the hit (kept, never grouped). Of "
    "the rest, blocked: action block; flagged: action alert; logged: any other action. "
    "Blocked + flagged + logged + allowed = hits. Danger: severity danger. Statutory: from the "
    "IWF or CTIRU list. Devices and people: distinct, among those hits.";

std::string day_text(store::TimeUs from, std::int64_t day) {
  return format_utc_iso(from + day * static_cast<store::TimeUs>(kUsPerDay)).substr(0, 10);
}

}  // namespace

std::vector<Table> report_tables(const MonthlyReport& m) {
  std::vector<Table> out;
  const store::ReportRange r = m.range;

  out.push_back(
      Figures("summary", "Summary",
              "The month at a glance; each figure is defined again in its own table.")
          .add("month", month_text(m.month), "The calendar month reported, in UTC.")
          .add("period_from", TimeCell{r.from_us}, "Start of the month (included), UTC.")
          .add("period_to", TimeCell{r.to_us}, "Start of the next month (excluded), UTC.")
          .add("generated", TimeCell{m.generated_us}, "When this report was generated.")
          .add("audience", std::string(audience_name(m.audience)),
               "aggregate: names no one; named: for the DSL and deputy DSL only.")
          .add("configuration", m.statement.source,
               "The configuration the coverage statement and the list table come from.")
          .add("hits", m.totals.hits, "Hits recorded in the month.")
          .add("blocked", m.totals.blocked, "Hits not allowed whose action was block.")
          .add("flagged", m.totals.flagged, "Hits not allowed whose action was alert.")
          .add("prevent_hits", m.prevent.hits,
               "Hits in the Prevent categories: extremism, terrorism, hate speech, "
               "discrimination, violence.")
          .add("circumvention_attempts", m.circumvention_totals.hits,
               "Hits in the circumvention category (VPN, Tor, proxies, encrypted DNS, ECH).")
          .add("incidents_opened", m.incidents_opened, "Incidents whose first hit is in the month.")
          .add("concerns_raised", m.concerns.raised, "Concerns raised in the month.")
          .add("concerns_closed", m.concerns.closed, "Concerns closed in the month.")
          .add("decision_log_entries", m.decisions_total, "Decision-log entries in the month.")
          .add("checks_done", m.checks_total, "Checks-log entries in the month.")
          .add("empty", m.empty(),
               "True when the month holds no hit, incident, concern change, decision or check.")
          .take());

  const store::ActivityCoverage& a = m.activity;
  const std::int64_t window_minutes = (a.covered_to_us - a.covered_from_us) / 60'000'000;
  const store::CaptureHealthSummary& h = m.capture;
  const bool sampled = h.samples > 0;
  const std::int64_t capture_window_us = m.capture_to_us - m.capture_from_us;
  out.push_back(
      Figures("coverage", "Coverage", "What the store says about how much of the month Vigil saw.")
          .add("hits", m.totals.hits, "Hits recorded in the month, allowed ones included.")
          .add("hits_attributed", m.totals.attributed,
               "Hits whose device was attributed to a person when the hit was recorded.")
          .add("attributed_share", ratio(m.totals.attributed, m.totals.hits),
               "hits_attributed / hits: the share of the month's hits that name a person.")
          .add("devices_seen", m.devices.seen,
               "Distinct devices with a hit or an activity-log row in the month.")
          .add("devices_with_hits", m.devices.with_hits, "Distinct devices with a hit.")
          .add("devices_in_activity_log", m.devices.in_activity,
               "Distinct devices in the month's activity log (none when the log hides clients).")
          .add("devices_attributed", m.devices.attributed,
               "Devices seen that were attributed to a person at some time in the month.")
          .add("devices_attributed_share", ratio(m.devices.attributed, m.devices.seen),
               "devices_attributed / devices_seen.")
          .add("people_with_hits", m.totals.people, "Distinct people named by a hit.")
          .add("activity_log_starts", optional_time(a.log_starts_us),
               "The oldest minute the activity log still holds (retention.activity_days), or "
               "none when the log is empty.")
          .add("recording_window_from", TimeCell{a.covered_from_us},
               "Start of the part of the month the activity log covers: the month's start, or "
               "the log's oldest minute if later.")
          .add("recording_window_to", TimeCell{a.covered_to_us},
               "End of that part: the month's end, or the generation time for a month not yet "
               "over.")
          .add("recording_minutes_in_window", window_minutes, "Whole minutes in the window.")
          .add("recording_minutes", a.minutes_observed,
               "Minutes of the window with at least one observation in the activity log.")
          .add("recording_share", ratio(a.minutes_observed, window_minutes),
               "recording_minutes / recording_minutes_in_window. This is the uptime signal the "
               "store holds: a lower bound, since a minute in which no one used the network "
               "also counts as not recorded (nights, weekends, holidays).")
          .add("recording_days", a.days_observed,
               "Days (UTC) of the window with at least one observation.")
          .add("longest_silence_from", TimeCell{a.longest_silence_from_us},
               "Start of the longest stretch of the window with no observation at all.")
          .add("longest_silence_to", TimeCell{a.longest_silence_to_us}, "Its end.")
          .add("longest_silence_minutes",
               static_cast<double>(a.longest_silence_to_us - a.longest_silence_from_us) / 60e6,
               "Its length in minutes. A long silence in working hours suggests vigild was down.")
          .add("vigild_starts", m.vigild_starts,
               "Times vigild started in the month (a rule set recorded by 'vigild (start)').")
          .add("rule_set_loads", m.rule_set_loads,
               "Rule sets loaded in the month (starts and reloads).")
          .add("statutory_hits", m.totals.statutory, "Hits from the IWF or CTIRU list.")
          .add("uptime_definition",
               std::string(sampled ? "capture_health" : "activity_log_lower_bound"),
               "Which record the uptime figures below come from: capture_health (vigild's "
               "samples of its capture interfaces, once a minute) when the window holds any; "
               "otherwise activity_log_lower_bound (the recording figures above).")
          .add("capture_window_from", TimeCell{m.capture_from_us},
               "Start of the part of the month capture health covers: the month's start, or "
               "the oldest sample the store holds (retention.activity_days) if later.")
          .add("capture_window_to", TimeCell{m.capture_to_us},
               "End of that part: the month's end, or the generation time for a month not "
               "yet over.")
          .add("capture_health_samples", h.samples,
               "capture_health rows in the window (one per interface a minute while vigild "
               "captures).")
          .add("capture_runs", h.runs,
               "Runs of samples per interface: each interface's first sample, plus each "
               "sample whose counters are lower than the one before (vigild restarted).")
          .add("uptime_minutes",
               sampled ? Cell{static_cast<double>(h.up_us) / 60e6}
                       : Cell{static_cast<double>(a.minutes_observed)},
               "capture_health: minutes covered by samples at which every interface was "
               "running; a sample covers the time to the next one when that is at most 2 "
               "minutes, else (vigild was down) 1 minute, and the last one 1 minute. "
               "Otherwise: recording_minutes.")
          .add("uptime_share",
               sampled ? (capture_window_us > 0 ? Cell{static_cast<double>(h.up_us) /
                                                       static_cast<double>(capture_window_us)}
                                                : Cell{std::monostate{}})
                       : ratio(a.minutes_observed, window_minutes),
               "capture_health: uptime_minutes / the window's minutes. Otherwise "
               "recording_share, a lower bound.")
          .add("longest_outage_from",
               TimeCell{sampled ? h.longest_outage_from_us : a.longest_silence_from_us},
               "capture_health: start of the longest stretch of the window not covered by a "
               "running sample. Otherwise longest_silence_from.")
          .add("longest_outage_to",
               TimeCell{sampled ? h.longest_outage_to_us : a.longest_silence_to_us}, "Its end.")
          .add("longest_outage_minutes",
               static_cast<double>(sampled ? h.longest_outage_to_us - h.longest_outage_from_us
                                           : a.longest_silence_to_us - a.longest_silence_from_us) /
                   60e6,
               "Its length in minutes.")
          .add("capture_frames", sampled ? Cell{h.frames} : Cell{std::monostate{}},
               "Frames read in the window: per interface, the sum of the increases of its "
               "counter between consecutive samples of a run (null without samples).")
          .add("capture_kernel_drops", sampled ? Cell{h.kernel_drops} : Cell{std::monostate{}},
               "Frames the kernel dropped (pcap_stats), summed the same way.")
          .add("capture_queue_drops", sampled ? Cell{h.queue_drops} : Cell{std::monostate{}},
               "Frames refused by a full worker queue, summed the same way.")
          .add("capture_drop_rate",
               sampled && h.frames > 0 ? Cell{static_cast<double>(h.kernel_drops + h.queue_drops) /
                                              static_cast<double>(h.frames)}
                                       : Cell{std::monostate{}},
               "(capture_kernel_drops + capture_queue_drops) / capture_frames; null without "
               "samples or frames. Drops before a run's first sample (the first seconds after "
               "vigild starts) are not counted.")
          .take());

  {
    Table t = make("rule_sets", "Rule sets in force",
                   "The rule set in force when the month began (the last loaded before it), "
                   "then every rule set loaded during the month. Version: the first 8 hex "
                   "digits of each list's SHA-256, in list order. Age: from loading to the end "
                   "of the month, in days.",
                   {{"loaded", "Loaded"},
                    {"when", "When"},
                    {"version", "Version"},
                    {"source", "Rules folder"},
                    {"lists", "Lists"},
                    {"entries", "Entries"},
                    {"loaded_by", "Loaded by"},
                    {"age_days_at_month_end", "Age at month end (days)"}});
    for (const store::RuleSetLoad& rs : m.rule_sets) {
      t.rows.push_back(
          {TimeCell{rs.loaded_us},
           std::string(rs.loaded_us < r.from_us ? "in force at the start" : "loaded in the month"),
           rs.version, rs.source, rs.lists, rs.entries, rs.loaded_by,
           static_cast<double>(r.to_us - rs.loaded_us) / kUsPerDay});
    }
    out.push_back(std::move(t));
  }

  if (m.lists) {
    const ListInventory& inv = *m.lists;
    Table t = make(
        "lists", "Lists as they are now",
        "Every list policy.toml in " + inv.rules_dir +
            " names, read when this report was generated (not as it was during the "
            "month): entries accepted and lines rejected by the list's parser, the "
            "file's SHA-256 and modification time, its age in days. Status: ok, "
            "unreadable, empty, or stale (a statutory list older than " +
            std::to_string(inv.max_age.count() / 24) + " days)." +
            (inv.error.empty() ? std::string() : " The rules tree could not be read: " + inv.error),
        {{"name", "List"},
         {"category", "Category"},
         {"format", "Format"},
         {"statutory", "Statutory slot"},
         {"allow", "Allow list"},
         {"entries", "Entries"},
         {"invalid_lines", "Rejected lines"},
         {"sha256", "SHA-256"},
         {"modified", "Modified"},
         {"age_days", "Age (days)"},
         {"version", "Declared version"},
         {"source", "Source"},
         {"status", "Status"}});
    for (const ListState& l : inv.lists) {
      t.rows.push_back({l.name, l.category, l.format, l.statutory, l.allow, l.entries, l.invalid,
                        l.sha256, optional_time(l.modified_us), optional_real(l.age_days),
                        l.version, l.source, l.status});
    }
    out.push_back(std::move(t));
    Table s = make("statutory_lists", "Statutory lists",
                   "The IWF URL list and the CTIRU list slots. Present: the file is readable and "
                   "holds at least one entry. Fresh: present and modified within " +
                       std::to_string(inv.max_age.count() / 24) + " days of generation.",
                   {{"slot", "Slot"},
                    {"name", "List"},
                    {"declared", "Declared"},
                    {"present", "Present"},
                    {"fresh", "Fresh"},
                    {"entries", "Entries"},
                    {"age_days", "Age (days)"}});
    for (const StatutoryState& st : inv.statutory) {
      s.rows.push_back({st.slot, st.name, st.declared, st.present, st.fresh, st.entries,
                        optional_real(st.age_days)});
    }
    out.push_back(std::move(s));
  }

  {
    Table t = make("coverage_statement", "What Vigil can and cannot see",
                   "Generated from the configuration: " + m.statement.source + ".",
                   {{"topic", "Topic"}, {"status", "Status"}, {"statement", "Statement"}});
    for (const CoverageItem& i : m.statement.items) t.rows.push_back({i.topic, i.status, i.text});
    out.push_back(std::move(t));
  }

  {
    std::vector<Column> cols = {{"category", "Category"}, {"prevent", "Prevent"}};
    for (Column& c : split_columns()) cols.push_back(std::move(c));
    cols.push_back({"incidents_opened", "Incidents opened"});
    Table t = make("categories", "Blocked and flagged activity by category",
                   std::string(kSplitDefinition) +
                       " Incidents opened: incidents whose first hit is in the month. Every "
                       "category with a hit or an incident in the month, most hits first.",
                   std::move(cols));
    for (const CategoryRow& c : m.categories) {
      std::vector<Cell> row{c.category, c.prevent};
      for (Cell& x : split_cells(c.hits)) row.push_back(std::move(x));
      row.emplace_back(c.incidents_opened);
      t.rows.push_back(std::move(row));
    }
    out.push_back(std::move(t));
  }

  {
    std::vector<Column> cols = {{"category", "Category"}};
    for (Column& c : split_columns()) cols.push_back(std::move(c));
    cols.push_back({"incidents_opened", "Incidents opened"});
    Table t = make("prevent", "Prevent categories",
                   "The five Prevent categories, zeros included, then their total (devices and "
                   "people distinct across the five). " +
                       std::string(kSplitDefinition),
                   std::move(cols));
    for (const CategoryRow& c : m.prevent_rows) {
      std::vector<Cell> row{c.category};
      for (Cell& x : split_cells(c.hits)) row.push_back(std::move(x));
      row.emplace_back(c.incidents_opened);
      t.rows.push_back(std::move(row));
    }
    std::vector<Cell> total{std::string("all Prevent categories")};
    for (Cell& x : split_cells(m.prevent)) total.push_back(std::move(x));
    total.emplace_back(m.prevent_incidents_opened);
    t.rows.push_back(std::move(total));
    out.push_back(std::move(t));
  }

  {
    Table t = make("trend", "Trend against the previous months",
                   "Per calendar month (UTC), oldest first, this month last: hits and their "
                   "split as in the category table, Prevent-category hits, circumvention "
                   "attempts, incidents whose first hit is in the month, concerns raised, "
                   "distinct devices with a hit.",
                   {{"month", "Month"},
                    {"hits", "Hits"},
                    {"blocked", "Blocked"},
                    {"flagged", "Flagged"},
                    {"logged", "Logged"},
                    {"allowed", "Allowed"},
                    {"prevent_hits", "Prevent hits"},
                    {"circumvention_attempts", "Circumvention attempts"},
                    {"incidents_opened", "Incidents opened"},
                    {"concerns_raised", "Concerns raised"},
                    {"devices_with_hits", "Devices with hits"}});
    for (const TrendRow& tr : m.trend) {
      t.rows.push_back({month_text(tr.month), tr.hits.hits, tr.hits.blocked, tr.hits.flagged,
                        tr.hits.logged, tr.hits.allowed, tr.prevent_hits, tr.circumvention_hits,
                        tr.incidents_opened, tr.concerns_raised, tr.hits.devices});
    }
    out.push_back(std::move(t));
  }

  {
    Table t = make("daily", "Hits per day",
                   "Every day of the month (UTC), zeros included: hits, blocked, flagged, and "
                   "hits in the Prevent categories.",
                   {{"date", "Date"},
                    {"hits", "Hits"},
                    {"blocked", "Blocked"},
                    {"flagged", "Flagged"},
                    {"prevent_hits", "Prevent hits"}});
    for (const DayRow& d : m.days) {
      t.rows.push_back({day_text(r.from_us, d.day), d.hits, d.blocked, d.flagged, d.prevent_hits});
    }
    out.push_back(std::move(t));
  }

  {
    Table t = make("top_domains", "Top registrable domains per category",
                   "Hits not allowed whose value is a host name (a DNS query, a TLS or QUIC "
                   "server name, an HTTP Host), grouped by registrable domain (the Public "
                   "Suffix List, through libpsl: a.b.example.co.uk counts as example.co.uk; an "
                   "IP address as itself), the " +
                       std::to_string(m.options.top_domains) +
                       " with most hits per category. Host names: distinct names under the "
                       "domain. " +
                       std::to_string(m.host_hits) + " of the month's " +
                       std::to_string(m.totals.hits - m.totals.allowed) +
                       " hits not allowed are host names; the rest (URLs, search terms, page "
                       "text, circumvention flows) have no host in the hit and are not here.",
                   {{"category", "Category"},
                    {"rank", "Rank"},
                    {"registrable_domain", "Registrable domain"},
                    {"hits", "Hits"},
                    {"host_names", "Host names"}});
    for (const DomainRow& d : m.top_domains) {
      t.rows.push_back({d.category, std::int64_t{d.rank}, d.domain, d.hits, d.names});
    }
    out.push_back(std::move(t));
  }

  {
    Table t = make("circumvention", "Circumvention attempts",
                   "Hits in the circumvention category. Source nDPI: a connection nDPI "
                   "classified as a VPN, Tor, a proxy, encrypted DNS or ECH (method: the flags "
                   "it set); source list: a name on a circumvention list (method: the list). "
                   "The last row is the total (devices and people distinct).",
                   {{"source", "Source"},
                    {"method", "Method"},
                    {"attempts", "Attempts"},
                    {"blocked", "Blocked"},
                    {"devices", "Devices"},
                    {"people", "People"}});
    for (const CircumventionRow& c : m.circumvention) {
      t.rows.push_back({c.source, c.method, c.attempts, c.blocked, c.devices, c.people});
    }
    t.rows.push_back({std::string("all"), std::string("all methods"), m.circumvention_totals.hits,
                      m.circumvention_totals.blocked, m.circumvention_totals.devices,
                      m.circumvention_totals.people});
    out.push_back(std::move(t));
  }

  out.push_back(
      Figures("concerns", "Concerns",
              "Safeguarding concerns, from the concerns table and their chronology "
              "(concern_events).")
          .add("raised", m.concerns.raised, "Concerns raised in the month.")
          .add("state_changes", m.concerns.decisions, "State changes recorded in the month.")
          .add("closed", m.concerns.closed, "Changes to closed in the month.")
          .add("reopened", m.concerns.reopened, "Changes from closed (reopened) in the month.")
          .add("triaged", m.concerns.triaged,
               "Concerns whose first state change (out of raised) is in the month, whenever "
               "they were raised.")
          .add("median_hours_to_triage", optional_real(m.concerns.median_triage_hours),
               "Median, over those, of the time from raised to the first state change, in "
               "hours; none when nothing was triaged.")
          .add("awaiting_triage_at_month_end", m.concerns.awaiting_triage_at_end,
               "Concerns raised before the month's end with no state change before it.")
          .add("open_at_month_end", m.concerns.open_at_end,
               "Concerns raised before the month's end and not closed at it.")
          .add("reviews_overdue_at_month_end", m.concerns.reviews_overdue_at_end,
               "Concerns in internal support at the month's end whose review date (set by "
               "their last state change or review-date change before it) had passed.")
          .add("review_date_unknown_at_month_end", m.concerns.review_date_unknown_at_end,
               "Concerns in internal support at the month's end with no readable review date.")
          .take());

  {
    Table t = make("concern_states", "Concerns by state",
                   "Per state: concerns in it at the month's end (their last change before "
                   "the end), and changes into it during the month (raised: concerns raised).",
                   {{"state", "State"},
                    {"at_month_end", "At month end"},
                    {"entered_in_month", "Entered in the month"}});
    for (const store::Tally& s : m.concern_states_at_end) {
      std::int64_t entered = s.name == "raised" ? m.concerns.raised : 0;
      for (const store::Tally& d : m.decisions_by_state) {
        if (d.name == s.name) entered = d.count;
      }
      t.rows.push_back({s.name, s.count, entered});
    }
    out.push_back(std::move(t));
  }

  {
    Table t = make("concern_outcomes", "Outcomes of concerns closed in the month",
                   "Concerns closed in the month by the decision they were closed from. The "
                   "recorded outcome text is in the named report only.",
                   {{"closed_from", "Decision"}, {"closed_in_month", "Closed in the month"}});
    for (const store::Tally& c : m.closed_from) t.rows.push_back({c.name, c.count});
    out.push_back(std::move(t));
  }

  const std::vector<Column> triage_columns = {{"hits", "Hits"},
                                              {"incidents", "Incidents"},
                                              {"dismissed", "Dismissed"},
                                              {"linked", "Linked to a concern"},
                                              {"untriaged", "Not yet triaged"},
                                              {"false_positive_rate", "False-positive rate"}};
  {
    std::vector<Column> cols = {{"list", "List"}};
    cols.insert(cols.end(), triage_columns.begin(), triage_columns.end());
    Table t = make("false_positives_lists", "False positives per list",
                   "Hits in the month not allowed, per list; the incidents they were grouped "
                   "into and those incidents' status when the report was generated. Dismissed: "
                   "judged a false positive by the DSL. False-positive rate: dismissed / "
                   "incidents (none when there are no incidents).",
                   std::move(cols));
    for (const TriageRow& f : m.false_positives_by_list) {
      t.rows.push_back({f.list, f.hits, f.incidents, f.dismissed, f.linked, f.untriaged,
                        ratio(f.dismissed, f.incidents)});
    }
    out.push_back(std::move(t));
  }
  {
    std::vector<Column> cols = {{"list", "List"}, {"kind", "Kind"}, {"entry", "Entry"}};
    cols.insert(cols.end(), triage_columns.begin(), triage_columns.end());
    Table t = make("false_positives_keywords", "False positives per keyword",
                   "As per list, for each keyword, phrase, regular expression or search-term "
                   "entry (kinds keyword, phrase, regex, search_term); the " +
                       std::to_string(m.options.top_entries) +
                       " with most dismissed incidents, then most hits.",
                   std::move(cols));
    for (const TriageRow& f : m.false_positives_by_entry) {
      t.rows.push_back({f.list, f.kind, f.entry, f.hits, f.incidents, f.dismissed, f.linked,
                        f.untriaged, ratio(f.dismissed, f.incidents)});
    }
    out.push_back(std::move(t));
  }

  {
    Table t = make("decision_log", "Decision log",
                   "What was blocked or allowed, and why, by whom: decision-log entries in the "
                   "month, oldest first (" +
                       std::to_string(m.decisions.size()) + " of " +
                       std::to_string(m.decisions_total) + " shown).",
                   {{"id", "Id"},
                    {"time", "Time"},
                    {"actor", "By"},
                    {"change", "Change"},
                    {"target", "Entry"},
                    {"list", "List"},
                    {"reason", "Reason"}});
    for (const store::DecisionLogRow& d : m.decisions) {
      t.rows.push_back({d.id, TimeCell{d.ts_us}, d.actor, d.change, d.target, d.list, d.reason});
    }
    out.push_back(std::move(t));
  }

  {
    Table t =
        make("check_results", "Checks by result", "Checks-log entries in the month per result.",
             {{"result", "Result"}, {"checks", "Checks"}});
    for (const store::Tally& c : m.check_results) t.rows.push_back({c.name, c.count});
    out.push_back(std::move(t));
    Table l =
        make("checks_log", "Checks done",
             "Checks-log entries in the month, oldest first (" + std::to_string(m.checks.size()) +
                 " of " + std::to_string(m.checks_total) + " shown).",
             {{"id", "Id"},
              {"time", "Time"},
              {"actor", "By"},
              {"what", "What was checked"},
              {"result", "Result"},
              {"action", "Action taken"}});
    for (const store::ChecksLogRow& c : m.checks) {
      l.rows.push_back({c.id, TimeCell{c.ts_us}, c.actor, c.what, c.result, c.action});
    }
    out.push_back(std::move(l));
  }

  out.push_back(
      Figures("audit", "Audit log",
              "The hash-chained audit log as verified when this report was generated. Keeping "
              "the head hash here anchors the log up to that row.")
          .add("rows", m.audit.rows, "Rows verified.")
          .add("chain_ok", m.audit.ok, "Every row chains to the one before it.")
          .add("first_bad_id", m.audit.ok ? Cell{std::monostate{}} : Cell{m.audit.first_bad_id},
               "The first row that breaks the chain, if any.")
          .add("problem", m.audit.problem, "Why that row breaks it.")
          .add("head_hash", m.audit.head_hash, "SHA-256 of the last good row.")
          .take());

  if (m.audience != Audience::Named) return out;

  {
    Table t = make("people_activity", "People with most incidents",
                   "Named report only. People with a hit or an incident opened in the month, "
                   "most incidents opened first, then most hits; at most " +
                       std::to_string(m.options.top_people) + ".",
                   {{"reference", "Reference"},
                    {"name", "Name"},
                    {"kind", "Kind"},
                    {"cohort", "Cohort"},
                    {"group", "Group"},
                    {"under_18", "Under 18"},
                    {"incidents_opened", "Incidents opened"},
                    {"hits", "Hits"},
                    {"prevent_hits", "Prevent hits"},
                    {"danger_hits", "Danger hits"}});
    t.names_people = true;
    for (const PersonRow& p : m.people) {
      t.rows.push_back({p.reference, p.display_name, p.kind, p.cohort, p.group, p.under_18,
                        p.incidents_opened, p.hits, p.prevent_hits, p.danger_hits});
    }
    out.push_back(std::move(t));
  }
  {
    Table t = make("people_concerns", "Concerns per person",
                   "Named report only. People with a concern raised or closed in the month or "
                   "open at its end.",
                   {{"reference", "Reference"},
                    {"name", "Name"},
                    {"cohort", "Cohort"},
                    {"raised", "Raised in the month"},
                    {"closed", "Closed in the month"},
                    {"open_at_month_end", "Open at month end"}});
    t.names_people = true;
    for (const PersonConcernsRow& p : m.people_concerns) {
      t.rows.push_back({p.reference, p.display_name, p.cohort, p.raised, p.closed, p.open_at_end});
    }
    out.push_back(std::move(t));
  }
  {
    Table t = make("concerns_closed", "Concerns closed and their outcomes",
                   "Named report only. Each closure in the month with the note and outcome "
                   "as recorded.",
                   {{"concern_id", "Concern"},
                    {"reference", "Person"},
                    {"closed", "Closed"},
                    {"closed_by", "By"},
                    {"closed_from", "Decision"},
                    {"note_and_outcome", "Note and outcome"}});
    t.names_people = true;
    for (const ClosedConcernRow& c : m.closed_concerns) {
      t.rows.push_back(
          {c.concern_id, c.reference, TimeCell{c.closed_us}, c.closed_by, c.from_state, c.text});
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace vigil::report
