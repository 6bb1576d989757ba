#include "store/detail/schema.h"

#include <chrono>
#include <set>
#include <string>
#include <utility>

namespace vigil::store::detail {
namespace {

// Version 1: the case record. Devices, people and who uses which device;
// hits and the incidents they group into; concerns and their chronology;
// users; settings; the hash-chained audit log.
constexpr const char* kV1 = R"sql(
CREATE TABLE schema_migrations(
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_us INTEGER NOT NULL);

CREATE TABLE devices(
  id INTEGER PRIMARY KEY,
  device_key TEXT NOT NULL UNIQUE,
  mac TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL DEFAULT '',
  hostname TEXT NOT NULL DEFAULT '',
  first_seen_us INTEGER NOT NULL,
  last_seen_us INTEGER NOT NULL);

CREATE TABLE people(
  id INTEGER PRIMARY KEY,
  reference TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'unknown' CHECK (kind IN ('learner', 'staff', 'unknown')),
  cohort TEXT NOT NULL DEFAULT '',
  group_name TEXT NOT NULL DEFAULT '',
  under_18 INTEGER NOT NULL DEFAULT 0 CHECK (under_18 IN (0, 1)),
  created_us INTEGER NOT NULL);

CREATE TABLE device_people(
  device_id INTEGER NOT NULL REFERENCES devices(id),
  person_id INTEGER NOT NULL REFERENCES people(id),
  source TEXT NOT NULL,
  confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  first_seen_us INTEGER NOT NULL,
  last_seen_us INTEGER NOT NULL,
  PRIMARY KEY (device_id, person_id, source)) WITHOUT ROWID;
CREATE INDEX device_people_person ON device_people(person_id);

CREATE TABLE users(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'dsl', 'deputy_dsl', 'reporter', 'auditor')),
  password_hash TEXT NOT NULL DEFAULT '',
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_us INTEGER NOT NULL);

CREATE TABLE concerns(
  id INTEGER PRIMARY KEY,
  person_id INTEGER REFERENCES people(id),
  device_id INTEGER REFERENCES devices(id),
  state TEXT NOT NULL CHECK (state IN ('raised', 'under_review', 'no_further_action',
                                       'internal_support', 'referred', 'emergency', 'closed')),
  summary TEXT NOT NULL,
  raised_by TEXT NOT NULL,
  raised_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL,
  assigned_user_id INTEGER REFERENCES users(id),
  review_due_us INTEGER,
  outcome TEXT NOT NULL DEFAULT '',
  CHECK (state <> 'closed' OR length(outcome) > 0));
CREATE INDEX concerns_state ON concerns(state, review_due_us);
CREATE INDEX concerns_person ON concerns(person_id);
CREATE TRIGGER concerns_never_deleted BEFORE DELETE ON concerns
BEGIN SELECT RAISE(ABORT, 'concerns are never deleted'); END;

CREATE TABLE concern_events(
  id INTEGER PRIMARY KEY,
  concern_id INTEGER NOT NULL REFERENCES concerns(id),
  ts_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('raised', 'state', 'note', 'assigned', 'review_due',
                                     'incident_linked', 'referral')),
  from_state TEXT NOT NULL DEFAULT '',
  to_state TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '');
CREATE INDEX concern_events_concern ON concern_events(concern_id, id);
CREATE TRIGGER concern_events_no_update BEFORE UPDATE ON concern_events
BEGIN SELECT RAISE(ABORT, 'the chronology is append-only'); END;
CREATE TRIGGER concern_events_no_delete BEFORE DELETE ON concern_events
BEGIN SELECT RAISE(ABORT, 'the chronology is append-only'); END;

CREATE TABLE incidents(
  id INTEGER PRIMARY KEY,
  person_id INTEGER REFERENCES people(id),
  device_id INTEGER NOT NULL REFERENCES devices(id),
  category TEXT NOT NULL,
  first_us INTEGER NOT NULL,
  last_us INTEGER NOT NULL,
  hit_count INTEGER NOT NULL DEFAULT 0,
  score INTEGER NOT NULL DEFAULT 0,
  highest_severity TEXT NOT NULL CHECK (highest_severity IN ('advisory', 'caution', 'danger')),
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'dismissed', 'linked')),
  dismiss_reason TEXT NOT NULL DEFAULT '',
  concern_id INTEGER REFERENCES concerns(id),
  CHECK (status <> 'dismissed' OR length(dismiss_reason) > 0),
  CHECK (status <> 'linked' OR concern_id IS NOT NULL));
