// Every figure of the monthly report's JSON against SQL written here, on
// its own, over the same store: a table or figure without an expectation
// fails the test, and so does a table the report has and this test does
// not check.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/json/src.hpp>  // header-only Boost.JSON: this test's one translation unit
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "admin/report/output.h"
#include "admin/report/report.h"
#include "tests/unit/admin/report/report_fixture.h"

namespace vigil::report {
namespace {

namespace json = boost::json;
using testing::kFrom;
using testing::kGenerated;
using testing::kTo;

#define ISO(x)                                                                             \
  "(strftime('%Y-%m-%dT%H:%M:%S', (" x ") / 1000000, 'unixepoch') || printf('.%06dZ', (" x \
  ") % 1000000))"
#define PREVENT "('extremism', 'terrorism', 'hate_speech', 'discrimination', 'violence')"
#define MONTH "ts_us >= :f AND ts_us < :t"
#define SPLIT                                                                                   \
  "count(*) AS hits, coalesce(sum(allowed = 0 AND action = 'block'), 0) AS blocked, "           \
  "coalesce(sum(allowed = 0 AND action = 'alert'), 0) AS flagged, "                             \
  "coalesce(sum(allowed = 0 AND action <> 'block' AND action <> 'alert'), 0) AS logged, "       \
  "coalesce(sum(allowed = 1), 0) AS allowed, coalesce(sum(severity = 'danger'), 0) AS danger, " \
  "coalesce(sum(statutory = 1), 0) AS statutory, count(DISTINCT device_id) AS devices, "        \
  "count(DISTINCT person_id) AS people "
// Each concern's last state change (or raising) before the month's end.
#define LAST_STATE                                                                           \
  "last AS (SELECT e.concern_id, e.to_state FROM concern_events e WHERE e.kind IN "          \
  "('raised', 'state') AND e.ts_us < :t AND NOT EXISTS (SELECT 1 FROM concern_events e2 "    \
  "WHERE e2.concern_id = e.concern_id AND e2.kind IN ('raised', 'state') AND e2.ts_us < :t " \
  "AND e2.id > e.id))"

class Sql {
 public:
  explicit Sql(const std::string& path) {
    sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
  }
  ~Sql() { sqlite3_close(db_); }
  Sql(const Sql&) = delete;
  Sql& operator=(const Sql&) = delete;

  std::vector<json::object> rows(const std::string& sql) const {
    std::vector<json::object> out;
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "bad SQL: " << sqlite3_errmsg(db_) << "\n" << sql;
      return out;
    }
    for (const auto& [name, v] : params_) {
      if (int i = sqlite3_bind_parameter_index(s, name.c_str()); i > 0) sqlite3_bind_int64(s, i, v);
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
      json::object row;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        json::value v;
        switch (sqlite3_column_type(s, c)) {
          case SQLITE_INTEGER:
            v = sqlite3_column_int64(s, c);
            break;
          case SQLITE_FLOAT:
            v = sqlite3_column_double(s, c);
            break;
          case SQLITE_TEXT:
            v = json::string(reinterpret_cast<const char*>(sqlite3_column_text(s, c)),
                             static_cast<std::size_t>(sqlite3_column_bytes(s, c)));
            break;
          default:
            v = nullptr;
        }
        row[sqlite3_column_name(s, c)] = std::move(v);
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(s);
    return out;
  }

  json::value one(const std::string& sql) const {
    auto r = rows(sql);
    if (r.empty() || r.front().empty()) return nullptr;
    return r.front().begin()->value();
  }

  void set(const std::string& name, std::int64_t v) { params_[name] = v; }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, std::int64_t> params_;
};

void expect_same(const json::value& actual, const json::value& expected, const std::string& where) {
  if (expected.is_null() || actual.is_null()) {
    EXPECT_EQ(actual.is_null(), expected.is_null())
        << where << ": " << actual << " vs " << expected;
  } else if (actual.is_bool()) {
    ASSERT_TRUE(expected.is_number() || expected.is_bool()) << where;
    const bool e =
        expected.is_bool() ? expected.as_bool() : expected.to_number<std::int64_t>() != 0;
    EXPECT_EQ(actual.as_bool(), e) << where;
  } else if (actual.is_number() && expected.is_number()) {
    if (actual.is_double() || expected.is_double()) {
      const double a = actual.to_number<double>();
      const double e = expected.to_number<double>();
      EXPECT_NEAR(a, e, 1e-9 * std::max(1.0, std::abs(e))) << where;
    } else {
      EXPECT_EQ(actual.to_number<std::int64_t>(), expected.to_number<std::int64_t>()) << where;
    }
  } else if (expected.is_string()) {
    ASSERT_TRUE(actual.is_string()) << where << ": " << actual;
    EXPECT_EQ(std::string(actual.as_string()), std::string(expected.as_string())) << where;
  } else {
    ADD_FAILURE() << where << ": " << actual << " vs " << expected;
  }
}

class ReportFigures : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new vigil::store::testing::TempDir();
    fixture_ = testing::build_store(*dir_);
    rules_ = testing::build_rules(*dir_);
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override {
    sql_ = std::make_unique<Sql>(fixture_.db);
    sql_->set(":f", kFrom);
    sql_->set(":t", kTo);
    sql_->set(":g", kGenerated);
  }

