// The reports page: generating a month writes the report's files where
// vigilctl would; the named report is the DSL's only and audited; the month
// and file of a request never become a path of their own; the report is
// served under its own CSP; every download is audited.

#include <gmock/gmock.h>

#include <filesystem>

#include "admin/console/pages/pages.h"
#include "tests/unit/admin/console/pages/admin_test_util.h"

namespace vigil::console::pages::testing {
namespace {

namespace fs = std::filesystem;
using store::Role;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kMonth = "2026-03";  // kNow is 2026-03-15 12:00 UTC
constexpr const char* kPersonName = "Zebedee Quartermaine";

class ReportsPages : public AdminPagesTest {
 protected:
  void SetUp() override {
    AdminPagesTest::SetUp();
    // One named person behind the fixture's hits, so the named report has
    // someone to name and the aggregate one someone to leave out.
    ASSERT_EQ(raw_exec(db_,
                       "INSERT INTO people(id, reference, display_name, kind, created_us) "
                       "VALUES (7, 'L1042', '" +
                           std::string(kPersonName) + "', 'learner', 0)"),
              0);
    ASSERT_EQ(raw_exec(db_, "UPDATE hits SET person_id = 7"), 0);
    ASSERT_TRUE(cw_->add_user("setup", "deputy", Role::DeputyDsl, "").ok());
    reports_ = tmp_.file("reports");
    options_.reports_dir = reports_;
    routes_ = report_routes(options_);
  }

  Response generate(Role role, const std::string& audience = "aggregate",
                    const std::string& month = kMonth) {
    return post("/reports", {{"month", month}, {"audience", audience}}, role);
  }

  std::int64_t audited(const std::string& action) {
    return count("SELECT count(*) FROM audit_log WHERE action = '" + action + "'");
  }

