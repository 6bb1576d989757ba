#pragma once
// The store's single writer: one thread owning one read-write connection,
// fed by a bounded queue that doubles as the spool while the database is
// busy or the disk is full. Hits are committed in batches (by count and by
// time) with WAL and synchronous=FULL; a hit is acknowledged (its ticket
// reported and acked_ticket() advanced) only after the COMMIT that holds it
// has returned.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/result.h"
#include "store/types.h"

namespace vigil::store {

// Defaults are the configuration's (store.* keys in daemon/config).
struct WriterOptions {
  std::string path;
  // At most this many hits accepted and not yet committed (queued, spooled
  // or in the transaction being retried): store.spool_max_hits. Slots (about
  // 0.5 KB each plus the hits' text) are allocated 1024 at a time when the
  // spool first grows that far, and kept.
  std::size_t spool_capacity = 100'000;
  std::size_t batch_max = 4096;                   // store.batch_max_hits
  std::chrono::milliseconds batch_delay{200};     // store.batch_max_delay
  std::chrono::milliseconds busy_timeout{5'000};  // store.busy_timeout: SQLite's own wait
  std::chrono::milliseconds retry_min{20};        // back-off after a failed commit ...
  std::chrono::milliseconds retry_max{1'000};     // ... doubling up to this
  std::chrono::microseconds incident_window =
      std::chrono::hours(1);  // gap that starts a new incident
  ActivityPrivacy activity_privacy = ActivityPrivacy::Full;
  std::size_t activity_capacity = 50'000;  // distinct activity buckets waiting for a commit
  std::chrono::milliseconds activity_flush{1'000};
  // SQLite page cache of the writer's connection: the incident lookups and
  // index updates stay in memory instead of re-reading pages per batch.
  std::size_t cache_mb = 64;
  // WAL pages before an automatic checkpoint copies them into the database.
  std::size_t wal_checkpoint_pages = 4'000;
  bool migrate = true;              // bring an older schema up to date on open (else SchemaTooOld)
  std::function<TimeUs()> clock{};  // now, for audit rows and retention; system clock when empty
};

enum class AppendStatus : unsigned char {
  Accepted,          // queued; the ticket will be acknowledged after its COMMIT
  DroppedOverBound,  // the spool is full: counted in dropped_over_bound, never acknowledged
  Invalid,           // a field breaks a rule (unknown severity, no client IP, ...): counted
  Stopped,           // stop() has begun
};
std::string_view append_status_name(AppendStatus s) noexcept;

struct AppendResult {
  AppendStatus status = AppendStatus::Stopped;
  std::uint64_t ticket = 0;  // 1, 2, 3, ... in append order for accepted hits; 0 otherwise
};

// One committed hit.
struct Ack {
  std::uint64_t ticket = 0;
  std::int64_t hit_id = 0;       // hits.id
  std::int64_t incident_id = 0;  // 0 for allowed hits
};

// Called on the writer thread right after each COMMIT, in ticket order,
// with the batch's hits. It must be quick and must not call back into the
// writer's blocking methods (wait_acked, stop, the futures).
using AckCallback = std::function<void(std::span<const Ack>)>;

enum class Alarm : unsigned char {
  None,
  Busy,      // another connection holds the write lock
  DiskFull,  // SQLITE_FULL or an I/O error while writing
  Error,     // anything else (corruption, permissions): needs a person
};
std::string_view alarm_name(Alarm a) noexcept;

struct WriterStats {
  std::uint64_t accepted = 0;
  std::uint64_t committed = 0;  // hits committed (and acknowledged)
  std::uint64_t batches = 0;    // transactions committed
  std::uint64_t invalid = 0;
  std::uint64_t dropped_over_bound = 0;
  std::uint64_t dropped_no_memory = 0;  // a spool chunk could not be allocated
  std::uint64_t spooled_total = 0;      // hits accepted while an alarm was raised
  std::uint64_t retries = 0;            // failed commit attempts
  std::uint64_t fields_truncated = 0;
  std::uint64_t activity_dropped = 0;  // activity records over activity_capacity
  std::uint64_t activity_rows = 0;     // activity buckets written
  std::uint64_t lost_at_stop = 0;      // accepted, never committed, writer stopped (never acked)
  std::size_t spool_depth = 0;         // accepted and not yet committed, now
  std::size_t spool_high_water = 0;
  std::uint64_t acked_ticket = 0;  // every ticket <= this is committed
  Alarm alarm = Alarm::None;
  std::string last_error;  // the most recent failure, kept after it clears
};

class Writer {
 public:
  // Opens (creating if missing) the store at options.path, migrates it when
  // allowed, and starts the writer thread.
  static Result<std::unique_ptr<Writer>> open(WriterOptions options, AckCallback on_commit = {});

  ~Writer();  // stop() with its default drain time
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // The packet path's entry: validates (cutting over-long text at a UTF-8
  // boundary), then queues. Never blocks on SQLite and never throws; it
  // allocates only when the spool grows past its high-water mark.
  AppendResult append(HitRecord&& hit) noexcept;

  // Counts one observation into its (minute, device, kind, name) bucket,
  // with the configured privacy applied. False when dropped (counted).
  bool record_activity(const ActivityRecord& a) noexcept;

  std::uint64_t acked_ticket() const noexcept;
  // True once every ticket up to `ticket` is committed.
  bool wait_acked(std::uint64_t ticket, std::chrono::milliseconds timeout) const;
  WriterStats stats() const;

  // Work other than hits runs on the writer thread between batches, each in
  // its own transaction; the future carries its result.
  std::future<Result<std::int64_t>> upsert_person(PersonRecord person);
  std::future<Result<std::int64_t>> record_rule_set(RuleSetRecord rule_set);
  std::future<Result<RetentionReport>> run_retention(RetentionPolicy policy);
  std::future<Result<std::int64_t>> rollup_statistics();
  // One capture_health row per sample (interfaces of one moment), in one
  // transaction; the result is the number of rows written. The caller need
  // not wait: the samples are copied into the writer's task queue.
  std::future<Result<std::int64_t>> record_capture_health(std::vector<CaptureHealthSample> samples);

  // Stops accepting, commits what is queued (retrying for up to
  // `drain_timeout` if the database is busy or full), then joins the
  // thread. Hits still uncommitted are counted in lost_at_stop; they were
  // never acknowledged.
  void stop(std::chrono::milliseconds drain_timeout = std::chrono::seconds(10));

  struct Impl;

 private:
  explicit Writer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Retention as a job on its own connection, for a scheduler outside vigild
// (e.g. a systemd timer running vigilctl). Rolls up statistics first so
// reports keep the purged hits' counts, then deletes in batches of
// policy.delete_batch rows per transaction, and writes one audit row.
Result<RetentionReport> run_retention(const std::string& path, const RetentionPolicy& policy,
                                      TimeUs now_us);

// Recomputes hourly_stats for every hour that received hits since the last
// rollup. Returns the number of hours recomputed.
Result<std::int64_t> rollup_statistics(const std::string& path, TimeUs now_us);

}  // namespace vigil::store