  json::object build(Audience audience, MonthlyReport* out = nullptr) {
    auto loaded = config::load_text(
        "[rules]\ndir = \"" + rules_ + "\"\n[capture]\ninterfaces = [\"br-lan\"]\n", "test.toml");
    EXPECT_TRUE(loaded) << (loaded.errors.empty() ? "" : loaded.errors.front());
    config_ = *loaded.config;
    auto q = store::ReportQueries::open({fixture_.db});
    EXPECT_TRUE(q.ok()) << q.error().message;
    ReportOptions o;
    o.audience = audience;
    o.generated_us = kGenerated;
    o.config = &config_;
    o.config_source = "test.toml";
    auto m = build_monthly(**q, Month{2026, 3}, o);
    EXPECT_TRUE(m.ok()) << m.error().message;
    if (out != nullptr) *out = *m;
    json::value v = json::parse(json_report(*m));
    return v.as_object();
  }

  void expect_table(const json::object& tables, const std::string& id,
                    const std::vector<json::object>& expected) {
    checked_.insert(id);
    ASSERT_TRUE(tables.contains(id)) << id;
    const json::object& t = tables.at(id).as_object();
    EXPECT_FALSE(t.at("title").as_string().empty()) << id;
    EXPECT_FALSE(t.at("definition").as_string().empty()) << id;
    const json::array& cols = t.at("columns").as_array();
    const json::array& rows = t.at("rows").as_array();
    ASSERT_EQ(rows.size(), expected.size()) << id;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const json::object& row = rows[i].as_object();
      EXPECT_EQ(row.size(), cols.size()) << id;
      for (const json::value& c : cols) {
        const std::string name(c.as_string());
        const std::string where = id + "[" + std::to_string(i) + "]." + name;
        auto e = expected[i].find(name);
        if (e == expected[i].end()) {
          ADD_FAILURE() << where << ": no expectation";
          continue;
        }
        expect_same(row.at(name), e->value(), where);
      }
      for (const auto& kv : expected[i]) {
        if (!kv.key().starts_with("_") && !row.contains(kv.key())) {
          ADD_FAILURE() << id << " lacks column " << kv.key();
        }
      }
    }
  }

  // A figure table: every figure in it needs an expectation, and every
  // expectation a figure.
  void expect_figures(const json::object& tables, const std::string& id,
                      const std::map<std::string, json::value>& expected) {
    checked_.insert(id);
    ASSERT_TRUE(tables.contains(id)) << id;
    const json::array& rows = tables.at(id).as_object().at("rows").as_array();
    std::set<std::string> seen;
    for (const json::value& r : rows) {
      const std::string figure(r.at("figure").as_string());
      seen.insert(figure);
      EXPECT_FALSE(r.at("definition").as_string().empty()) << id << "." << figure;
      auto e = expected.find(figure);
      if (e == expected.end()) {
        ADD_FAILURE() << id << "." << figure << ": no expectation";
        continue;
      }
      expect_same(r.at("value"), e->second, id + "." + figure);
    }
    for (const auto& [figure, v] : expected) {
      EXPECT_TRUE(seen.count(figure)) << id << "." << figure << " missing from the report";
    }
  }

  json::value q(const std::string& sql) { return sql_->one(sql); }
  std::vector<json::object> rows(const std::string& sql) { return sql_->rows(sql); }

  static inline vigil::store::testing::TempDir* dir_ = nullptr;
  static inline testing::Fixture fixture_;
  static inline std::string rules_;
  config::Config config_;
  std::unique_ptr<Sql> sql_;
  std::set<std::string> checked_;
};

std::string sha256_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

json::object obj(std::initializer_list<std::pair<json::string_view, json::value>> kv) {
  json::object o;
  for (const auto& [k, v] : kv) o[k] = v;
  return o;
}

