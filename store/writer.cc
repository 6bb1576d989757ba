#include "store/writer.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/detail/audit_chain.h"
#include "store/detail/jobs.h"
#include "store/detail/people.h"
#include "store/detail/schema.h"
#include "store/detail/sqlite.h"

namespace vigil::store {

// An incident new hits may join: one not yet triaged, or one linked to a
// concern that is still open (its evidence grows while the DSL works on it).
// Dismissed incidents, and those of closed concerns, stay as they were: a
// later hit starts a new incident to be looked at afresh.
#define INCIDENT_OPEN                                                                       \
  "(status = 'new' OR (status = 'linked' AND concern_id IN (SELECT id FROM concerns WHERE " \
  "state != 'closed')))"

using detail::Connection;
using detail::Statement;
using detail::Transaction;

std::string_view append_status_name(AppendStatus s) noexcept {
  switch (s) {
    case AppendStatus::Accepted:
      return "accepted";
    case AppendStatus::DroppedOverBound:
      return "dropped_over_bound";
    case AppendStatus::Invalid:
      return "invalid";
    case AppendStatus::Stopped:
      return "stopped";
  }
  return "?";
}

std::string_view alarm_name(Alarm a) noexcept {
  switch (a) {
    case Alarm::None:
      return "none";
    case Alarm::Busy:
      return "busy";
    case Alarm::DiskFull:
      return "disk_full";
    case Alarm::Error:
      return "error";
  }
  return "?";
}

namespace {

TimeUs system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
// Returns true when it cut.
bool cut_utf8(std::string& s, std::size_t max) noexcept {
  if (s.size() <= max) return false;
  std::size_t n = max;
  // Step back over continuation bytes (10xxxxxx) to the start of a character.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return true;
}

// Identifiers the store groups or filters by: lower-case ASCII, digits, '_'.
bool is_token(std::string_view s) noexcept {
  if (s.empty() || s.size() > kMaxTokenBytes) return false;
  for (char ch : s) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  }
  return true;
}

std::string device_key(std::string_view mac, std::string_view ip) {
  std::string k;
  if (!mac.empty()) {
    k = "mac:";
    for (char ch : mac) k += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  } else {
    k = "ip:";
    k += ip;
  }
  return k;
}

// The writer connection's prepared statements. Rebuilt when the connection
// is reopened after a disk error.
struct WriterDb {
  Connection conn;
  Statement find_device, insert_device, touch_device;
  Statement find_person, insert_person;
  Statement upsert_attribution;
  Statement find_incident_person, find_incident_device, insert_incident, update_incident;
  Statement insert_hit;
  Statement upsert_activity;

