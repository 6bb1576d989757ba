#pragma once
// Plain value types the store exchanges with the daemon and the console.
// The store depends on neither rules/ nor inspect/: categories, severities,
// actions and hit kinds travel as their snake_case names (rules/taxonomy.h
// names them), and the daemon maps rules::Hit to HitRecord.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::store {

// Microseconds since the Unix epoch, UTC. Every time in the store is one.
using TimeUs = std::int64_t;

// Bounds on what one row may hold. Text from packets (values, search terms,
// host names) longer than its bound is cut at a UTF-8 character boundary and
// counted; identifiers (categories, states) outside their bound are refused.
inline constexpr std::size_t kMaxValueBytes = 4096;
inline constexpr std::size_t kMaxTextBytes = 16384;  // notes, referral fields, reasons
inline constexpr std::size_t kMaxNameBytes = 255;    // host names, list names, references
inline constexpr std::size_t kMaxTokenBytes = 32;    // category, severity, action, kind names

// Severities in rising order; the store needs the order for an incident's
// highest severity. Returns -1 for a name that is not a severity.
int severity_rank(std::string_view severity) noexcept;

// One rule hit as the daemon hands it to the writer.
struct HitRecord {
  TimeUs ts_us = 0;
  std::string client_ip{};    // required
  std::string device_mac{};   // "" when unknown; the device is keyed by MAC, else by IP
  std::string hostname{};     // "" when unknown
  std::string kind{};         // domain, url, keyword, phrase, regex, search_term
  std::string observation{};  // dns, sni, quic_sni, http_host, http_url, search_term, http_text
  std::string value{};        // what matched (attacker-chosen text)
  std::string search_term{};  // decoded search terms, when present
  std::string list{};         // list name
  std::string entry{};        // the rule entry as written in the list
  std::uint32_t list_line = 0;
  std::string category{};  // rules::category_name
  std::string severity{};  // advisory | caution | danger
  std::string action{};    // log | alert | block (the action taken)
  std::string reason{};    // why this verdict, in words
  bool statutory = false;
  bool allowed = false;       // an allow entry overrode it: kept, but not grouped into an incident
  std::int32_t weight = 0;    // points toward the incident score; 0 = the severity's default
  std::uint64_t flow_id = 0;  // flow reference, 0 = none
  std::string person_ref{};   // people.reference when attributed, "" when not
  std::string attribution_source{};   // dhcp_lease, dnsmasq_lease, neighbour, csv, manual
  double attribution_confidence = 0;  // 0..1
};

// Points a hit adds to its incident when the daemon gives no weight.
std::int32_t default_hit_points(std::string_view severity) noexcept;

// One observation for the activity log (telemetry, short retention).
struct ActivityRecord {
  TimeUs ts_us = 0;
  std::string client_ip{};
  std::string device_mac{};
  std::string kind{};  // observation kind: dns, sni, http_host, ...
  std::string name{};
};

// What the activity log may keep about who visited what.
// Names as in the configuration key store.activity_privacy.
enum class ActivityPrivacy : unsigned char {
  Full,         // "full": device and name
  HideNames,    // "hide_names": device and kind, name stored as ""
  HideClients,  // "hide_clients": name and kind, device stored as 0
};
std::string_view activity_privacy_name(ActivityPrivacy p) noexcept;
std::optional<ActivityPrivacy> parse_activity_privacy(std::string_view s) noexcept;

struct PersonRecord {
  std::string reference{};  // the provider's learner/staff reference, unique
  std::string display_name{};
  std::string kind = "learner";  // learner | staff | unknown
  std::string cohort{};
  std::string group{};
  bool under_18 = false;
};

struct RuleSetRecord {
  TimeUs loaded_us = 0;
  std::string version{};  // e.g. the snapshot's SHA-256 over its lists
  std::string source{};   // rules tree path
  std::int64_t lists = 0;
  std::int64_t entries = 0;
  std::string loaded_by{};  // "vigild (SIGHUP)", a user name, ...
};

struct Device {
  std::int64_t id = 0;
  std::string mac{};
  std::string ip{};
  std::string hostname{};
  TimeUs first_seen_us = 0;
  TimeUs last_seen_us = 0;
};

struct Person {
  std::int64_t id = 0;
  std::string reference{};
  std::string display_name{};
  std::string kind{};
  std::string cohort{};
  std::string group{};
  bool under_18 = false;
};

struct Attribution {
  std::int64_t device_id = 0;
  std::int64_t person_id = 0;
  std::string source{};
  double confidence = 0;
  TimeUs first_seen_us = 0;
  TimeUs last_seen_us = 0;
};

