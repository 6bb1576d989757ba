#pragma once
// A store with known content across several months, built through the
// store's own writer (hits with controlled timestamps, activity, rule
// sets, people) and Casework (concerns and their chronology, dismissals,
// decision and checks logs) on a settable clock. The report under test is
// for March 2026; February, January and December hold the trend's months.

#include <time.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "store/casework.h"
#include "store/writer.h"
#include "tests/unit/store/store_test_util.h"

namespace vigil::report::testing {

using store::TimeUs;

inline TimeUs utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  tm t{};
  t.tm_year = y - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  t.tm_sec = s;
  return static_cast<TimeUs>(timegm(&t)) * 1'000'000;
}

inline const TimeUs kFrom = utc(2026, 3, 1);
inline const TimeUs kTo = utc(2026, 4, 1);
inline const TimeUs kGenerated = utc(2026, 4, 2, 12);

// Every host name the fixture uses, with its registrable domain as the
// Public Suffix List gives it (written out here, not computed).
inline const std::map<std::string, std::string>& registrable() {
  static const std::map<std::string, std::string> kHosts = {
      {"a.b.example.co.uk", "example.co.uk"},
      {"www.example.co.uk", "example.co.uk"},
      {"bad.example.org", "example.org"},
      {"tcp-two.example.org", "example.org"},
      {"casino.example.com", "example.com"},
      {"www.casino.example.com", "example.com"},
      {"WWW.Example.COM", "example.com"},
      {"dns.google", "dns.google"},
      {"late.example.net", "example.net"},
      {"april.example.net", "example.net"},
      {"feb.example.net", "example.net"},
      {"news.bbc.co.uk", "bbc.co.uk"},
      {"m.facebook.com", "facebook.com"},
      {"foo.github.io", "foo.github.io"},
      {"192.168.1.10", "192.168.1.10"},
      {"x.<script>alert(1)</script>", "x.<script>alert(1)</script>"},
      {"y.\"><svg onload=alert(1)>", "y.\"><svg onload=alert(1)>"},
      {"z.evil\xE2\x80\xAEgro", "z.evil\xE2\x80\xAEgro"},
      {"=calc.evil", "=calc.evil"},
  };
  return kHosts;
}

struct Fixture {
  std::string db;
  std::int64_t person_l001 = 0;
  std::int64_t person_l002 = 0;
};

inline store::HitRecord hit(TimeUs ts, const std::string& ip, const std::string& category,
                            const std::string& severity, const std::string& action,
                            const std::string& observation, const std::string& value) {
  store::HitRecord h;
  h.ts_us = ts;
  h.client_ip = ip;
  h.kind = "domain";
  h.observation = observation;
  h.value = value;
  h.list = category + " domains";
  h.entry = value;
  h.list_line = 1;
  h.category = category;
  h.severity = severity;
  h.action = action;
  h.reason = "listed";
  return h;
}

inline store::HitRecord attributed(store::HitRecord h, const std::string& person) {
  h.person_ref = person;
  h.attribution_source = "csv";
  h.attribution_confidence = 1.0;
  return h;
}

