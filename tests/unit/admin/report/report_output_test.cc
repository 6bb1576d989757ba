// The report's outputs and edges: month boundaries, an empty month, CSV
// formula neutralisation, hostile names in the HTML page, the coverage
// statement from the configuration, registrable domains.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <boost/json/src.hpp>  // header-only Boost.JSON: this test's one translation unit
#include <filesystem>
#include <fstream>
#include <sstream>

#include "admin/report/domains.h"
#include "admin/report/output.h"
#include "admin/report/report.h"
#include "tests/unit/admin/report/report_fixture.h"

namespace vigil::report {
namespace {

namespace json = boost::json;
using testing::kFrom;
using testing::kGenerated;
using testing::kTo;
using testing::utc;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

MonthlyReport build(const std::string& db, Month month, Audience audience = Audience::Aggregate,
                    const config::Config* config = nullptr) {
  auto q = store::ReportQueries::open({db});
  EXPECT_TRUE(q.ok()) << q.error().message;
  ReportOptions o;
  o.audience = audience;
  o.generated_us = kGenerated;
  o.config = config;
  o.config_source = config != nullptr ? "test.toml" : "";
  o.top_domains = 100;  // every domain, so each hostile name is on the page
  auto m = build_monthly(**q, month, o);
  EXPECT_TRUE(m.ok()) << m.error().message;
  return *m;
}

const json::object& table(const json::value& report, const char* id) {
  return report.at("tables").at(id).as_object();
}

json::value figure(const json::value& report, const char* id, const char* name) {
  for (const json::value& r : table(report, id).at("rows").as_array()) {
    if (r.at("figure").as_string() == name) return r.at("value");
  }
  ADD_FAILURE() << id << "." << name << " not found";
  return nullptr;
}

class ReportOutput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new vigil::store::testing::TempDir();
    fixture_ = testing::build_store(*dir_);
    march_ = new MonthlyReport(build(fixture_.db, Month{2026, 3}));
  }
  static void TearDownTestSuite() {
    delete march_;
    delete dir_;
  }
  static inline vigil::store::testing::TempDir* dir_ = nullptr;
  static inline testing::Fixture fixture_;
  static inline MonthlyReport* march_ = nullptr;
};