TEST_F(ReportFigures, EveryFigureEqualsTheStore) {
  const json::object report = build(Audience::Aggregate);
  EXPECT_EQ(report.at("month").as_string(), "2026-03");
  EXPECT_EQ(report.at("from_us").as_int64(), kFrom);
  EXPECT_EQ(report.at("to_us").as_int64(), kTo);
  EXPECT_EQ(report.at("generated_us").as_int64(), kGenerated);
  EXPECT_EQ(report.at("audience").as_string(), "aggregate");
  const json::object& tables = report.at("tables").as_object();

  expect_figures(
      tables, "summary",
      {{"month", "2026-03"},
       {"period_from", q("SELECT " ISO(":f"))},
       {"period_to", q("SELECT " ISO(":t"))},
       {"generated", q("SELECT " ISO(":g"))},
       {"audience", "aggregate"},
       {"configuration", "test.toml"},
       {"hits", q("SELECT count(*) FROM hits WHERE " MONTH)},
       {"blocked",
        q("SELECT count(*) FROM hits WHERE " MONTH " AND allowed = 0 AND action = 'block'")},
       {"flagged",
        q("SELECT count(*) FROM hits WHERE " MONTH " AND allowed = 0 AND action = 'alert'")},
       {"prevent_hits", q("SELECT count(*) FROM hits WHERE " MONTH " AND category IN " PREVENT)},
       {"circumvention_attempts",
        q("SELECT count(*) FROM hits WHERE " MONTH " AND category = 'circumvention'")},
       {"incidents_opened",
        q("SELECT count(*) FROM incidents WHERE first_us >= :f AND first_us < :t")},
       {"concerns_raised",
        q("SELECT count(*) FROM concerns WHERE raised_us >= :f AND raised_us < :t")},
       {"concerns_closed", q("SELECT count(*) FROM concern_events WHERE kind = 'state' AND "
                             "to_state = 'closed' AND " MONTH)},
       {"decision_log_entries", q("SELECT count(*) FROM decision_log WHERE " MONTH)},
       {"checks_done", q("SELECT count(*) FROM checks_log WHERE " MONTH)},
       {"empty", false}});

  // The recording window: the month, from the activity log's first minute if later.
  const std::string window =
      "WITH w(lo, hi) AS (SELECT max(:f, coalesce((SELECT min(minute) * 60000000 FROM "
      "activity), :f)), min(:t, :g)) ";
  const std::string seen =
      "(SELECT device_id FROM hits WHERE " MONTH
      " UNION SELECT device_id FROM activity WHERE minute * 60000000 >= :f AND minute * "
      "60000000 < :t AND device_id <> 0)";
  const std::string silence =
      window +
      ", m AS (SELECT DISTINCT minute FROM activity, w WHERE minute * 60000000 >= w.lo AND "
      "minute * 60000000 < w.hi), "
      "edges(minute) AS (SELECT lo / 60000000 - 1 FROM w UNION ALL SELECT minute FROM m UNION "
      "ALL SELECT hi / 60000000 FROM w), "
      "gaps AS (SELECT minute AS this, lag(minute) OVER (ORDER BY minute) AS prev FROM edges) "
      "SELECT (prev + 1) * 60000000 AS a, this * 60000000 AS b FROM gaps WHERE prev IS NOT NULL "
      "ORDER BY this - prev DESC, this LIMIT 1";
  // Capture health over its window: the month, from the oldest sample if later.
  const std::string cw =
      "WITH w(lo, hi) AS (SELECT max(:f, coalesce((SELECT min(ts_us) FROM capture_health), "
      ":f)), min(:t, :g)) ";
  // Each row with its interface's previous one; `ok` when no counter went down.
  const std::string deltas =
      cw +
      ", r AS (SELECT c.*, lag(frames) OVER p AS pf, lag(kernel_drops) OVER p AS pk, "
      "lag(queue_drops) OVER p AS pq FROM capture_health c, w WHERE ts_us >= lo AND ts_us < hi "
      "WINDOW p AS (PARTITION BY interface ORDER BY ts_us)) ";
  const std::string ok =
      "(pf IS NOT NULL AND frames >= pf AND kernel_drops >= pk AND "
      "queue_drops >= pq)";
  const std::string covers =
      cw +
      ", t AS (SELECT ts_us, min(running) AS up FROM capture_health, w WHERE ts_us >= lo AND "
      "ts_us < hi GROUP BY ts_us), n AS (SELECT ts_us, up, lead(ts_us) OVER (ORDER BY ts_us) AS "
      "nx FROM t), c AS (SELECT ts_us AS s, min(ts_us + CASE WHEN nx IS NOT NULL AND nx - ts_us "
      "<= 120000000 THEN nx - ts_us ELSE 60000000 END, (SELECT hi FROM w)) AS e FROM n WHERE up "
      "= 1) ";
  const auto outage = rows(
      covers +
      ", seq AS (SELECT s, lag(e) OVER (ORDER BY s) AS pe FROM (SELECT lo AS s, lo AS e FROM w "
      "UNION ALL SELECT s, e FROM c UNION ALL SELECT hi, hi FROM w)) SELECT pe AS a, s AS b FROM "
      "seq WHERE pe IS NOT NULL AND s > pe ORDER BY s - pe DESC, s LIMIT 1");
  ASSERT_EQ(outage.size(), 1u);
  const std::int64_t outage_from = outage[0].at("a").as_int64();
  const std::int64_t outage_to = outage[0].at("b").as_int64();
  sql_->set(":oa", outage_from);
  sql_->set(":ob", outage_to);
  // The fixture has what the definitions are about.
  ASSERT_GT(q(deltas + "SELECT count(*) FROM r WHERE pf IS NOT NULL AND NOT " + ok).as_int64(), 0);
  ASSERT_GT(q(covers + "SELECT count(*) FROM n WHERE up = 0").as_int64(), 0);
  ASSERT_GT(q(covers + "SELECT count(*) FROM n WHERE nx - ts_us > 120000000").as_int64(), 0);
  ASSERT_GT(q(covers + "SELECT count(*) FROM n WHERE nx - ts_us > 60000000 AND nx - ts_us <= "
                       "120000000")
                .as_int64(),
            0);
  const auto gap = rows(silence);
  ASSERT_EQ(gap.size(), 1u);
  const std::int64_t gap_from = gap[0].at("a").as_int64();
  const std::int64_t gap_to = gap[0].at("b").as_int64();
  sql_->set(":ga", gap_from);
  sql_->set(":gb", gap_to);
  expect_figures(
      tables, "coverage",
      {{"hits", q("SELECT count(*) FROM hits WHERE " MONTH)},
       {"hits_attributed",
        q("SELECT count(*) FROM hits WHERE " MONTH " AND person_id IS NOT NULL")},
       {"attributed_share", q("SELECT CAST(sum(person_id IS NOT NULL) AS REAL) / "
                              "nullif(count(*), 0) FROM hits WHERE " MONTH)},
       {"devices_seen", q("SELECT count(*) FROM " + seen)},
       {"devices_with_hits", q("SELECT count(DISTINCT device_id) FROM hits WHERE " MONTH)},
       {"devices_in_activity_log",
        q("SELECT count(DISTINCT device_id) FROM activity WHERE minute * 60000000 >= :f AND "
          "minute * 60000000 < :t AND device_id <> 0")},
       {"devices_attributed",
        q("SELECT count(*) FROM " + seen +
          " s WHERE s.device_id IN (SELECT device_id FROM device_people WHERE first_seen_us < "
          ":t AND last_seen_us >= :f)")},
       {"devices_attributed_share",
        q("SELECT CAST((SELECT count(*) FROM " + seen +
          " s WHERE s.device_id IN (SELECT device_id FROM device_people WHERE first_seen_us < "
          ":t AND last_seen_us >= :f)) AS REAL) / (SELECT count(*) FROM " +
          seen + ")")},
       {"people_with_hits", q("SELECT count(DISTINCT person_id) FROM hits WHERE " MONTH)},
       {"activity_log_starts", q("SELECT " ISO("(SELECT min(minute) * 60000000 FROM activity)"))},
       {"recording_window_from", q(window + "SELECT " ISO("lo") " FROM w")},
       {"recording_window_to", q(window + "SELECT " ISO("hi") " FROM w")},
       {"recording_minutes_in_window", q(window + "SELECT (hi - lo) / 60000000 FROM w")},
       {"recording_minutes",
        q(window + "SELECT count(DISTINCT minute) FROM activity, w WHERE minute * 60000000 >= "
                   "lo AND minute * 60000000 < hi")},
       {"recording_share",
        q(window + "SELECT CAST(count(DISTINCT minute) AS REAL) / ((hi - lo) / 60000000) FROM "
                   "activity, w WHERE minute * 60000000 >= lo AND minute * 60000000 < hi")},
       {"recording_days",
        q(window + "SELECT count(DISTINCT minute / 1440) FROM activity, w WHERE minute * "
                   "60000000 >= lo AND minute * 60000000 < hi")},
       {"longest_silence_from", q("SELECT " ISO(":ga"))},
       {"longest_silence_to", q("SELECT " ISO(":gb"))},
       {"longest_silence_minutes", static_cast<double>(gap_to - gap_from) / 6e7},
       {"vigild_starts", q("SELECT count(*) FROM rule_sets WHERE loaded_by = 'vigild (start)' AND "
                           "loaded_us >= :f AND loaded_us < :t")},
       {"rule_set_loads",
        q("SELECT count(*) FROM rule_sets WHERE loaded_us >= :f AND loaded_us < :t")},
       {"statutory_hits", q("SELECT count(*) FROM hits WHERE " MONTH " AND statutory = 1")},
       {"uptime_definition", "capture_health"},
       {"capture_window_from", q(cw + "SELECT " ISO("lo") " FROM w")},
       {"capture_window_to", q(cw + "SELECT " ISO("hi") " FROM w")},
       {"capture_health_samples",
        q(cw + "SELECT count(*) FROM capture_health, w WHERE ts_us >= lo AND ts_us < hi")},
       {"capture_runs", q(deltas + "SELECT sum(NOT " + ok + ") FROM r")},
       {"uptime_minutes", q(covers + "SELECT CAST(sum(e - s) AS REAL) / 60000000 FROM c")},
       {"uptime_share",
        q(covers + "SELECT CAST(sum(e - s) AS REAL) / (SELECT hi - lo FROM w) FROM c")},
       {"longest_outage_from", q("SELECT " ISO(":oa"))},
       {"longest_outage_to", q("SELECT " ISO(":ob"))},
       {"longest_outage_minutes", static_cast<double>(outage_to - outage_from) / 6e7},
       {"capture_frames",
        q(deltas + "SELECT sum(CASE WHEN " + ok + " THEN frames - pf ELSE 0 END) FROM r")},
       {"capture_kernel_drops",
        q(deltas + "SELECT sum(CASE WHEN " + ok + " THEN kernel_drops - pk ELSE 0 END) FROM r")},
       {"capture_queue_drops",
        q(deltas + "SELECT sum(CASE WHEN " + ok + " THEN queue_drops - pq ELSE 0 END) FROM r")},
       {"capture_drop_rate",
        q(deltas + "SELECT CAST(sum(CASE WHEN " + ok +
          " THEN kernel_drops - pk + queue_drops - pq ELSE 0 END) AS REAL) / sum(CASE WHEN " + ok +
          " THEN frames - pf ELSE 0 END) FROM r")}});

  expect_table(
      tables, "rule_sets",
      rows("SELECT " ISO(
          "loaded_us") " AS loaded, CASE WHEN loaded_us < :f THEN 'in "
                       "force at the start' ELSE 'loaded in the month' END AS \"when\", version, "
                       "source, lists, entries, loaded_by, (:t - loaded_us) / 86400000000.0 AS "
                       "age_days_at_month_end FROM rule_sets WHERE (loaded_us >= :f AND loaded_us "
                       "< :t) OR id = (SELECT id FROM rule_sets WHERE loaded_us < :f ORDER BY "
                       "loaded_us DESC LIMIT 1) ORDER BY loaded_us"));

  // The lists as written by the fixture, three days old.
  const std::string modified = std::string(q("SELECT " ISO(":g - 3 * 86400000000")).as_string());
  auto list_row = [&](const char* name, const char* category, const char* format, const char* slot,
                      const char* file, std::int64_t entries, const char* version,
                      const char* source, const char* status) {
    return obj({{"name", name},
                {"category", category},
                {"format", format},
                {"statutory", slot},
                {"allow", false},
                {"entries", entries},
                {"invalid_lines", 0},
                {"sha256", json::string(sha256_of(rules_ + "/" + file))},
                {"modified", json::string(modified)},
                {"age_days", 3.0},
                {"version", version},
                {"source", source},
                {"status", status}});
  };
  expect_table(tables, "lists",
               {list_row("IWF URL list", "child_abuse", "urls", "iwf", "statutory/iwf.urls", 3, "",
                         "IWF", "ok"),
                list_row("CTIRU list", "terrorism", "urls", "ctiru", "statutory/ctiru.urls", 0, "",
                         "CTIRU", "empty"),
                list_row("DoH resolvers", "circumvention", "domains", "", "doh.domains", 2,
                         "2026-02", "providers", "ok"),
                list_row("safe search", "safe_search", "domains", "", "safe.domains", 1, "",
                         "search engines", "ok")});
  expect_table(tables, "statutory_lists",
               {obj({{"slot", "iwf"},
                     {"name", "IWF URL list"},
                     {"declared", true},
                     {"present", true},
                     {"fresh", true},
                     {"entries", 3},
                     {"age_days", 3.0}}),
                obj({{"slot", "ctiru"},
                     {"name", "CTIRU list"},
                     {"declared", true},
                     {"present", false},
                     {"fresh", false},
                     {"entries", 0},
                     {"age_days", 3.0}})});

  {
    // Text, generated from the same configuration (its content is checked
    // in report_output_test.cc).
    ListInventory inv = list_inventory(config_, kGenerated, std::chrono::hours(7 * 24));
    std::vector<json::object> expected;
    for (const CoverageItem& i : coverage_statement(config_, "test.toml", &inv).items) {
      expected.push_back(obj({{"topic", json::string(i.topic)},
                              {"status", json::string(i.status)},
                              {"statement", json::string(i.text)}}));
    }
    EXPECT_GE(expected.size(), 12u);
    expect_table(tables, "coverage_statement", expected);
  }

  expect_table(
      tables, "categories",
      rows("WITH h AS (SELECT category, " SPLIT "FROM hits WHERE " MONTH " GROUP BY category), "
           "i AS (SELECT category, count(*) AS n FROM incidents WHERE first_us >= :f AND "
           "first_us < :t GROUP BY category), c AS (SELECT category FROM h UNION SELECT category "
           "FROM i) SELECT c.category AS category, c.category IN " PREVENT " AS prevent, "
           "coalesce(h.hits, 0) AS hits, coalesce(h.blocked, 0) AS blocked, coalesce(h.flagged, "
           "0) AS flagged, coalesce(h.logged, 0) AS logged, coalesce(h.allowed, 0) AS allowed, "
           "coalesce(h.danger, 0) AS danger, coalesce(h.statutory, 0) AS statutory, "
           "coalesce(h.devices, 0) AS devices, coalesce(h.people, 0) AS people, coalesce(i.n, "
           "0) AS incidents_opened FROM c LEFT JOIN h ON h.category = c.category LEFT JOIN i ON "
           "i.category = c.category ORDER BY hits DESC, c.category"));

  expect_table(
      tables, "prevent",
      rows(
          "WITH p(category, ord) AS (VALUES ('extremism', 1), ('terrorism', 2), ('hate_speech', "
          "3), ('discrimination', 4), ('violence', 5)), h AS (SELECT category, " SPLIT
          "FROM hits WHERE " MONTH " GROUP BY category), i AS (SELECT category, count(*) AS n "
          "FROM incidents WHERE first_us >= :f AND first_us < :t GROUP BY category) "
          "SELECT * FROM (SELECT p.category AS category, coalesce(h.hits, 0) AS hits, "
          "coalesce(h.blocked, 0) AS blocked, coalesce(h.flagged, 0) AS flagged, "
          "coalesce(h.logged, 0) AS logged, coalesce(h.allowed, 0) AS allowed, "
          "coalesce(h.danger, 0) AS danger, coalesce(h.statutory, 0) AS statutory, "
          "coalesce(h.devices, 0) AS devices, coalesce(h.people, 0) AS people, coalesce(i.n, 0) "
          "AS incidents_opened, p.ord AS _ord FROM p LEFT JOIN h ON h.category = p.category "
          "LEFT JOIN i ON i.category = p.category UNION ALL SELECT 'all Prevent categories', " SPLIT
          ", (SELECT count(*) FROM incidents WHERE first_us >= :f AND first_us < :t AND "
          "category IN " PREVENT "), 6 FROM hits WHERE " MONTH " AND category IN " PREVENT
          ") ORDER BY _ord"));

  expect_table(
      tables, "trend",
      rows("WITH months(month) AS (VALUES ('2025-10'), ('2025-11'), ('2025-12'), ('2026-01'), "
           "('2026-02'), ('2026-03')), h AS (SELECT strftime('%Y-%m', ts_us / 1000000, "
           "'unixepoch') AS month, count(*) AS hits, sum(allowed = 0 AND action = 'block') AS "
           "blocked, sum(allowed = 0 AND action = 'alert') AS flagged, sum(allowed = 0 AND "
           "action NOT IN ('block', 'alert')) AS logged, sum(allowed = 1) AS allowed, "
           "sum(category IN " PREVENT ") AS prevent_hits, sum(category = 'circumvention') AS "
           "circumvention_attempts, count(DISTINCT device_id) AS devices_with_hits FROM hits "
           "GROUP BY 1), i AS (SELECT strftime('%Y-%m', first_us / 1000000, 'unixepoch') AS "
           "month, count(*) AS n FROM incidents GROUP BY 1), c AS (SELECT strftime('%Y-%m', "
           "raised_us / 1000000, 'unixepoch') AS month, count(*) AS n FROM concerns GROUP BY 1) "
           "SELECT months.month AS month, coalesce(h.hits, 0) AS hits, coalesce(h.blocked, 0) AS "
           "blocked, coalesce(h.flagged, 0) AS flagged, coalesce(h.logged, 0) AS logged, "
           "coalesce(h.allowed, 0) AS allowed, coalesce(h.prevent_hits, 0) AS prevent_hits, "
           "coalesce(h.circumvention_attempts, 0) AS circumvention_attempts, coalesce(i.n, 0) AS "
           "incidents_opened, coalesce(c.n, 0) AS concerns_raised, coalesce(h.devices_with_hits, "
           "0) AS devices_with_hits FROM months LEFT JOIN h ON h.month = months.month LEFT JOIN "
           "i ON i.month = months.month LEFT JOIN c ON c.month = months.month ORDER BY "
           "months.month"));

  expect_table(
      tables, "daily",
      rows("WITH RECURSIVE d(day) AS (SELECT date(:f / 1000000, 'unixepoch') UNION ALL SELECT "
           "date(day, '+1 day') FROM d WHERE date(day, '+1 day') < date(:t / 1000000, "
           "'unixepoch')), h AS (SELECT date(ts_us / 1000000, 'unixepoch') AS day, count(*) AS "
           "hits, sum(allowed = 0 AND action = 'block') AS blocked, sum(allowed = 0 AND action "
           "= 'alert') AS flagged, sum(category IN " PREVENT
           ") AS prevent_hits FROM hits WHERE " MONTH
           " GROUP BY 1) SELECT d.day AS date, coalesce(h.hits, 0) AS hits, coalesce(h.blocked, "
           "0) AS blocked, coalesce(h.flagged, 0) AS flagged, coalesce(h.prevent_hits, 0) AS "
           "prevent_hits FROM d LEFT JOIN h ON h.day = d.day ORDER BY d.day"));

  {
    // Registrable domains from the fixture's own table, not from libpsl.
    std::map<std::string, std::map<std::string, std::pair<std::int64_t, std::int64_t>>> per;
    for (const json::object& r :
         rows("SELECT category, value, count(*) AS n FROM hits WHERE " MONTH " AND allowed = 0 "
              "AND observation IN ('dns', 'sni', 'quic_sni', 'http_host') GROUP BY category, "
              "value")) {
      const std::string host(r.at("value").as_string());
      auto d = testing::registrable().find(host);
      ASSERT_NE(d, testing::registrable().end()) << host;
      auto& agg = per[std::string(r.at("category").as_string())][d->second];
      agg.first += r.at("n").as_int64();
      agg.second += 1;
    }
    std::vector<json::object> expected;
    for (auto& [category, domains] : per) {
      std::vector<std::pair<std::string, std::pair<std::int64_t, std::int64_t>>> v(domains.begin(),
                                                                                   domains.end());
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.second.first != b.second.first ? a.second.first > b.second.first
                                                : a.first < b.first;
      });
      for (std::size_t i = 0; i < v.size() && i < 10; ++i) {
        expected.push_back(obj({{"category", json::string(category)},
                                {"rank", static_cast<std::int64_t>(i + 1)},
                                {"registrable_domain", json::string(v[i].first)},
                                {"hits", v[i].second.first},
                                {"host_names", v[i].second.second}}));
      }
    }
    expect_table(tables, "top_domains", expected);
  }

  expect_table(
      tables, "circumvention",
      rows("SELECT source, method, attempts, blocked, devices, people FROM (SELECT CASE WHEN "
           "kind = 'circumvention' THEN 'nDPI' ELSE 'list' END AS source, CASE WHEN kind = "
           "'circumvention' THEN entry ELSE list END AS method, count(*) AS attempts, "
           "sum(allowed = 0 AND action = 'block') AS blocked, count(DISTINCT device_id) AS "
           "devices, count(DISTINCT person_id) AS people, 0 AS o FROM hits WHERE " MONTH
           " AND category = 'circumvention' GROUP BY 1, 2 UNION ALL SELECT 'all', 'all methods', "
           "count(*), coalesce(sum(allowed = 0 AND action = 'block'), 0), count(DISTINCT "
           "device_id), count(DISTINCT person_id), 1 FROM hits WHERE " MONTH
           " AND category = 'circumvention') ORDER BY o, attempts DESC, source, method"));

  {
    std::vector<double> hours;
    for (const json::object& r :
         rows("SELECT (f.first - c.raised_us) / 3600000000.0 AS h FROM concerns c JOIN (SELECT "
              "concern_id, min(ts_us) AS first FROM concern_events WHERE kind = 'state' GROUP "
              "BY concern_id) f ON f.concern_id = c.id WHERE f.first >= :f AND f.first < :t")) {
      hours.push_back(r.at("h").to_number<double>());
    }
    std::sort(hours.begin(), hours.end());
    json::value median = nullptr;
    if (!hours.empty()) {
      median = hours.size() % 2 ? hours[hours.size() / 2]
                                : (hours[hours.size() / 2 - 1] + hours[hours.size() / 2]) / 2;
    }
    expect_figures(
        tables, "concerns",
        {{"raised", q("SELECT count(*) FROM concerns WHERE raised_us >= :f AND raised_us < :t")},
         {"state_changes",
          q("SELECT count(*) FROM concern_events WHERE kind = 'state' AND " MONTH)},
         {"closed", q("SELECT count(*) FROM concern_events WHERE kind = 'state' AND to_state = "
                      "'closed' AND " MONTH)},
         {"reopened", q("SELECT count(*) FROM concern_events WHERE kind = 'state' AND "
                        "from_state = 'closed' AND " MONTH)},
         {"triaged", static_cast<std::int64_t>(hours.size())},
         {"median_hours_to_triage", median},
         {"awaiting_triage_at_month_end",
          q("SELECT count(*) FROM concerns c WHERE raised_us < :t AND NOT EXISTS (SELECT 1 FROM "
            "concern_events e WHERE e.concern_id = c.id AND e.kind = 'state' AND e.ts_us < :t)")},
         {"open_at_month_end",
          q("WITH " LAST_STATE " SELECT count(*) FROM last WHERE to_state <> 'closed'")},
         {"reviews_overdue_at_month_end",
          q("WITH " LAST_STATE " SELECT count(*) FROM last JOIN concerns c ON c.id = "
            "last.concern_id WHERE last.to_state = 'internal_support' AND c.review_due_us < :t")},
         {"review_date_unknown_at_month_end",
          q("WITH " LAST_STATE " SELECT count(*) FROM last JOIN concerns c ON c.id = "
            "last.concern_id WHERE last.to_state = 'internal_support' AND c.review_due_us IS "
            "NULL")}});
  }

  expect_table(
      tables, "concern_states",
      rows("WITH s(state, ord) AS (VALUES ('raised', 1), ('under_review', 2), "
           "('no_further_action', 3), ('internal_support', 4), ('referred', 5), ('emergency', "
           "6), ('closed', 7)), " LAST_STATE " SELECT s.state AS state, (SELECT count(*) FROM "
           "last WHERE last.to_state = s.state) AS at_month_end, CASE WHEN s.state = 'raised' "
           "THEN (SELECT count(*) FROM concerns WHERE raised_us >= :f AND raised_us < :t) ELSE "
           "(SELECT count(*) FROM concern_events e WHERE e.kind = 'state' AND e.to_state = "
           "s.state AND e.ts_us >= :f AND e.ts_us < :t) END AS entered_in_month FROM s ORDER BY "
           "s.ord"));
  expect_table(
      tables, "concern_outcomes",
      rows("WITH s(state, ord) AS (VALUES ('raised', 1), ('under_review', 2), "
           "('no_further_action', 3), ('internal_support', 4), ('referred', 5), ('emergency', "
           "6)) SELECT s.state AS closed_from, (SELECT count(*) FROM concern_events e WHERE "
           "e.kind = 'state' AND e.to_state = 'closed' AND e.from_state = s.state AND e.ts_us >= "
           ":f AND e.ts_us < :t) AS closed_in_month FROM s ORDER BY s.ord"));

  const std::string triage =
      "count(*) AS hits, count(DISTINCT h.incident_id) AS incidents, count(DISTINCT CASE WHEN "
      "i.status = 'dismissed' THEN i.id END) AS dismissed, count(DISTINCT CASE WHEN i.status = "
      "'linked' THEN i.id END) AS linked, count(DISTINCT CASE WHEN i.status = 'new' THEN i.id "
      "END) AS untriaged, CAST(count(DISTINCT CASE WHEN i.status = 'dismissed' THEN i.id END) AS "
      "REAL) / count(DISTINCT h.incident_id) AS false_positive_rate FROM hits h JOIN incidents i "
      "ON i.id = h.incident_id WHERE h.ts_us >= :f AND h.ts_us < :t AND h.allowed = 0 ";
  expect_table(tables, "false_positives_lists",
               rows("SELECT h.list AS list, " + triage + "GROUP BY h.list ORDER BY h.list"));
  expect_table(tables, "false_positives_keywords",
               rows("SELECT h.list AS list, h.kind AS kind, h.entry AS entry, " + triage +
                    "AND h.kind IN ('keyword', 'phrase', 'regex', 'search_term') GROUP BY "
                    "h.list, h.kind, h.entry ORDER BY dismissed DESC, hits DESC, h.list, h.kind, "
                    "h.entry LIMIT 50"));

  expect_table(
      tables, "decision_log",
      rows("SELECT id, " ISO("ts_us") " AS time, actor, change, target, list, reason "
                                      "FROM decision_log WHERE " MONTH " ORDER BY ts_us, id"));
  expect_table(tables, "check_results",
               rows("WITH r(result, ord) AS (VALUES ('pass', 1), ('fail', 2), ('partial', 3)) "
                    "SELECT r.result AS result, (SELECT count(*) FROM checks_log c WHERE "
                    "c.result = r.result AND c.ts_us >= :f AND c.ts_us < :t) AS checks FROM r "
                    "ORDER BY r.ord"));
  expect_table(tables, "checks_log",
               rows("SELECT id, " ISO("ts_us") " AS time, actor, what, result, action FROM "
                                               "checks_log WHERE " MONTH " ORDER BY ts_us, id"));
  expect_figures(tables, "audit",
                 {{"rows", q("SELECT count(*) FROM audit_log")},
                  {"chain_ok", true},
                  {"first_bad_id", nullptr},
                  {"problem", ""},
                  {"head_hash", q("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")}});

  std::set<std::string> in_report;
  for (const auto& kv : tables) in_report.insert(kv.key());
  EXPECT_EQ(in_report, checked_) << "every table of the report is checked here";
}