struct StoredHit {
  std::int64_t id = 0;
  TimeUs ts_us = 0;
  std::int64_t device_id = 0;
  std::string client_ip{};
  std::string kind{};
  std::string observation{};
  std::string value{};
  std::string search_term{};
  std::string list{};
  std::string entry{};
  std::uint32_t list_line = 0;
  std::string category{};
  std::string severity{};
  std::string action{};
  std::string reason{};
  bool statutory = false;
  bool allowed = false;
  std::int32_t weight = 0;
  std::uint64_t flow_id = 0;
  std::int64_t person_id = 0;  // 0 = not attributed
  std::string attribution_source{};
  double attribution_confidence = 0;
  std::int64_t incident_id = 0;  // 0 = none (allowed hits)
};

// Incident status: new, dismissed (false positive, with a reason), linked (to a concern).
enum class IncidentStatus : unsigned char { New, Dismissed, Linked };
std::string_view incident_status_name(IncidentStatus s) noexcept;
std::optional<IncidentStatus> parse_incident_status(std::string_view s) noexcept;

struct Incident {
  std::int64_t id = 0;
  std::int64_t person_id = 0;  // 0 = grouped by device
  std::string person_ref{};
  std::string person_name{};
  bool under_18 = false;
  std::int64_t device_id = 0;
  std::string device_ip{};
  std::string device_mac{};
  std::string device_hostname{};
  std::string category{};
  TimeUs first_us = 0;
  TimeUs last_us = 0;
  std::int64_t hit_count = 0;
  std::int64_t score = 0;
  std::string highest_severity{};
  IncidentStatus status = IncidentStatus::New;
  std::string dismiss_reason{};
  std::int64_t concern_id = 0;
};

// Filters combine with AND; an empty list or an absent value does not filter.
struct IncidentFilter {
  std::vector<std::string> severities{};  // highest_severity in this set
  std::vector<std::string> categories{};
  std::vector<IncidentStatus> statuses{};
  std::optional<std::int64_t> person_id{};
  std::optional<std::int64_t> device_id{};
  std::optional<TimeUs> from_us{};  // incidents whose last hit is at or after
  std::optional<TimeUs> to_us{};    // ... and whose first hit is before
};

// Incident lists are ordered newest first by (last_us, id). Keyset paging
// (`after`) costs the same on page 1 and page 1000; offset paging is there
// for "jump to page N" and gets slower with the offset.
struct IncidentCursor {
  TimeUs last_us = 0;
  std::int64_t id = 0;
};

struct PageRequest {
  std::size_t limit = 50;  // 1..1000
  std::optional<IncidentCursor> after{};
  std::size_t offset = 0;  // only when `after` is absent
};

struct IncidentPage {
  std::vector<Incident> items{};
  std::optional<IncidentCursor> next{};  // absent on the last page
};

// Safeguarding case states, following the providers' Prevent procedures:
// raised -> under review -> a decision (no further action, internal support
// with a review date, referral to Prevent/Channel, emergency) -> closed with
// a recorded outcome.
enum class ConcernState : unsigned char {
  Raised,
  UnderReview,
  NoFurtherAction,
  InternalSupport,
  Referred,
  Emergency,
  Closed,
};
std::string_view concern_state_name(ConcernState s) noexcept;
std::optional<ConcernState> parse_concern_state(std::string_view s) noexcept;
bool concern_transition_allowed(ConcernState from, ConcernState to) noexcept;

enum class Role : unsigned char { Admin, Dsl, DeputyDsl, Reporter, Auditor };
std::string_view role_name(Role r) noexcept;
std::optional<Role> parse_role(std::string_view s) noexcept;

struct User {
  std::int64_t id = 0;
  std::string name{};
  Role role = Role::Reporter;
  bool disabled = false;
  TimeUs created_us = 0;
};

struct Concern {
  std::int64_t id = 0;
  std::int64_t person_id = 0;
  std::int64_t device_id = 0;
  ConcernState state = ConcernState::Raised;
  std::string summary{};
  std::string raised_by{};
  TimeUs raised_us = 0;
  TimeUs updated_us = 0;
  std::string assigned_to{};  // user name, "" when unassigned
  std::optional<TimeUs> review_due_us{};
  std::string outcome{};
};

struct ConcernEvent {
  std::int64_t id = 0;
  std::int64_t concern_id = 0;
  TimeUs ts_us = 0;
  std::string actor{};
  std::string kind{};  // raised, state, note, assigned, review_due, incident_linked, referral
  std::string from_state{};
  std::string to_state{};
  std::string text{};
};

// The content of a Prevent referral (DfE "Making a referral to Prevent").
struct ReferralContent {
  std::string how_arose{};             // how the concern arose
  std::string indicators{};            // indicators observed
  std::string internet_use{};          // worrying internet use
  std::string how_found{};             // how it was found
  std::string contacts{};              // people and groups involved
  std::string additional_needs{};      // SEND / additional needs
  std::string other_concerns{};        // other safeguarding concerns
  std::string discussions{};           // discussions held
  std::string parent_carer_support{};  // if under 18
  std::string worries{};               // what you are worried about
  TimeUs updated_us = 0;
  std::string updated_by{};
};

