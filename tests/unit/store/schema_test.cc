// Schema and migrations: a fresh store is the newest version, and a store
// built at every earlier version (with real rows, using that version's
// migrations only) upgrades with its data kept.

#include "store/detail/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "store/detail/audit_chain.h"
#include "store/maintenance.h"
#include "store/reader.h"
#include "store/writer.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::store {
namespace {

using ::testing::HasSubstr;
using testing::kHour;
using testing::kNow;
using testing::raw_exec;
using testing::raw_int;
using testing::raw_text;
using testing::TempDir;

detail::Connection open_at(const std::string& path, int version) {
  auto c = detail::Connection::open(path, detail::OpenMode::Create, std::chrono::seconds(5));
  EXPECT_TRUE(c.ok()) << c.error().message;
  auto m = detail::migrate(*c, version);
  EXPECT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->to, version);
  return std::move(*c);
}

// Rows every version has: what a v1 store would hold after some use.
void fill_v1(detail::Connection& c) {
  const std::string sql =
      "INSERT INTO devices(id, device_key, mac, ip, hostname, first_seen_us, last_seen_us) VALUES "
      " (1, 'mac:aa:bb:cc:00:00:01', 'aa:bb:cc:00:00:01', '10.0.0.5', 'lab-pc-1', " +
      std::to_string(kNow - 3 * kHour) + ", " + std::to_string(kNow) +
      "), (2, 'ip:10.0.0.9', '', '10.0.0.9', '', " + std::to_string(kNow - 2 * kHour) + ", " +
      std::to_string(kNow) +
      ");"
      "INSERT INTO people(id, reference, display_name, kind, cohort, group_name, under_18, "
      "created_us) VALUES (1, 'L1001', 'Sam Learner', 'learner', '2026-A', 'learners', 1, 1);"
      "INSERT INTO device_people VALUES (1, 1, 'dhcp_lease', 0.9, 1, 2);"
      "INSERT INTO users(id, name, role, created_us) VALUES (1, 'dsl1', 'dsl', 1);"
      "INSERT INTO concerns(id, person_id, device_id, state, summary, raised_by, raised_us, "
      "updated_us, assigned_user_id) VALUES (1, 1, 1, 'under_review', "
      "'Repeated searches for extremist material', 'vigil', 10, 20, 1);"
      "INSERT INTO concern_events(concern_id, ts_us, actor, kind, to_state, text) VALUES "
      " (1, 10, 'vigil', 'raised', 'raised', 'raised by scoring'),"
      " (1, 20, 'dsl1', 'state', 'under_review', 'looking into it');"
      "INSERT INTO incidents(id, person_id, device_id, category, first_us, last_us, hit_count, "
      "score, highest_severity, status, concern_id) VALUES "
      " (1, 1, 1, 'extremism', " +
      std::to_string(kNow - 3 * kHour) + ", " + std::to_string(kNow - 2 * kHour) +
      ", 2, 25, 'danger', 'linked', 1),"
      " (2, NULL, 2, 'gambling', " +
      std::to_string(kNow - kHour) + ", " + std::to_string(kNow - kHour) +
      ", 1, 1, 'advisory', 'new', NULL);"
      "INSERT INTO hits(ts_us, device_id, client_ip, kind, observation, value, search_term, list, "
      "entry, category, severity, action, person_id, attribution_source, attribution_confidence, "
      "incident_id) VALUES "
      " (" +
      std::to_string(kNow - 3 * kHour) +
      ", 1, '10.0.0.5', 'search_term', 'http_url', 'http://s.example/?q=x', 'x', 'kw', 'x', "
      "'extremism', 'danger', 'alert', 1, 'dhcp_lease', 0.9, 1),"
      " (" +
      std::to_string(kNow - 2 * kHour) +
      ", 1, '10.0.0.5', 'domain', 'sni', 'bad.example', '', 'ext', 'bad.example', "
      "'extremism', 'caution', 'block', 1, 'dhcp_lease', 0.9, 1),"
      " (" +
      std::to_string(kNow - kHour) +
      ", 2, '10.0.0.9', 'domain', 'dns', 'bet.example', '', 'gambling', 'bet.example', "
      "'gambling', 'advisory', 'log', NULL, '', 0, 2);"
      "INSERT INTO settings VALUES ('console.title', 'Centre A', 1, 'admin');";
  auto s = c.exec(sql.c_str(), "fill v1");
  ASSERT_TRUE(s.ok()) << s.error().message;
  detail::Transaction tx(c);
  ASSERT_TRUE(tx.begin().ok());
  for (int i = 0; i < 3; ++i) {
    auto a = detail::append_audit(c, kNow + i, "dsl1", "concern.read", "concern", 1, "row");
    ASSERT_TRUE(a.ok()) << a.error().message;
  }
  ASSERT_TRUE(tx.commit().ok());
}