  static Result<std::unique_ptr<WriterDb>> open(const WriterOptions& o);
};

Result<std::unique_ptr<WriterDb>> WriterDb::open(const WriterOptions& o) {
  auto c = Connection::open(o.path, detail::OpenMode::Create, o.busy_timeout);
  if (!c) return c.error();
  auto db = std::make_unique<WriterDb>();
  db->conn = std::move(*c);
  auto version = detail::schema_version(db->conn);
  if (!version) return version.error();
  if (*version > detail::kSchemaVersion) {
    return Error{ErrorCode::SchemaTooNew, o.path + ": schema version " + std::to_string(*version) +
                                              " is newer than this Vigil knows (" +
                                              std::to_string(detail::kSchemaVersion) + ")"};
  }
  if (*version < detail::kSchemaVersion) {
    if (!o.migrate) {
      return Error{ErrorCode::SchemaTooOld,
                   o.path + ": schema version " + std::to_string(*version) + " is older than " +
                       std::to_string(detail::kSchemaVersion) + "; run vigilctl store migrate"};
    }
    auto m = detail::migrate(db->conn);
    if (!m) return m.error();
  }
  auto mode = db->conn.prepare("PRAGMA journal_mode=WAL");
  if (!mode) return mode.error();
  if (mode->step() != SQLITE_ROW || mode->text(0) != "wal") {
    return Error{ErrorCode::Sqlite, o.path + ": cannot use WAL journal mode on this file system"};
  }
  // Foreign keys are not enforced on this connection: every id the writer
  // stores it has just read or inserted itself, in the same transaction, and
  // the three parent lookups per hit cost about a tenth of its time. Every
  // other connection enforces them; `vigilctl store check` verifies them.
  const std::string tuning =
      "PRAGMA foreign_keys=OFF; PRAGMA journal_size_limit=67108864; PRAGMA cache_size=-" +
      std::to_string(o.cache_mb * 1024) +
      "; PRAGMA wal_autocheckpoint=" + std::to_string(o.wal_checkpoint_pages) + ";";
  if (auto s = db->conn.exec(tuning.c_str(), o.path); !s) return s.error();

  struct Prep {
    Statement* stmt;
    const char* sql;
  };
  const Prep preps[] = {
      {&db->find_device, "SELECT id FROM devices WHERE device_key = ?"},
      {&db->insert_device,
       "INSERT INTO devices(device_key, mac, ip, hostname, first_seen_us, last_seen_us) "
       "VALUES (?, ?, ?, ?, ?, ?)"},
      {&db->touch_device,
       "UPDATE devices SET last_seen_us = max(last_seen_us, ?2), "
       "first_seen_us = min(first_seen_us, ?3), ip = ?4, "
       "hostname = CASE WHEN ?5 <> '' THEN ?5 ELSE hostname END WHERE id = ?1"},
      {&db->find_person, "SELECT id FROM people WHERE reference = ?"},
      {&db->insert_person,
       "INSERT INTO people(reference, kind, created_us) VALUES (?, 'unknown', ?)"},
      {&db->upsert_attribution,
       "INSERT INTO device_people(device_id, person_id, source, confidence, first_seen_us, "
       "last_seen_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
       "ON CONFLICT(device_id, person_id, source) DO UPDATE SET confidence = excluded.confidence, "
       "first_seen_us = min(first_seen_us, excluded.first_seen_us), "
       "last_seen_us = max(last_seen_us, excluded.last_seen_us)"},
      {&db->find_incident_person,
       "SELECT id, first_us, last_us, highest_severity FROM incidents "
       "WHERE person_id = ? AND category = ? AND " INCIDENT_OPEN " ORDER BY last_us DESC LIMIT 1"},
      {&db->find_incident_device,
       "SELECT id, first_us, last_us, highest_severity FROM incidents "
       "WHERE device_id = ? AND person_id IS NULL AND category = ? AND " INCIDENT_OPEN " "
       "ORDER BY last_us DESC LIMIT 1"},
      {&db->insert_incident,
       "INSERT INTO incidents(person_id, device_id, category, first_us, last_us, hit_count, score, "
       "highest_severity) VALUES (?, ?, ?, ?, ?, 0, 0, ?)"},
      {&db->update_incident,
       "UPDATE incidents SET first_us = min(first_us, ?2), last_us = max(last_us, ?3), "
       "hit_count = hit_count + ?4, score = score + ?5, highest_severity = ?6 WHERE id = ?1"},
      {&db->insert_hit,
       "INSERT INTO hits(ts_us, device_id, client_ip, kind, observation, value, search_term, "
       "list, entry, list_line, category, severity, action, reason, statutory, allowed, weight, "
       "flow_id, person_id, attribution_source, attribution_confidence, incident_id) VALUES "
       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
       "?20, ?21, ?22)"},
      {&db->upsert_activity,
       "INSERT INTO activity(minute, device_id, kind, name, privacy, count) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(minute, device_id, kind, name) "
       "DO UPDATE SET count = count + excluded.count"},
  };
  for (const Prep& p : preps) {
    auto s = db->conn.prepare(p.sql);
    if (!s) return s.error();
    *p.stmt = std::move(*s);
  }
  return db;
}

struct ActivityKey {
  std::int64_t minute;
  std::string device;  // device key, "" when clients are hidden
  std::string kind;
  std::string name;
  bool operator<(const ActivityKey& o) const {
    return std::tie(minute, device, kind, name) < std::tie(o.minute, o.device, o.kind, o.name);
  }
};

struct ActivityDevice {
  std::string mac;
  std::string ip;
};

// An incident as the current batch sees it: its row, plus what the batch's
// hits add, written back once at the end of the batch.
struct IncidentState {
  std::int64_t id = 0;
  TimeUs first_us = 0;
  TimeUs last_us = 0;
  int severity_rank = 0;
  std::int64_t add_hits = 0;
  std::int64_t add_score = 0;
};

struct DeviceTouch {
  TimeUs first_us = 0;
  TimeUs last_us = 0;
  std::string ip;
  std::string hostname;
};

struct AttributionTouch {
  double confidence = 0;
  TimeUs first_us = 0;
  TimeUs last_us = 0;
};

constexpr std::string_view kSeverityNames[] = {"advisory", "caution", "danger"};

}  // namespace

struct Writer::Impl {
  WriterOptions opt;
  AckCallback on_commit;

  mutable std::mutex mu;
  std::condition_variable work_cv;
  mutable std::condition_variable acked_cv;
  // Hits accepted and not yet taken by the writer thread: a ring of slots
  // in chunks of kChunk, built when the spool first reaches them and kept,
  // so append() usually only move-assigns.
  static constexpr std::size_t kChunk = 1024;
  std::vector<std::unique_ptr<HitRecord[]>> chunks;
  std::size_t ring_size = 0;
  std::size_t head = 0;
  std::size_t queued = 0;
  std::size_t in_flight = 0;  // taken by the writer, not yet committed
  std::chrono::steady_clock::time_point oldest{};
  std::uint64_t next_ticket = 1;
  std::map<ActivityKey, std::int64_t> activity;
  std::map<std::string, ActivityDevice> activity_devices;
  std::chrono::steady_clock::time_point activity_oldest{};
  std::deque<std::function<void(WriterDb*)>> tasks;
  bool stopping = false;
  std::chrono::steady_clock::time_point drain_deadline{};
  WriterStats stats;  // counters under mu (acked_ticket mirrored in `acked`)
  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> invalid{0};
  std::atomic<std::uint64_t> truncated{0};