struct ConcernFilter {
  std::vector<ConcernState> states{};  // empty: every state except closed
  bool include_closed = false;
  std::optional<TimeUs> review_due_before{};  // reviews due (or overdue) by then
  std::optional<std::int64_t> person_id{};
  std::size_t limit = 100;
};

struct NewConcern {
  std::optional<std::int64_t> person_id{};
  std::optional<std::int64_t> device_id{};
  std::string summary{};
  std::vector<std::int64_t> incident_ids{};  // linked at once
  std::string assign_to{};                   // a dsl or deputy_dsl user name, or ""
};

struct DecisionEntry {
  std::string change{};  // add_block, remove_block, add_allow, remove_allow, reload, policy
  std::string target{};  // the entry or list it concerns
  std::string list{};
  std::string reason{};  // required
};

struct CheckEntry {
  std::string what{};    // what was tested
  std::string result{};  // pass | fail | partial
  std::string action{};  // what was done about it
};

struct HourlyStat {
  TimeUs hour_us = 0;
  std::string category{};
  std::string severity{};
  std::string action{};
  std::int64_t hits = 0;
  std::int64_t devices = 0;
  std::int64_t people = 0;
};

struct AuditRow {
  std::int64_t id = 0;
  TimeUs ts_us = 0;
  std::string actor{};
  std::string action{};       // e.g. concern.read, concern.state, incident.dismiss
  std::string object_type{};  // concern, incident, user, setting, store, ...
  std::int64_t object_id = 0;
  std::string detail{};
  std::string prev_hash{};  // hex SHA-256
  std::string hash{};       // hex SHA-256
};

struct AuditVerification {
  bool ok = false;
  std::int64_t rows = 0;
  std::int64_t first_bad_id = 0;  // 0 when ok
  std::string problem{};          // why that row fails
  std::string head_hash{};        // the last good row's hash
};

// Retention per record class (defaults as the configuration's retention.*
// keys); 0 keeps that class forever. Concerns, their chronology, the
// incidents and hits linked to a concern, the audit log, the decision and
// checks logs, users and rule-set versions are never purged.
// One interface's capture counters as vigild sees them since it started,
// sampled once a minute (a capture_health row).
struct CaptureHealthSample {
  TimeUs ts_us = 0;
  std::string interface {};
  bool running = false;
  std::int64_t frames = 0;
  std::int64_t kernel_drops = 0;
  std::int64_t queue_drops = 0;
  std::int64_t rules_generation = 0;
};

struct RetentionPolicy {
  int activity_days = 30;
  int hits_months = 24;             // hits and the incidents left without hits
  int statistics_months = 36;       // hourly statistics for reports
  std::size_t delete_batch = 5000;  // rows per transaction, so writers are not held up
};

struct RetentionReport {
  TimeUs activity_cutoff_us = 0;
  TimeUs hits_cutoff_us = 0;
  std::int64_t activity_deleted = 0;
  std::int64_t capture_health_deleted = 0;  // same cutoff as the activity log
  std::int64_t hits_deleted = 0;
  std::int64_t incidents_deleted = 0;
  std::int64_t hits_kept_as_evidence = 0;  // older than the cutoff but linked to a concern
  TimeUs statistics_cutoff_us = 0;
  std::int64_t statistics_deleted = 0;
};

// ---- Console admin pages (issue 6): rows of the decision and checks logs as
// the console lists them, and each list's hits for the lists page.
struct DecisionRow {
  std::int64_t id = 0;
  TimeUs ts_us = 0;
  std::string actor{};
  DecisionEntry entry{};
};

struct CheckRow {
  std::int64_t id = 0;
  TimeUs ts_us = 0;
  std::string actor{};
  CheckEntry entry{};
};

struct ListHitCount {
  std::string list{};                // hits.list: the list's name
  std::int64_t hits = 0;             // hits since the period began
  std::int64_t false_positives = 0;  // of those, hits of incidents a DSL dismissed
  TimeUs last_hit_us = 0;
};
// ---- end of the console admin pages' block

// ---- Console safeguarding pages (issue 6): what the incident page shows
// beside an incident's hits.

// How often a rule's hits were in incidents a DSL dismissed as false
// positives (Reader::false_positive_counts).
struct FalsePositiveCount {
  std::string list{};
  std::string entry{};
  std::int64_t incidents = 0;  // dismissed incidents holding a hit of this rule
  std::int64_t hits = 0;       // that rule's hits in them
};

// One activity-log bucket: a device looked `name` up `count` times in one minute.
struct ActivityRow {
  TimeUs minute_us = 0;
  std::int64_t device_id = 0;
  std::string kind{};     // dns, sni, http_host, ...
  std::string name{};     // "" when kept with privacy hide_names
  std::string privacy{};  // full | hide_names | hide_clients
  std::int64_t count = 0;
};
// ---- end of the console safeguarding pages' block

}  // namespace vigil::store
