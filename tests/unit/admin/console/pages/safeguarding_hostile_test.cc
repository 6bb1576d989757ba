// Hostile text everywhere a packet, a list, a CSV or a person can put it
// (hit values, host names, search terms, list entries, device addresses,
// activity names, person names and references, summaries, notes, reasons,
// referral content): every safeguarding page and JSON endpoint is rendered
// and none of the payloads appears unescaped; every JSON answer parses and
// gives the valid-UTF-8 payloads back exactly.

#include "tests/unit/admin/console/pages/safeguarding_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using ::testing::HasSubstr;

class SafeguardingHostile : public SafeguardingTest {
 protected:
  void SetUp() override {
    SafeguardingTest::SetUp();
    hostile_ = kScript + kBreakout + kJsUrl + kRlo + kControl + kBadUtf8;
    person("L<script>alert(1)</script>", kScript + kBreakout + kRlo + kControl + kBadUtf8, true);
    store::HitRecord a =
        hit(kNow - 2 * kHour, "10.0.0.1", "L<script>alert(1)</script>", "extremism", "danger");
    a.value = kScript;
    a.hostname = kBreakout;
    a.search_term = kJsUrl + " " + kRlo;
    a.list = "list " + kScript;
    a.entry = kBreakout;
    a.reason = kControl;
    store::HitRecord b = hit(kNow - 2 * kHour + kMinute, "10.0.0.1", "L<script>alert(1)</script>",
                             "extremism", "caution");
    b.value = kRlo + kControl + kBadUtf8;
    b.device_mac = "aa:" + kScript;
    b.attribution_source = "csv";
    store::HitRecord c = hit(kNow - 3 * kHour, kBreakout, "", "violence", "caution");
    c.value = kJsUrl;
    c.hostname = kScript;
    store::HitRecord d = hit(kNow - 4 * kHour, "10.0.0.4", kBreakout, "drugs", "advisory");
    d.value = kBadUtf8;
    append({a, b, c, d},
           {{kNow - 2 * kHour, "10.0.0.1", "", "dns", kScript + ".example"},
            {kNow - 2 * kHour, "10.0.0.1", "", "sni", kRlo},
            {kNow - 2 * kHour, "10.0.0.1", "", "http_host", kBreakout + kBadUtf8 + kControl}});
    incidents_ = {sql("SELECT id FROM incidents WHERE category = 'extremism'"),
                  sql("SELECT id FROM incidents WHERE category = 'violence'"),
                  sql("SELECT id FROM incidents WHERE category = 'drugs'")};
    // What staff and leads type.
    Response raised = post("/concerns/new", reporter(),
                           {{"who", hostile_},
                            {"what", hostile_},
                            {"when", kBreakout},
                            {"person_ref", "L<script>alert(1)</script>"}});
    EXPECT_EQ(raised.status, 303) << raised.body;
    reporter_concern_ = sql("SELECT max(id) FROM concerns");
    Response opened = post("/incidents/" + std::to_string(incidents_[0]) + "/concern", dsl(),
                           {{"summary", hostile_}});
    EXPECT_EQ(opened.status, 303) << opened.body;
    concern_ = sql("SELECT max(id) FROM concerns");
    EXPECT_EQ(
        post("/concerns/" + std::to_string(concern_) + "/note", dsl(), {{"text", hostile_}}).status,
        303);
    EXPECT_EQ(post("/concerns/" + std::to_string(concern_) + "/referral", dsl(),
                   {{"worries", hostile_}, {"contacts", kScript}})
                  .status,
              303);
    EXPECT_EQ(post("/incidents/" + std::to_string(incidents_[2]) + "/dismiss", dsl(),
                   {{"reason", hostile_}})
                  .status,
              303);
  }

  void expect_page(const std::string& path, const Principal& who, Fields query = {}) {
    Response r = get(path, who, query);
    EXPECT_TRUE(r.status == 200 || r.status == 400) << path << " " << r.status;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << path;
    expect_safe_html(r.body, path);
  }

  boost::json::value expect_json(const std::string& path, const Principal& who, Fields query = {}) {
    Response r = get(path, who, query);
    EXPECT_EQ(r.content_type, "application/json") << path;
    expect_safe_text(r.body, path);
    return parse_json(r.body);
  }