void expect_v1_rows_kept(const std::string& path) {
  auto r = Reader::open({path});
  ASSERT_TRUE(r.ok()) << r.error().message;
  Reader& rd = **r;
  EXPECT_EQ(*rd.count_hits(), 3);
  auto inc = rd.incident(1);
  ASSERT_TRUE(inc.ok());
  ASSERT_TRUE(inc->has_value());
  EXPECT_EQ((*inc)->person_ref, "L1001");
  EXPECT_EQ((*inc)->device_hostname, "lab-pc-1");
  EXPECT_EQ((*inc)->hit_count, 2);
  EXPECT_EQ((*inc)->highest_severity, "danger");
  EXPECT_EQ((*inc)->status, IncidentStatus::Linked);
  auto hits = rd.incident_hits(1, 0, 10);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2U);
  EXPECT_EQ((*hits)[0].search_term, "x");
  EXPECT_EQ((*hits)[1].value, "bad.example");
  auto con = rd.concern(1);
  ASSERT_TRUE(con.ok() && con->has_value());
  EXPECT_EQ((*con)->state, ConcernState::UnderReview);
  EXPECT_EQ((*con)->assigned_to, "dsl1");
  EXPECT_EQ(rd.concern_events(1)->size(), 2U);
  auto person = rd.person(1);
  ASSERT_TRUE(person.ok() && person->has_value());
  EXPECT_TRUE((*person)->under_18);
  EXPECT_EQ(rd.attributions_of_device(1)->size(), 1U);
  EXPECT_EQ(**rd.setting("console.title"), "Centre A");
  auto audit = rd.verify_audit();
  ASSERT_TRUE(audit.ok());
  EXPECT_TRUE(audit->ok) << audit->problem;
  EXPECT_EQ(audit->rows, 3);
}

TEST(StoreSchema, MigrationsAreNumberedInOrder) {
  auto all = detail::migrations();
  ASSERT_EQ(static_cast<int>(all.size()), detail::kSchemaVersion);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].version, static_cast<int>(i) + 1);
  EXPECT_EQ(schema_version_supported(), detail::kSchemaVersion);
}

TEST(StoreSchema, InitCreatesTheNewestSchemaInWalMode) {
  TempDir dir;
  const std::string db = dir.file("vigil.db");
  auto v = init_store(db);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, detail::kSchemaVersion);
  EXPECT_EQ(raw_int(db, "SELECT count(*) FROM schema_migrations"), detail::kSchemaVersion);
  EXPECT_EQ(raw_int(db, "PRAGMA user_version"), detail::kSchemaVersion);
  EXPECT_EQ(raw_text(db, "PRAGMA journal_mode"), "wal");
  auto report = check_store(db);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  // A second init must not touch an existing store.
  auto again = init_store(db);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::Exists);
}