  // Writer thread only.
  std::unique_ptr<WriterDb> db;
  std::vector<HitRecord> batch;
  std::uint64_t batch_first_ticket = 0;
  std::map<ActivityKey, std::int64_t> batch_activity;
  std::map<std::string, ActivityDevice> batch_activity_devices;
  std::unordered_map<std::string, std::int64_t> device_ids;  // committed rows only
  std::unordered_map<std::string, std::int64_t> person_ids;  // committed rows only
  std::vector<Ack> acks;
  std::chrono::milliseconds backoff{0};
  std::thread thread;

  TimeUs now() const { return opt.clock ? opt.clock() : system_now_us(); }

  void run();
  Status commit_batch();
  Result<std::int64_t> device_id(std::string_view mac, std::string_view ip, std::string_view host,
                                 TimeUs ts, std::unordered_map<std::string, std::int64_t>& fresh,
                                 std::map<std::int64_t, DeviceTouch>& touched);
  Result<std::int64_t> person_id(const std::string& ref, TimeUs ts,
                                 std::unordered_map<std::string, std::int64_t>& fresh);
  void record_failure(const Error& e);
  HitRecord& slot(std::size_t i) { return chunks[i / kChunk][i % kChunk]; }
  template <class T>
  std::future<Result<T>> submit(std::function<Result<T>(WriterDb*)> fn);
};

Writer::Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Writer::~Writer() { stop(); }

Result<std::unique_ptr<Writer>> Writer::open(WriterOptions options, AckCallback on_commit) {
  if (options.path.empty()) return Error{ErrorCode::Invalid, "store writer: no database path"};
  if (options.spool_capacity == 0 || options.spool_capacity > (std::size_t{1} << 24) ||
      options.batch_max == 0 || options.batch_max > 1'000'000 ||
      options.activity_capacity > (std::size_t{1} << 24) || options.retry_min.count() <= 0 ||
      options.retry_max < options.retry_min || options.batch_delay.count() < 0 ||
      options.busy_timeout.count() < 0 || options.incident_window.count() <= 0 ||
      options.cache_mb == 0 || options.cache_mb > 16'384 || options.wal_checkpoint_pages == 0 ||
      options.wal_checkpoint_pages > 1'000'000) {
    return Error{ErrorCode::Invalid, "store writer: option out of range"};
  }
  auto impl = std::make_unique<Impl>();
  impl->opt = std::move(options);
  impl->on_commit = std::move(on_commit);
  auto db = WriterDb::open(impl->opt);
  if (!db) return db.error();
  impl->db = std::move(*db);
  impl->ring_size = (impl->opt.spool_capacity + Impl::kChunk - 1) / Impl::kChunk * Impl::kChunk;
  impl->chunks.resize(impl->ring_size / Impl::kChunk);
  impl->chunks[0] = std::make_unique<HitRecord[]>(Impl::kChunk);
  impl->batch.reserve(impl->opt.batch_max);
  impl->acks.reserve(impl->opt.batch_max);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<Writer>(new Writer(std::move(impl)));
}

AppendResult Writer::append(HitRecord&& hit) noexcept {
  Impl& m = *impl_;
  // Identifiers the store groups by must be well formed; the caller's bug,
  // not the traffic's, so refuse rather than guess.
  if (hit.ts_us <= 0 || hit.client_ip.empty() || hit.client_ip.size() > 64 ||
      hit.device_mac.size() > 64 || severity_rank(hit.severity) < 0 || !is_token(hit.category) ||
      !is_token(hit.action) || !is_token(hit.kind) || !is_token(hit.observation) ||
      hit.person_ref.size() > kMaxNameBytes || hit.attribution_source.size() > kMaxTokenBytes ||
      !(hit.attribution_confidence >= 0.0 && hit.attribution_confidence <= 1.0)) {
    m.invalid.fetch_add(1, std::memory_order_relaxed);
    return {AppendStatus::Invalid, 0};
  }
  // Text from packets: kept, cut to its bound.
  int cut = 0;
  cut += cut_utf8(hit.value, kMaxValueBytes) ? 1 : 0;
  cut += cut_utf8(hit.search_term, kMaxValueBytes) ? 1 : 0;
  cut += cut_utf8(hit.hostname, kMaxNameBytes) ? 1 : 0;
  cut += cut_utf8(hit.list, kMaxNameBytes) ? 1 : 0;
  cut += cut_utf8(hit.entry, kMaxValueBytes) ? 1 : 0;
  cut += cut_utf8(hit.reason, kMaxValueBytes) ? 1 : 0;
  if (cut != 0) m.truncated.fetch_add(static_cast<std::uint64_t>(cut), std::memory_order_relaxed);

  std::uint64_t ticket;
  bool wake;
  {
    std::lock_guard<std::mutex> lk(m.mu);
    if (m.stopping) return {AppendStatus::Stopped, 0};
    if (m.queued + m.in_flight >= m.opt.spool_capacity) {
      ++m.stats.dropped_over_bound;
      return {AppendStatus::DroppedOverBound, 0};
    }
    const std::size_t slot = (m.head + m.queued) % m.ring_size;
    auto& chunk = m.chunks[slot / Impl::kChunk];
    if (!chunk) {
      try {
        chunk = std::make_unique<HitRecord[]>(Impl::kChunk);
      } catch (...) {  // std::bad_alloc: counted, never thrown into the packet path
        ++m.stats.dropped_no_memory;
        return {AppendStatus::DroppedOverBound, 0};
      }
    }
    chunk[slot % Impl::kChunk] = std::move(hit);
    if (m.queued == 0) m.oldest = std::chrono::steady_clock::now();
    ++m.queued;
    ++m.stats.accepted;
    if (m.stats.alarm != Alarm::None) ++m.stats.spooled_total;
    m.stats.spool_high_water = std::max(m.stats.spool_high_water, m.queued + m.in_flight);
    ticket = m.next_ticket++;
    wake = m.queued == 1 || m.queued == m.opt.batch_max;
  }
  if (wake) m.work_cv.notify_one();
  return {AppendStatus::Accepted, ticket};
}

