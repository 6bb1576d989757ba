// The monthly report on a month holding 1 M hits (results: bench/README.md,
// "Reports"): build_monthly() on its own read connection, render_html(),
// write_csv() and write_json(), each timed, five runs in a child process
// whose peak RSS is reported; then each store query alone, and the query
// plans SQLite chose.
//
//   report_bench [--store PATH] [--runs N] [--out DIR]
//
// The store (default $VIGIL_STORE_BENCH_DIR or /work/benchdata,
// report-1m-v<schema>.db) is built once through store::Writer and kept:
// 1,000,000 hits in March 2026, appended in time order as live traffic is,
// in interleaved browsing sessions over 2,000 devices (600
// attributed to 300 learners), 40,000 host names under 4,000 registrable
// domains, a keyword share, circumvention flows; 200,000 activity rows;
// rule-set loads; 200 concerns worked through store::Casework; a third of
// the incidents dismissed. Seeded: every build is the same.

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "admin/report/month_hits.h"
#include "admin/report/output.h"
#include "admin/report/report.h"
#include "store/casework.h"
#include "store/maintenance.h"
#include "store/report_queries.h"
#include "store/writer.h"

namespace {

using namespace vigil;
using store::TimeUs;
using Clock = std::chrono::steady_clock;

constexpr int kHits = 1'000'000;
const report::Month kMonth{2026, 3};

const char* const kCategories[] = {"gambling",    "pornography",    "drugs",     "violence",
                                   "self_harm",   "extremism",      "piracy",    "malware_hacking",
                                   "hate_speech", "discrimination", "terrorism", "circumvention",
                                   "safe_search"};
const int kCategoryWeights[] = {30, 12, 8, 6, 3, 3, 10, 4, 2, 2, 1, 15, 4};
const char* const kSuffixes[] = {".com", ".co.uk", ".org", ".net", ".org.uk", ".io", ".ac.uk"};
const char* const kFlags[] = {"vpn", "tor", "proxy", "encrypted_dns", "ech"};

std::string bench_dir() {
  if (const char* d = std::getenv("VIGIL_STORE_BENCH_DIR")) return d;
  return std::filesystem::exists("/work/benchdata") ? "/work/benchdata" : "/tmp";
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

store::HitRecord make_hit(std::mt19937_64& rng, TimeUs ts, int device, const char* category) {
  store::HitRecord h;
  h.ts_us = ts;
  h.client_ip = "10." + std::to_string(device / 250) + "." + std::to_string(device % 250) + ".2";
  h.device_mac =
      "02:00:00:00:" + std::to_string(10 + device / 100) + ":" + std::to_string(10 + device % 90);
  h.category = category;
  const unsigned s = static_cast<unsigned>(rng() % 100);
  h.severity = s < 70 ? "advisory" : (s < 95 ? "caution" : "danger");
  h.action = s < 60 ? "log" : (s < 85 ? "alert" : "block");
  const unsigned k = static_cast<unsigned>(rng() % 10);
  if (std::strcmp(category, "circumvention") == 0 && k < 4) {
    h.kind = "circumvention";
    h.observation = "flow";
    h.value = "OpenVPN";
    h.list = "nDPI classification";
    h.entry = kFlags[rng() % 5];
    h.action = "log";
  } else if (k < 7) {
    // 40,000 host names under 4,000 registrable domains.
    const unsigned domain = static_cast<unsigned>(rng() % 4'000);
    h.kind = "domain";
    h.observation = k < 4 ? "dns" : (k < 6 ? "sni" : "quic_sni");
    h.value = "h" + std::to_string(rng() % 10) + ".d" + std::to_string(domain) + "-" + category +
              kSuffixes[domain % 7];
    h.list = std::string(category) + " domains";
    h.entry = "d" + std::to_string(domain) + "-" + category + kSuffixes[domain % 7];
  } else {
    h.kind = k == 9 ? "search_term" : "keyword";
    h.observation = k == 9 ? "search_term" : "http_url";
    h.value = "/search?q=term" + std::to_string(rng() % 1'000);
    h.list = std::string(category) + " keywords";
    h.entry = "kw" + std::to_string(rng() % 200);
  }
  h.list_line = static_cast<std::uint32_t>(rng() % 40'000);
  h.reason = "listed in " + h.list;
  h.statutory = rng() % 200 == 0;
  if (rng() % 50 == 0) {
    h.allowed = true;
    h.action = "allow";
  }
  h.flow_id = rng();
  if (device < 600) {
    h.person_ref = "L" + std::to_string(1000 + device / 2);
    h.attribution_source = "dhcp_lease";
    h.attribution_confidence = 0.9;
  }
  return h;
}

std::string build_store(const std::string& path) {
  const std::string partial = path + ".partial-" + std::to_string(::getpid());
  const auto t0 = Clock::now();
  const store::ReportRange month = report::month_range(kMonth);
  const TimeUs span = month.to_us - month.from_us;
  {
    store::WriterOptions o;
    o.path = partial;
    o.batch_max = 4096;
    o.spool_capacity = 200'000;
    o.activity_capacity = 1'000'000;
    auto w = store::Writer::open(o);
    if (!w) return w.error().message;
    std::mt19937_64 rng(20260301);
    std::discrete_distribution<int> category(std::begin(kCategoryWeights),
                                             std::end(kCategoryWeights));
    // Browsing sessions (one device, one category, 1 to 40 hits), 50 open
    // at a time and interleaved, appended in time order as live traffic is.
    struct Session {
      int device;
      const char* category;
      int left;
    };
    std::vector<Session> open;
    const TimeUs step = span / 100 * 95 / kHits;  // ends about 36 hours before the month does
    TimeUs ts = month.from_us;
    std::uint64_t last = 0;
    for (int n = 0; n < kHits; ++n) {
      ts += 1 + static_cast<TimeUs>(rng() % static_cast<std::uint64_t>(2 * step));
      if (open.size() < 50) {
        open.push_back({static_cast<int>(rng() % 2000), kCategories[category(rng)],
                        1 + static_cast<int>(rng() % 40)});
      }
      const std::size_t k = rng() % open.size();
      store::AppendResult r = (*w)->append(make_hit(rng, ts, open[k].device, open[k].category));
      while (r.status == store::AppendStatus::DroppedOverBound) {  // outran the writer
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        r = (*w)->append(make_hit(rng, ts, open[k].device, open[k].category));
      }
      last = r.ticket;
      if (--open[k].left == 0) {
        open[k] = open.back();
        open.pop_back();
      }
    }
    // Activity: 200,000 observations over the month's minutes.
    for (int i = 0; i < 200'000; ++i) {
      store::ActivityRecord a;
      a.ts_us = month.from_us + static_cast<TimeUs>(rng() % static_cast<std::uint64_t>(span));
      const int device = static_cast<int>(rng() % 2000);
      a.client_ip =
          "10." + std::to_string(device / 250) + "." + std::to_string(device % 250) + ".2";
      a.device_mac = "02:00:00:00:" + std::to_string(10 + device / 100) + ":" +
                     std::to_string(10 + device % 90);
      a.kind = "dns";
      a.name = "n" + std::to_string(rng() % 5'000) + ".example.org";
      while (!(*w)->record_activity(a)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (int i = 0; i < 8; ++i) {
      store::RuleSetRecord rs;
      rs.loaded_us = month.from_us - 86'400'000'000LL + i * 4 * 86'400'000'000LL;
      rs.version = "ab12cd34ef56" + std::to_string(i);
      rs.source = "/etc/vigil/rules";
      rs.lists = 12;
      rs.entries = 1'200'000;
      rs.loaded_by = i % 4 == 0 ? "vigild (start)" : "vigild (reload)";
      if (auto id = (*w)->record_rule_set(rs).get(); !id) return id.error().message;
    }
    (*w)->wait_acked(last, std::chrono::seconds(3600));
    (*w)->stop();
  }
  std::fprintf(stderr, "report_bench: %d hits written in %.1f s\n", kHits, seconds_since(t0));
  {
    sqlite3* c = nullptr;
    sqlite3_open(partial.c_str(), &c);
    sqlite3_exec(c,
                 "UPDATE incidents SET status = 'dismissed', dismiss_reason = 'fp' "
                 "WHERE id % 3 = 0",
                 nullptr, nullptr, nullptr);
    sqlite3_close(c);
  }
  // Concerns worked through Casework on a clock inside the month.
  TimeUs now = month.from_us;
  store::CaseworkOptions co;
  co.path = partial;
  co.clock = [&now] { return now; };
  auto cw = store::Casework::open(co);
  if (!cw) return cw.error().message;
  std::mt19937_64 rng(7);
  using S = store::ConcernState;
  for (int i = 0; i < 200; ++i) {
    now = month.from_us +
          static_cast<TimeUs>(rng() % static_cast<std::uint64_t>(span - 86'400'000'000LL * 3));
    store::NewConcern nc;
    nc.summary = "bench concern " + std::to_string(i);
    auto id = (*cw)->open_concern("dsl.one", nc);
    if (!id) return id.error().message;
    if (i % 5 == 4) continue;  // awaiting triage
    now += 3'600'000'000LL * static_cast<TimeUs>(1 + rng() % 48);
    if (auto s = (*cw)->transition_concern("dsl.one", *id, S::UnderReview, ""); !s) {
      return s.error().message;
    }
    now += 3'600'000'000LL;
    const S decision =
        i % 3 == 0 ? S::NoFurtherAction : (i % 3 == 1 ? S::InternalSupport : S::Referred);
    if (auto s = (*cw)->transition_concern("dsl.one", *id, decision, "decided"); !s) {
      return s.error().message;
    }
    if (i % 2 == 0) {
      now += 86'400'000'000LL;
      if (auto s = (*cw)->transition_concern("dsl.one", *id, S::Closed, "", "outcome"); !s) {
        return s.error().message;
      }
    }
  }
  for (int i = 0; i < 100; ++i) {
    now = month.from_us + i * (span / 100);
    if (auto d = (*cw)->record_decision(
            "it.admin", {"add_block", "d" + std::to_string(i) + ".example", "manual", "reported"});
        !d) {
      return d.error().message;
    }
    if (i % 3 == 0) {
      if (auto k = (*cw)->record_check("it.admin", {"check " + std::to_string(i), "pass", ""});
          !k) {
        return k.error().message;
      }
    }
  }
  cw->reset();
  std::filesystem::rename(partial, path);
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(partial + suffix);
  std::fprintf(stderr, "report_bench: built %s in %.1f s\n", path.c_str(), seconds_since(t0));
  return {};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The measured runs; in a child process so its peak RSS is the report's.
int measure(const std::string& path, int runs, const std::string& out_root) {
  std::vector<double> build_s, html_s, csv_s, json_s, total_s;
  std::int64_t hits = 0;
  std::size_t html_bytes = 0;
  for (int r = 0; r < runs; ++r) {
    const std::string out = out_root + "/run" + std::to_string(r);
    std::filesystem::remove_all(out);
    std::filesystem::create_directories(out);
    const auto t0 = Clock::now();
    auto q = store::ReportQueries::open({path});
    if (!q) {
      std::fprintf(stderr, "report_bench: %s\n", q.error().message.c_str());
      return 1;
    }
    report::ReportOptions o;
    auto m = report::build_monthly(**q, kMonth, o);
    if (!m) {
      std::fprintf(stderr, "report_bench: %s\n", m.error().message.c_str());
      return 1;
    }
    build_s.push_back(seconds_since(t0));
    auto t1 = Clock::now();
    const report::Written h = report::write_html(*m, out);
    html_s.push_back(seconds_since(t1));
    t1 = Clock::now();
    const report::Written c = report::write_csv(*m, out);
    csv_s.push_back(seconds_since(t1));
    t1 = Clock::now();
    const report::Written j = report::write_json(*m, out);
    json_s.push_back(seconds_since(t1));
    total_s.push_back(seconds_since(t0));
    if (!h || !c || !j) {
      std::fprintf(stderr, "report_bench: %s%s%s\n", h.error.c_str(), c.error.c_str(),
                   j.error.c_str());
      return 1;
    }
    hits = m->totals.hits;
    html_bytes = std::filesystem::file_size(out + "/report.html");
  }
  std::printf("month %s: %lld hits; %d runs\n", report::month_text(kMonth).c_str(),
              static_cast<long long>(hits), runs);
  std::printf("%-28s %10s %10s %10s\n", "phase", "median s", "min s", "max s");
  auto row = [](const char* name, const std::vector<double>& v) {
    std::printf("%-28s %10.3f %10.3f %10.3f\n", name, median(v),
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
  };
  row("build_monthly (queries)", build_s);
  row("render + write report.html", html_s);
  row("write_csv (every table)", csv_s);
  row("write_json (report.json)", json_s);
  row("total", total_s);
  std::printf("report.html: %zu bytes\n", html_bytes);
  return 0;
}

// Each query alone, once, for where the time goes; and SQLite's plans.
void per_query(const std::string& path) {
  auto q = store::ReportQueries::open({path});
  if (!q) return;
  const store::ReportRange r = report::month_range(kMonth);
  const auto& prevent = report::prevent_categories();
  std::printf("\n%-34s %10s\n", "query (alone, warm cache)", "s");
  auto time = [](const char* name, const std::function<bool()>& f) {
    const auto t0 = Clock::now();
    const bool ok = f();
    std::printf("%-34s %10.3f%s\n", name, seconds_since(t0), ok ? "" : "  (failed)");
  };
  store::ReportQueries& Q = **q;
  time("scan_hits (the month's hits)", [&] {
    std::int64_t n = 0;
    return Q.scan_hits(r, [&](const store::HitRow&) { ++n; }).ok();
  });
  time("scan_hits + aggregation", [&] {
    report::MonthHits hits(r, prevent);
    std::int64_t host_hits = 0;
    const bool ok = Q.scan_hits(r, [&](const store::HitRow& h) { hits.add(h); }).ok();
    (void)hits.top_domains(10, host_hits);
    return ok;
  });
  time("trend_counts (one month)", [&] { return Q.trend_counts(r, prevent).ok(); });
  time("activity_devices", [&] { return Q.activity_devices(r).ok(); });
  time("activity", [&] { return Q.activity(r).ok(); });
  time("incidents_opened_by_category", [&] { return Q.incidents_opened_by_category(r).ok(); });
  time("concerns_as_of + transitions",
       [&] { return Q.concerns_as_of(r.to_us).ok() && Q.concern_transitions(r, false).ok(); });
  time("decisions + checks", [&] {
    return Q.decisions(r, 5000).ok() && Q.checks(r, 5000).ok() && Q.check_results(r).ok();
  });
  time("verify_audit", [&] { return Q.verify_audit().ok(); });

  sqlite3* c = nullptr;
  sqlite3_open_v2(path.c_str(), &c, SQLITE_OPEN_READONLY, nullptr);
  const char* plans[] = {
      "SELECT count(*) FROM hits WHERE ts_us >= 1 AND ts_us < 2",
      "SELECT h.ts_us, h.category, h.value, i.status FROM hits h LEFT JOIN incidents i ON "
      "i.id = h.incident_id WHERE h.ts_us >= 1 AND h.ts_us < 2",
      "SELECT category, count(*) FROM incidents WHERE last_us >= 1 AND first_us >= 1 AND "
      "first_us < 2 GROUP BY +category",
      "SELECT count(DISTINCT device_id) FROM activity WHERE minute >= 1 AND minute < 2",
      "SELECT to_state FROM concern_events WHERE kind = 'state' AND ts_us >= 1 AND ts_us < 2",
      "SELECT count(*) FROM concerns WHERE raised_us >= 1 AND raised_us < 2",
      "SELECT id FROM decision_log WHERE ts_us >= 1 AND ts_us < 2",
  };
  std::printf("\nquery plans\n");
  for (const char* sql : plans) {
    sqlite3_stmt* s = nullptr;
    const std::string explain = std::string("EXPLAIN QUERY PLAN ") + sql;
    sqlite3_prepare_v2(c, explain.c_str(), -1, &s, nullptr);
    std::printf("%s\n", sql);
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::printf("    %s\n", reinterpret_cast<const char*>(sqlite3_column_text(s, 3)));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(c);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path =
      bench_dir() + "/report-1m-v" + std::to_string(store::schema_version_supported()) + ".db";
  std::string out = "/tmp/report-bench-out";
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--store") {
      path = argv[i + 1];
    } else if (a == "--runs") {
      runs = std::max(1, std::atoi(argv[i + 1]));
    } else if (a == "--out") {
      out = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: report_bench [--store PATH] [--runs N] [--out DIR]\n");
      return 2;
    }
  }
  if (!std::filesystem::exists(path)) {
    if (std::string e = build_store(path); !e.empty()) {
      std::fprintf(stderr, "report_bench: %s\n", e.c_str());
      return 1;
    }
  }
  std::fflush(stdout);
  const pid_t child = ::fork();
  if (child == 0) {
    const int rc = measure(path, runs, out);
    std::fflush(stdout);
    _exit(rc);
  }
  int status = 0;
  rusage ru{};
  ::wait4(child, &status, 0, &ru);
  std::printf("peak RSS of the measuring process: %.1f MB\n",
              static_cast<double>(ru.ru_maxrss) / 1024.0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  per_query(path);
  return 0;
}
