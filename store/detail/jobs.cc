#include "store/detail/jobs.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "store/detail/audit_chain.h"

namespace vigil::store::detail {
namespace {

constexpr std::int64_t kHourUs = 3'600'000'000;
constexpr std::int64_t kMinuteUs = 60'000'000;
constexpr std::int64_t kDayUs = 86'400'000'000;
constexpr const char* kRolledKey = "store.stats_rolled_hit_id";

}  // namespace

TimeUs months_before(TimeUs now_us, int months) noexcept {
  using namespace std::chrono;
  sys_time<microseconds> tp{microseconds(now_us)};
  sys_days day = floor<days>(tp);
  year_month_day ymd{day};
  ymd -= std::chrono::months(months);
  if (!ymd.ok()) ymd = ymd.year() / ymd.month() / last;
  return duration_cast<microseconds>((sys_days(ymd) + (tp - day)).time_since_epoch()).count();
}

Result<std::int64_t> rollup_hourly_stats(Connection& c, TimeUs now_us) {
  Transaction tx(c);
  if (auto s = tx.begin(); !s) return s.error();
  auto wm = c.prepare("SELECT CAST(value AS INTEGER) FROM settings WHERE key = ?");
  if (!wm) return wm.error();
  wm->bind(1, kRolledKey);
  std::int64_t rolled = 0;
  int rc = wm->step();
  if (rc == SQLITE_ROW) {
    rolled = wm->int64(0);
  } else if (rc != SQLITE_DONE) {
    return c.error(rc, "rollup");
  }
  auto span = c.prepare("SELECT min(ts_us), max(ts_us), max(id) FROM hits WHERE id > ?");
  if (!span) return span.error();
  span->bind(1, rolled);
  rc = span->step();
  if (rc != SQLITE_ROW) return c.error(rc, "rollup");
  if (span->is_null(0)) return std::int64_t{0};
  std::int64_t from_hour = span->int64(0) / kHourUs;
  std::int64_t to_hour = span->int64(1) / kHourUs;
  std::int64_t max_id = span->int64(2);
  // Hours are recomputed whole from the hits table, so hits arriving late
  // (a replayed capture, a drained spool) land in the right hour.
  std::vector<std::int64_t> hours;
  auto which = c.prepare(
      "SELECT DISTINCT ts_us / 3600000000 FROM hits WHERE id > ? AND ts_us >= ? AND ts_us < ?");
  if (!which) return which.error();
  which->bind(1, rolled);
  which->bind(2, from_hour * kHourUs);
  which->bind(3, (to_hour + 1) * kHourUs);
  while ((rc = which->step()) == SQLITE_ROW) hours.push_back(which->int64(0));
  if (rc != SQLITE_DONE) return c.error(rc, "rollup");
  auto del = c.prepare("DELETE FROM hourly_stats WHERE hour = ?");
  auto ins = c.prepare(
      "INSERT INTO hourly_stats(hour, category, severity, action, hits, devices, people) "
      "SELECT ?1, category, severity, action, count(*), count(DISTINCT device_id), "
      "count(DISTINCT person_id) FROM hits WHERE ts_us >= ?2 AND ts_us < ?3 "
      "GROUP BY category, severity, action");
  if (!del) return del.error();
  if (!ins) return ins.error();
  for (std::int64_t h : hours) {
    del->bind(1, h);
    if (auto s = run(c, *del, "rollup"); !s) return s.error();
    ins->bind(1, h);
    ins->bind(2, h * kHourUs);
    ins->bind(3, (h + 1) * kHourUs);
    if (auto s = run(c, *ins, "rollup"); !s) return s.error();
  }
  auto set = c.prepare(
      "INSERT INTO settings(key, value, updated_us, updated_by) VALUES (?, ?, ?, 'store') "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us");
  if (!set) return set.error();
  set->bind(1, kRolledKey);
  set->bind(2, std::to_string(max_id));
  set->bind(3, now_us);
  if (auto s = run(c, *set, "rollup"); !s) return s.error();
  if (auto s = tx.commit(); !s) return s.error();
  return static_cast<std::int64_t>(hours.size());
}

Result<RetentionReport> apply_retention(Connection& c, const RetentionPolicy& policy, TimeUs now_us,
                                        std::string_view actor) {
  if (policy.activity_days < 0 || policy.hits_months < 0 || policy.statistics_months < 0 ||
      policy.delete_batch == 0 || policy.activity_days > 36'500 || policy.hits_months > 1'200 ||
      policy.statistics_months > 1'200) {
    return Error{ErrorCode::Invalid, "retention: days and months must be 0 (keep) or positive"};
  }
  const auto batch =
      static_cast<std::int64_t>(std::min<std::size_t>(policy.delete_batch, 1'000'000));
  RetentionReport r;
  if (auto s = rollup_hourly_stats(c, now_us); !s) return s.error();

  if (policy.activity_days > 0) {
    r.activity_cutoff_us = now_us - policy.activity_days * kDayUs;
    const std::int64_t cutoff_minute = r.activity_cutoff_us / kMinuteUs;
    // Batches end at a minute boundary found by offset on the primary key.
    auto bound = c.prepare(
        "SELECT minute FROM activity WHERE minute < ?1 ORDER BY minute LIMIT 1 OFFSET ?2");
    auto del = c.prepare("DELETE FROM activity WHERE minute < ?1");
    if (!bound) return bound.error();
    if (!del) return del.error();
    for (;;) {
      Transaction tx(c);
      if (auto s = tx.begin(); !s) return s.error();
      bound->bind(1, cutoff_minute);
      bound->bind(2, batch);
      int rc = bound->step();
      std::int64_t upto = cutoff_minute;
      if (rc == SQLITE_ROW) {
        upto = std::max<std::int64_t>(bound->int64(0), 0) + 1;
        upto = std::min(upto, cutoff_minute);
      } else if (rc != SQLITE_DONE) {
        Error e = c.error(rc, "retention");
        bound->reset();
        return e;
      }
      bound->reset();
      del->bind(1, upto);
      if (auto s = run(c, *del, "retention"); !s) return s.error();
      std::int64_t n = sqlite3_changes64(c.get());
      if (auto s = tx.commit(); !s) return s.error();
      r.activity_deleted += n;
      if (upto >= cutoff_minute || n == 0) break;
    }
    // Capture health is telemetry like the activity log, kept as long.
    auto del_health = c.prepare(
        "DELETE FROM capture_health WHERE rowid IN (SELECT rowid FROM capture_health "
        "WHERE ts_us < ?1 ORDER BY ts_us LIMIT ?2)");
    if (!del_health) return del_health.error();
    for (;;) {
      Transaction tx(c);
      if (auto s = tx.begin(); !s) return s.error();
      del_health->bind(1, r.activity_cutoff_us);
      del_health->bind(2, batch);
      if (auto s = run(c, *del_health, "retention"); !s) return s.error();
      std::int64_t n = sqlite3_changes64(c.get());
      if (auto s = tx.commit(); !s) return s.error();
      r.capture_health_deleted += n;
      if (n < batch) break;
    }
  }

  if (policy.hits_months > 0) {
    r.hits_cutoff_us = months_before(now_us, policy.hits_months);
    auto scan = c.prepare(
        "SELECT h.id, h.ts_us, coalesce(i.status = 'linked', 0) FROM hits h "
        "LEFT JOIN incidents i ON i.id = h.incident_id "
        "WHERE h.ts_us < ?1 AND (h.ts_us > ?2 OR (h.ts_us = ?2 AND h.id > ?3)) "
        "ORDER BY h.ts_us, h.id LIMIT ?4");
    auto del = c.prepare("DELETE FROM hits WHERE id = ?");
    if (!scan) return scan.error();
    if (!del) return del.error();
    std::int64_t lo_ts = -1;
    std::int64_t lo_id = 0;
    for (;;) {
      Transaction tx(c);
      if (auto s = tx.begin(); !s) return s.error();
      scan->bind(1, r.hits_cutoff_us);
      scan->bind(2, lo_ts);
      scan->bind(3, lo_id);
      scan->bind(4, batch);
      std::vector<std::int64_t> doomed;
      std::int64_t seen = 0;
      int rc;
      while ((rc = scan->step()) == SQLITE_ROW) {
        ++seen;
        lo_id = scan->int64(0);
        lo_ts = scan->int64(1);
        if (scan->int64(2) != 0) {
          ++r.hits_kept_as_evidence;
        } else {
          doomed.push_back(lo_id);
        }
      }
      if (rc != SQLITE_DONE) {
        Error e = c.error(rc, "retention");
        scan->reset();
        return e;
      }
      scan->reset();
      for (std::int64_t id : doomed) {
        del->bind(1, id);
        if (auto s = run(c, *del, "retention"); !s) return s.error();
      }
      if (auto s = tx.commit(); !s) return s.error();
      r.hits_deleted += static_cast<std::int64_t>(doomed.size());
      if (seen < batch) break;
    }
    auto gone = c.prepare(
        "DELETE FROM incidents WHERE id IN (SELECT i.id FROM incidents i "
        "WHERE i.last_us < ?1 AND i.status <> 'linked' "
        "AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.incident_id = i.id) LIMIT ?2)");
    if (!gone) return gone.error();
    for (;;) {
      Transaction tx(c);
      if (auto s = tx.begin(); !s) return s.error();
      gone->bind(1, r.hits_cutoff_us);
      gone->bind(2, batch);
      if (auto s = run(c, *gone, "retention"); !s) return s.error();
      std::int64_t n = sqlite3_changes64(c.get());
      if (auto s = tx.commit(); !s) return s.error();
      r.incidents_deleted += n;
      if (n < batch) break;
    }
  }

  if (policy.statistics_months > 0) {
    r.statistics_cutoff_us = months_before(now_us, policy.statistics_months);
    // Whole hours only: an hour is dropped once all of it is past the cutoff.
    auto del = c.prepare(
        "DELETE FROM hourly_stats WHERE hour IN (SELECT DISTINCT hour FROM hourly_stats "
        "WHERE hour < ?1 ORDER BY hour LIMIT ?2)");
    if (!del) return del.error();
    for (;;) {
      Transaction tx(c);
      if (auto s = tx.begin(); !s) return s.error();
      del->bind(1, r.statistics_cutoff_us / kHourUs);
      del->bind(2, batch);
      if (auto s = run(c, *del, "retention"); !s) return s.error();
      std::int64_t n = sqlite3_changes64(c.get());
      if (auto s = tx.commit(); !s) return s.error();
      r.statistics_deleted += n;
      if (n == 0) break;
    }
  }

  Transaction tx(c);
  if (auto s = tx.begin(); !s) return s.error();
  std::string detail =
      "activity older than " + std::to_string(r.activity_cutoff_us) + ": " +
      std::to_string(r.activity_deleted) + " rows, capture health " +
      std::to_string(r.capture_health_deleted) + " rows; hits older than " +
      std::to_string(r.hits_cutoff_us) + ": " + std::to_string(r.hits_deleted) + " deleted, " +
      std::to_string(r.hits_kept_as_evidence) +
      " kept as concern evidence; incidents deleted: " + std::to_string(r.incidents_deleted) +
      "; statistics older than " + std::to_string(r.statistics_cutoff_us) + ": " +
      std::to_string(r.statistics_deleted) + " rows";
  auto a = append_audit(c, now_us, actor, "retention.purge", "store", 0, detail);
  if (!a) return a.error();
  if (auto s = tx.commit(); !s) return s.error();
  return r;
}

}  // namespace vigil::store::detail