TEST(StoreSchema, Version1StoreMigratesWithItsDataKept) {
  TempDir dir;
  const std::string db = dir.file("v1.db");
  {
    auto c = open_at(db, 1);
    fill_v1(c);
  }
  EXPECT_EQ(raw_int(db, "PRAGMA user_version"), 1);
  auto change = migrate_store(db);
  ASSERT_TRUE(change.ok()) << change.error().message;
  EXPECT_EQ(change->from, 1);
  EXPECT_EQ(change->to, detail::kSchemaVersion);
  // The pre-migration copy is a readable version-1 store.
  ASSERT_FALSE(change->backup_path.empty());
  EXPECT_EQ(raw_int(change->backup_path, "PRAGMA user_version"), 1);
  EXPECT_EQ(raw_int(change->backup_path, "SELECT count(*) FROM hits"), 3);

  expect_v1_rows_kept(db);
  auto r = Reader::open({db});
  ASSERT_TRUE(r.ok());
  // Version 2 backfilled hourly statistics from the hits already kept.
  auto stats = (*r)->hourly_stats(kNow - 4 * kHour, kNow);
  ASSERT_TRUE(stats.ok());
  std::int64_t total = 0;
  for (const auto& s : *stats) total += s.hits;
  EXPECT_EQ(total, 3);
  EXPECT_EQ(stats->size(), 3U);  // three hours, one category/severity/action each
  // Version 3 pre-filled the referral from the summary and linked incidents.
  auto ref = (*r)->referral(1);
  ASSERT_TRUE(ref.ok() && ref->has_value());
  EXPECT_EQ((*ref)->how_arose, "Repeated searches for extremist material");
  EXPECT_EQ((*ref)->internet_use, "extremism: 2 hits, highest danger");
  EXPECT_EQ((*ref)->updated_by, "schema migration 3");

  auto report = check_store(db);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  EXPECT_EQ(report->hits, 3);
  EXPECT_EQ(report->concerns, 1);

  // Migrating again is a no-op and takes no second backup.
  auto again = migrate_store(db);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->from, detail::kSchemaVersion);
  EXPECT_TRUE(again->backup_path.empty());
}

