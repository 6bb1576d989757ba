// Settings: the declared list, validated before anything is written, each
// change audited; the configuration shown read-only.

#include "admin/console/pages/admin_settings.h"

#include <gmock/gmock.h>

#include "tests/unit/admin/console/pages/admin_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using store::Role;
using ::testing::HasSubstr;

class AdminSettings : public AdminPagesTest {
 protected:
  std::string setting(std::string_view key) {
    return raw_text(db_, "SELECT value FROM settings WHERE key = '" + std::string(key) + "'");
  }
  std::int64_t audited() {
    return count("SELECT count(*) FROM audit_log WHERE action = 'setting.set'");
  }
};

TEST_F(AdminSettings, ValuesAreValidatedAndNothingIsSavedOnAProblem) {
  Response ctrl = post("/settings", {{std::string(kOrganisationName), "Acme\x07 Training"},
                                     {std::string(kDslName), "Jo Bloggs"}});
  EXPECT_EQ(ctrl.status, 400);
  EXPECT_THAT(ctrl.body, HasSubstr("control characters"));
  EXPECT_THAT(ctrl.body, HasSubstr("Nothing was saved"));
  Response phone = post("/settings", {{std::string(kDslPhone), "call 0161 496 0000"}});
  EXPECT_EQ(phone.status, 400);
  Response line = post("/settings", {{std::string(kPolicePrevent), "a\nb"}});
  EXPECT_EQ(line.status, 400);
  Response long_name = post("/api/settings", {{std::string(kDslName), std::string(201, 'x')}});
  EXPECT_EQ(long_name.status, 400);
  Response bad_utf8 = post("/settings", {{std::string(kOrganisationName), "Acme \xC3\x28"}});
  EXPECT_EQ(bad_utf8.status, 400);
  EXPECT_EQ(setting(kDslName), "");
  EXPECT_EQ(count("SELECT count(*) FROM settings"), 0);
  EXPECT_EQ(audited(), 0);
}

TEST_F(AdminSettings, ValidValuesAreSavedAndAudited) {
  Response r = post("/settings", {{std::string(kOrganisationName), "  Acme Training Ltd  "},
                                  {std::string(kDslName), "Jo Bloggs"},
                                  {std::string(kDslPhone), "+44 (0)161 496 0000"},
                                  {std::string(kLocalAuthorityPrevent),
                                   "Sam Lead, prevent@example.gov.uk, 0161 496 0001"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("Saved 4 settings"));
  EXPECT_EQ(setting(kOrganisationName), "Acme Training Ltd");
  EXPECT_EQ(setting(kDslPhone), "+44 (0)161 496 0000");
  EXPECT_EQ(audited(), 4);
  EXPECT_EQ(raw_text(db_, "SELECT actor FROM audit_log WHERE action = 'setting.set' LIMIT 1"),
            "admin");
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'setting.set' AND detail = '" +
                  std::string(kDslName) + " = Jo Bloggs'"),
            1);

  // The same values again change nothing and are not audited again.
  Response same = post("/api/settings", {{std::string(kDslName), "Jo Bloggs"}});
  ASSERT_EQ(same.status, 200);
  EXPECT_EQ(parse_json(same.body).at("changed").to_number<int>(), 0);
  EXPECT_EQ(audited(), 4);

  Response page = get("/api/settings");
  boost::json::value v = parse_json(page.body);
  EXPECT_EQ(v.at("settings").at(kDslName).as_string(), "Jo Bloggs");
  EXPECT_EQ(v.at("config").at("rules.dir").as_string(), rules_);
  auto read = read_console_settings(cw_->reader());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->at(std::string(kDslName)), "Jo Bloggs");
  EXPECT_EQ(read->at(std::string(kPolicePrevent)), "");
  EXPECT_EQ(get("/settings", Role::Dsl).status, 403);
}

}  // namespace
}  // namespace vigil::console::pages::testing