// The scenario written into the fixture, counted by hand: the SQL above
// and the report could agree and both be wrong.
TEST_F(ReportFigures, HandCountedScenario) {
  MonthlyReport m;
  build(Audience::Aggregate, &m);
  EXPECT_EQ(m.concerns.raised, 4);
  EXPECT_EQ(m.concerns.triaged, 3);  // 216 h, 2 h, 3 h
  ASSERT_TRUE(m.concerns.median_triage_hours.has_value());
  EXPECT_DOUBLE_EQ(*m.concerns.median_triage_hours, 3.0);
  EXPECT_EQ(m.concerns.closed, 2);
  EXPECT_EQ(m.concerns.reopened, 1);
  EXPECT_EQ(m.concerns.reviews_overdue_at_end, 1);
  EXPECT_EQ(m.concerns.awaiting_triage_at_end, 2);
  EXPECT_EQ(m.concerns.open_at_end, 4);  // February's reopened, c1, the 25th's, the 30th's
  EXPECT_EQ(m.decisions_total, 3);
  EXPECT_EQ(m.checks_total, 3);
  EXPECT_EQ(m.vigild_starts, 1);
  EXPECT_EQ(m.rule_set_loads, 2);
  ASSERT_FALSE(m.rule_sets.empty());
  EXPECT_EQ(m.rule_sets.front().loaded_us, testing::utc(2026, 2, 20));
  ASSERT_TRUE(m.lists.has_value());
  EXPECT_TRUE(m.lists->statutory[0].fresh);
  EXPECT_FALSE(m.lists->statutory[1].present);
  // 17 hits by hand in March (the April one excluded) plus 400 drawn at random.
  EXPECT_EQ(m.totals.hits, 17 + 400);
  EXPECT_EQ(m.days.size(), 31u);
  EXPECT_GE(m.days.front().hits, 1);  // the month's first instant
  EXPECT_GE(m.days.back().hits, 1);   // its last
}