TEST(StoreSchema, Version2StoreMigratesWithItsDataKept) {
  TempDir dir;
  const std::string db = dir.file("v2.db");
  {
    auto c = open_at(db, 2);
    fill_v1(c);
    auto s = c.exec(
        "INSERT INTO activity VALUES (29559600, 1, 'dns', 'example.org', 'full', 12);"
        "INSERT INTO rule_sets(loaded_us, version, source, lists, entries, loaded_by) VALUES "
        " (5, 'sha256:abc', '/etc/vigil/rules', 4, 1200, 'vigild');"
        "INSERT INTO decision_log(ts_us, actor, change, target, list, reason) VALUES "
        " (6, 'admin', 'add_allow', 'bbc.co.uk', 'manual', 'news site blocked by mistake');"
        "INSERT INTO checks_log(ts_us, actor, what, result, action) VALUES "
        " (7, 'admin', 'tested a CTIRU-listed URL from a learner laptop', 'pass', '');",
        "fill v2");
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  auto change = migrate_store(db);
  ASSERT_TRUE(change.ok()) << change.error().message;
  EXPECT_EQ(change->from, 2);
  EXPECT_EQ(change->to, detail::kSchemaVersion);
  expect_v1_rows_kept(db);
  EXPECT_EQ(raw_int(db, "SELECT count FROM activity WHERE name = 'example.org'"), 12);
  EXPECT_EQ(raw_text(db, "SELECT version FROM rule_sets"), "sha256:abc");
  EXPECT_EQ(raw_text(db, "SELECT reason FROM decision_log"), "news site blocked by mistake");
  EXPECT_EQ(raw_text(db, "SELECT result FROM checks_log"), "pass");
  EXPECT_EQ(raw_int(db, "SELECT count(*) FROM concern_referrals"), 1);
}

TEST(StoreSchema, Version3StoreMigratesWithItsDataKept) {
  TempDir dir;
  const std::string db = dir.file("v3.db");
  {
    auto c = open_at(db, 3);
    fill_v1(c);
    auto s = c.exec(
        "INSERT INTO users(id, name, role, password_hash, created_us) VALUES "
        " (2, 'admin1', 'admin', '$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA', 5);",
        "fill v3");
    ASSERT_TRUE(s.ok()) << s.error().message;
    // 'escalated' is not a chronology kind before version 4.
    EXPECT_FALSE(c.exec("INSERT INTO concern_events(concern_id, ts_us, actor, kind) VALUES "
                        "(1, 30, 'dsl1', 'escalated')",
                        "escalate")
                     .ok());
  }
  auto change = migrate_store(db);
  ASSERT_TRUE(change.ok()) << change.error().message;
  EXPECT_EQ(change->from, 3);
  EXPECT_EQ(change->to, detail::kSchemaVersion);
  expect_v1_rows_kept(db);
  // Users keep their password and gain the sign-in columns at their defaults.
  EXPECT_EQ(raw_text(db, "SELECT password_hash FROM users WHERE name = 'admin1'"),
            "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
  EXPECT_EQ(raw_int(db,
                    "SELECT count(*) FROM users WHERE totp_secret = '' AND totp_enabled = 0 AND "
                    "totp_last_step = 0 AND password_changed_us = 0"),
            2);
  // The rebuilt chronology keeps its rows and ids, takes 'escalated' and
  // still refuses updates and deletes.
  EXPECT_EQ(raw_text(db, "SELECT group_concat(id || ':' || kind, ',') FROM concern_events"),
            "1:raised,2:state");
  std::string err;
  EXPECT_EQ(raw_exec(db,
                     "INSERT INTO concern_events(concern_id, ts_us, actor, kind, text) VALUES "
                     "(1, 30, 'dsl1', 'escalated', 'to the DSL')"),
            SQLITE_OK);
  EXPECT_EQ(raw_int(db, "SELECT id FROM concern_events WHERE kind = 'escalated'"), 3);
  EXPECT_NE(raw_exec(db, "UPDATE concern_events SET text = 'changed' WHERE id = 1", &err),
            SQLITE_OK);
  EXPECT_THAT(err, HasSubstr("append-only"));
  EXPECT_NE(raw_exec(db, "DELETE FROM concern_events WHERE id = 2", &err), SQLITE_OK);
  EXPECT_THAT(err, HasSubstr("append-only"));
  EXPECT_NE(raw_exec(db,
                     "INSERT INTO concern_events(concern_id, ts_us, actor, kind) VALUES "
                     "(1, 31, 'dsl1', 'gossip')"),
            SQLITE_OK);
  EXPECT_NE(raw_exec(db, "UPDATE users SET totp_enabled = 2 WHERE id = 1"), SQLITE_OK);
  auto report = check_store(db);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
}

TEST(StoreSchema, Version4StoreMigratesWithItsDataKept) {
  TempDir dir;
  const std::string db = dir.file("v4.db");
  {
    auto c = open_at(db, 4);
    fill_v1(c);
    EXPECT_FALSE(c.exec("SELECT count(*) FROM capture_health", "no table yet").ok());
  }
  auto change = migrate_store(db);
  ASSERT_TRUE(change.ok()) << change.error().message;
  EXPECT_EQ(change->from, 4);
  EXPECT_EQ(change->to, 5);
  expect_v1_rows_kept(db);
  EXPECT_EQ(raw_int(db, "SELECT count(*) FROM capture_health"), 0);
  EXPECT_EQ(raw_exec(db,
                     "INSERT INTO capture_health(ts_us, interface, running, frames, kernel_drops, "
                     "queue_drops) VALUES (60000000, 'eth0', 1, 10, 0, 0)"),
            SQLITE_OK);
  EXPECT_EQ(raw_int(db, "SELECT rules_generation FROM capture_health"), 0);
  std::string err;
  // One row per interface and time; running is a flag.
  EXPECT_NE(raw_exec(db,
                     "INSERT INTO capture_health(ts_us, interface, running, frames, kernel_drops, "
                     "queue_drops) VALUES (60000000, 'eth0', 1, 11, 0, 0)",
                     &err),
            SQLITE_OK);
  EXPECT_NE(raw_exec(db,
                     "INSERT INTO capture_health(ts_us, interface, running, frames, kernel_drops, "
                     "queue_drops) VALUES (120000000, 'eth0', 2, 11, 0, 0)"),
            SQLITE_OK);
  EXPECT_EQ(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'capture_health_time'"),
            1);
  auto report = check_store(db);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
}

TEST(StoreSchema, WriterMigratesAnOlderStoreOnOpenUnlessTold) {
  TempDir dir;
  const std::string db = dir.file("v1.db");
  {
    auto c = open_at(db, 1);
    fill_v1(c);
  }
  WriterOptions o;
  o.path = db;
  o.migrate = false;
  auto refused = Writer::open(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::SchemaTooOld);
  auto reader = Reader::open({db});
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().code, ErrorCode::SchemaTooOld);
  o.migrate = true;
  auto w = Writer::open(o);
  ASSERT_TRUE(w.ok()) << w.error().message;
  (*w)->stop();
  expect_v1_rows_kept(db);
}

TEST(StoreSchema, AFailedMigrationLeavesThePreviousVersion) {
  TempDir dir;
  const std::string db = dir.file("v1.db");
  {
    auto c = open_at(db, 1);
    fill_v1(c);
    // Something version 2 will collide with.
    ASSERT_TRUE(c.exec("CREATE TABLE activity(x)", "setup").ok());
  }
  auto change = migrate_store(db);
  ASSERT_FALSE(change.ok());
  EXPECT_THAT(change.error().message, HasSubstr("schema migration 2"));
  EXPECT_EQ(raw_int(db, "PRAGMA user_version"), 1);
  EXPECT_EQ(raw_int(db, "SELECT max(version) FROM schema_migrations"), 1);
  EXPECT_EQ(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'rule_sets'"), 0);
  EXPECT_EQ(raw_int(db, "SELECT count(*) FROM hits"), 3);
}

TEST(StoreSchema, ANewerSchemaIsRefusedEverywhere) {
  TempDir dir;
  const std::string db = dir.file("future.db");
  ASSERT_TRUE(init_store(db).ok());
  const int future = detail::kSchemaVersion + 1;
  ASSERT_EQ(
      raw_exec(db, "INSERT INTO schema_migrations VALUES (" + std::to_string(future) +
                       ", 'from the future', 1); PRAGMA user_version=" + std::to_string(future)),
      SQLITE_OK);
  auto m = migrate_store(db);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::SchemaTooNew);
  EXPECT_EQ(check_store(db).error().code, ErrorCode::SchemaTooNew);
  EXPECT_EQ(Reader::open({db}).error().code, ErrorCode::SchemaTooNew);
  WriterOptions o;
  o.path = db;
  EXPECT_EQ(Writer::open(o).error().code, ErrorCode::SchemaTooNew);
}

TEST(StoreSchema, FilesThatAreNotStoresAreNamedAsSuch) {
  TempDir dir;
  const std::string text = dir.file("notes.txt");
  { std::ofstream(text) << std::string(4096, 'x'); }
  auto r = check_store(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::NotADatabase);
  EXPECT_THAT(r.error().message, HasSubstr("not a SQLite database"));

  const std::string other = dir.file("other.db");
  ASSERT_EQ(raw_exec(other, "CREATE TABLE t(x)"), SQLITE_OK);
  auto o = check_store(other);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.error().message, HasSubstr("not a Vigil store"));

  auto missing = check_store(dir.file("missing.db"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.file("missing.db")));  // not created by a check

  auto d = verify_audit(dir.path().string());
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.error().message, HasSubstr("is a directory"));
}

TEST(StoreSchema, CheckNamesAMissingIndexAndBrokenForeignKeys) {
  TempDir dir;
  const std::string db = dir.file("vigil.db");
  ASSERT_TRUE(init_store(db).ok());
  ASSERT_EQ(raw_exec(db,
                     "DROP INDEX hits_time; PRAGMA foreign_keys=OFF;"
                     "INSERT INTO hits(ts_us, device_id, client_ip, kind, observation, value, "
                     "list, entry, category, severity, action) VALUES (1, 99, '10.0.0.1', "
                     "'domain', 'dns', 'x', 'l', 'x', 'gambling', 'advisory', 'log')"),
            SQLITE_OK);
  auto r = check_store(db);
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::string all;
  for (const auto& p : r->problems) all += p + "\n";
  EXPECT_THAT(all, HasSubstr("schema: missing index hits_time"));
  EXPECT_THAT(all, HasSubstr("foreign key: hits row 1 refers to a missing devices row"));
}

}  // namespace
}  // namespace vigil::store