CREATE INDEX incidents_recent ON incidents(last_us, id);
CREATE INDEX incidents_status ON incidents(status, last_us, id);
CREATE INDEX incidents_category ON incidents(category, last_us, id);
CREATE INDEX incidents_severity ON incidents(highest_severity, last_us, id);
CREATE INDEX incidents_person ON incidents(person_id, category, status, last_us);
CREATE INDEX incidents_device ON incidents(device_id, category, status, last_us);
CREATE INDEX incidents_concern ON incidents(concern_id);

CREATE TABLE hits(
  id INTEGER PRIMARY KEY,
  ts_us INTEGER NOT NULL,
  device_id INTEGER NOT NULL REFERENCES devices(id),
  client_ip TEXT NOT NULL,
  kind TEXT NOT NULL,
  observation TEXT NOT NULL,
  value TEXT NOT NULL,
  search_term TEXT NOT NULL DEFAULT '',
  list TEXT NOT NULL,
  entry TEXT NOT NULL,
  list_line INTEGER NOT NULL DEFAULT 0,
  category TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('advisory', 'caution', 'danger')),
  action TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  statutory INTEGER NOT NULL DEFAULT 0,
  allowed INTEGER NOT NULL DEFAULT 0,
  weight INTEGER NOT NULL DEFAULT 0,
  flow_id INTEGER NOT NULL DEFAULT 0,
  person_id INTEGER REFERENCES people(id),
  attribution_source TEXT NOT NULL DEFAULT '',
  attribution_confidence REAL NOT NULL DEFAULT 0,
  incident_id INTEGER REFERENCES incidents(id));
-- Two indexes only, both appended to in time order: an index keyed by
-- device or person would dirty a random page per hit (see store/README.md).
-- A device's or person's hits are reached through its incidents.
CREATE INDEX hits_incident ON hits(incident_id, ts_us);
CREATE INDEX hits_time ON hits(ts_us);

CREATE TABLE settings(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_us INTEGER NOT NULL,
  updated_by TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE audit_log(
  id INTEGER PRIMARY KEY,
  ts_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '',
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// Version 2: telemetry and reporting. The activity log (per device, name and
// minute, with its privacy level), rule-set versions loaded, the decision
// and checks logs, and hourly statistics, backfilled from the hits already
// kept so reports cover the time before the upgrade.
constexpr const char* kV2 = R"sql(
CREATE TABLE activity(
  minute INTEGER NOT NULL,
  device_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  privacy TEXT NOT NULL CHECK (privacy IN ('full', 'hide_names', 'hide_clients')),
  count INTEGER NOT NULL,
  PRIMARY KEY (minute, device_id, kind, name)) WITHOUT ROWID;
CREATE INDEX activity_device ON activity(device_id, minute);

CREATE TABLE rule_sets(
  id INTEGER PRIMARY KEY,
  loaded_us INTEGER NOT NULL,
  version TEXT NOT NULL,
  source TEXT NOT NULL,
  lists INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  loaded_by TEXT NOT NULL);
CREATE INDEX rule_sets_time ON rule_sets(loaded_us);

CREATE TABLE decision_log(
  id INTEGER PRIMARY KEY,
  ts_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  change TEXT NOT NULL,
  target TEXT NOT NULL,
  list TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL CHECK (length(reason) > 0));
CREATE INDEX decision_log_time ON decision_log(ts_us);

CREATE TABLE checks_log(
  id INTEGER PRIMARY KEY,
  ts_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  what TEXT NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'partial')),
  action TEXT NOT NULL DEFAULT '');
CREATE INDEX checks_log_time ON checks_log(ts_us);

CREATE TABLE hourly_stats(
  hour INTEGER NOT NULL,
  category TEXT NOT NULL,
  severity TEXT NOT NULL,
  action TEXT NOT NULL,
  hits INTEGER NOT NULL,
  devices INTEGER NOT NULL,
  people INTEGER NOT NULL,
  PRIMARY KEY (hour, category, severity, action)) WITHOUT ROWID;

INSERT INTO hourly_stats(hour, category, severity, action, hits, devices, people)
  SELECT ts_us / 3600000000, category, severity, action, count(*), count(DISTINCT device_id),
         count(DISTINCT person_id)
  FROM hits GROUP BY 1, 2, 3, 4;
)sql";

// Version 3: the content of a Prevent referral, one row per concern,
// pre-filled for concerns that already exist from their summary and the
// incidents linked to them.
constexpr const char* kV3 = R"sql(
CREATE TABLE concern_referrals(
  concern_id INTEGER PRIMARY KEY REFERENCES concerns(id),
  how_arose TEXT NOT NULL DEFAULT '',
  indicators TEXT NOT NULL DEFAULT '',
  internet_use TEXT NOT NULL DEFAULT '',
  how_found TEXT NOT NULL DEFAULT '',
  contacts TEXT NOT NULL DEFAULT '',
  additional_needs TEXT NOT NULL DEFAULT '',
  other_concerns TEXT NOT NULL DEFAULT '',
  discussions TEXT NOT NULL DEFAULT '',
  parent_carer_support TEXT NOT NULL DEFAULT '',
  worries TEXT NOT NULL DEFAULT '',
  updated_us INTEGER NOT NULL,
  updated_by TEXT NOT NULL);

