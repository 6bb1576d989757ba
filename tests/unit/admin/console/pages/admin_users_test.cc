// Users: adding one (password rules, hashing), disabling and enabling,
// roles, and the last enabled admin who must stay one.

#include <gmock/gmock.h>

#include "admin/console/password.h"
#include "tests/unit/admin/console/pages/admin_test_util.h"

namespace vigil::console::pages::testing {
namespace {

using store::Role;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class AdminUsers : public AdminPagesTest {
 protected:
  std::int64_t users() { return count("SELECT count(*) FROM users"); }
  std::int64_t disabled(const std::string& name) {
    return count("SELECT disabled FROM users WHERE name = '" + name + "'");
  }
};

TEST_F(AdminUsers, AShortPasswordIsRefused) {
  const auto before = users();
  Response r = post("/users/add", {{"name", "teacher1"},
                                   {"role", "reporter"},
                                   {"password", "short"},
                                   {"password_again", "short"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("password was not accepted"));
  EXPECT_EQ(users(), before);

  Response same_as_name =
      post("/api/users/add",
           {{"name", "teacher1234567"}, {"role", "reporter"}, {"password", "teacher1234567"}});
  EXPECT_EQ(same_as_name.status, 400);
  Response differ = post("/users/add", {{"name", "teacher1"},
                                        {"role", "reporter"},
                                        {"password", "a long enough passphrase"},
                                        {"password_again", "a long enough passphrasE"}});
  EXPECT_EQ(differ.status, 400);
  EXPECT_THAT(differ.body, HasSubstr("differ"));
  Response bad_role =
      post("/users/add",
           {{"name", "teacher1"}, {"role", "root"}, {"password", "a long enough passphrase"}});
  EXPECT_EQ(bad_role.status, 400);
  EXPECT_EQ(users(), before);
}

TEST_F(AdminUsers, AUserIsAddedWithAHashedPassword) {
  Response r = post("/users/add", {{"name", "teacher1"},
                                   {"role", "reporter"},
                                   {"password", "a long enough passphrase"},
                                   {"password_again", "a long enough passphrase"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("Added teacher1 as reporter"));
  const std::string hash = raw_text(db_, "SELECT password_hash FROM users WHERE name = 'teacher1'");
  EXPECT_THAT(hash, StartsWith("$argon2id$"));
  EXPECT_TRUE(verify_password(hash, "a long enough passphrase"));
  EXPECT_EQ(raw_text(db_, "SELECT role FROM users WHERE name = 'teacher1'"), "reporter");
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'user.add' AND actor = 'admin'"),
            1);
  EXPECT_EQ(
      post("/users/add",
           {{"name", "teacher1"}, {"role", "reporter"}, {"password", "another long passphrase"}})
          .status,
      409);
}

TEST_F(AdminUsers, TheLastEnabledAdminCannotBeDisabledOrDemoted) {
  Response r = post("/users/disable", {{"name", "admin"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("only enabled admin"));
  EXPECT_EQ(disabled("admin"), 0);
  Response demote = post("/api/users/role", {{"name", "admin"}, {"role", "auditor"}});
  EXPECT_EQ(demote.status, 409);
  EXPECT_EQ(raw_text(db_, "SELECT role FROM users WHERE name = 'admin'"), "admin");
  // The store refuses it too, whoever asks.
  EXPECT_FALSE(cw_->set_user_role("someone", "admin", Role::Dsl).ok());

  // With a second admin, the first may go.
  ASSERT_TRUE(cw_->add_user("setup", "admin2", Role::Admin, "").ok());
  Response ok = post("/users/disable", {{"name", "admin"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(disabled("admin"), 1);
  // ... and now admin2 is the last one.
  EXPECT_EQ(post("/users/disable", {{"name", "admin2"}}).status, 409);
  EXPECT_EQ(disabled("admin2"), 0);
  ASSERT_EQ(post("/users/enable", {{"name", "admin"}}).status, 200);
  EXPECT_EQ(disabled("admin"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action IN ('user.disable', 'user.enable')"),
            2);
}

TEST_F(AdminUsers, RolesChangeAndAreAudited) {
  Response r = post("/users/role", {{"name", "governor"}, {"role", "deputy_dsl"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(raw_text(db_, "SELECT role FROM users WHERE name = 'governor'"), "deputy_dsl");
  EXPECT_EQ(raw_text(db_, "SELECT detail FROM audit_log WHERE action = 'user.role'"),
            "governor: auditor -> deputy_dsl");
  EXPECT_EQ(post("/users/role", {{"name", "nobody"}, {"role", "dsl"}}).status, 404);

  Response page = get("/api/users");
  boost::json::value v = parse_json(page.body);
  EXPECT_EQ(v.at("users").as_array().size(), 3u);
  EXPECT_EQ(get("/users", Role::Dsl).status, 403);
  EXPECT_EQ(post("/users/add", {{"name", "x"}}, Role::Auditor).status, 403);
}

}  // namespace
}  // namespace vigil::console::pages::testing