TEST_F(ReportFigures, NamedTablesOnlyForTheNamedAudience) {
  MonthlyReport aggregate;
  const json::object a = build(Audience::Aggregate, &aggregate);
  for (const char* id : {"people_activity", "people_concerns", "concerns_closed"}) {
    EXPECT_FALSE(a.at("tables").as_object().contains(id)) << id;
  }
  EXPECT_TRUE(aggregate.people.empty());
  EXPECT_TRUE(aggregate.people_concerns.empty());
  EXPECT_TRUE(aggregate.closed_concerns.empty());
  for (const std::string& text :
       {json_report(aggregate), render_html(aggregate, Audience::Named)}) {
    EXPECT_EQ(text.find("Alice Example"), std::string::npos);
    EXPECT_EQ(text.find("L001"), std::string::npos);
    EXPECT_EQ(text.find("Channel panel"), std::string::npos);
  }

  MonthlyReport named;
  const json::object n = build(Audience::Named, &named);
  EXPECT_EQ(n.at("audience").as_string(), "named");
  const json::object& tables = n.at("tables").as_object();
  for (const char* id : {"people_activity", "people_concerns", "concerns_closed"}) {
    ASSERT_TRUE(tables.contains(id)) << id;
    EXPECT_TRUE(tables.at(id).as_object().at("names_people").as_bool()) << id;
  }
  expect_table(
      tables, "people_activity",
      rows("WITH h AS (SELECT person_id, count(*) AS hits, sum(category IN " PREVENT
           ") AS prevent_hits, sum(severity = 'danger') AS danger_hits FROM hits WHERE " MONTH
           " AND person_id IS NOT NULL GROUP BY person_id), i AS (SELECT person_id, count(*) AS "
           "n FROM incidents WHERE first_us >= :f AND first_us < :t AND person_id IS NOT NULL "
           "GROUP BY person_id) SELECT p.reference AS reference, p.display_name AS name, p.kind "
           "AS kind, p.cohort AS cohort, p.group_name AS \"group\", p.under_18 AS under_18, "
           "coalesce(i.n, 0) AS incidents_opened, coalesce(h.hits, 0) AS hits, "
           "coalesce(h.prevent_hits, 0) AS prevent_hits, coalesce(h.danger_hits, 0) AS "
           "danger_hits FROM people p LEFT JOIN h ON h.person_id = p.id LEFT JOIN i ON "
           "i.person_id = p.id WHERE h.person_id IS NOT NULL OR i.person_id IS NOT NULL ORDER BY "
           "incidents_opened DESC, hits DESC, p.reference LIMIT 25"));
  expect_table(
      tables, "people_concerns",
      rows("WITH " LAST_STATE ", per AS (SELECT c.person_id, sum(c.raised_us >= :f) AS raised, "
           "sum(coalesce(l.to_state, 'raised') <> 'closed') AS open_at_month_end FROM concerns "
           "c LEFT JOIN last l ON l.concern_id = c.id WHERE c.person_id IS NOT NULL AND "
           "c.raised_us < :t GROUP BY c.person_id), cl AS (SELECT c.person_id, count(*) AS n "
           "FROM concern_events e JOIN concerns c ON c.id = e.concern_id WHERE e.kind = 'state' "
           "AND e.to_state = 'closed' AND e.ts_us >= :f AND e.ts_us < :t GROUP BY c.person_id) "
           "SELECT p.reference AS reference, p.display_name AS name, p.cohort AS cohort, "
           "per.raised AS raised, coalesce(cl.n, 0) AS closed, per.open_at_month_end AS "
           "open_at_month_end FROM per JOIN people p ON p.id = per.person_id LEFT JOIN cl ON "
           "cl.person_id = per.person_id WHERE per.raised > 0 OR coalesce(cl.n, 0) > 0 OR "
           "per.open_at_month_end > 0 ORDER BY open_at_month_end DESC, raised DESC, p.id"));
  expect_table(
      tables, "concerns_closed",
      rows("SELECT e.concern_id AS concern_id, coalesce(p.reference, '') AS reference, " ISO(
          "e.ts_us") " AS closed, e.actor AS closed_by, e.from_state AS closed_from, e.text AS "
                     "note_and_outcome FROM concern_events e JOIN concerns c ON c.id = "
                     "e.concern_id LEFT JOIN people p ON p.id = c.person_id WHERE e.kind = "
                     "'state' AND e.to_state = 'closed' AND e.ts_us >= :f AND e.ts_us < :t "
                     "ORDER BY e.ts_us, e.id"));
  const std::string html = render_html(named, Audience::Named);
  EXPECT_NE(html.find("Alice Example"), std::string::npos);
  EXPECT_NE(html.find("Bob &lt;b&gt;Example&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>Example"), std::string::npos);
  // A named model rendered for an aggregate reader names no one.
  const std::string downgraded = render_html(named, Audience::Aggregate);
  EXPECT_EQ(downgraded.find("Alice Example"), std::string::npos);
  EXPECT_EQ(downgraded.find("Channel panel"), std::string::npos);
}

}  // namespace
}  // namespace vigil::report