INSERT INTO concern_referrals(concern_id, how_arose, internet_use, updated_us, updated_by)
  SELECT c.id, c.summary,
         coalesce((SELECT group_concat(i.category || ': ' || i.hit_count || ' hits, highest ' ||
                                       i.highest_severity, '; ')
                   FROM incidents i WHERE i.concern_id = c.id), ''),
         c.updated_us, 'schema migration 3'
  FROM concerns c;
)sql";

// Version 4: the console's sign-in records (a TOTP second factor, and when
// the password last changed, which ends older sessions), and the concern
// chronology's 'escalated' kind. SQLite cannot change a CHECK constraint in
// place: concern_events is rebuilt under a new name with every row and id,
// then its index and append-only triggers are made again (DROP TABLE drops
// the old triggers and, with foreign keys on, deletes without firing them).
constexpr const char* kV4 = R"sql(
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0
  CHECK (totp_enabled IN (0, 1));
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_us INTEGER NOT NULL DEFAULT 0;

CREATE TABLE concern_events_v4(
  id INTEGER PRIMARY KEY,
  concern_id INTEGER NOT NULL REFERENCES concerns(id),
  ts_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('raised', 'state', 'note', 'assigned', 'review_due',
                                     'incident_linked', 'referral', 'escalated')),
  from_state TEXT NOT NULL DEFAULT '',
  to_state TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '');
INSERT INTO concern_events_v4(id, concern_id, ts_us, actor, kind, from_state, to_state, text)
  SELECT id, concern_id, ts_us, actor, kind, from_state, to_state, text FROM concern_events
  ORDER BY id;
DROP TABLE concern_events;
ALTER TABLE concern_events_v4 RENAME TO concern_events;
CREATE INDEX concern_events_concern ON concern_events(concern_id, id);
CREATE TRIGGER concern_events_no_update BEFORE UPDATE ON concern_events
BEGIN SELECT RAISE(ABORT, 'the chronology is append-only'); END;
CREATE TRIGGER concern_events_no_delete BEFORE DELETE ON concern_events
BEGIN SELECT RAISE(ABORT, 'the chronology is append-only'); END;
)sql";

// Version 5: capture health, one row per interface a minute while vigild
// captures live: its counters since vigild started (so a row with lower
// counters than the one before marks a restart), whether the interface was
// running, and the rules generation in force. Purged with the activity log.
// Also the dashboard's index: new incidents counted per severity without
// reading a row (from ~45 ms to ~5 ms for the dashboard at 1 M hits).
constexpr const char* kV5 = R"sql(
CREATE INDEX incidents_status_severity ON incidents(status, highest_severity);
CREATE TABLE capture_health(
  ts_us INTEGER NOT NULL,
  interface TEXT NOT NULL,
  running INTEGER NOT NULL CHECK (running IN (0, 1)),
  frames INTEGER NOT NULL,
  kernel_drops INTEGER NOT NULL,
  queue_drops INTEGER NOT NULL,
  rules_generation INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (ts_us, interface));
CREATE INDEX capture_health_time ON capture_health(ts_us);
)sql";

constexpr Migration kMigrations[] = {
    {1, "case record: devices, people, hits, incidents, concerns, users, audit", kV1},
    {2, "telemetry and reporting: activity, rule sets, decision and checks logs, hourly stats",
     kV2},
    {3, "Prevent referral content per concern", kV3},
    {4, "console sign-in: TOTP and password change time; concern event kind escalated", kV4},
    {5, "capture health: per-interface counters once a minute; dashboard index", kV5},
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::set<std::string>> schema_objects(Connection& c) {
  auto s = c.prepare(
      "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger') "
      "AND name NOT LIKE 'sqlite_%'");
  if (!s) return s.error();
  std::set<std::string> out;
  int rc;
  while ((rc = s->step()) == SQLITE_ROW) out.insert(s->text(0) + " " + s->text(1));
  if (rc != SQLITE_DONE) return c.error(rc, c.path());
  return out;
}

}  // namespace

std::span<const Migration> migrations() noexcept { return kMigrations; }

