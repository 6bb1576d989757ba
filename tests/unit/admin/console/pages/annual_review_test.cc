// The annual filtering and monitoring review: its figures are the store's
// over the academic year (1 August to 31 July, UTC), the DSL's answers are
// saved, shown escaped and audited, the DSL and a senior leader (auditor)
// each sign once, and once both have signed the answers are frozen.

#include <gmock/gmock.h>

#include <map>
#include <string>

#include "admin/console/pages/pages.h"
#include "tests/unit/admin/console/pages/admin_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using store::Role;
using ::testing::HasSubstr;
using ::testing::Not;

// kNow is 2026-03-15 12:00 UTC: inside the academic year 2025-26 (/2026).
constexpr store::TimeUs kYearStart = 1'754'006'400'000'000;  // 2025-08-01 00:00:00 UTC
constexpr store::TimeUs kYearEnd = 1'785'542'400'000'000;    // 2026-08-01 00:00:00 UTC
constexpr const char* kYear = "/reports/annual/2026";

class AnnualReview : public AdminPagesTest {
 protected:
  void SetUp() override {
    AdminPagesTest::SetUp();
    ASSERT_TRUE(cw_->add_user("setup", "deputy", Role::DeputyDsl, "").ok());
    // The fixture's four hits are in March 2026. Move one to the year's
    // first microsecond (in) and one to the last of the year before (out).
    ASSERT_EQ(raw_exec(db_, "UPDATE hits SET ts_us = " + std::to_string(kYearStart) +
                                " WHERE id = (SELECT min(id) FROM hits)"),
              0);
    ASSERT_EQ(raw_exec(db_, "UPDATE hits SET ts_us = " + std::to_string(kYearStart - 1) +
                                ", category = 'drugs' WHERE id = (SELECT max(id) FROM hits)"),
              0);
    // Checks: one each side of the year's start, one in March, one after
    // the year's end would be in the future, so one at its last moment.
    record_check(kYearStart - 1, "check before the year");
    record_check(kYearStart, "check on the first day");
    record_check(kNow, "check in march");
    record_check(kYearEnd - 1, "check on the last day");
    clock_.now = kNow + kHour;
    routes_ = annual_review_routes(options_);
  }

  void record_check(store::TimeUs at, const std::string& what) {
    clock_.now = at;
    store::CheckEntry c;
    c.what = what;
    c.result = "pass";
    c.action = "none needed";
    ASSERT_TRUE(cw_->record_check("admin", c).ok());
  }

  std::string where_year() const {
    return " WHERE ts_us >= " + std::to_string(kYearStart) + " AND ts_us < " +
           std::to_string(kYearEnd);
  }

  std::int64_t audited(const std::string& key) {
    return count("SELECT count(*) FROM audit_log WHERE action = 'setting.set' AND detail LIKE '" +
                 key + " = %'");
  }
};