bool Writer::record_activity(const ActivityRecord& a) noexcept {
  Impl& m = *impl_;
  if (a.ts_us <= 0 || !is_token(a.kind) || a.name.size() > kMaxNameBytes ||
      a.client_ip.size() > 64 || a.device_mac.size() > 64 ||
      (a.client_ip.empty() && a.device_mac.empty())) {
    m.invalid.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  bool wake = false;
  try {
    ActivityKey key{a.ts_us / 60'000'000, {}, a.kind, {}};
    const ActivityPrivacy privacy = m.opt.activity_privacy;
    if (privacy != ActivityPrivacy::HideClients) key.device = device_key(a.device_mac, a.client_ip);
    if (privacy != ActivityPrivacy::HideNames) key.name = a.name;
    std::lock_guard<std::mutex> lk(m.mu);
    if (m.stopping) return false;
    auto it = m.activity.find(key);
    if (it == m.activity.end()) {
      if (m.activity.size() >= m.opt.activity_capacity) {
        ++m.stats.activity_dropped;
        return false;
      }
      if (m.activity.empty()) {
        m.activity_oldest = std::chrono::steady_clock::now();
        wake = true;
      }
      if (!key.device.empty() && m.activity_devices.count(key.device) == 0) {
        m.activity_devices.emplace(key.device, ActivityDevice{a.device_mac, a.client_ip});
      }
      m.activity.emplace(std::move(key), 1);
    } else {
      ++it->second;
    }
  } catch (...) {  // std::bad_alloc: counted, never thrown into the packet path
    std::lock_guard<std::mutex> lk(m.mu);
    ++m.stats.activity_dropped;
    return false;
  }
  if (wake) m.work_cv.notify_one();
  return true;
}

std::uint64_t Writer::acked_ticket() const noexcept {
  return impl_->acked.load(std::memory_order_acquire);
}

bool Writer::wait_acked(std::uint64_t ticket, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(impl_->mu);
  return impl_->acked_cv.wait_for(
      lk, timeout, [&] { return impl_->acked.load(std::memory_order_acquire) >= ticket; });
}

WriterStats Writer::stats() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  WriterStats s = impl_->stats;
  s.invalid = impl_->invalid.load(std::memory_order_relaxed);
  s.fields_truncated = impl_->truncated.load(std::memory_order_relaxed);
  s.spool_depth = impl_->queued + impl_->in_flight;
  s.acked_ticket = impl_->acked.load(std::memory_order_acquire);
  return s;
}

template <class T>
std::future<Result<T>> Writer::Impl::submit(std::function<Result<T>(WriterDb*)> fn) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  {
    std::lock_guard<std::mutex> lk(mu);
    if (stopping) {
      promise->set_value(Error{ErrorCode::Stopped, "store writer: stopping"});
      return future;
    }
    tasks.emplace_back([promise, fn = std::move(fn)](WriterDb* wdb) {
      if (wdb == nullptr) {
        promise->set_value(Error{ErrorCode::DiskFull, "store writer: database not open"});
        return;
      }
      promise->set_value(fn(wdb));
    });
  }
  work_cv.notify_one();
  return future;
}

std::future<Result<std::int64_t>> Writer::upsert_person(PersonRecord p) {
  Impl* m = impl_.get();
  return m->submit<std::int64_t>([m, p = std::move(p)](WriterDb* db) -> Result<std::int64_t> {
    if (!detail::person_fields_valid(p)) {
      return Error{ErrorCode::Invalid, "person: reference, name, kind, cohort or group invalid"};
    }
    Connection& c = db->conn;
    Transaction tx(c);
    if (auto s = tx.begin(); !s) return s.error();
    auto row = detail::upsert_person_row(c, p, m->now());
    if (!row) return row.error();
    const std::int64_t id = *row;
    if (auto s = tx.commit(); !s) return s.error();
    m->person_ids[p.reference] = id;
    return id;
  });
}