Result<Connection> open_current_read_only(const std::string& path,
                                          std::chrono::milliseconds busy_timeout,
                                          std::size_t cache_mb, std::string_view who) {
  auto c = Connection::open(path, OpenMode::ReadOnly, busy_timeout);
  if (!c) return c.error();
  auto v = schema_version(*c);
  if (!v) return v.error();
  if (*v == 0) return Error{ErrorCode::NotADatabase, path + ": not a Vigil store (empty database)"};
  if (*v < kSchemaVersion) {
    return Error{ErrorCode::SchemaTooOld, path + ": schema version " + std::to_string(*v) +
                                              " is older than " + std::to_string(kSchemaVersion) +
                                              "; run vigilctl store migrate"};
  }
  if (*v > kSchemaVersion) {
    return Error{ErrorCode::SchemaTooNew, path + ": schema version " + std::to_string(*v) +
                                              " is newer than this Vigil knows (" +
                                              std::to_string(kSchemaVersion) + ")"};
  }
  if (cache_mb == 0 || cache_mb > 16'384) {
    return Error{ErrorCode::Invalid, std::string(who) + ": cache_mb must be 1..16384"};
  }
  const std::string cache = "PRAGMA cache_size=-" + std::to_string(cache_mb * 1024);
  if (auto s = c->exec(cache.c_str(), path); !s) return s.error();
  return c;
}

Result<int> schema_version(Connection& c) {
  auto objects = c.query_int("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
  if (!objects) return objects.error();
  if (*objects == 0) return 0;
  auto has_table = c.query_int(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!has_table) return has_table.error();
  if (*has_table == 0) {
    return Error{ErrorCode::NotADatabase, c.path() + ": not a Vigil store (no schema_migrations)"};
  }
  auto recorded = c.query_int("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!recorded) return recorded.error();
  auto user_version = c.query_int("PRAGMA user_version");
  if (!user_version) return user_version.error();
  if (*recorded != *user_version) {
    return Error{ErrorCode::Corrupt, c.path() + ": schema_migrations says version " +
                                         std::to_string(*recorded) + ", user_version says " +
                                         std::to_string(*user_version)};
  }
  if (*recorded < 0 || *recorded > 1'000'000) {
    return Error{ErrorCode::Corrupt,
                 c.path() + ": impossible schema version " + std::to_string(*recorded)};
  }
  return static_cast<int>(*recorded);
}

Result<MigrationReport> migrate(Connection& c, int target) {
  if (target < 1 || target > kSchemaVersion) {
    return Error{ErrorCode::Invalid, "migrate: no schema version " + std::to_string(target)};
  }
  auto version = schema_version(c);
  if (!version) return version.error();
  MigrationReport report{*version, *version};
  if (*version > kSchemaVersion) {
    return Error{ErrorCode::SchemaTooNew,
                 c.path() + ": schema version " + std::to_string(*version) +
                     " is newer than this Vigil knows (" + std::to_string(kSchemaVersion) + ")"};
  }
  if (*version >= target) return report;
  // WAL cannot be switched on inside a transaction; it is persistent, so
  // doing it here covers every later opener.
  if (auto s = c.exec("PRAGMA journal_mode=WAL", c.path()); !s) return s.error();
  for (const Migration& m : migrations()) {
    if (m.version <= report.to || m.version > target) continue;
    Transaction tx(c);
    if (auto s = tx.begin(); !s) return s.error();
    // Re-read inside the write lock: another process may have migrated.
    auto again = schema_version(c);
    if (!again) return again.error();
    if (*again >= m.version) {
      report.to = *again;
      continue;
    }
    std::string what = "schema migration " + std::to_string(m.version);
    if (auto s = c.exec(m.sql, what); !s) return s.error();
    auto ins =
        c.prepare("INSERT INTO schema_migrations(version, name, applied_us) VALUES (?, ?, ?)");
    if (!ins) return ins.error();
    ins->bind(1, std::int64_t{m.version});
    ins->bind(2, m.name);
    ins->bind(3, now_us());
    if (auto s = run(c, *ins, what); !s) return s.error();
    std::string pragma = "PRAGMA user_version=" + std::to_string(m.version);
    if (auto s = c.exec(pragma.c_str(), what); !s) return s.error();
    if (auto s = tx.commit(); !s) return s.error();
    report.to = m.version;
  }
  return report;
}

Result<std::vector<std::string>> missing_schema_objects(Connection& c) {
  auto mem = Connection::open(":memory:", OpenMode::Create, std::chrono::milliseconds(0));
  if (!mem) return mem.error();
  for (const Migration& m : migrations()) {
    if (auto s = mem->exec(m.sql, "reference schema"); !s) return s.error();
  }
  auto want = schema_objects(*mem);
  if (!want) return want.error();
  auto have = schema_objects(c);
  if (!have) return have.error();
  std::vector<std::string> missing;
  for (const auto& o : *want) {
    if (have->count(o) == 0) missing.push_back(o);
  }
  return missing;
}

}  // namespace vigil::store::detail