  static std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  std::string reports_;
};

TEST_F(ReportsPages, GeneratingAMonthWritesTheReportWhereVigilctlWould) {
  const Response r = generate(Role::Auditor);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(header(r, "Location"), "/reports/2026-03");
  const std::string dir = reports_ + "/2026-03";
  for (const char* f : {"report.html", "report.json", "summary.csv", "categories.csv"}) {
    EXPECT_TRUE(fs::is_regular_file(dir + "/" + f)) << f;
  }
  EXPECT_FALSE(fs::exists(dir + "/named"));
  EXPECT_FALSE(fs::exists(dir + "/people_activity.csv"));
  EXPECT_THAT(read_file(dir + "/report.html"), Not(HasSubstr(kPersonName)));
  EXPECT_EQ(audited("report.named"), 0);

  // The list shows the month with data and the generated report.
  const Response list = get("/reports", Role::Auditor);
  ASSERT_EQ(list.status, 200);
  EXPECT_THAT(list.body, HasSubstr("<td>2026-03</td><td>4</td>"));
  EXPECT_THAT(list.body, HasSubstr("href=\"/reports/2026-03\""));
  EXPECT_THAT(list.body, Not(HasSubstr("value=\"named\"")));

  // Generating again replaces it.
  fs::remove(dir + "/summary.csv");
  ASSERT_EQ(generate(Role::Admin).status, 303);
  EXPECT_TRUE(fs::is_regular_file(dir + "/summary.csv"));
}

TEST_F(ReportsPages, TheNamedReportIsTheDslsAndAudited) {
  for (Role role : {Role::Auditor, Role::Admin}) {
    EXPECT_EQ(generate(role, "named").status, 403);
  }
  EXPECT_FALSE(fs::exists(reports_ + "/2026-03/named"));
  EXPECT_EQ(audited("report.named"), 0);

  const Response r = generate(Role::Dsl, "named");
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(header(r, "Location"), "/reports/2026-03/named");
  EXPECT_EQ(audited("report.named"), 1);
  const std::string named = reports_ + "/2026-03/named";
  EXPECT_TRUE(fs::is_regular_file(named + "/people_activity.csv"));
  EXPECT_THAT(read_file(named + "/report.html"), HasSubstr(kPersonName));

  // The DSL sees it; the auditor and admin get neither page nor files.
  const Response view = get("/reports/2026-03/named", Role::Dsl);
  ASSERT_EQ(view.status, 200);
  EXPECT_THAT(view.body, HasSubstr(kPersonName));
  EXPECT_EQ(audited("report.read_named"), 1);
  EXPECT_EQ(get("/reports/2026-03/named", Role::DeputyDsl).status, 200);
  for (Role role : {Role::Auditor, Role::Admin}) {
    EXPECT_EQ(get("/reports/2026-03/named", role).status, 403);
    EXPECT_EQ(get("/reports/2026-03/named/people_activity.csv", role).status, 403);
    EXPECT_EQ(get("/reports/2026-03/named/report.json", role).status, 403);
    // Nor by asking for a named table's file in the aggregate folder.
    EXPECT_EQ(get("/reports/2026-03/people_activity.csv", role).status, 404);
  }
  EXPECT_EQ(audited("report.read_named"), 2);
  EXPECT_EQ(get("/reports", Role::Dsl).body.find("value=\"named\"") != std::string::npos, true);
  EXPECT_EQ(get("/reports", Role::Reporter).status, 403);
  EXPECT_EQ(generate(Role::Reporter).status, 403);
}

TEST_F(ReportsPages, OnlyAMonthAndAKnownFileNameEverReachTheDisk) {
  ASSERT_EQ(generate(Role::Dsl, "named").status, 303);
  ASSERT_EQ(generate(Role::Dsl).status, 303);
  // A file beside the reports that no request may name.
  write_file(reports_ + "/secret.csv", "secret\r\n");
  write_file(reports_ + "/2026-03/notes.csv", "notes\r\n");
  const std::int64_t exports = audited("report.export");
  for (const char* path : {
           "/reports/..",
           "/reports/%2e%2e",
           "/reports/2026-3",
           "/reports/2026-13",
           "/reports/1999-12",
           "/reports/2026-03x",
           "/reports/ 2026-03",
           "/reports/2026-03/notes.csv",
           "/reports/2026-03/..%2fsecret.csv",
           "/reports/2026-03/report.html",
           "/reports/2026-03/summary",
           "/reports/2026-03/SUMMARY.CSV",
           "/reports/2026-03/summary.csv.partial",
           "/reports/2026-04/summary.csv",
           "/reports/2026-04",
           "/reports/2026-03/named/notes.csv",
           "/reports/2026-03/named/..",
       }) {
    const Response r = get(path, Role::Dsl);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_THAT(r.body, Not(HasSubstr("secret"))) << path;
  }
  // The dispatcher decodes %2F before matching, so a decoded "../secret.csv"
  // is several segments and matches no route at all.
  EXPECT_EQ(get("/reports/2026-03/../secret.csv", Role::Dsl).status, 404);
  EXPECT_EQ(audited("report.export"), exports);

  for (const char* month : {"../2026-03", "2026-3", "2026-03/..", "2999-01", ""}) {
    EXPECT_EQ(generate(Role::Dsl, "aggregate", month).status, 400) << month;
  }
  EXPECT_EQ(generate(Role::Dsl, "everyone").status, 400);
  EXPECT_FALSE(fs::exists(reports_ + "/2999-01"));
}

TEST_F(ReportsPages, TheReportIsServedUnderItsOwnPolicy) {
  ASSERT_EQ(generate(Role::Auditor).status, 303);
  const Response r = get("/reports/2026-03", Role::Auditor);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.policy, Response::Policy::SelfContainedReport);
  EXPECT_THAT(r.content_type, HasSubstr("text/html"));
  EXPECT_THAT(r.body, HasSubstr("<style>"));
  EXPECT_THAT(r.body, HasSubstr("<svg"));
  EXPECT_THAT(r.body, Not(HasSubstr("<script")));
  EXPECT_EQ(header(r, "Content-Security-Policy"), "");
  // The list page and the downloads keep the console's policy.
  EXPECT_EQ(get("/reports", Role::Auditor).policy, Response::Policy::Console);
  EXPECT_EQ(get("/reports/2026-03/report.json", Role::Auditor).policy, Response::Policy::Console);
}

TEST_F(ReportsPages, DownloadsAreAttachmentsAndAudited) {
  ASSERT_EQ(generate(Role::Dsl, "named").status, 303);
  ASSERT_EQ(generate(Role::Auditor).status, 303);

  const Response csv = get("/reports/2026-03/summary.csv", Role::Auditor);
  ASSERT_EQ(csv.status, 200);
  EXPECT_THAT(csv.content_type, HasSubstr("text/csv"));
  EXPECT_EQ(header(csv, "Content-Disposition"),
            "attachment; filename=\"vigil-report-2026-03-summary.csv\"");
  EXPECT_EQ(csv.body, read_file(reports_ + "/2026-03/summary.csv"));

  const Response json = get("/reports/2026-03/named/report.json", Role::Dsl);
  ASSERT_EQ(json.status, 200);
  EXPECT_THAT(json.content_type, HasSubstr("application/json"));
  EXPECT_THAT(header(json, "Content-Disposition"), HasSubstr("vigil-report-2026-03-named-"));
  EXPECT_THAT(json.body, HasSubstr(kPersonName));

  EXPECT_EQ(audited("report.export"), 2);
  EXPECT_EQ(raw_text(db_,
                     "SELECT actor || ' ' || detail FROM audit_log WHERE action = "
                     "'report.export' ORDER BY id LIMIT 1"),
            "governor 2026-03 aggregate summary.csv");
}

TEST_F(ReportsPages, MakeRoutesServesTheReports) {
  const std::vector<Route> all = make_routes(options_);
  Fields params;
  bool exists = false;
  EXPECT_NE(find_route(all, Method::Get, "/reports", params, exists), nullptr);
  EXPECT_NE(find_route(all, Method::Post, "/reports", params, exists), nullptr);
}

}  // namespace
}  // namespace vigil::console::pages::testing