std::future<Result<std::int64_t>> Writer::record_rule_set(RuleSetRecord r) {
  Impl* m = impl_.get();
  return m->submit<std::int64_t>([m, r = std::move(r)](WriterDb* db) -> Result<std::int64_t> {
    if (r.version.empty() || r.version.size() > kMaxValueBytes ||
        r.source.size() > kMaxValueBytes || r.loaded_by.empty() ||
        r.loaded_by.size() > kMaxNameBytes || r.lists < 0 || r.entries < 0) {
      return Error{ErrorCode::Invalid, "rule set: version, source or loaded_by invalid"};
    }
    Connection& c = db->conn;
    Transaction tx(c);
    if (auto s = tx.begin(); !s) return s.error();
    auto ins = c.prepare(
        "INSERT INTO rule_sets(loaded_us, version, source, lists, entries, loaded_by) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    if (!ins) return ins.error();
    TimeUs ts = r.loaded_us > 0 ? r.loaded_us : m->now();
    ins->bind(1, ts);
    ins->bind(2, r.version);
    ins->bind(3, r.source);
    ins->bind(4, r.lists);
    ins->bind(5, r.entries);
    ins->bind(6, r.loaded_by);
    if (auto s = detail::run(c, *ins, "rule set"); !s) return s.error();
    std::int64_t id = sqlite3_last_insert_rowid(c.get());
    auto a = detail::append_audit(c, ts, r.loaded_by, "rules.loaded", "rule_set", id,
                                  r.version + " from " + r.source + " (" + std::to_string(r.lists) +
                                      " lists, " + std::to_string(r.entries) + " entries)");
    if (!a) return a.error();
    if (auto s = tx.commit(); !s) return s.error();
    return id;
  });
}

std::future<Result<RetentionReport>> Writer::run_retention(RetentionPolicy policy) {
  Impl* m = impl_.get();
  return m->submit<RetentionReport>([m, policy](WriterDb* db) {
    return detail::apply_retention(db->conn, policy, m->now(), "vigil-store");
  });
}

std::future<Result<std::int64_t>> Writer::rollup_statistics() {
  Impl* m = impl_.get();
  return m->submit<std::int64_t>(
      [m](WriterDb* db) { return detail::rollup_hourly_stats(db->conn, m->now()); });
}

std::future<Result<std::int64_t>> Writer::record_capture_health(
    std::vector<CaptureHealthSample> samples) {
  Impl* m = impl_.get();
  return m->submit<std::int64_t>(
      [samples = std::move(samples)](WriterDb* db) -> Result<std::int64_t> {
        for (const CaptureHealthSample& h : samples) {
          if (h.ts_us <= 0 || h.interface.empty() || h.interface.size() > kMaxNameBytes ||
              h.frames < 0 || h.kernel_drops < 0 || h.queue_drops < 0 || h.rules_generation < 0) {
            return Error{ErrorCode::Invalid, "capture health: time, interface or counter invalid"};
          }
        }
        Connection& c = db->conn;
        Transaction tx(c);
        if (auto s = tx.begin(); !s) return s.error();
        // OR REPLACE: a second sample in the same microsecond keeps the newer counters.
        auto ins = c.prepare(
            "INSERT OR REPLACE INTO capture_health(ts_us, interface, running, frames, "
            "kernel_drops, queue_drops, rules_generation) VALUES (?, ?, ?, ?, ?, ?, ?)");
        if (!ins) return ins.error();
        for (const CaptureHealthSample& h : samples) {
          ins->bind(1, h.ts_us);
          ins->bind(2, h.interface);
          ins->bind(3, std::int64_t{h.running ? 1 : 0});
          ins->bind(4, h.frames);
          ins->bind(5, h.kernel_drops);
          ins->bind(6, h.queue_drops);
          ins->bind(7, h.rules_generation);
          if (auto s = detail::run(c, *ins, "capture health"); !s) return s.error();
        }
        if (auto s = tx.commit(); !s) return s.error();
        return static_cast<std::int64_t>(samples.size());
      });
}

void Writer::stop(std::chrono::milliseconds drain_timeout) {
  if (!impl_ || !impl_->thread.joinable()) return;
  {
    std::lock_guard<std::mutex> lk(impl_->mu);
    if (!impl_->stopping) {
      impl_->stopping = true;
      impl_->drain_deadline = std::chrono::steady_clock::now() + drain_timeout;
    }
  }
  impl_->work_cv.notify_all();
  impl_->thread.join();
}

Result<std::int64_t> Writer::Impl::device_id(std::string_view mac, std::string_view ip,
                                             std::string_view host, TimeUs ts,
                                             std::unordered_map<std::string, std::int64_t>& fresh,
                                             std::map<std::int64_t, DeviceTouch>& touched) {
  std::string key = device_key(mac, ip);
  std::int64_t id = 0;
  if (auto it = device_ids.find(key); it != device_ids.end()) {
    id = it->second;
  } else if (auto f = fresh.find(key); f != fresh.end()) {
    id = f->second;
  } else {
    Statement& find = db->find_device;
    find.bind(1, key, true);
    int rc = find.step();
    if (rc == SQLITE_ROW) {
      id = find.int64(0);
      find.reset();
      device_ids.emplace(key, id);  // an existing row: safe to cache whatever happens next
    } else if (rc == SQLITE_DONE) {
      find.reset();
      Statement& ins = db->insert_device;
      ins.bind(1, key, true);
      ins.bind(2, mac, true);
      ins.bind(3, ip, true);
      ins.bind(4, host, true);
      ins.bind(5, ts);
      ins.bind(6, ts);
      if (auto s = detail::run(db->conn, ins, "device"); !s) return s.error();
      id = sqlite3_last_insert_rowid(db->conn.get());
      fresh.emplace(std::move(key), id);  // cached only once committed
      return id;
    } else {
      Error e = db->conn.error(rc, "device");
      find.reset();
      return e;
    }
  }
  auto [t, inserted] = touched.try_emplace(id);
  DeviceTouch& d = t->second;
  if (inserted) {
    d.first_us = ts;
    d.last_us = ts;
  } else {
    d.first_us = std::min(d.first_us, ts);
    d.last_us = std::max(d.last_us, ts);
  }
  if (!ip.empty()) d.ip.assign(ip);
  if (!host.empty()) d.hostname.assign(host);
  return id;
}

Result<std::int64_t> Writer::Impl::person_id(const std::string& ref, TimeUs ts,
                                             std::unordered_map<std::string, std::int64_t>& fresh) {
  if (auto it = person_ids.find(ref); it != person_ids.end()) return it->second;
  if (auto f = fresh.find(ref); f != fresh.end()) return f->second;
  Statement& find = db->find_person;
  find.bind(1, ref, true);
  int rc = find.step();
  if (rc == SQLITE_ROW) {
    std::int64_t id = find.int64(0);
    find.reset();
    person_ids.emplace(ref, id);
    return id;
  }
  if (rc != SQLITE_DONE) {
    Error e = db->conn.error(rc, "person");
    find.reset();
    return e;
  }
  find.reset();
  // A reference the daemon attributed but nobody imported yet: kept as an
  // "unknown" person so the hit is not detached from it.
  Statement& ins = db->insert_person;
  ins.bind(1, ref, true);
  ins.bind(2, ts);
  if (auto s = detail::run(db->conn, ins, "person"); !s) return s.error();
  std::int64_t id = sqlite3_last_insert_rowid(db->conn.get());
  fresh.emplace(ref, id);
  return id;
}

Status Writer::Impl::commit_batch() {
  Connection& c = db->conn;
  Transaction tx(c);
  if (auto s = tx.begin(); !s) return s;
  acks.clear();

  std::unordered_map<std::string, std::int64_t> fresh_devices;
  std::unordered_map<std::string, std::int64_t> fresh_people;
  std::map<std::int64_t, DeviceTouch> touched;
  std::map<std::tuple<std::int64_t, std::int64_t, std::string>, AttributionTouch> attributions;
  // Key: (person id, or 0 and the device id; category).
  std::map<std::tuple<std::int64_t, std::int64_t, std::string>, std::size_t> open_incidents;
  std::vector<IncidentState> incidents;
  const std::int64_t window = opt.incident_window.count();

  for (std::size_t i = 0; i < batch.size(); ++i) {
    const HitRecord& h = batch[i];
    auto dev = device_id(h.device_mac, h.client_ip, h.hostname, h.ts_us, fresh_devices, touched);
    if (!dev) return dev.error();
    std::int64_t person = 0;
    if (!h.person_ref.empty()) {
      auto p = person_id(h.person_ref, h.ts_us, fresh_people);
      if (!p) return p.error();
      person = *p;
      auto [a, inserted] =
          attributions.try_emplace(std::make_tuple(*dev, person, h.attribution_source),
                                   AttributionTouch{h.attribution_confidence, h.ts_us, h.ts_us});
      if (!inserted) {
        a->second.confidence = h.attribution_confidence;
        a->second.first_us = std::min(a->second.first_us, h.ts_us);
        a->second.last_us = std::max(a->second.last_us, h.ts_us);
      }
    }

    std::int64_t incident = 0;
    if (!h.allowed) {
      auto key = std::make_tuple(person, person != 0 ? 0 : *dev, h.category);
      const int rank = severity_rank(h.severity);
      IncidentState* st = nullptr;
      auto it = open_incidents.find(key);
      if (it != open_incidents.end()) {
        st = &incidents[it->second];
      } else {
        // The newest open incident for this person (or device) and category,
        // read inside the write lock so a dismissal made meanwhile by the
        // console is seen.
        Statement& find = person != 0 ? db->find_incident_person : db->find_incident_device;
        find.bind(1, person != 0 ? person : *dev);
        find.bind(2, h.category, true);
        int rc = find.step();
        if (rc == SQLITE_ROW) {
          IncidentState s;
          s.id = find.int64(0);
          s.first_us = find.int64(1);
          s.last_us = find.int64(2);
          s.severity_rank = std::max(0, severity_rank(find.text(3)));
          incidents.push_back(s);
          st = &incidents.back();
          open_incidents[key] = incidents.size() - 1;
        } else if (rc != SQLITE_DONE) {
          Error e = c.error(rc, "incident");
          find.reset();
          return e;
        }
        find.reset();
      }
      if (st == nullptr || h.ts_us > st->last_us + window || h.ts_us < st->first_us - window) {
        Statement& ins = db->insert_incident;
        ins.bind_id(1, person);
        ins.bind(2, *dev);
        ins.bind(3, h.category, true);
        ins.bind(4, h.ts_us);
        ins.bind(5, h.ts_us);
        ins.bind(6, h.severity, true);
        if (auto s = detail::run(c, ins, "incident"); !s) return s.error();
        IncidentState s;
        s.id = sqlite3_last_insert_rowid(c.get());
        s.first_us = h.ts_us;
        s.last_us = h.ts_us;
        s.severity_rank = rank;
        incidents.push_back(s);
        st = &incidents.back();
        open_incidents[key] = incidents.size() - 1;
      }
      st->first_us = std::min(st->first_us, h.ts_us);
      st->last_us = std::max(st->last_us, h.ts_us);
      st->severity_rank = std::max(st->severity_rank, rank);
      st->add_hits += 1;
      st->add_score += h.weight != 0 ? h.weight : default_hit_points(h.severity);
      incident = st->id;
    }

    Statement& ins = db->insert_hit;
    ins.bind(1, h.ts_us);
    ins.bind(2, *dev);
    ins.bind(3, h.client_ip, true);
    ins.bind(4, h.kind, true);
    ins.bind(5, h.observation, true);
    ins.bind(6, h.value, true);
    ins.bind(7, h.search_term, true);
    ins.bind(8, h.list, true);
    ins.bind(9, h.entry, true);
    ins.bind(10, static_cast<std::int64_t>(h.list_line));
    ins.bind(11, h.category, true);
    ins.bind(12, h.severity, true);
    ins.bind(13, h.action, true);
    ins.bind(14, h.reason, true);
    ins.bind(15, std::int64_t{h.statutory ? 1 : 0});
    ins.bind(16, std::int64_t{h.allowed ? 1 : 0});
    ins.bind(17, std::int64_t{h.weight});
    ins.bind(18, static_cast<std::int64_t>(h.flow_id));  // stored bit for bit
    ins.bind_id(19, person);
    ins.bind(20, h.attribution_source, true);
    ins.bind(21, h.attribution_confidence);
    ins.bind_id(22, incident);
    if (auto s = detail::run(c, ins, "hit"); !s) return s.error();
    acks.push_back(Ack{batch_first_ticket + i, sqlite3_last_insert_rowid(c.get()), incident});
  }

  for (const IncidentState& s : incidents) {
    if (s.add_hits == 0) continue;
    Statement& up = db->update_incident;
    up.bind(1, s.id);
    up.bind(2, s.first_us);
    up.bind(3, s.last_us);
    up.bind(4, s.add_hits);
    up.bind(5, s.add_score);
    up.bind(6, kSeverityNames[std::clamp(s.severity_rank, 0, 2)], true);
    if (auto st = detail::run(c, up, "incident"); !st) return st.error();
  }
  if (!batch_activity.empty()) {
    const std::string_view privacy = activity_privacy_name(opt.activity_privacy);
    for (const auto& [key, count] : batch_activity) {
      std::int64_t dev = 0;
      if (!key.device.empty()) {
        const ActivityDevice& d = batch_activity_devices[key.device];
        auto r = device_id(d.mac, d.ip, {}, key.minute * 60'000'000, fresh_devices, touched);
        if (!r) return r.error();
        dev = *r;
      }
      Statement& up = db->upsert_activity;
      up.bind(1, key.minute);
      up.bind(2, dev);
      up.bind(3, key.kind, true);
      up.bind(4, key.name, true);
      up.bind(5, privacy, true);
      up.bind(6, count);
      if (auto st = detail::run(c, up, "activity"); !st) return st.error();
    }
  }
  for (const auto& [id, d] : touched) {
    Statement& up = db->touch_device;
    up.bind(1, id);
    up.bind(2, d.last_us);
    up.bind(3, d.first_us);
    up.bind(4, d.ip, true);
    up.bind(5, d.hostname, true);
    if (auto st = detail::run(c, up, "device"); !st) return st.error();
  }
  for (const auto& [key, a] : attributions) {
    Statement& up = db->upsert_attribution;
    up.bind(1, std::get<0>(key));
    up.bind(2, std::get<1>(key));
    up.bind(3, std::get<2>(key), true);
    up.bind(4, a.confidence);
    up.bind(5, a.first_us);
    up.bind(6, a.last_us);
    if (auto st = detail::run(c, up, "attribution"); !st) return st.error();
  }
  if (auto s = tx.commit(); !s) return s;
  for (auto& [k, v] : fresh_devices) device_ids.emplace(k, v);
  for (auto& [k, v] : fresh_people) person_ids.emplace(k, v);
  return {};
}

void Writer::Impl::record_failure(const Error& e) {
  Alarm a = Alarm::Error;
  if (e.code == ErrorCode::Busy) a = Alarm::Busy;
  if (e.code == ErrorCode::DiskFull) a = Alarm::DiskFull;
  std::lock_guard<std::mutex> lk(mu);
  stats.alarm = a;
  stats.last_error = e.message;
  ++stats.retries;
}

void Writer::Impl::run() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> lk(mu);
  for (;;) {
    // Wait for a full batch, a batch that has waited long enough, work, or stop.
    for (;;) {
      if (!batch.empty() || !batch_activity.empty() || !tasks.empty()) break;
      if (queued >= opt.batch_max || (stopping && (queued > 0 || !activity.empty()))) break;
      if (stopping) break;
      auto now = Clock::now();
      if (queued > 0) {
        auto due = oldest + opt.batch_delay;
        if (now >= due) break;
        work_cv.wait_until(lk, due);
        continue;
      }
      if (!activity.empty()) {
        auto due = activity_oldest + opt.activity_flush;
        if (now >= due) break;
        work_cv.wait_until(lk, due);
        continue;
      }
      work_cv.wait(lk);
    }
    if (stopping && batch.empty() && queued == 0 && activity.empty() && batch_activity.empty() &&
        tasks.empty()) {
      break;
    }
    // Take what is queued (topping up a batch being retried keeps tickets in order).
    if (batch.empty()) batch_first_ticket = next_ticket - queued;
    std::size_t take = std::min(queued, opt.batch_max - std::min(opt.batch_max, batch.size()));
    for (std::size_t k = 0; k < take; ++k) {
      batch.push_back(std::move(slot(head)));
      slot(head) = HitRecord{};
      head = (head + 1) % ring_size;
    }
    queued -= take;
    in_flight += take;
    if (queued > 0) oldest = Clock::now();
    // While commits fail, buckets wait here up to activity_capacity; beyond
    // that the shared map fills and record_activity() counts its drops.
    if (!activity.empty() && batch_activity.size() + activity.size() <= opt.activity_capacity) {
      for (auto& [k, n] : activity) batch_activity[k] += n;
      for (auto& [k, d] : activity_devices) batch_activity_devices.try_emplace(k, d);
      activity.clear();
      activity_devices.clear();
    }
    std::deque<std::function<void(WriterDb*)>> work;
    work.swap(tasks);
    lk.unlock();

    bool failed = false;
    if (!batch.empty() || !batch_activity.empty()) {
      Status s;
      if (!db) {
        auto reopened = WriterDb::open(opt);
        if (reopened) {
          db = std::move(*reopened);
        } else {
          s = reopened.error();
        }
      }
      if (s) s = commit_batch();
      if (s) {
        const std::size_t n = batch.size();
        if (on_commit && n > 0) {
          try {
            on_commit(std::span<const Ack>(acks));
          } catch (...) {  // the callback's failure must not stop the writer
          }
        }
        lk.lock();
        in_flight -= n;
        stats.committed += n;
        ++stats.batches;
        stats.activity_rows += batch_activity.size();
        stats.alarm = Alarm::None;
        if (n > 0) acked.store(batch_first_ticket + n - 1, std::memory_order_release);
        lk.unlock();
        acked_cv.notify_all();
        batch.clear();
        batch_activity.clear();
        batch_activity_devices.clear();
        backoff = std::chrono::milliseconds(0);
      } else {
        failed = true;
        record_failure(s.error());
        // A connection that failed on the disk is reopened before the next
        // try: SQLite recovers from SQLITE_FULL in place, but an I/O error
        // can leave the connection unusable.
        if (s.error().code != ErrorCode::Busy) db.reset();
      }
    }
    for (auto& task : work) task(db.get());

    lk.lock();
    if (failed) {
      if (stopping && Clock::now() >= drain_deadline) {
        stats.lost_at_stop = batch.size() + queued;
        stats.activity_dropped += batch_activity.size() + activity.size();
        batch_activity.clear();
        activity.clear();
        in_flight = 0;
        queued = 0;
        batch.clear();
        break;
      }
      backoff = backoff.count() == 0 ? opt.retry_min : std::min(backoff * 2, opt.retry_max);
      // Appends keep spooling meanwhile; only a stop past its drain time cuts the wait.
      work_cv.wait_for(lk, backoff, [&] { return stopping && Clock::now() >= drain_deadline; });
    }
  }
  // Nothing may be waiting on a future forever.
  std::deque<std::function<void(WriterDb*)>> left;
  left.swap(tasks);
  lk.unlock();
  for (auto& task : left) task(db.get());
  db.reset();  // closing checkpoints the WAL into the database file
  acked_cv.notify_all();
}

