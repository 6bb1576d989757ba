// Busy database: another connection holds the write lock (BEGIN IMMEDIATE)
// for HOLD seconds (default 30, the figure; $VIGIL_STORE_BUSY_SECONDS
// or argv[1] override) while hits keep arriving at 500/s. Every hit must be
// accepted into the spool, the writer must raise the busy alarm and commit
// nothing meanwhile, readers must keep reading (WAL), and once the lock is
// released the spool must drain with nothing lost. A second, short phase
// with a small spool checks that hits over the bound are counted exactly.
//
// usage: store_busy_test [HOLD_SECONDS]

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "store/maintenance.h"
#include "store/reader.h"
#include "store/writer.h"
#include "tests/unit/store/store_test_util.h"

namespace {

using namespace vigil::store;
using Clock = std::chrono::steady_clock;

int failures = 0;
#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                          \
    }                                                                      \
  } while (0)

HitRecord hit(std::uint64_t flow) {
  HitRecord h = testing::make_hit(testing::kNow + static_cast<TimeUs>(flow),
                                  "10.2.0." + std::to_string(flow % 60));
  h.flow_id = flow;
  h.value = "busy-" + std::to_string(flow) + ".example";
  return h;
}

struct Blocker {
  sqlite3* db = nullptr;
  explicit Blocker(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "FAIL could not take the write lock\n");
      std::exit(1);
    }
  }
  void release() {
    if (db == nullptr) return;
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    db = nullptr;
  }
  ~Blocker() { release(); }
};

void phase_hold(const std::string& db, int hold_s) {
  WriterOptions o;
  o.path = db;
  o.batch_delay = std::chrono::milliseconds(20);
  o.busy_timeout = std::chrono::milliseconds(100);
  o.spool_capacity = 100'000;
  auto w = Writer::open(o);
  if (!w.ok()) {
    std::fprintf(stderr, "FAIL open: %s\n", w.error().message.c_str());
    std::exit(1);
  }
  Writer& writer = **w;
  std::uint64_t flow = 0;
  std::uint64_t last = 0;
  for (int i = 0; i < 200; ++i) last = writer.append(hit(++flow)).ticket;
  CHECK(writer.wait_acked(last, std::chrono::seconds(10)));
  const std::uint64_t before = writer.stats().committed;
  auto reader = Reader::open({db});
  CHECK(reader.ok());

  Blocker blocker(db);
  const auto t0 = Clock::now();
  std::uint64_t refused = 0;
  int reads_ok = 0;
  auto next = t0;
  auto next_sample = t0 + std::chrono::seconds(1);
  while (Clock::now() - t0 < std::chrono::seconds(hold_s)) {
    AppendResult r = writer.append(hit(++flow));
    if (r.status != AppendStatus::Accepted) ++refused;
    last = std::max(last, r.ticket);
    next += std::chrono::milliseconds(2);  // 500 hits/s
    std::this_thread::sleep_until(next);
    if (Clock::now() >= next_sample) {
      next_sample += std::chrono::seconds(1);
      WriterStats s = writer.stats();
      CHECK(s.committed == before);
      if (Clock::now() - t0 > std::chrono::milliseconds(500)) CHECK(s.alarm == Alarm::Busy);
      // Readers are not blocked by the writer lock.
      auto n = (*reader)->count_hits();
      if (n.ok() && *n == static_cast<std::int64_t>(before)) ++reads_ok;
    }
  }
  WriterStats held = writer.stats();
  blocker.release();
  const auto t_release = Clock::now();
  CHECK(writer.wait_acked(last, std::chrono::seconds(60)));
  const double drain_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - t_release).count();
  WriterStats s = writer.stats();
  auto count = (*reader)->count_hits();
  CHECK(refused == 0);
  CHECK(held.alarm == Alarm::Busy);
  CHECK(held.retries > 0);
  CHECK(held.spool_depth == flow - before);
  CHECK(s.alarm == Alarm::None);
  CHECK(s.committed == flow);
  CHECK(s.dropped_over_bound == 0);
  CHECK(s.spool_depth == 0);
  CHECK(count.ok() && *count == static_cast<std::int64_t>(flow));
  CHECK(reads_ok >= hold_s - 2);
  writer.stop();
  std::printf(
      "busy: write lock held %d s; %llu hits arrived meanwhile, all accepted into the spool "
      "(high water %zu, %llu spooled under the alarm, %llu failed commit attempts); readers read "
      "%d times while locked; spool drained in %.0f ms after release; %lld rows = %llu hits "
      "appended, 0 lost\n",
      hold_s, static_cast<unsigned long long>(flow - before), s.spool_high_water,
      static_cast<unsigned long long>(s.spooled_total),
      static_cast<unsigned long long>(held.retries), reads_ok, drain_ms,
      static_cast<long long>(count.ok() ? *count : -1), static_cast<unsigned long long>(flow));
}

void phase_over_bound(const std::string& db) {
  WriterOptions o;
  o.path = db;
  o.batch_delay = std::chrono::milliseconds(5);
  o.busy_timeout = std::chrono::milliseconds(50);
  o.spool_capacity = 1'000;
  auto w = Writer::open(o);
  if (!w.ok()) std::exit(1);
  Writer& writer = **w;
  const std::int64_t start_rows = *(*Reader::open({db}))->count_hits();
  Blocker blocker(db);
  std::uint64_t accepted = 0;
  std::uint64_t dropped = 0;
  std::uint64_t last = 0;
  for (std::uint64_t i = 0; i < 3'000; ++i) {
    AppendResult r = writer.append(hit(1'000'000 + i));
    if (r.status == AppendStatus::Accepted) {
      ++accepted;
      last = r.ticket;
    } else if (r.status == AppendStatus::DroppedOverBound) {
      ++dropped;
    }
    if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  WriterStats held = writer.stats();
  blocker.release();
  CHECK(writer.wait_acked(last, std::chrono::seconds(30)));
  WriterStats s = writer.stats();
  const std::int64_t rows = *(*Reader::open({db}))->count_hits() - start_rows;
  CHECK(accepted + dropped == 3'000);
  CHECK(accepted == 1'000);  // the bound counts every hit not yet committed
  CHECK(held.dropped_over_bound == dropped);
  CHECK(s.committed == accepted);
  CHECK(rows == static_cast<std::int64_t>(accepted));
  writer.stop();
  std::printf(
      "busy, over the bound: spool of 1000, 3000 hits while locked: %llu accepted and committed, "
      "%llu refused and counted (dropped_over_bound %llu)\n",
      static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(dropped),
      static_cast<unsigned long long>(s.dropped_over_bound));
}

}  // namespace

int main(int argc, char** argv) {
  int hold_s = 30;
  if (const char* e = std::getenv("VIGIL_STORE_BUSY_SECONDS")) {
    hold_s = static_cast<int>(std::strtol(e, nullptr, 10));
  }
  if (argc > 1) hold_s = static_cast<int>(std::strtol(argv[1], nullptr, 10));
  if (hold_s < 2 || hold_s > 3600) {
    std::fprintf(stderr, "usage: store_busy_test [HOLD_SECONDS 2..3600]\n");
    return 2;
  }
  testing::TempDir dir;
  const std::string db = dir.file("vigil.db");
  if (!init_store(db).ok()) return 1;
  phase_hold(db, hold_s);
  phase_over_bound(db);
  auto check = check_store(db);
  CHECK(check.ok() && check->problems.empty());
  if (failures != 0) std::fprintf(stderr, "%d checks failed\n", failures);
  return failures == 0 ? 0 : 1;
}
