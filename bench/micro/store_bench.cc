// Store benchmarks (results: bench/README.md, "Store"):
//   BM_AppendThroughput/<batch_max>  hits/s through the writer, 200k hits from
//                                    one producer, first append to last ack
//   BM_AppendToVisible/<delay_ms>    append() to the row being visible to a
//                                    reader's connection, at 1,000 hits/s
//   BM_IncidentList/<query>          incident list queries on a 1 M-hit store,
//                                    p50/p95/max over 200 runs each
// Stores are written under $VIGIL_STORE_BENCH_DIR (default /work/benchdata
// when it exists, else /tmp); the 1 M-hit store is built once and kept
// (store-1m-v<schema>.db; delete it to rebuild). Inputs are seeded: every
// run sees the same data.

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/maintenance.h"
#include "store/reader.h"
#include "store/writer.h"

namespace {

using namespace vigil::store;
using Clock = std::chrono::steady_clock;

std::string bench_dir() {
  if (const char* d = std::getenv("VIGIL_STORE_BENCH_DIR")) return d;
  if (std::filesystem::is_directory("/work/benchdata")) return "/work/benchdata";
  return "/tmp";
}

// CPU time of the whole process (both the producer and the writer thread):
// on a shared machine, hits per CPU-second is steadier than hits per second.
double process_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

void remove_store(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

const char* const kCategories[] = {"gambling",    "pornography",    "drugs",     "violence",
                                   "self_harm",   "extremism",      "piracy",    "malware_hacking",
                                   "hate_speech", "discrimination", "terrorism", "circumvention",
                                   "safe_search", "child_abuse"};
// Skewed: gambling and circumvention are common, terrorism and child abuse rare.
const int kCategoryWeights[] = {30, 12, 8, 6, 3, 3, 10, 4, 2, 2, 1, 15, 4, 0};

HitRecord make_hit(std::mt19937_64& rng, TimeUs ts, int device, const char* category) {
  HitRecord h;
  h.ts_us = ts;
  h.client_ip = "10." + std::to_string(device / 250) + "." + std::to_string(device % 250) + ".2";
  h.device_mac =
      "02:00:00:00:" + std::to_string(10 + device / 100) + ":" + std::to_string(10 + device % 90);
  h.kind = rng() % 4 == 0 ? "keyword" : "domain";
  h.observation = rng() % 3 == 0 ? "dns" : "sni";
  h.value = "host" + std::to_string(rng() % 50'000) + ".example-" + category + ".com";
  h.list = std::string(category) + "_list";
  h.entry = "example-" + std::string(category) + ".com";
  h.list_line = static_cast<std::uint32_t>(rng() % 40'000);
  h.category = category;
  const unsigned s = static_cast<unsigned>(rng() % 100);
  h.severity = s < 70 ? "advisory" : (s < 95 ? "caution" : "danger");
  h.action = s < 70 ? "log" : "block";
  h.reason = "listed in " + h.list;
  h.flow_id = rng();
  if (device < 600) {
    h.person_ref = "L" + std::to_string(1000 + device / 2);
    h.attribution_source = "dhcp_lease";
    h.attribution_confidence = 0.9;
  }
  return h;
}

// Hits as browsing produces them: sessions of one device and one category,
// 1 to 40 hits seconds apart, sessions interleaved in time order (arg 0);
// or scattered, every hit another device and category, so a batch updates
// hundreds of incidents at random places in their indexes (arg 1: the worst
// case for the writer).
std::vector<HitRecord> traffic(int n, bool scattered, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::discrete_distribution<int> category(std::begin(kCategoryWeights),
                                           std::end(kCategoryWeights));
  std::vector<HitRecord> hits;
  hits.reserve(static_cast<std::size_t>(n));
  TimeUs ts = 1'767'225'600'000'000;  // 2026-01-01
  struct Session {
    int device;
    const char* category;
    int left;
  };
  std::vector<Session> open;
  while (static_cast<int>(hits.size()) < n) {
    ts += 50'000;
    if (scattered) {
      hits.push_back(make_hit(rng, ts, static_cast<int>(rng() % 2000), kCategories[rng() % 13]));
      continue;
    }
    if (open.size() < 50) {
      open.push_back({static_cast<int>(rng() % 2000), kCategories[category(rng)],
                      1 + static_cast<int>(rng() % 40)});
    }
    std::size_t k = rng() % open.size();
    hits.push_back(make_hit(rng, ts, open[k].device, open[k].category));
    if (--open[k].left == 0) {
      open[k] = open.back();
      open.pop_back();
    }
  }
  return hits;
}

// ---------------------------------------------------------------------------

void BM_AppendThroughput(benchmark::State& state) {
  const std::string db = bench_dir() + "/store-bench-append.db";
  constexpr int kHits = 200'000;
  const bool scattered = state.range(1) != 0;
  state.SetLabel(scattered ? "scattered" : "sessions");
  const std::vector<HitRecord> hits = traffic(kHits, scattered, 7);
  for (auto _ : state) {
    remove_store(db);
    WriterOptions o;
    o.path = db;
    o.batch_max = static_cast<std::size_t>(state.range(0));
    o.spool_capacity = kHits;
    auto w = Writer::open(o);
    if (!w.ok()) {
      state.SkipWithError(w.error().message.c_str());
      return;
    }
    std::vector<HitRecord> copy = hits;  // append() consumes its hit
    const auto t0 = Clock::now();
    const double cpu0 = process_cpu_s();
    std::uint64_t last = 0;
    for (auto& h : copy) last = (*w)->append(std::move(h)).ticket;
    const bool done = (*w)->wait_acked(kHits, std::chrono::seconds(600));
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = process_cpu_s() - cpu0;
    WriterStats st = (*w)->stats();
    (*w)->stop();
    if (!done || last != kHits || st.dropped_over_bound != 0) {
      state.SkipWithError("not every hit was committed");
      return;
    }
    state.SetIterationTime(s);
    state.counters["hits_per_s"] = kHits / s;
    state.counters["hits_per_cpu_s"] = kHits / cpu;
    state.counters["batches"] = static_cast<double>(st.batches);
    state.counters["incidents"] = 0;
    sqlite3* c = nullptr;
    if (sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* q = nullptr;
      sqlite3_prepare_v2(c, "SELECT count(*) FROM incidents", -1, &q, nullptr);
      if (sqlite3_step(q) == SQLITE_ROW) {
        state.counters["incidents"] = static_cast<double>(sqlite3_column_int64(q, 0));
      }
      sqlite3_finalize(q);
    }
    sqlite3_close(c);
  }
  remove_store(db);
}
BENCHMARK(BM_AppendThroughput)
    ->ArgsProduct({{64, 512, 4096}, {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

// ---------------------------------------------------------------------------

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void BM_AppendToVisible(benchmark::State& state) {
  const std::string db = bench_dir() + "/store-bench-visible.db";
  for (auto _ : state) {
    remove_store(db);
    WriterOptions o;
    o.path = db;
    o.batch_delay = std::chrono::milliseconds(state.range(0));
    auto w = Writer::open(o);
    if (!w.ok()) {
      state.SkipWithError(w.error().message.c_str());
      return;
    }
    // A reader on its own connection polls for new rows every millisecond.
    std::mutex mu;
    std::map<std::uint64_t, Clock::time_point> sent;
    std::vector<double> latency_ms;
    std::atomic<bool> done{false};
    std::thread reader([&] {
      sqlite3* c = nullptr;
      sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READONLY, nullptr);
      sqlite3_stmt* q = nullptr;
      sqlite3_prepare_v2(c, "SELECT id, flow_id FROM hits WHERE id > ? ORDER BY id", -1, &q,
                         nullptr);
      std::int64_t last_id = 0;
      while (!done.load()) {
        sqlite3_bind_int64(q, 1, last_id);
        while (sqlite3_step(q) == SQLITE_ROW) {
          last_id = sqlite3_column_int64(q, 0);
          auto flow = static_cast<std::uint64_t>(sqlite3_column_int64(q, 1));
          std::lock_guard<std::mutex> lk(mu);
          if (auto it = sent.find(flow); it != sent.end()) {
            latency_ms.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - it->second).count());
            sent.erase(it);
          }
        }
        sqlite3_reset(q);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      sqlite3_finalize(q);
      sqlite3_close(c);
    });
    // 1,000 hits/s for 10 s; every 50th is a probe whose visibility is timed.
    std::mt19937_64 rng(11);
    const auto start = Clock::now();
    auto next = start;
    TimeUs ts = 1'767'225'600'000'000;
    for (int i = 0; i < 10'000; ++i) {
      HitRecord h = make_hit(rng, ts += 1'000, static_cast<int>(rng() % 2000), "gambling");
      h.flow_id = static_cast<std::uint64_t>(i) + 1;
      if (i % 50 == 0) {
        std::lock_guard<std::mutex> lk(mu);
        sent[h.flow_id] = Clock::now();
      }
      (*w)->append(std::move(h));
      next += std::chrono::milliseconds(1);
      std::this_thread::sleep_until(next);
    }
    (*w)->wait_acked(10'000, std::chrono::seconds(30));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    done = true;
    reader.join();
    (*w)->stop();
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    state.counters["probes"] = static_cast<double>(latency_ms.size());
    state.counters["unseen"] = static_cast<double>(sent.size());
    state.counters["p50_ms"] = percentile(latency_ms, 0.50);
    state.counters["p95_ms"] = percentile(latency_ms, 0.95);
    state.counters["max_ms"] = percentile(latency_ms, 1.0);
  }
  remove_store(db);
}
BENCHMARK(BM_AppendToVisible)
    ->Arg(200)
    ->Arg(20)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

// ---------------------------------------------------------------------------

struct BigStore {
  std::string path;
  std::int64_t hits = 0;
  std::int64_t incidents = 0;
  double build_s = 0;
  std::vector<std::int64_t> people, devices, incident_ids;
  TimeUs end_us = 0;
  std::string error;
};

// 1 M hits over 90 days in browsing sessions (one device, one category, 1 to
// 40 hits seconds apart), or scattered one by one; 2,000 devices, the first
// 600 attributed to 300 learners; a third of the incidents then dismissed,
// 1% linked to a concern. No ANALYZE statistics, as on an appliance.
BigStore build_big_store(bool scattered) {
  {
    BigStore b;
    b.path = bench_dir() + (scattered ? "/store-1m-scattered-v" : "/store-1m-v") +
             std::to_string(schema_version_supported()) + ".db";
    if (!std::filesystem::exists(b.path)) {
      remove_store(b.path + ".partial");
      WriterOptions o;
      o.path = b.path + ".partial-" + std::to_string(::getpid());
      o.batch_max = 4096;
      o.spool_capacity = 200'000;
      auto w = Writer::open(o);
      if (!w.ok()) {
        b.error = w.error().message;
        return b;
      }
      std::mt19937_64 rng(20260101);
      std::discrete_distribution<int> category(std::begin(kCategoryWeights),
                                               std::end(kCategoryWeights));
      const TimeUs start = 1'767'225'600'000'000;
      const TimeUs span = 90LL * 86'400'000'000;
      const auto t0 = Clock::now();
      std::int64_t n = 0;
      std::uint64_t last = 0;
      while (n < 1'000'000) {
        TimeUs ts = start + static_cast<TimeUs>(rng() % static_cast<std::uint64_t>(span));
        const int device = static_cast<int>(rng() % 2000);
        const char* cat = kCategories[category(rng)];
        const int burst = scattered ? 1 : 1 + static_cast<int>(rng() % 40);
        for (int k = 0; k < burst && n < 1'000'000; ++k, ++n) {
          ts += 1'000'000 + static_cast<TimeUs>(rng() % 20'000'000);
          AppendResult r = (*w)->append(make_hit(rng, ts, device, cat));
          while (r.status == AppendStatus::DroppedOverBound) {  // the generator outran the writer
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            r = (*w)->append(make_hit(rng, ts, device, cat));
          }
          last = r.ticket;
        }
      }
      (*w)->wait_acked(last, std::chrono::seconds(3600));
      (*w)->stop();
      b.build_s = std::chrono::duration<double>(Clock::now() - t0).count();
      sqlite3* c = nullptr;
      sqlite3_open(o.path.c_str(), &c);
      sqlite3_exec(
          c,
          "INSERT INTO concerns(state, summary, raised_by, raised_us, updated_us) "
          "VALUES ('raised', 'bench', 'bench', 1, 1);"
          "UPDATE incidents SET status = 'dismissed', dismiss_reason = 'fp' WHERE id % 3 = 0;"
          "UPDATE incidents SET status = 'linked', concern_id = 1 WHERE id % 100 = 1;",
          nullptr, nullptr, nullptr);
      sqlite3_close(c);
      std::filesystem::rename(o.path, b.path);
      for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(o.path + suffix);
      std::fprintf(stderr, "store_bench: built %s in %.1f s (%.0f hits/s)\n", b.path.c_str(),
                   b.build_s, 1e6 / b.build_s);
    }
    sqlite3* c = nullptr;
    sqlite3_open_v2(b.path.c_str(), &c, SQLITE_OPEN_READONLY, nullptr);
    auto ints = [&](const char* sql) {
      std::vector<std::int64_t> v;
      sqlite3_stmt* q = nullptr;
      sqlite3_prepare_v2(c, sql, -1, &q, nullptr);
      while (sqlite3_step(q) == SQLITE_ROW) v.push_back(sqlite3_column_int64(q, 0));
      sqlite3_finalize(q);
      return v;
    };
    auto counts = ints("SELECT (SELECT count(*) FROM hits), (SELECT count(*) FROM incidents)");
    if (counts.empty() || counts[0] != 1'000'000) {
      b.error = b.path + " does not hold 1 M hits: delete it to rebuild";
      sqlite3_close(c);
      return b;
    }
    b.hits = counts[0];
    b.incidents = ints("SELECT count(*) FROM incidents").at(0);
    b.end_us = ints("SELECT max(last_us) FROM incidents").at(0);
    b.people = ints("SELECT id FROM people");
    b.devices = ints("SELECT id FROM devices");
    b.incident_ids = ints("SELECT id FROM incidents WHERE id % 97 = 0");
    sqlite3_close(c);
    return b;
  }
}

// Sessions (about 20 hits per incident), or scattered hits (each its own
// incident: a million incidents to page through).
const BigStore& big_store(bool scattered) {
  static BigStore sessions = build_big_store(false);
  if (!scattered) return sessions;
  static BigStore each = build_big_store(true);
  return each;
}

enum Query {
  kFirstPage,
  kDanger,
  kCategoryNew,
  kPerson,
  kDevice,
  kLast7Days,
  kCombined,
  kKeysetPage20,
  kOffsetPage100,
  kCountDanger,
  kIncidentHits,
};
const char* const kQueryNames[] = {"first_page",   "severity_danger", "category_new",
                                   "person",       "device",          "last_7_days",
                                   "combined",     "keyset_page_20",  "offset_page_100",
                                   "count_danger", "incident_hits"};

void BM_IncidentList(benchmark::State& state) {
  const bool scattered = state.range(1) != 0;
  const BigStore& b = big_store(scattered);
  if (!b.error.empty()) {
    state.SkipWithError(b.error.c_str());
    return;
  }
  auto r = Reader::open({b.path});
  if (!r.ok()) {
    state.SkipWithError(r.error().message.c_str());
    return;
  }
  Reader& rd = **r;
  const auto q = static_cast<Query>(state.range(0));
  state.SetLabel(std::string(kQueryNames[q]) + (scattered ? " scattered" : " sessions"));
  std::mt19937_64 rng(static_cast<std::uint64_t>(q) + 1);
  // The cursor of page 20 (after 19 pages of 50), found once.
  IncidentCursor page20{};
  if (q == kKeysetPage20) {
    PageRequest p{50};
    for (int i = 0; i < 19; ++i) {
      auto page = rd.incidents({}, p);
      p.after = page->next;
    }
    page20 = *p.after;
  }
  std::vector<double> ms;
  std::size_t rows = 0;
  for (auto _ : state) {
    ms.clear();
    for (int run = 0; run < 200; ++run) {
      IncidentFilter f;
      PageRequest p{50};
      const auto t0 = Clock::now();
      bool ok = true;
      switch (q) {
        case kFirstPage:
          break;
        case kDanger:
          f.severities = {"danger"};
          break;
        case kCategoryNew:
          f.categories = {"extremism"};
          f.statuses = {IncidentStatus::New};
          break;
        case kPerson:
          f.person_id = b.people[rng() % b.people.size()];
          break;
        case kDevice:
          f.device_id = b.devices[rng() % b.devices.size()];
          break;
        case kLast7Days:
          f.from_us = b.end_us - 7LL * 86'400'000'000;
          break;
        case kCombined:
          f.severities = {"caution", "danger"};
          f.categories = {"gambling", "circumvention"};
          f.statuses = {IncidentStatus::New};
          f.from_us = b.end_us - 30LL * 86'400'000'000;
          break;
        case kKeysetPage20:
          p.after = page20;
          break;
        case kOffsetPage100:
          p.offset = 99 * 50;
          break;
        case kCountDanger:
        case kIncidentHits:
          break;
      }
      if (q == kCountDanger) {
        f.severities = {"danger"};
        auto n = rd.count_incidents(f);
        ok = n.ok();
        rows = ok ? static_cast<std::size_t>(*n) : 0;
      } else if (q == kIncidentHits) {
        auto h = rd.incident_hits(b.incident_ids[rng() % b.incident_ids.size()], 0, 100);
        ok = h.ok();
        rows = ok ? h->size() : 0;
      } else {
        auto page = rd.incidents(f, p);
        ok = page.ok();
        rows = ok ? page->items.size() : 0;
      }
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!ok) {
        state.SkipWithError("query failed");
        return;
      }
    }
    double total = 0;
    for (double m : ms) total += m;
    state.SetIterationTime(total / 1000.0);
  }
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["p50_ms"] = percentile(ms, 0.50);
  state.counters["p95_ms"] = percentile(ms, 0.95);
  state.counters["max_ms"] = percentile(ms, 1.0);
  state.counters["store_hits"] = static_cast<double>(b.hits);
  state.counters["store_incidents"] = static_cast<double>(b.incidents);
}
BENCHMARK(BM_IncidentList)
    ->ArgsProduct({benchmark::CreateDenseRange(kFirstPage, kIncidentHits, 1), {0, 1}})
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