Result<RetentionReport> run_retention(const std::string& path, const RetentionPolicy& policy,
                                      TimeUs now_us) {
  auto c = Connection::open(path, detail::OpenMode::ReadWrite, std::chrono::milliseconds(5'000));
  if (!c) return c.error();
  auto v = detail::schema_version(*c);
  if (!v) return v.error();
  if (*v != detail::kSchemaVersion) {
    return Error{*v > detail::kSchemaVersion ? ErrorCode::SchemaTooNew : ErrorCode::SchemaTooOld,
                 path + ": schema version " + std::to_string(*v) + ", expected " +
                     std::to_string(detail::kSchemaVersion)};
  }
  return detail::apply_retention(*c, policy, now_us, "vigil-store");
}

Result<std::int64_t> rollup_statistics(const std::string& path, TimeUs now_us) {
  auto c = Connection::open(path, detail::OpenMode::ReadWrite, std::chrono::milliseconds(5'000));
  if (!c) return c.error();
  auto v = detail::schema_version(*c);
  if (!v) return v.error();
  if (*v != detail::kSchemaVersion) {
    return Error{ErrorCode::SchemaTooOld, path + ": schema version " + std::to_string(*v) +
                                              ", expected " +
                                              std::to_string(detail::kSchemaVersion)};
  }
  return detail::rollup_hourly_stats(*c, now_us);
}

}  // namespace vigil::store