TEST(ReportMonth, ParsesAndBoundsCalendarMonths) {
  EXPECT_EQ(parse_month("2026-03"), (Month{2026, 3}));
  for (const char* bad : {"2026-13", "2026-00", "2026-3", "26-03", "2026/03", "2026-03-01",
                          "abcd-ef", "", "1999-12", "2026-0x"}) {
    EXPECT_FALSE(parse_month(bad).has_value()) << bad;
  }
  EXPECT_EQ(month_text(Month{2026, 3}), "2026-03");
  EXPECT_EQ(month_range(Month{2026, 3}).from_us, utc(2026, 3, 1));
  EXPECT_EQ(month_range(Month{2026, 3}).to_us, utc(2026, 4, 1));
  EXPECT_EQ(month_range(Month{2024, 2}).to_us - month_range(Month{2024, 2}).from_us,
            29 * 86'400'000'000LL);
  EXPECT_EQ(month_range(Month{2025, 12}).to_us, utc(2026, 1, 1));
  EXPECT_EQ(previous_month(Month{2026, 1}), (Month{2025, 12}));
  EXPECT_EQ(month_of(utc(2026, 4, 1) - 1), (Month{2026, 3}));
  EXPECT_EQ(month_of(utc(2026, 4, 1)), (Month{2026, 4}));
  EXPECT_EQ(format_utc_iso(utc(2026, 4, 1) - 1), "2026-03-31T23:59:59.999999Z");
  EXPECT_EQ(format_utc_minute(utc(2026, 3, 5, 9, 7)), "2026-03-05 09:07 UTC");
}

TEST(ReportDomains, RegistrableDomainsFromThePublicSuffixList) {
  RegistrableDomains psl;
  EXPECT_EQ(psl.of("a.b.example.co.uk"), "example.co.uk");
  EXPECT_EQ(psl.of("A.B.Example.CO.UK."), "example.co.uk");
  EXPECT_EQ(psl.of("www.example.com"), "example.com");
  EXPECT_EQ(psl.of("foo.github.io"), "foo.github.io");  // a private suffix
  EXPECT_EQ(psl.of("co.uk"), "co.uk");                  // a suffix on its own stays whole
  EXPECT_EQ(psl.of("localhost"), "localhost");
  EXPECT_EQ(psl.of("192.168.1.10"), "192.168.1.10");
  EXPECT_EQ(psl.of("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(psl.of(std::string("a\0b.example.com", 15)), std::string("a\0b.example.com", 15));
}

TEST(ReportBoundaries, TheMonthIsHalfOpen) {
  vigil::store::testing::TempDir dir;
  const std::string db = dir.file("vigil.db");
  {
    store::WriterOptions wo;
    wo.path = db;
    wo.batch_delay = std::chrono::milliseconds(5);
    auto w = store::Writer::open(wo);
    ASSERT_TRUE(w.ok()) << w.error().message;
    std::uint64_t t = 0;
    for (store::TimeUs ts : {kFrom - 1, kFrom, kTo - 1, kTo}) {
      t = (*w)->append(testing::hit(ts, "10.0.0.1", "extremism", "caution", "alert", "dns",
                                    "edge.example.org"))
              .ticket;
    }
    ASSERT_TRUE((*w)->wait_acked(t, std::chrono::seconds(10)));
    (*w)->stop();
  }
  const MonthlyReport march = build(db, Month{2026, 3});
  EXPECT_EQ(march.totals.hits, 2);  // 00:00:00 on the 1st and 23:59:59.999999 on the 31st
  ASSERT_EQ(march.days.size(), 31u);
  EXPECT_EQ(march.days.front().hits, 1);
  EXPECT_EQ(march.days.back().hits, 1);
  const MonthlyReport feb = build(db, Month{2026, 2});
  EXPECT_EQ(feb.totals.hits, 1);
  ASSERT_EQ(feb.days.size(), 28u);
  EXPECT_EQ(feb.days.back().hits, 1);
  const MonthlyReport april = build(db, Month{2026, 4});
  EXPECT_EQ(april.totals.hits, 1);
  EXPECT_EQ(april.days.front().hits, 1);
  // The trend row of each month agrees with that month's own report.
  ASSERT_EQ(april.trend.size(), 6u);
  EXPECT_EQ(april.trend[3].hits.hits, 1);  // February
  EXPECT_EQ(april.trend[4].hits.hits, 2);  // March
  EXPECT_EQ(april.trend[5].hits.hits, 1);  // April
}

TEST_F(ReportOutput, AnEmptyMonthRendersZerosAndSaysSo) {
  const MonthlyReport m = build(fixture_.db, Month{2025, 6});
  EXPECT_TRUE(m.empty());
  const json::value j = json::parse(json_report(m));
  EXPECT_EQ(figure(j, "summary", "empty"), json::value(true));
  for (const char* id : {"summary", "coverage", "concerns"}) {
    for (const json::value& r : table(j, id).at("rows").as_array()) {
      const json::value& v = r.at("value");
      if (v.is_int64()) {
        EXPECT_EQ(v.as_int64(), 0) << id << "." << r.at("figure");
      }
    }
  }
  EXPECT_TRUE(table(j, "categories").at("rows").as_array().empty());
  EXPECT_TRUE(table(j, "top_domains").at("rows").as_array().empty());
  EXPECT_TRUE(table(j, "decision_log").at("rows").as_array().empty());
  const json::array& prevent = table(j, "prevent").at("rows").as_array();
  ASSERT_EQ(prevent.size(), 6u);  // the five categories and their total, all zero
  for (const json::value& r : prevent) EXPECT_EQ(r.at("hits").as_int64(), 0);
  const json::array& days = table(j, "daily").at("rows").as_array();
  ASSERT_EQ(days.size(), 30u);
  EXPECT_EQ(days.front().at("date").as_string(), "2025-06-01");
  EXPECT_EQ(days.back().at("date").as_string(), "2025-06-30");
  for (const json::value& r : days) EXPECT_EQ(r.at("hits").as_int64(), 0);
  EXPECT_TRUE(figure(j, "coverage", "attributed_share").is_null());  // 0 of 0 is no rate
  const std::string html = render_html(m, Audience::Aggregate);
  EXPECT_NE(html.find("Nothing was recorded in this month"), std::string::npos);
  EXPECT_NE(html.find("No hits were recorded in this month."), std::string::npos);
  EXPECT_NE(html.find("None in this month."), std::string::npos);
  // A month with data does not say so.
  EXPECT_EQ(render_html(*march_, Audience::Aggregate).find("Nothing was recorded"),
            std::string::npos);
}

TEST(ReportCsv, FieldsAreQuotedAndFormulasNeutralised) {
  EXPECT_EQ(csv_text_field("plain"), "plain");
  EXPECT_EQ(csv_text_field(""), "");
  EXPECT_EQ(csv_text_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_text_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_text_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_text_field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(csv_text_field("=1+1"), "'=1+1");
  EXPECT_EQ(csv_text_field("+441234"), "'+441234");
  EXPECT_EQ(csv_text_field("-2"), "'-2");
  EXPECT_EQ(csv_text_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_text_field("\tx"), "'\tx");
  EXPECT_EQ(csv_text_field("\rx"), "\"'\rx\"");
  EXPECT_EQ(csv_text_field("=HYPERLINK(\"http://e\",\"x\")"),
            "\"'=HYPERLINK(\"\"http://e\"\",\"\"x\"\")\"");
  EXPECT_EQ(csv_text_field("a=b"), "a=b");  // only a leading character is a formula
  Table t;
  t.columns = {{"n", "N"}, {"s", "S"}, {"r", "R"}, {"z", "Z"}};
  t.rows.push_back({std::int64_t{-5}, std::string("-5"), 0.25, std::monostate{}});
  // Numbers the report computed are not text an attacker chose: not prefixed.
  EXPECT_EQ(csv_table(t), "n,s,r,z\r\n-5,'-5,0.25,\r\n");
}

TEST_F(ReportOutput, CsvFilesNeutraliseHostileValuesFromTheStore) {
  vigil::store::testing::TempDir out;
  const Written w = write_csv(*march_, out.path().string());
  ASSERT_TRUE(w) << w.error;
  EXPECT_EQ(w.files.size(), report_tables(*march_).size());
  const std::string decisions = slurp(out.file("decision_log.csv"));
  EXPECT_NE(decisions.find(",\"'=HYPERLINK(\"\"http://evil.example\"\")\","), std::string::npos)
      << decisions;
  const std::string domains = slurp(out.file("top_domains.csv"));
  EXPECT_NE(domains.find(",'=calc.evil,"), std::string::npos) << domains;
  EXPECT_EQ(domains.find(",=calc.evil"), std::string::npos);
  const std::string keywords = slurp(out.file("false_positives_keywords.csv"));
  EXPECT_NE(keywords.find("'=cmd|' /C calc'!A0"), std::string::npos);
  EXPECT_NE(keywords.find(",'=sum(A1),"), std::string::npos);
  EXPECT_NE(keywords.find(",'@mention,"), std::string::npos);
  const std::string checks = slurp(out.file("checks_log.csv"));
  EXPECT_NE(checks.find(",'+VPN detection,pass,'-\r\n"), std::string::npos) << checks;
  // Every line ends CRLF and every file starts with its header.
  EXPECT_EQ(checks.rfind("id,time,actor,what,result,action\r\n", 0), 0u);
  for (const std::string& f : w.files) {
    const std::string text = slurp(f);
    ASSERT_FALSE(text.empty()) << f;
    EXPECT_EQ(text.substr(text.size() - 2), "\r\n") << f;
  }
}

TEST_F(ReportOutput, HostileNamesAreEscapedInTheHtml) {
  const std::string html = render_html(*march_, Audience::Aggregate);
  // The hostile names are there, shown as text.
  EXPECT_NE(html.find("x.&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("y.&quot;&gt;&lt;svg onload=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("z.evil\\u{202E}gro"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; reported by staff"),
            std::string::npos);
  // None is live markup, and the right-to-left override never reaches the page.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<svg onload"), std::string::npos);
  EXPECT_EQ(html.find("\"><svg"), std::string::npos);
  EXPECT_EQ(html.find("\xE2\x80\xAE"), std::string::npos);
  EXPECT_EQ(html.find("<b>list</b>"), std::string::npos);
}

TEST_F(ReportOutput, TheHtmlPageIsSelfContained) {
  const std::string html = render_html(*march_, Audience::Aggregate);
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("@page"), std::string::npos);
  for (const char* outside : {"<script", "<link", "src=", "@import", "url(", "href=\"http",
                              "href=\"//", "<iframe", "<img", "javascript:"}) {
    EXPECT_EQ(html.find(outside), std::string::npos) << outside;
  }
  // Three charts, each with a title and a text description, and the tables they draw.
  for (const char* id : {"chart-categories", "chart-trend", "chart-daily"}) {
    EXPECT_NE(html.find("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\""),
              std::string::npos);
    EXPECT_NE(html.find(std::string("<title id=\"") + id + "-t\">"), std::string::npos) << id;
    EXPECT_NE(html.find(std::string("<desc id=\"") + id + "-d\">"), std::string::npos) << id;
  }
  for (const char* t :
       {"t-coverage", "t-categories", "t-prevent", "t-trend", "t-daily", "t-top_domains",
        "t-circumvention", "t-concerns", "t-decision_log", "t-checks_log", "t-audit",
        "t-coverage_statement", "t-false_positives_lists", "t-false_positives_keywords"}) {
    EXPECT_NE(html.find(std::string("<table id=\"") + t + "\">"), std::string::npos) << t;
  }
  EXPECT_NE(html.find("Aggregate report: it names no learner"), std::string::npos);
  EXPECT_EQ(html.find("Named report for the DSL"), std::string::npos);
  // A figure on the page is the figure in the JSON.
  const json::value j = json::parse(json_report(*march_));
  const std::int64_t hits = figure(j, "summary", "hits").as_int64();
  EXPECT_GT(hits, 400);
  std::string grouped = std::to_string(hits);
  if (grouped.size() > 3) grouped.insert(grouped.size() - 3, ",");
  EXPECT_NE(html.find("<b>" + grouped + "</b><span>hits recorded</span>"), std::string::npos);
}

TEST_F(ReportOutput, WritesEveryFileIntoTheFolder) {
  vigil::store::testing::TempDir out;
  const std::string dir = out.path().string();
  for (const Written& w :
       {write_html(*march_, dir), write_csv(*march_, dir), write_json(*march_, dir)}) {
    ASSERT_TRUE(w) << w.error;
  }
  const json::value j = json::parse(slurp(out.file("report.json")));
  for (const auto& kv : j.at("tables").as_object()) {
    EXPECT_TRUE(std::filesystem::exists(out.file(std::string(kv.key()) + ".csv"))) << kv.key();
  }
  EXPECT_EQ(slurp(out.file("report.html")), render_html(*march_, Audience::Aggregate));
  for (const auto& e : std::filesystem::directory_iterator(out.path())) {
    EXPECT_NE(e.path().extension(), ".partial");
  }
  // A folder that cannot be written to is one error, not a crash.
  const Written bad = write_json(*march_, out.file("no/such/folder"));
  EXPECT_FALSE(bad);
  EXPECT_NE(bad.error.find("no/such/folder"), std::string::npos);
}

config::Config config_from(const std::string& toml) {
  auto loaded = config::load_text(toml, "test.toml");
  EXPECT_TRUE(loaded) << (loaded.errors.empty() ? "" : loaded.errors.front());
  return loaded ? *loaded.config : config::Config{};
}

const CoverageItem* item(const CoverageStatement& s, const std::string& topic) {
  for (const CoverageItem& i : s.items) {
    if (i.topic == topic) return &i;
  }
  ADD_FAILURE() << "no item " << topic;
  return nullptr;
}

bool has(const CoverageItem* i, const std::string& text) {
  return i != nullptr && i->text.find(text) != std::string::npos;
}

TEST(ReportCoverage, TheStatementFollowsTheConfiguration) {
  const CoverageStatement defaults = coverage_statement(config::Config{}, "defaults");
  EXPECT_EQ(defaults.source, "defaults");
  EXPECT_TRUE(has(item(defaults, "What is watched"), "No capture interface is configured"));
  EXPECT_TRUE(has(item(defaults, "Plain HTTP"), "up to 64 KiB per page"));
  EXPECT_TRUE(has(item(defaults, "HTTPS (TLS)"), "search terms and page text travel encrypted"));
  EXPECT_TRUE(has(item(defaults, "HTTPS (TLS)"), "no inspecting proxy"));
  EXPECT_EQ(item(defaults, "VPNs, Tor and proxies")->status, "detected");
  EXPECT_TRUE(has(item(defaults, "Encrypted Client Hello (ECH)"), "circumvention attempt"));
  EXPECT_TRUE(has(item(defaults, "DNS over HTTPS and over TLS"), "circumvention attempt"));
  EXPECT_TRUE(has(item(defaults, "When vigild is down"), "traffic passes uninspected"));
  EXPECT_TRUE(has(item(defaults, "When vigild is down"), "fail closed"));
  EXPECT_TRUE(has(item(defaults, "Blocking"), "does not stop it"));
  EXPECT_TRUE(has(item(defaults, "Who is named"), "No people CSV is configured"));
  EXPECT_TRUE(has(item(defaults, "Alerts"), "No alert channel is configured"));
  EXPECT_NE(defaults.text().find("QUIC and HTTP/3 (partly): "), std::string::npos);

  const CoverageStatement live = coverage_statement(
      config_from("[capture]\ninterfaces = [\"br-lan\", \"wlan0\"]\n"
                  "[inspect]\nhttp_text_max_bytes = 0\nclassify = false\n"
                  "[identity]\npeople_csv = \"/etc/vigil/people.csv\"\n"
                  "dnsmasq_leases = \"/var/lib/misc/dnsmasq.leases\"\n"
                  "[incidents]\ncircumvention_threshold = 5\n"
                  "[notify]\nsmtp_url = \"smtps://mail.example.org\"\nfrom = \"v@example.org\"\n"
                  "to = [\"dsl@example.org\", \"deputy@example.org\"]\n"),
      "vigil.toml");
  EXPECT_TRUE(has(item(live, "What is watched"), "br-lan and wlan0"));
  EXPECT_EQ(item(live, "What is watched")->status, "configured");
  EXPECT_TRUE(
      has(item(live, "Plain HTTP"), "Page text is not read (inspect.http_text_max_bytes = 0)"));
  EXPECT_EQ(item(live, "VPNs, Tor and proxies")->status, "not inspected");
  EXPECT_TRUE(has(item(live, "VPNs, Tor and proxies"), "inspect.classify = false"));
  EXPECT_TRUE(has(item(live, "Who is named"), "/etc/vigil/people.csv"));
  EXPECT_TRUE(has(item(live, "Who is named"), "dnsmasq leases (/var/lib/misc/dnsmasq.leases)"));
  EXPECT_TRUE(has(item(live, "Alerts"), "email to 2 addresses"));

  const CoverageStatement threshold = coverage_statement(
      config_from("[incidents]\ncircumvention_threshold = 5\nwindow = \"2h\"\n"));
  EXPECT_TRUE(
      has(item(threshold, "VPNs, Tor and proxies"), "5 attempts by one person within 2 hours"));
}

TEST(ReportCoverage, ListsAreReadFromTheRulesTree) {
  vigil::store::testing::TempDir dir;
  const std::string rules = testing::build_rules(dir);
  const config::Config c = config_from("[rules]\ndir = \"" + rules + "\"\n");
  const ListInventory inv = list_inventory(c, kGenerated, std::chrono::hours(24));
  EXPECT_TRUE(inv.error.empty()) << inv.error;
  ASSERT_EQ(inv.lists.size(), 4u);
  // Three days old against a one-day limit: the IWF list is stale.
  EXPECT_EQ(inv.lists[0].status, "stale");
  EXPECT_TRUE(inv.statutory[0].present);
  EXPECT_FALSE(inv.statutory[0].fresh);
  const CoverageStatement s = coverage_statement(c, "x", &inv);
  EXPECT_TRUE(has(item(s, "Rules"), "The CTIRU list slot ('CTIRU list') is empty."));
  EXPECT_TRUE(has(item(s, "Rules"), "older than the freshness limit"));
  EXPECT_TRUE(has(item(s, "DNS over HTTPS and over TLS"), "'DoH resolvers' (2 entries)"));
  EXPECT_TRUE(has(item(s, "Search terms"), "'safe search' (1 entry)"));

  const ListInventory missing =
      list_inventory(config_from("[rules]\ndir = \"" + dir.file("none") + "\"\n"), kGenerated,
                     std::chrono::hours(24));
  EXPECT_FALSE(missing.error.empty());
  ASSERT_EQ(missing.statutory.size(), 2u);
  EXPECT_FALSE(missing.statutory[0].declared);
  EXPECT_EQ(item(coverage_statement(c, "x", &missing), "Rules")->status, "not configured");
}

}  // namespace
}  // namespace vigil::report
