// Hostile text in list entries, list files, person names, reasons and
// notes: shown escaped on every page that shows it, and every JSON answer
// still parses.

#include <gmock/gmock.h>

#include "admin/console/html.h"
#include "tests/unit/admin/console/pages/admin_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using store::Role;
using ::testing::HasSubstr;

class AdminEscaping : public AdminPagesTest {
 protected:
  // The page and its JSON twin, both checked.
  void expect_safe(const std::string& path, Role role = Role::Admin, Fields query = {}) {
    Response html = get(path, role, query);
    EXPECT_EQ(html.status, 200) << path;
    expect_safe_html(html.body);
    Response api = get("/api" + path, role, query);
    EXPECT_EQ(api.status, 200) << path;
    parse_json(api.body);
  }
};

TEST_F(AdminEscaping, HostileListEntriesAndReasons) {
  // A keyword list accepts any one line of UTF-8 text.
  for (const std::string& entry : {kScript, kBreakout, kRlo}) {
    Response r = post("/lists/entries/add",
                      {{"list", "test keywords"}, {"entry", entry}, {"reason", kBreakout + kRlo}});
    ASSERT_EQ(r.status, 200) << r.body;
    expect_safe_html(r.body);
    EXPECT_THAT(r.body, HasSubstr("Added &#39;" + html::escape(entry) + "&#39;"));
  }
  // Refused entries echo what was typed, escaped.
  for (const std::string& entry : {kControl, kBadUtf8}) {
    Response r =
        post("/lists/entries/add", {{"list", "test keywords"}, {"entry", entry}, {"reason", "r"}});
    EXPECT_EQ(r.status, 400);
    expect_safe_html(r.body);
    Response api = post("/api/lists/entries/add",
                        {{"list", "test keywords"}, {"entry", entry}, {"reason", "r"}});
    EXPECT_EQ(api.status, 400);
    parse_json(api.body);
  }
  // A reason that is not UTF-8 is refused: it could not go into policy.toml.
  Response bad_reason =
      post("/lists/manual/add",
           {{"domain", "x.example.org"}, {"effect", "allow"}, {"reason", kBadUtf8}});
  EXPECT_EQ(bad_reason.status, 400);
  expect_safe_html(bad_reason.body);
  Response manual = post("/lists/manual/add", {{"domain", "y.example.org"},
                                               {"effect", "allow"},
                                               {"reason", kScript + "\n" + kBreakout + kRlo}});
  ASSERT_EQ(manual.status, 200) << manual.body;
  expect_safe_html(manual.body);
  EXPECT_THAT(manual.body, HasSubstr("\\u{202E}"));

  // Hostile lines in a list file, shown among the invalid lines.
  write_file(rules_ + "/lists/extremism.domains", "bad.example.org\n" + kScript + "\n" + kBreakout +
                                                      "\n" + kRlo + ".example.org\n" + kControl +
                                                      "\n" + kBadUtf8 + "\n");
  expect_safe("/lists");
  expect_safe("/lists", Role::Auditor);
  expect_safe("/decisions");
  expect_safe("/lists/test", Role::Admin, {{"input", kScript}});
  expect_safe("/lists/test", Role::Admin, {{"input", kBreakout + kRlo + kBadUtf8 + kControl}});
  Response test = get("/lists/test", Role::Admin, {{"input", "<script> knife crime"}});
  EXPECT_THAT(test.body, HasSubstr("&lt;script&gt; knife crime"));
}

TEST_F(AdminEscaping, HostilePersonNames) {
  const std::string csv =
      "reference,name,group\n"
      "L1,\"" +
      kScript +
      "\",learners\n"
      "L2,\"" +
      kBreakout.substr(0, 1) + "\"" + kBreakout.substr(1) +
      "\",learners\n"
      "L3," +
      kRlo +
      ",learners\n"
      "L4," +
      kBadUtf8 +
      ",learners\n"
      "L5," +
      kControl +
      ",learners\n"
      "\"<b>L6</b>\",x,learners\n";
  Response r = post("/people/import", {{"csv", csv}});
  ASSERT_EQ(r.status, 200) << r.body;
  expect_safe_html(r.body);
  EXPECT_THAT(r.body, HasSubstr("people.csv:5:"));  // invalid UTF-8 refused by line
  EXPECT_THAT(r.body, HasSubstr("people.csv:6:"));  // control characters refused by line
  EXPECT_EQ(count("SELECT count(*) FROM people"), 4);
  Response api = post("/api/people/import", {{"csv", csv}});
  parse_json(api.body);
  expect_safe("/people");
  Response page = get("/people");
  EXPECT_THAT(page.body, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(page.body, HasSubstr("&lt;b&gt;L6&lt;/b&gt;"));
  // A hostile reference typed into the mapping form.
  Response map = post("/people/map", {{"device_id", "1"}, {"reference", kBreakout}});
  EXPECT_EQ(map.status, 404);
  expect_safe_html(map.body);
}

TEST_F(AdminEscaping, HostileNotesAndStoredValues) {
  // Stored as they are by other means (the store keeps bytes): shown escaped.
  for (const std::string& text : {kScript, kBreakout, kRlo, kControl, kBadUtf8}) {
    ASSERT_TRUE(cw_->record_check("admin", {text, "fail", text}).ok());
    ASSERT_TRUE(cw_->record_decision("admin", {"add_block", text, text, text}).ok());
    ASSERT_TRUE(cw_->audit("admin", "check.record", "check", 1, text).ok());
    ASSERT_TRUE(cw_->set_setting("admin", "console.organisation_name", text).ok());
  }
  ASSERT_TRUE(cw_->add_user("setup", "x-user", Role::Reporter, "").ok());
  expect_safe("/checks");
  expect_safe("/checks", Role::Auditor);
  expect_safe("/decisions", Role::Auditor);
  expect_safe("/audit", Role::Dsl);
  expect_safe("/audit", Role::Auditor);
  expect_safe("/settings");
  expect_safe("/users");
  // Typed into the checks form: kept when it is text, refused when it is not.
  Response ok =
      post("/checks", {{"what", kScript + kRlo}, {"result", "pass"}, {"action", kBreakout}});
  EXPECT_EQ(ok.status, 200);
  expect_safe_html(ok.body);
  Response bad = post("/checks", {{"what", kBadUtf8}, {"result", "pass"}});
  EXPECT_EQ(bad.status, 400);
  expect_safe_html(bad.body);
  Response settings = post("/settings", {{"console.dsl_name", kControl}});
  EXPECT_EQ(settings.status, 400);
  expect_safe_html(settings.body);
}

}  // namespace
}  // namespace vigil::console::pages::testing