// Hits across a month, drawn from a fixed seed.
inline void random_hits(store::Writer& w, TimeUs from, TimeUs to, int n, unsigned seed,
                        std::uint64_t& last_ticket) {
  static const std::vector<std::string> kCategories = {
      "extremism", "terrorism", "hate_speech", "discrimination", "violence",
      "gambling",  "drugs",     "pornography", "circumvention",  "self_harm"};
  static const std::vector<std::string> kSeverities = {"advisory", "caution", "danger"};
  static const std::vector<std::string> kActions = {"block", "alert", "log"};
  static const std::vector<std::string> kObservations = {"dns",       "sni",      "quic_sni",
                                                         "http_host", "http_url", "search_term"};
  static const std::vector<std::string> kKeywords = {"kw-one", "kw two", "=sum(A1)", "@mention"};
  static const std::vector<std::string> kFlags = {"vpn", "tor", "encrypted_dns", "ech", "vpn,tor"};
  std::vector<std::string> hosts;
  for (const auto& [host, domain] : registrable()) hosts.push_back(host);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < n; ++i) {
    const TimeUs ts = from + static_cast<TimeUs>(rng() % static_cast<std::uint64_t>(to - from));
    const std::string ip = "10.0.1." + std::to_string(1 + rng() % 20);
    const std::string& category = kCategories[rng() % kCategories.size()];
    const std::string& observation = kObservations[rng() % kObservations.size()];
    const bool host = observation != "http_url" && observation != "search_term";
    store::HitRecord h =
        hit(ts, ip, category, kSeverities[rng() % 3], kActions[rng() % 3], observation,
            host ? hosts[rng() % hosts.size()] : "/page?q=" + std::to_string(rng() % 50));
    if (!host) {
      h.kind = observation == "search_term" ? "search_term" : "keyword";
      h.entry = kKeywords[rng() % kKeywords.size()];
      h.list = category + " keywords";
    }
    if (category == "circumvention" && rng() % 2 == 0) {
      h.kind = "circumvention";
      h.observation = "flow";
      h.value = "OpenVPN";
      h.list = "nDPI classification";
      h.entry = kFlags[rng() % kFlags.size()];
    }
    if (rng() % 20 == 0) {
      h.allowed = true;
      h.action = "allow";
    }
    if (rng() % 7 == 0) h.statutory = true;
    if (rng() % 4 == 0) h = attributed(std::move(h), "L1" + std::to_string(rng() % 5));
    last_ticket = w.append(std::move(h)).ticket;
  }
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Builds the store at dir/vigil.db.
inline Fixture build_store(const vigil::store::testing::TempDir& dir) {
  using vigil::store::testing::raw_int;
  Fixture f;
  f.db = dir.file("vigil.db");
  vigil::store::testing::FakeClock clock;
  clock.now = kFrom;
  store::WriterOptions wo;
  wo.path = f.db;
  wo.batch_delay = std::chrono::milliseconds(5);
  wo.clock = clock.fn();
  auto writer = store::Writer::open(wo);
  if (!writer) throw std::runtime_error(writer.error().message);
  store::Writer& w = **writer;

  for (const store::PersonRecord& p :
       {store::PersonRecord{"L001", "Alice Example", "learner", "C1", "G1", true},
        store::PersonRecord{"L002", "Bob <b>Example</b>", "learner", "C2", "G2", false}}) {
    auto id = w.upsert_person(p).get();
    if (!id) throw std::runtime_error(id.error().message);
  }
  std::uint64_t t = 0;
  auto add = [&](store::HitRecord h) { t = w.append(std::move(h)).ticket; };
  const auto mar = [](int d, int h, int m) { return utc(2026, 3, d, h, m); };

  // March, by hand: the month's first and last instants, each kind of hit.
  add(attributed(hit(kFrom, "10.0.0.1", "extremism", "danger", "alert", "dns", "a.b.example.co.uk"),
                 "L001"));
  add(attributed(
      hit(mar(2, 10, 0), "10.0.0.1", "extremism", "caution", "alert", "dns", "www.example.co.uk"),
      "L001"));
  {
    store::HitRecord h =
        hit(mar(2, 10, 5), "10.0.0.2", "terrorism", "danger", "block", "sni", "bad.example.org");
    h.statutory = true;
    h.list = "CTIRU list";
    add(attributed(std::move(h), "L002"));
  }
  {
    store::HitRecord h =
        hit(mar(3, 9, 0), "10.0.0.3", "hate_speech", "caution", "alert", "http_url", "/hate?x");
    h.kind = "keyword";
    h.list = "hate keywords";
    h.entry = "haterm";
    add(std::move(h));
    h = hit(mar(3, 9, 1), "10.0.0.3", "violence", "caution", "alert", "search_term", "fight club");
    h.kind = "search_term";
    h.list = "violence keywords";
    h.entry = "fight";
    add(std::move(h));
  }
  add(hit(mar(4, 12, 0), "10.0.0.4", "gambling", "advisory", "block", "dns", "casino.example.com"));
  add(hit(mar(4, 12, 10), "10.0.0.4", "gambling", "advisory", "block", "dns",
          "www.casino.example.com"));
  for (const char* flag : {"vpn", "tor"}) {
    store::HitRecord h =
        hit(mar(5, 8, 0), "10.0.0.5", "circumvention", "caution", "log", "flow", "OpenVPN");
    h.kind = "circumvention";
    h.list = "nDPI classification";
    h.entry = flag;
    add(std::move(h));
  }
  add(hit(mar(5, 9, 0), "10.0.0.6", "circumvention", "caution", "alert", "dns", "dns.google"));
  {
    store::HitRecord h =
        hit(mar(6, 9, 0), "10.0.0.6", "extremism", "danger", "allow", "dns", "tcp-two.example.org");
    h.allowed = true;
    add(std::move(h));
  }
  int minute = 0;
  for (const char* hostile : {"x.<script>alert(1)</script>", "y.\"><svg onload=alert(1)>",
                              "z.evil\xE2\x80\xAEgro", "=calc.evil"}) {
    store::HitRecord h =
        hit(mar(7, 9, minute++), "10.0.0.3", "extremism", "caution", "alert", "dns", hostile);
    h.entry = "<script>alert(1)</script>";
    add(std::move(h));
  }
  {
    store::HitRecord h =
        hit(mar(8, 9, 0), "10.0.0.2", "discrimination", "caution", "alert", "http_text", "/page");
    h.kind = "keyword";
    h.list = "<b>list</b>";
    h.entry = "=cmd|' /C calc'!A0";
    add(attributed(std::move(h), "L002"));
  }
  add(attributed(
      hit(kTo - 1, "10.0.0.1", "violence", "caution", "alert", "dns", "late.example.net"), "L001"));
  // The first instant of April: not March's.
  add(attributed(hit(kTo, "10.0.0.1", "extremism", "caution", "alert", "dns", "april.example.net"),
                 "L001"));
  // The last instant of February.
  add(attributed(
      hit(kFrom - 1, "10.0.0.1", "extremism", "caution", "alert", "dns", "feb.example.net"),
      "L001"));
  add(hit(utc(2026, 2, 10, 9), "10.0.0.4", "gambling", "advisory", "block", "dns",
          "casino.example.com"));

  random_hits(w, kFrom, kTo, 400, 20260301, t);
  random_hits(w, utc(2026, 2, 1), kFrom, 150, 20260201, t);
  random_hits(w, utc(2025, 12, 1), utc(2026, 1, 1), 80, 20251201, t);
  if (!w.wait_acked(t, std::chrono::seconds(60))) throw std::runtime_error("hits not committed");

  // The activity log: minutes with observations, one device seen only here.
  {
    std::mt19937_64 rng(77);
    for (int i = 0; i < 300; ++i) {
      store::ActivityRecord a;
      a.ts_us = kFrom + static_cast<TimeUs>(rng() % static_cast<std::uint64_t>(kTo - kFrom));
      a.client_ip = "10.0.1." + std::to_string(1 + rng() % 25);
      a.kind = "dns";
      a.name = "n" + std::to_string(rng() % 10) + ".example.org";
      w.record_activity(a);
    }
    store::ActivityRecord a;
    a.ts_us = utc(2026, 2, 20, 10);
    a.client_ip = "10.0.0.9";
    a.kind = "sni";
    a.name = "feb.example.org";
    w.record_activity(a);
    a.ts_us = kTo - 1;
    a.client_ip = "10.0.0.10";
    w.record_activity(a);
  }

  for (auto [ts, by] :
       std::vector<std::pair<TimeUs, std::string>>{{utc(2026, 1, 10), "vigild (start)"},
                                                   {utc(2026, 2, 20), "vigild (start)"},
                                                   {mar(5, 6, 0), "vigild (start)"},
                                                   {mar(10, 6, 0), "vigild (reload)"},
                                                   {kTo, "vigild (start)"}}) {
    store::RuleSetRecord rs;
    rs.loaded_us = ts;
    rs.version = "ab12cd34" + std::to_string(ts % 1000);
    rs.source = "/etc/vigil/rules";
    rs.lists = 3;
    rs.entries = 1234;
    rs.loaded_by = by;
    auto id = w.record_rule_set(rs).get();
    if (!id) throw std::runtime_error(id.error().message);
  }
  // Capture health, once a minute (30 s past) on two interfaces: the end of
  // February; 2 to 4 March with a 90 s late sample (still up), a restart
  // (counters start again) after a 10-minute gap, and eth1 stopped for half
  // an hour; then from 30 March to the month's last sample, 30 s before its end.
  {
    std::mt19937_64 rng(5);
    std::map<std::string, store::CaptureHealthSample> now;
    for (const char* i : {"eth0", "eth1"}) now[i] = {0, i, true, 0, 0, 0, 3};
    std::vector<store::CaptureHealthSample> all;
    const auto sample = [&](TimeUs ts, bool restart) {
      for (auto& [name, c] : now) {
        if (restart) c.frames = c.kernel_drops = c.queue_drops = 0;
        c.ts_us = ts;
        c.frames += 1000 + static_cast<std::int64_t>(rng() % 500);
        c.kernel_drops += rng() % 7 == 0 ? static_cast<std::int64_t>(rng() % 40) : 0;
        c.queue_drops += rng() % 11 == 0 ? static_cast<std::int64_t>(rng() % 9) : 0;
        c.running = !(name == "eth1" && ts >= utc(2026, 3, 4, 9) && ts < utc(2026, 3, 4, 9, 30));
        all.push_back(c);
      }
    };
    for (TimeUs at = kFrom - 10 * 60'000'000 + 30'000'000; at < kFrom; at += 60'000'000) {
      sample(at, false);
    }
    bool restarted = false;
    for (TimeUs at = utc(2026, 3, 2, 0, 0, 30); at < utc(2026, 3, 5); at += 60'000'000) {
      if (at >= utc(2026, 3, 3, 11, 50) && at < utc(2026, 3, 3, 12)) continue;  // vigild down
      const bool restart = !restarted && at >= utc(2026, 3, 3, 12);
      restarted = restarted || restart;
      // One sample 30 s late: 90 s after the one before, still up.
      sample(at == utc(2026, 3, 2, 8, 0, 30) ? at + 30'000'000 : at, restart);
    }
    for (TimeUs at = utc(2026, 3, 30, 12, 0, 30); at < kTo; at += 60'000'000) sample(at, false);
    auto n = w.record_capture_health(std::move(all)).get();
    if (!n) throw std::runtime_error(n.error().message);
  }
  // An activity flush, then stop.
  w.stop();

  f.person_l001 = raw_int(f.db, "SELECT id FROM people WHERE reference = 'L001'");
  f.person_l002 = raw_int(f.db, "SELECT id FROM people WHERE reference = 'L002'");

  store::CaseworkOptions co;
  co.path = f.db;
  co.clock = clock.fn();
  auto cw = store::Casework::open(co);
  if (!cw) throw std::runtime_error(cw.error().message);
  store::Casework& c = **cw;
  const std::string dsl = "dsl.one";
  auto at = [&](TimeUs ts) { clock.now = ts; };
  auto check = [](const store::Status& s) {
    if (!s) throw std::runtime_error(s.error().message);
  };
  auto open = [&](TimeUs ts, std::int64_t person, std::vector<std::int64_t> incidents) {
    at(ts);
    store::NewConcern nc;
    if (person != 0) nc.person_id = person;
    nc.summary = "concern raised at " + std::to_string(ts);
    nc.incident_ids = std::move(incidents);
    auto id = c.open_concern(dsl, nc);
    if (!id) throw std::runtime_error(id.error().message);
    return *id;
  };
  using S = store::ConcernState;
  // Raised and closed in February, reopened in March.
  const auto feb = open(utc(2026, 2, 5, 10), f.person_l001, {});
  at(utc(2026, 2, 6, 10));
  check(c.transition_concern(dsl, feb, S::UnderReview, ""));
  at(utc(2026, 2, 7, 10));
  check(c.transition_concern(dsl, feb, S::NoFurtherAction, "no further action"));
  at(utc(2026, 2, 8, 10));
  check(c.transition_concern(dsl, feb, S::Closed, "", "resolved in February"));
  at(mar(3, 9, 0));
  check(c.transition_concern(dsl, feb, S::UnderReview, "new information"));
  // Raised in February, triaged in March (216 hours), internal support with
  // a review date that passes before the month ends.
  const auto c1 = open(utc(2026, 2, 21, 9), f.person_l002, {});
  at(mar(2, 9, 0));
  check(c.transition_concern(dsl, c1, S::UnderReview, ""));
  at(mar(4, 9, 0));
  check(c.transition_concern(dsl, c1, S::InternalSupport, "mentoring", {}, mar(10, 9, 0)));
  // Raised in March with an incident, triaged in 2 hours, referred, closed.
  const std::int64_t incident =
      raw_int(f.db,
              "SELECT incident_id FROM hits WHERE value = 'a.b.example.co.uk' AND client_ip = "
              "'10.0.0.1'");
  const auto c2 = open(mar(6, 10, 0), f.person_l001, {incident});
  at(mar(6, 12, 0));
  check(c.transition_concern(dsl, c2, S::UnderReview, ""));
  at(mar(7, 12, 0));
  check(c.transition_concern(dsl, c2, S::Referred, "referred to the Prevent team"));
  at(mar(20, 12, 0));
  check(c.transition_concern(dsl, c2, S::Closed, "<i>Channel</i>",
                             "Channel panel: support offered to L001"));
  // Raised in March, an emergency within 3 hours, closed the next day.
  const auto c5 = open(mar(12, 10, 0), 0, {});
  at(mar(12, 13, 0));
  check(c.transition_concern(dsl, c5, S::Emergency, "police called"));
  at(mar(13, 10, 0));
  check(c.transition_concern(dsl, c5, S::Closed, "", "safe"));
  // Raised in March and never triaged; raised on the 30th, triaged in April.
  open(mar(25, 10, 0), 0, {});
  const auto c4 = open(mar(30, 10, 0), f.person_l002, {});
  at(utc(2026, 4, 2, 9));
  check(c.transition_concern(dsl, c4, S::UnderReview, ""));

  // Dismissals: the gambling incident, the hostile extremism one, and every
  // ninth other incident still new.
  at(utc(2026, 4, 1, 12));
  for (const char* which : {"value = 'casino.example.com' AND client_ip = '10.0.0.4'",
                            "value = 'x.<script>alert(1)</script>' AND client_ip = '10.0.0.3'"}) {
    const std::int64_t id = raw_int(f.db, std::string("SELECT incident_id FROM hits WHERE ") +
                                              which + " AND ts_us >= " + std::to_string(kFrom) +
                                              " AND ts_us < " + std::to_string(kTo));
    check(c.dismiss_incident(dsl, id, "false positive: harmless site"));
  }
  {
    std::vector<std::int64_t> ids;
    sqlite3* dbh = nullptr;
    sqlite3_open(f.db.c_str(), &dbh);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(dbh, "SELECT id FROM incidents WHERE status = 'new' AND id % 9 = 0", -1, &s,
                       nullptr);
    while (sqlite3_step(s) == SQLITE_ROW) ids.push_back(sqlite3_column_int64(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(dbh);
    for (std::int64_t id : ids) check(c.dismiss_incident(dsl, id, "noise"));
  }

  // Decision and checks logs, with the month's edges.
  auto decide = [&](TimeUs ts, std::string change, std::string target, std::string reason) {
    at(ts);
    auto id = c.record_decision(
        "it.admin", {std::move(change), std::move(target), "manual", std::move(reason)});
    if (!id) throw std::runtime_error(id.error().message);
  };
  decide(utc(2026, 2, 27, 9), "add_block", "old.example.org", "February decision");
  decide(mar(5, 9, 0), "add_block", "=HYPERLINK(\"http://evil.example\")",
         "<script>alert('x')</script> reported by staff");
  decide(mar(9, 9, 0), "add_allow", "tcp-two.example.org", "education site \xE2\x80\xAE");
  decide(kTo - 1, "remove_block", "late.example.net", "last instant");
  decide(kTo, "add_block", "april.example.net", "April decision");
  auto checked = [&](TimeUs ts, std::string what, std::string result, std::string action) {
    at(ts);
    auto id = c.record_check("it.admin", {std::move(what), std::move(result), std::move(action)});
    if (!id) throw std::runtime_error(id.error().message);
  };
  checked(utc(2026, 2, 15, 9), "February check", "partial", "");
  checked(mar(15, 9, 0), "block page loads", "pass", "");
  checked(mar(16, 9, 0), "CTIRU list present", "fail", "renewed the licence");
  checked(mar(16, 10, 0), "+VPN detection", "pass", "-");
  return f;
}

// A rules tree for the coverage statement and the list table: an IWF list
// with three entries (modified three days before generation), an empty
// CTIRU slot, a DoH resolver list and a safe-search list.
inline std::string build_rules(const vigil::store::testing::TempDir& dir) {
  namespace fs = std::filesystem;
  const fs::path root = dir.path() / "rules";
  fs::create_directories(root / "statutory");
  write_file((root / "policy.toml").string(),
             "default_group = \"learners\"\n"
             "[[statutory]]\nslot = \"iwf\"\nname = \"IWF URL list\"\n"
             "path = \"statutory/iwf.urls\"\nformat = \"urls\"\nsource = \"IWF\"\n"
             "[[statutory]]\nslot = \"ctiru\"\nname = \"CTIRU list\"\n"
             "path = \"statutory/ctiru.urls\"\nformat = \"urls\"\nsource = \"CTIRU\"\n"
             "[[list]]\nname = \"DoH resolvers\"\npath = \"doh.domains\"\nformat = \"domains\"\n"
             "category = \"circumvention\"\naction = \"alert\"\nsource = \"providers\"\n"
             "version = \"2026-02\"\n"
             "[[list]]\nname = \"safe search\"\npath = \"safe.domains\"\nformat = \"domains\"\n"
             "category = \"safe_search\"\naction = \"log\"\nsource = \"search engines\"\n"
             "[[group]]\nname = \"learners\"\n");
  write_file((root / "statutory/iwf.urls").string(),
             "bad.example.org/a\nbad.example.org/b\nworse.example.net/\n");
  write_file((root / "statutory/ctiru.urls").string(), "# empty slot\n");
  write_file((root / "doh.domains").string(), "dns.google\ncloudflare-dns.com\n");
  write_file((root / "safe.domains").string(), "forcesafesearch.google.com\n");
  const auto when =
      std::chrono::file_clock::from_sys(std::chrono::sys_time<std::chrono::microseconds>(
          std::chrono::microseconds(kGenerated - 3 * 86'400'000'000LL)));
  for (const char* f :
       {"statutory/iwf.urls", "statutory/ctiru.urls", "doh.domains", "safe.domains"}) {
    fs::last_write_time(root / f, when);
  }
  return root.string();
}

}  // namespace vigil::report::testing