  std::string hostile_;
  std::vector<std::int64_t> incidents_;
  std::int64_t concern_ = 0;
  std::int64_t reporter_concern_ = 0;
};

TEST_F(SafeguardingHostile, EveryPageEscapesEverything) {
  for (const Principal* who : {&dsl(), &deputy(), &admin(), &auditor()}) expect_page("/", *who);
  expect_page("/incidents", dsl());
  expect_page("/incidents", dsl(), {{"person", "L<script>alert(1)</script>"}});
  expect_page("/incidents", dsl(), {{"person", hostile_}});
  expect_page("/incidents", dsl(), {{"from", hostile_}});      // refused, echoed escaped
  expect_page("/incidents", dsl(), {{"category", hostile_}});  // refused, echoed escaped
  for (std::int64_t id : incidents_) {
    expect_page("/incidents/" + std::to_string(id), dsl());
    expect_page("/incidents/" + std::to_string(id), dsl(), {{"noise", "1"}});
  }
  expect_page("/concerns", dsl());
  expect_page("/concerns", dsl(), {{"state", "all"}});
  for (std::int64_t id : {concern_, reporter_concern_}) {
    expect_page("/concerns/" + std::to_string(id), dsl());
    expect_page("/concerns/" + std::to_string(id) + "/referral", dsl());
  }
  expect_page("/concerns/mine", reporter());
  expect_page("/concerns/new", reporter());
  // Refused changes echo what was typed, escaped.
  Response bad_user =
      post("/concerns/" + std::to_string(concern_) + "/assign", dsl(), {{"user", hostile_}});
  EXPECT_EQ(bad_user.status, 404);  // no such user
  expect_safe_html(bad_user.body, "assign");

  // The payloads are there, shown as text.
  Response page = get("/incidents/" + std::to_string(incidents_[0]), dsl(), {{"noise", "1"}});
  EXPECT_THAT(page.body, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(page.body, HasSubstr("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_THAT(page.body, HasSubstr("\\u{202E}"));
  EXPECT_THAT(page.body, HasSubstr("\\x07"));
  EXPECT_THAT(page.body, HasSubstr("\\xFF"));
}

TEST_F(SafeguardingHostile, EveryJsonAnswerParsesAndGivesTheTextBack) {
  expect_json("/api/dashboard", dsl());
  expect_json("/api/dashboard", admin());
  boost::json::value list = expect_json("/api/incidents", dsl());
  EXPECT_EQ(list.at("items").as_array().size(), 3U);
  for (std::int64_t id : incidents_) expect_json("/api/incidents/" + std::to_string(id), dsl());
  expect_json("/api/incidents", dsl(), {{"category", hostile_}});  // the 400's JSON

  boost::json::value detail = expect_json("/api/incidents/" + std::to_string(incidents_[0]), dsl());
  const auto& hits = detail.at("hits").as_array();
  ASSERT_EQ(hits.size(), 2U);
  EXPECT_EQ(str(hits[0].at("value")), kScript);
  EXPECT_EQ(str(hits[0].at("entry")), kBreakout);
  EXPECT_EQ(str(hits[0].at("search_term")), kJsUrl + " " + kRlo);
  EXPECT_EQ(str(hits[0].at("list")), "list " + kScript);
  EXPECT_EQ(str(hits[0].at("reason")), kControl);  // control bytes, NUL included, round-trip
  EXPECT_EQ(str(detail.at("incident").at("person_ref")), "L<script>alert(1)</script>");

  expect_json("/api/concerns", dsl());
  for (std::int64_t id : {concern_, reporter_concern_}) {
    expect_json("/api/concerns/" + std::to_string(id), dsl());
    expect_json("/api/concerns/" + std::to_string(id) + "/referral", dsl());
  }
  boost::json::value referral =
      expect_json("/api/concerns/" + std::to_string(concern_) + "/referral", dsl());
  EXPECT_EQ(str(referral.at("sections").at("contacts")), kScript);
  boost::json::value mine = expect_json("/api/concerns/mine", reporter());
  ASSERT_EQ(mine.at("items").as_array().size(), 1U);
  EXPECT_THAT(str(mine.at("items").as_array()[0].at("summary")), HasSubstr(kBreakout));
}

}  // namespace
}  // namespace vigil::console::pages::testing