TEST_F(AnnualReview, FiguresAreTheStoresOverTheAcademicYear) {
  // Hits per category by SQL over [1 Aug 2025, 1 Aug 2026).
  std::map<std::string, std::int64_t> expected;
  for (const char* c : {"extremism", "violence", "drugs", "terrorism"}) {
    expected[c] = count("SELECT count(*) FROM hits" + where_year() + " AND category = '" + c + "'");
  }
  ASSERT_EQ(expected["extremism"], 3);  // the first hit moved to the year's start counts
  ASSERT_EQ(expected["drugs"], 0);      // the one moved before it does not

  const Response api = get("/api/reports/annual/2026", Role::Auditor);
  ASSERT_EQ(api.status, 200) << api.body;
  const boost::json::object o = parse_json(api.body).as_object();
  EXPECT_EQ(o.at("totals").at("hits").as_int64(),
            count("SELECT count(*) FROM hits" + where_year()));
  std::map<std::string, std::int64_t> got;
  for (const auto& c : o.at("categories").as_array()) {
    got[std::string(c.at("category").as_string())] = c.at("hits").as_int64();
  }
  for (const auto& [c, n] : expected) EXPECT_EQ(got[c], n) << c;
  // The Prevent categories come first, zeros included.
  EXPECT_EQ(o.at("categories").as_array().at(0).at("category").as_string(), "extremism");
  EXPECT_TRUE(o.at("categories").as_array().at(0).at("prevent").as_bool());
  EXPECT_EQ(o.at("period").at("from").as_string(), "2025-08-01T00:00:00Z");

  // Every checks-log row of the year, in time order, and no other.
  std::vector<std::string> sql_checks;
  for (std::int64_t i = 0; i < 3; ++i) {
    sql_checks.push_back(raw_text(db_, "SELECT what FROM checks_log" + where_year() +
                                           " ORDER BY ts_us, id LIMIT 1 OFFSET " +
                                           std::to_string(i)));
  }
  ASSERT_EQ(count("SELECT count(*) FROM checks_log" + where_year()), 3);
  const auto& checks = o.at("checks").as_array();
  ASSERT_EQ(checks.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(checks.at(i).at("what").as_string(), sql_checks[i]);
  EXPECT_EQ(o.at("checks_total").as_int64(), 3);

  const Response page = get(kYear, Role::Auditor);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_THAT(page.body, HasSubstr("1 August 2025 to 31 July 2026"));
  EXPECT_THAT(page.body, HasSubstr("<tr><td>extremism</td><td>yes</td><td>" +
                                   std::to_string(expected["extremism"]) + "</td>"));
  EXPECT_THAT(page.body, HasSubstr("<tr><td>violence</td><td>yes</td><td>" +
                                   std::to_string(expected["violence"]) + "</td>"));
  for (const std::string& w : sql_checks) EXPECT_THAT(page.body, HasSubstr(w));
  EXPECT_THAT(page.body, Not(HasSubstr("check before the year")));
  EXPECT_THAT(page.body, HasSubstr("What Vigil can and cannot see"));

  // The year before holds the hit and the check left out of this one.
  const Response before = get("/api/reports/annual/2025", Role::Auditor);
  ASSERT_EQ(before.status, 200);
  const boost::json::object b = parse_json(before.body).as_object();
  EXPECT_EQ(b.at("totals").at("hits").as_int64(), 1);
  ASSERT_EQ(b.at("checks").as_array().size(), 1u);
  EXPECT_EQ(b.at("checks").as_array().at(0).at("what").as_string(), "check before the year");
}

TEST_F(AnnualReview, AnswersAreSavedEscapedAndAudited) {
  const std::string hostile = kScript + "\r\nsecond line";
  const Response r =
      post(kYear, {{"risk_profile", hostile}, {"next_year", "more checks"}}, Role::Dsl);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(
      raw_text(db_, "SELECT value FROM settings WHERE key = 'annual_review.2026.risk_profile'"),
      kScript + "\nsecond line");
  EXPECT_EQ(audited("annual_review.2026.risk_profile"), 1);
  EXPECT_EQ(audited("annual_review.2026.next_year"), 1);
  EXPECT_EQ(audited("annual_review.2026.devices"), 0);  // not sent: not written

  // Read-only for the governor: escaped, line breaks shown.
  const Response page = get(kYear, Role::Auditor);
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;<br>second line"));
  EXPECT_THAT(page.body, Not(HasSubstr("<textarea")));
  expect_safe_html(page.body);
  // In the DSL's textarea, escaped too.
  const Response dsl_page = get(kYear, Role::Dsl);
  EXPECT_THAT(dsl_page.body, HasSubstr("<textarea name=\"risk_profile\""));
  EXPECT_THAT(dsl_page.body, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line"));
  expect_safe_html(dsl_page.body);

  // Saving the same text again writes nothing.
  ASSERT_EQ(post(kYear, {{"risk_profile", hostile}}, Role::DeputyDsl).status, 303);
  EXPECT_EQ(audited("annual_review.2026.risk_profile"), 1);

  // Refused, and nothing of the form saved: control characters, too long.
  EXPECT_EQ(post(kYear, {{"devices", "fine"}, {"policies", kControl}}, Role::Dsl).status, 400);
  EXPECT_EQ(post(kYear, {{"devices", std::string(16'001, 'a')}}, Role::Dsl).status, 400);
  EXPECT_EQ(post(kYear, {{"devices", kBadUtf8}}, Role::Dsl).status, 400);
  EXPECT_EQ(audited("annual_review.2026.devices"), 0);
  EXPECT_EQ(post(kYear, {{"devices", std::string(16'000, 'a')}}, Role::Dsl).status, 303);
  EXPECT_EQ(audited("annual_review.2026.devices"), 1);

  const boost::json::object o =
      parse_json(get("/api/reports/annual/2026", Role::Auditor).body).as_object();
  EXPECT_EQ(o.at("questions").as_array().at(0).at("key").as_string(), "risk_profile");
  EXPECT_EQ(o.at("questions").as_array().at(0).at("answer").as_string(), kScript + "\nsecond line");
}

TEST_F(AnnualReview, WhoMayReadEditAndSign) {
  EXPECT_EQ(get(kYear, Role::Reporter).status, 403);
  EXPECT_EQ(get("/api/reports/annual/2026", Role::Reporter).status, 403);
  EXPECT_EQ(post(kYear, {{"risk_profile", "x"}}, Role::Reporter).status, 403);
  EXPECT_EQ(post(std::string(kYear) + "/signoff", {}, Role::Reporter).status, 403);
  // The governor and the IT specialist read it but do not edit answers.
  EXPECT_EQ(get(kYear, Role::Admin).status, 200);
  EXPECT_EQ(post(kYear, {{"risk_profile", "x"}}, Role::Auditor).status, 403);
  EXPECT_EQ(post(kYear, {{"risk_profile", "x"}}, Role::Admin).status, 403);
  EXPECT_EQ(audited("annual_review.2026.risk_profile"), 0);
  // The IT specialist signs in no role.
  EXPECT_EQ(post(std::string(kYear) + "/signoff", {}, Role::Admin).status, 403);
  EXPECT_EQ(count("SELECT count(*) FROM settings WHERE key LIKE 'annual_review.%'"), 0);
  // The sign-off buttons are offered to the roles that sign.
  EXPECT_THAT(get(kYear, Role::Auditor).body, HasSubstr("Sign off as the senior leader"));
  EXPECT_THAT(get(kYear, Role::Dsl).body, HasSubstr("Sign off as the DSL"));
  EXPECT_THAT(get(kYear, Role::Admin).body, Not(HasSubstr("Sign off as")));
}

TEST_F(AnnualReview, SignedOffByBothFreezesTheAnswers) {
  const std::string signoff = std::string(kYear) + "/signoff";
  ASSERT_EQ(post(kYear, {{"checks_actions", "four checks, all passed"}}, Role::Dsl).status, 303);

  ASSERT_EQ(post(signoff, {}, Role::Dsl).status, 303);
  EXPECT_EQ(post(signoff, {}, Role::DeputyDsl).status, 409);  // the DSL signs once
  EXPECT_EQ(audited("annual_review.2026.signoff_dsl"), 1);
  // One signature does not freeze the answers.
  ASSERT_EQ(
      post(kYear, {{"checks_actions", "four checks, all passed; none failed"}}, Role::Dsl).status,
      303);

  ASSERT_EQ(post(signoff, {}, Role::Auditor).status, 303);
  EXPECT_EQ(post(signoff, {}, Role::Auditor).status, 409);
  EXPECT_EQ(audited("annual_review.2026.signoff_senior"), 1);

  EXPECT_EQ(post(kYear, {{"checks_actions", "changed afterwards"}}, Role::Dsl).status, 409);
  EXPECT_EQ(post(kYear, {{"next_year", "added afterwards"}}, Role::DeputyDsl).status, 409);
  EXPECT_EQ(
      raw_text(db_, "SELECT value FROM settings WHERE key = 'annual_review.2026.checks_actions'"),
      "four checks, all passed; none failed");
  EXPECT_EQ(audited("annual_review.2026.next_year"), 0);

  const Response page = get(kYear, Role::Dsl);
  EXPECT_THAT(page.body, HasSubstr("Signed off by both"));
  EXPECT_THAT(page.body, Not(HasSubstr("<textarea")));
  EXPECT_THAT(page.body, HasSubstr("Signed by governor (auditor) on 2026-03-15 13:00 UTC."));
  const boost::json::object o =
      parse_json(get("/api/reports/annual/2026", Role::Auditor).body).as_object();
  EXPECT_TRUE(o.at("frozen").as_bool());
  EXPECT_EQ(o.at("signoffs").at("dsl").at("name").as_string(), "dsl");
  EXPECT_EQ(o.at("signoffs").at("dsl").at("role").as_string(), "dsl");
  EXPECT_EQ(o.at("signoffs").at("senior_leader").at("role").as_string(), "auditor");
  EXPECT_EQ(o.at("signoffs").at("senior_leader").at("time").as_string(), "2026-03-15T13:00:00Z");

  // Another year is a review of its own.
  EXPECT_EQ(post("/reports/annual/2025", {{"next_year", "x"}}, Role::Dsl).status, 303);
}

TEST_F(AnnualReview, OnlyAYearWhoseReviewHasStarted) {
  for (const char* y : {"abcd", "20x6", "1999", "02026", "202", "2027", "9999", "-2026", "2026 "}) {
    const std::string path = std::string("/reports/annual/") + y;
    EXPECT_EQ(get(path, Role::Auditor).status, 404) << y;
    EXPECT_EQ(get("/api/reports/annual/" + std::string(y), Role::Auditor).status, 404) << y;
    EXPECT_EQ(post(path, {{"next_year", "x"}}, Role::Dsl).status, 404) << y;
    EXPECT_EQ(post(path + "/signoff", {}, Role::Dsl).status, 404) << y;
  }
  EXPECT_EQ(count("SELECT count(*) FROM settings WHERE key LIKE 'annual_review.%'"), 0);
  // The academic year holding today; from August the next one.
  Response r = get("/reports/annual", Role::Auditor);
  EXPECT_EQ(r.status, 303);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers.front().second, "/reports/annual/2026");
  clock_.now = kYearEnd;
  r = get("/reports/annual", Role::Auditor);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers.front().second, "/reports/annual/2027");
  EXPECT_EQ(get("/reports/annual/2027", Role::Auditor).status, 200);
}

TEST_F(AnnualReview, TheConsoleRoutesReachTheReviewBeforeTheMonthlyReports) {
  options_.reports_dir = tmp_.file("reports");
  routes_ = make_routes(options_);
  const Response r = get(kYear, Role::Auditor);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("Annual review 2025-26"));
  EXPECT_THAT(get("/reports", Role::Auditor).body, HasSubstr("href=\"/reports/annual\""));
}

}  // namespace
}  // namespace vigil::console::pages::testing
